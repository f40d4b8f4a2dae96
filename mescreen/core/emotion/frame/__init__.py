"""Per-frame emotion: takes face crops, returns (n, 8) probabilities over the FER+ emotions and the
face features the AU detector reads. `model` is the runtime; `networks` builds the Keras networks
that training fits."""
