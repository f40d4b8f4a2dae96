"""The paper's ablations (Sharma et al., BDCC 2024, Tables 4-8) under one subject-grouped protocol.

Every variant changes one thing of a base configuration (the shipped network's training
settings) and is evaluated with the same folds, inputs and metrics; identical variants (the
base appears in several tables) are trained once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mescreen.core.emotion.table3 import blocks_for_layers
from mescreen.training.emotion import EmotionCNN, EmotionCNNConfig, EmotionEvaluation, evaluate
from mescreen.training.megc import MegcSet
from mescreen.training.protocols import pixel_classifier


@dataclass(frozen=True)
class Variant:
    table: str
    name: str
    make: Callable[[], Any]
    key: str  # variants with the same key are the same model, trained once


def variants(base: EmotionCNNConfig, seed: int = 0) -> list[Variant]:
    """Tables 4-8 of the paper as variants of `base`."""

    def cnn(table: str, name: str, **changes: Any) -> Variant:
        config = replace(base, **changes)
        return Variant(table, name, partial(EmotionCNN, config), repr(sorted(asdict(config).items())))

    out = [
        Variant("4 baselines", "SVM (RBF, raw pixels)",
                partial(pixel_classifier, SVC(class_weight="balanced", probability=True, random_state=seed)), "svm"),
        Variant("4 baselines", "decision tree (raw pixels)",
                partial(pixel_classifier, DecisionTreeClassifier(class_weight="balanced", random_state=seed)), "tree"),
        Variant("4 baselines", "MLP (raw pixels, 128 hidden)",
                partial(pixel_classifier, MLPClassifier((128,), max_iter=500, random_state=seed)), "mlp"),
        cnn("4 baselines", "plain CNN (2 conv + pool, dense)", architecture="plain"),
        cnn("4 baselines", "proposed (Table 3 network)"),
    ]
    for layers in (1, 3, 5):
        for optimizer in ("sgd", "adam"):
            lr = 1e-2 if optimizer == "sgd" else base.learning_rate
            out.append(cnn("5 layers x optimizer", f"{layers} layers, {optimizer}",
                           n_blocks=blocks_for_layers(layers), optimizer=optimizer, learning_rate=lr))
    for epochs in (32, 45):
        for batch in (16, 32):
            out.append(cnn("6 epochs x batch", f"{epochs} epochs, batch {batch}", epochs=epochs, batch_size=batch))
    for bn in (True, False):
        out.append(cnn("7 batch norm", "with BN" if bn else "without BN", batch_norm=bn))
    for activation in ("relu", "sigmoid", "tanh", "elu"):
        out.append(cnn("8 activation", activation, activation=activation))
    return out


def run_ablations(
    data: MegcSet, X: np.ndarray, base: EmotionCNNConfig, *, n_folds: int | None = None,
    n_jobs: int = 1, verbose: bool = False,
) -> list[tuple[Variant, EmotionEvaluation]]:
    """Evaluate every variant (each distinct model once); results in table order."""
    done: dict[str, EmotionEvaluation] = {}
    results = []
    for variant in variants(base, base.seed):
        if variant.key not in done:
            done[variant.key] = evaluate(variant.name, data, X, variant.make, n_folds=n_folds, n_jobs=n_jobs)
            if verbose:
                r = done[variant.key].reports["all"]
                print(f"[ablation] table {variant.table}: {variant.name}: UF1 {r.uf1:.3f} UAR {r.uar:.3f} "
                      f"({done[variant.key].seconds:.0f} s)", flush=True)
        results.append((variant, done[variant.key]))
    return results


def ablation_markdown(results: list[tuple[Variant, EmotionEvaluation]]) -> str:
    """One table: paper table, variant, then UF1 / UAR / accuracy on all, CASME II and SAMM."""
    lines = ["| paper table | variant | UF1 | UAR | accuracy | CASME II UF1 | SAMM UF1 | time (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for variant, ev in results:
        r = ev.reports
        lines.append(f"| {variant.table} | {variant.name} | {r['all'].uf1:.3f} | {r['all'].uar:.3f} | "
                     f"{r['all'].accuracy:.3f} | {r['casme2'].uf1:.3f} | {r['samm'].uf1:.3f} | {ev.seconds:.0f} |")
    return "\n".join(lines)
