"""Time of one LOSO fold of the emotion CNN: Keras `fit` against the in-graph loop mescreen uses.

Usage: MESCREEN_DATA=../shared/data .venv/bin/python bench/emotion_training.py [--epochs 40]
One member, the shipped settings otherwise (flow 28x28, mirroring, class weights, batch 16),
trained on every subject but the first, on one TensorFlow thread. Both times include building
the model and tracing its graph, as each LOSO fold pays them; TensorFlow's start-up is paid
before either is timed.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()

    import keras
    import numpy as np

    from mescreen.training.emotion import SHIPPED, EmotionCNN, augment, inverse_frequency, limit_threads, make_inputs
    from mescreen.training.megc import load_megc

    limit_threads(1)
    data = load_megc()
    train = data.subject != data.subject[0]
    X = make_inputs(data, SHIPPED.input_kind, SHIPPED.size)[train]
    y = data.label3[train]
    c = SHIPPED.config

    EmotionCNN(c, n_members=1, epochs=1).fit(X[:32], y[:32])  # TensorFlow's start-up, paid once per process
    start = time.perf_counter()
    EmotionCNN(c, n_members=1, epochs=args.epochs).fit(X, y)
    in_graph = time.perf_counter() - start

    classes = np.unique(y)
    targets = np.searchsorted(classes, y)
    X_aug, t_aug = augment(X, targets, c.flip)
    weights = inverse_frequency(targets, len(classes))
    start = time.perf_counter()
    model = EmotionCNN(c)._build(X.shape[1:], len(classes), 0)
    model.compile(optimizer=keras.optimizers.Adam(c.learning_rate), loss="sparse_categorical_crossentropy")
    model.fit(X_aug, t_aug, batch_size=c.batch_size, epochs=args.epochs, verbose=0, shuffle=True,
              class_weight=dict(enumerate(weights.tolist())))
    with_fit = time.perf_counter() - start
    print(f"one fold, {len(X_aug)} training images, {args.epochs} epochs: keras fit {with_fit:.1f} s, "
          f"in-graph loop {in_graph:.1f} s ({with_fit / in_graph:.1f}x)")


if __name__ == "__main__":
    main()
