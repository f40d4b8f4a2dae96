"""Micro-expression emotion: takes an episode's onset and apex crops, returns its emotion
probabilities. `flow` makes the onset->apex optical-flow image the network reads, `estimator` is the
fitted network loaded from plain arrays, `classifier` the runtime the pipeline calls."""
