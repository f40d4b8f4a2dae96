"""The AU detector's model card and the figures it and `bench/face_reading.py` print: tables of
the grouped evaluation, the real-clip bars, the grimace targets, the weak-label paragraph.

Written from the metadata of the run that built the detector (mescreen.training.au) through the
template `card_templates/au_detector.md` (mescreen.training.card_template); kept apart from the
training so that reading figures never imports what fitting needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mescreen.core.aus.detector import MIN_AUC, MIN_F1_GAIN, AUDetector
from mescreen.core.labels import AU_DESCRIPTIONS
from mescreen.training.au_emotion import chain_markdown
from mescreen.training.au_wild_check import prototype_markdown
from mescreen.training.card_template import render_card
from mescreen.training.face_reading import by_expression, report_markdown
from mescreen.training.ferplus_aus import PROTOTYPES

#: Issue 25's targets for the grimace: AUs of a smile at most this often in crying frames and at
#: least this often in laughing ones, and the AUC of sad against neutral FER+ faces for AU4 and AU15.
GRIMACE_SMILE_AUS, GRIMACE_CRYING_MAX, GRIMACE_LAUGHING_MIN = ("AU12", "AU6"), 0.10, 0.80
GRIMACE_SAD_AUS, GRIMACE_SAD_AUC_MIN = ("AU4", "AU15"), 0.80


def markdown_table(metrics: dict[str, Any]) -> str:
    """Per-AU Markdown table of a per_au_metrics() result."""
    lines = ["| AU | support | base rate | F1 | precision | recall | AUC | F1 of always-on |", "|---" * 8 + "|"]
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    for r in metrics["rows"]:
        lines.append(
            f"| {r['au']} | {r['support']} | {r['base_rate']:.3f} | {fmt(r['f1'])} | {fmt(r['precision'])} | "
            f"{fmt(r['recall'])} | {fmt(r['auc'])} | {fmt(r['f1_chance'])} |"
        )
    lines.append(
        f"| **mean** ({metrics['n_aus_scored']} AUs, n={metrics['n']}) | | | {fmt(metrics['mean_f1'])} | | | "
        f"{fmt(metrics['mean_auc'])} | {fmt(metrics['mean_f1_chance'])} |"
    )
    return "\n".join(lines)


#: Heading of the card's hand-written, dated record of earlier versions (kept across rebuilds).
HISTORY_HEADING = "## History"


def with_history(card: str, previous: Path) -> str:
    """`card` followed by the history section (`HISTORY_HEADING` to the end) of the card at
    `previous` that it replaces: the generated part holds today's figures, and a rebuild must not
    erase the dated record of the versions before it."""
    old = previous.read_text() if previous.exists() else ""
    at = old.find("\n" + HISTORY_HEADING + "\n")
    return card if at < 0 else card.rstrip("\n") + "\n" + old[at:]


def detector_card(detector: AUDetector, version: str) -> str:
    """The model card: `card_templates/au_detector.md` filled with the figures of the run that
    produced the model (its metadata)."""
    meta = detector.metadata
    data = meta["data"]
    weak = data.get("weak") or {}
    evaluation = meta.get("evaluation") or {}
    framing = meta.get("framing") or {}
    videos = meta.get("videos") or {}
    hog = detector.hog
    values = {
        "version": version, "command": meta.get("command", ""), "seed": str(meta.get("seed")),
        "n_aus": str(len(detector.au_names)),
        "aus": ", ".join(f"{a} ({AU_DESCRIPTIONS.get(a, '?')})" for a in detector.au_names),
        "appearance": (f"HOG ({hog.size}x{hog.size} px, {hog.cell}-px cells, {hog.bins} bins) of the 128x128 face "
                       f"crop, standardisation, PCA ({detector.n_components} components), " if hog is not None else
                       "no appearance part (no HOG: trained with `--components 0`), "),
        "row_lead": "Beside the HOG projection each row " if hog is not None else "Each row ",
        "C": str(detector.C), "n_shape": str(len(detector.shape_names)),
        "shape_names": ", ".join(detector.shape_names) or "none", "shape_gain": str(detector.shape_gain),
        "embedding": (f"Each row also carries the {detector.embedding_size} face features of the per-frame emotion "
                      f"network (`{meta.get('embedding_model', '')}`, trained on FER+: the values its classifier reads), "
                      "standardised and scaled like the shape measures: that network learned in-the-wild faces from "
                      "25,000 photos, which ~1,300 coded lab images cannot teach HOG. " if detector.embedding_size else ""),
        "threshold_rule": (f"{1 - detector.wild_weight:g} x F1 on the coded images + {detector.wild_weight:g} x F1 on "
                           "the FER+ faces (for each AU their weak labels teach; the coded images alone for the others), "
                           "both on grouped out-of-fold predictions: thresholds set on lab faces alone were too low for "
                           "faces in the wild (`bench/au_wild_thresholds.py`). " if detector.wild_weight > 0 else
                           "F1 on grouped out-of-fold predictions of the coded images. "),
        "min_auc": str(MIN_AUC), "min_f1_gain": str(MIN_F1_GAIN),
        "thresholds": " | ".join(f"{a} {t:.2f}" if t <= 1 else f"{a} never (unreliable)"
                                 for a, t in zip(detector.au_names, detector.thresholds_)),
        "resting_quantile": f"{detector.resting_quantile:.0%}",
        "neutral": " | ".join(f"{a} {t:.3f}" for a, t in zip(detector.au_names, detector.neutral_level_)),
        "images": str(data["images"]), "subjects": str(data["subjects"]), "by_source": str(data["by_source"]),
        "crops": str(data["crops"]), "augmentation": str(data["augmentation"]),
        **weak_values(weak, detector.wild_weight),
        "unreliable": ", ".join(a for a, ok in zip(detector.au_names, detector.reliable_) if not ok) or "none",
        "evaluation": "", "coded_only": "", "chain": "", "framing": "", "videos": "", "wild": "", "grimace": "",
    }
    if evaluation:
        values |= {
            "evaluation": "yes", "protocol": str(evaluation["protocol"]), "n_images": str(evaluation["n_images"]),
            "n_subjects": str(evaluation["n_subjects"]), "all_images": markdown_table(evaluation["per_au"]),
            "per_source": "\n".join(line for source, metrics in evaluation["per_source"].items()
                                    for line in (f"{source} images only:", "", markdown_table(metrics), "")),
        }
        if evaluation.get("coded_only"):
            values["coded_only"] = comparison_table(evaluation["coded_only"], evaluation)
        if evaluation.get("chain"):
            values["chain"] = chain_markdown(evaluation["chain"])
    if framing:
        values |= {"runtime_crops": str(framing["runtime_crops"]), "framing": "\n".join(
            f"| {s} | {v['scale']:.3f} | {v['dx']} | {v['dy']} | {v['correlation']:.3f} |"
            for s, v in framing.items() if isinstance(v, dict))}
    if videos:
        values["videos"] = "\n".join(bar_lines(videos) + [report_markdown(name, r) for name, r in videos.items()])
    if meta.get("wild"):
        values["wild"] = prototype_markdown(meta["wild"])
    if videos or meta.get("wild"):
        values["grimace"] = "\n".join(grimace_lines(videos, meta.get("wild")))
    return render_card("au_detector", values)


def bar_lines(videos: dict[str, Any]) -> list[str]:
    """The issue's four bars, checked on every video variant whose labels have both a happiness
    and a sadness segment (rates pooled per expression, from face_reading.by_expression)."""
    lines = ["Bars (issue 12), on each clip labelled with happiness and sadness segments: (1) AU12 and (2) AU6 "
             "active in >= 80% of the happiness frames and <= 10% of the sadness frames; (3) AU43 separates "
             "sadness (here: active in >= 50% of the sadness frames and <= 10% of the happiness frames); "
             "(4) AU4 and AU15 more often active in sadness than in happiness.", "",
             "| clip, variant | AU12 happy / sad | AU6 happy / sad | AU43 sad / happy | AU4, AU15 sad vs happy |",
             "|---|---|---|---|---|"]
    fmt = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
    for name, reports in videos.items():
        for variant, rep in reports.items():
            pooled = by_expression(rep)
            if not {"happiness", "sadness"} <= set(pooled):
                continue
            h, d = pooled["happiness"], pooled["sadness"]

            def rate(table: dict, au: str) -> float:
                return table.get(au) if table.get(au) is not None else 0.0

            def ok(flag: bool) -> str:
                return "met" if flag else "NOT met"

            bar12 = rate(h, "AU12") >= 0.8 and rate(d, "AU12") <= 0.1
            bar6 = rate(h, "AU6") >= 0.8 and rate(d, "AU6") <= 0.1
            bar43 = rate(d, "AU43") >= 0.5 and rate(h, "AU43") <= 0.1
            bar4 = rate(d, "AU4") > rate(h, "AU4") and rate(d, "AU15") > rate(h, "AU15")
            lines.append(
                f"| {name}, {variant} | {fmt(h.get('AU12'))} / {fmt(d.get('AU12'))} {ok(bar12)} | "
                f"{fmt(h.get('AU6'))} / {fmt(d.get('AU6'))} {ok(bar6)} | {fmt(d.get('AU43'))} / {fmt(h.get('AU43'))} "
                f"{ok(bar43)} | AU4 {fmt(d.get('AU4'))} vs {fmt(h.get('AU4'))}, AU15 {fmt(d.get('AU15'))} vs "
                f"{fmt(h.get('AU15'))} {ok(bar4)} |"
            )
    return lines + [""]


def grimace_lines(videos: dict[str, Any], wild: dict[str, Any] | None) -> list[str]:
    """Issue 25's grimace targets, each with met / NOT met: per clip variant labelled with crying
    (sadness) and laughing (happiness), AU12 and AU6 active in <= 10% of the crying frames and >= 80%
    of the laughing ones; on the FER+ faces of `wild` (au_wild_check.prototype_check), AU4 and AU15
    rising in sad faces, AUC against neutral faces >= 0.80."""
    def ok(flag: bool) -> str:
        return "met" if flag else "NOT met"

    lines = [f"Grimace targets (issue 25): {' and '.join(GRIMACE_SMILE_AUS)} active in <= {GRIMACE_CRYING_MAX:.0%} of "
             f"the crying frames and >= {GRIMACE_LAUGHING_MIN:.0%} of the laughing ones; "
             f"{' and '.join(GRIMACE_SAD_AUS)} on sad FER+ faces against neutral ones, AUC >= {GRIMACE_SAD_AUC_MIN:.2f}.",
             ""]
    if videos:
        lines += ["| reading | " + " | ".join(f"{au} crying / laughing" for au in GRIMACE_SMILE_AUS) + " | target |",
                  "|---|" + "---|" * len(GRIMACE_SMILE_AUS) + "---|"]
    for name, reports in videos.items():
        for variant, rep in reports.items():
            pooled = by_expression(rep)
            if not {"happiness", "sadness"} <= set(pooled):
                continue
            rates = [(pooled["sadness"].get(au) or 0.0, pooled["happiness"].get(au) or 0.0) for au in GRIMACE_SMILE_AUS]
            met = all(cry <= GRIMACE_CRYING_MAX and laugh >= GRIMACE_LAUGHING_MIN for cry, laugh in rates)
            lines.append(f"| {name}, {variant} | " + " | ".join(f"{c:.2f} / {h:.2f}" for c, h in rates) + f" | {ok(met)} |")
    sad = (wild or {}).get("emotions", {}).get("sadness", {})
    if sad:
        aucs = [sad[au]["auc"] if au in sad else float("nan") for au in GRIMACE_SAD_AUS]
        met = all(a >= GRIMACE_SAD_AUC_MIN for a in aucs)
        lines += ["", "| reading | " + " | ".join(f"{au} AUC, sad vs neutral" for au in GRIMACE_SAD_AUS) + " | target |",
                  "|---|" + "---|" * len(GRIMACE_SAD_AUS) + "---|",
                  f"| FER+ {wild.get('split', 'test')}, {wild['faces'].get('sadness', 0)} sad and "
                  f"{wild['faces'].get('neutral', 0)} neutral faces | " + " | ".join(f"{a:.3f}" for a in aucs)
                  + f" | {ok(met)} |"]
    return lines + [""]


def weak_values(weak: dict[str, Any], wild_weight: float = 0.0) -> dict[str, str]:
    """The card's values on the FER+ faces with prototype AU labels (`wild_weight`: their share in
    the thresholds)."""
    rules = "; ".join(
        f"{e}: " + ("+".join(str(a) for a in pos) or "none") + (f" (unknown: {'+'.join(str(a) for a in unk)})" if unk else "")
        for e, (pos, unk) in PROTOTYPES.items()
    )
    faces = weak.get("faces") or {}
    return {
        "weak_faces": str(sum(faces.values())) if faces else "", "no_weak_faces": "" if faces else "yes",
        "weak_per_class": str(weak.get("per_class")), "weak_weight": str(weak.get("weight")),
        "weak_by_emotion": str(faces), "weak_crops": str(weak.get("crops")), "weak_rules": rules,
        "weak_use": (f"Their out-of-fold F1 weighs {wild_weight:g} in each AU's threshold (above); resting levels and "
                     "every figure below come from coded images. " if wild_weight > 0 else
                     "They are training rows only: thresholds, resting levels and every figure below come from "
                     "coded images. "),
    }


def comparison_table(coded_only: dict[str, Any], shipped: dict[str, Any]) -> str:
    """Mean F1 / AUC per source and per-AU F1 / AUC, coded-only baseline beside the shipped setting."""
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    lines = ["| images | mean F1, coded only | mean F1, + FER+ | mean AUC, coded only | mean AUC, + FER+ |",
             "|---|---|---|---|---|"]
    for name, a, b in [("all", coded_only["per_au"], shipped["per_au"])] + [
        (s, coded_only["per_source"][s], shipped["per_source"][s]) for s in shipped["per_source"]
    ]:
        lines.append(f"| {name} (n={b['n']}) | {fmt(a['mean_f1'])} | {fmt(b['mean_f1'])} | "
                     f"{fmt(a['mean_auc'])} | {fmt(b['mean_auc'])} |")
    lines += ["", "| AU | F1, coded only | F1, + FER+ | AUC, coded only | AUC, + FER+ |", "|---|---|---|---|---|"]
    for a, b in zip(coded_only["per_au"]["rows"], shipped["per_au"]["rows"]):
        lines.append(f"| {b['au']} ({AU_DESCRIPTIONS.get(b['au'], '?')}) | {fmt(a['f1'])} | {fmt(b['f1'])} | "
                     f"{fmt(a['auc'])} | {fmt(b['auc'])} |")
    return "\n".join(lines)
