"""Depression-associated screening indicators of one session, combined into a level.

Every number comes with its evidence and the rule's reference; the thresholds live in a
versioned configuration file (mescreen/core/screening/config/screening_v2.json; v1 kept for the record and its
tests; explained in
docs/screening_rules.md) because they are literature-informed defaults, not validated cut-offs.
Wording stays descriptive ("share of episodes read as ...", "share of frames"): mescreen is a
screening aid and never states a diagnosis.

AU frame rates are computed over frames with a face, counting an AU as active by the one
definition in mescreen.core.aus.activity (`FrameSeries.au_active`: the AU model's own per-AU
thresholds, stored with the series). A rule on an AU the detector does not read reliably is not
judged: its value is left empty and the evidence says why. Emotions follow the same mechanism: an
indicator that counts an emotion the per-frame emotion model does not read (mescreen.core.emotion.recall,
its recall stored with the series) is not judged either.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cached_property
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mescreen.core import INTENDED_USE, datapaths
from mescreen.core.emotion.recall import not_judged_text, not_read
from mescreen.core.errors import InputError
from mescreen.core.screening.figures import (
    MIN_EVENT_SECONDS, SHARE_KINDS, au_events, change_over_time, emotion_counts, emotion_shares, emotion_time_counts,
    face_minutes, frame_step_s, has_frame_emotions, head_motion, labelled_episodes,
)
from mescreen.core.screening.intervals import poisson_rate, wilson
from mescreen.core.labels import au_label
from mescreen.core.labels import EMOTIONS_FINE
from mescreen.core.result import Episode, FrameSeries, Indicator, Screening, SessionClusters
from mescreen.core.episodes.clusters import TABLE10_KNOWN

CONFIG_DIR = Path(__file__).resolve().parent / "config"
#: The configuration new analyses are screened with; earlier sessions keep the version they recorded.
DEFAULT_CONFIG = CONFIG_DIR / "screening_v2.json"
_KINDS = {"emotion_share", "au_rate", "case_study", "emotion_time_share", "episode_rate", "au_events_per_minute",
          "head_motion"}
#: Rule kinds read from the whole interview's per-frame series (screening v2), not from episodes.
_WHOLE_INTERVIEW = {"emotion_time_share", "episode_rate", "au_events_per_minute", "head_motion"}
#: Rule kinds that count emotions (their `emotions`).
EMOTION_KINDS = {"emotion_share", "emotion_time_share"}


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The screening configuration, with `config_version` = file name and content hash."""
    path = path or DEFAULT_CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"The screening configuration {path.name} could not be read: {exc}") from exc
    for rule in config.get("rules", []):
        missing = {"key", "kind", "label", "direction", "threshold", "weight", "reference"} - set(rule)
        if rule.get("kind") in _WHOLE_INTERVIEW:  # informative figures may have no threshold
            missing -= {"threshold", "weight"}
        if missing or rule["kind"] not in _KINDS or rule["direction"] not in {"high", "low"}:
            raise InputError(f"Screening rule {rule.get('key', '?')!r} in {path.name} is incomplete or unknown.")
    config["config_version"] = datapaths.model_version(path)
    return config


def indicator_emotions(key: str, rules: dict[str, dict[str, Any]]) -> list[str]:
    """The emotions an indicator counts ([] when it counts none): an emotion rule's `emotions`, the
    one emotion of a `share_<emotion>` figure; a change against earlier sessions counts its base's.
    `rules` maps rule keys to rules (the configuration's, or every known one)."""
    key = key.removeprefix("change_")
    if key.startswith("share_") and key.removeprefix("share_") in EMOTIONS_FINE:
        return [key.removeprefix("share_")]
    rule = rules.get(key)
    return list(rule["emotions"]) if rule is not None and rule["kind"] in EMOTION_KINDS else []


def screen(
    series: FrameSeries,
    episodes: Sequence[Episode],
    clusters: SessionClusters,
    previous: Sequence[Screening] = (),
    config: dict[str, Any] | None = None,
) -> Screening:
    """Indicators of one session, the level they add up to, and change against earlier sessions
    (`previous`, oldest first). `clusters` is recorded in the evidence of the cluster indicator."""
    config = config or load_config()
    evidence_cfg = config["evidence"]
    face = _Face(series)
    kinds = set(config.get("episode_kinds", SHARE_KINDS))
    labelled = labelled_episodes(episodes, tuple(kinds))
    enough_face = face.frames >= evidence_cfg["min_face_frames"] and face.seconds >= evidence_cfg["min_face_seconds"]
    enough_episodes = len(labelled) >= evidence_cfg["min_episodes"]

    indicators = [
        Indicator("face_seconds", "Seconds of video with a face", round(face.seconds, 1),
                  threshold=float(evidence_cfg["min_face_seconds"]),
                  evidence=f"{face.frames} of {len(series)} analysed frames had a face.",
                  reference=evidence_cfg.get("reference", "")),
        Indicator("episode_count", "Episodes with an emotion", float(len(labelled)),
                  threshold=float(evidence_cfg["min_episodes"]),
                  evidence=_episode_summary(episodes, labelled, kinds),
                  reference=evidence_cfg.get("reference", "")),
    ]
    indicators += _emotion_shares(labelled, tuple(kinds), enough_episodes, series.emotion_recall)
    for rule in config["rules"]:
        if rule["kind"] in _WHOLE_INTERVIEW:
            indicators.append(_interview_indicator(rule, series, episodes, face, enough_face))
        else:
            indicators.append(_rule_indicator(rule, series, face, labelled, enough_face, enough_episodes,
                                              clusters, config))

    longitudinal = _longitudinal(indicators, previous, config)
    score = sum(_weight(config, i.key) for i in indicators if i.raised)
    score += config.get("longitudinal_weight", 0.5) * sum(1 for i in longitudinal if i.raised)
    reasons = [f"{i.label}: {i.evidence}" for i in indicators + longitudinal if i.raised]
    level = _level(score, config["levels"])
    if not enough_face:
        level = "insufficient"
        reasons = [
            f"Too little face evidence to judge: {face.frames} frames / {face.seconds:.1f} s with a face "
            f"(at least {evidence_cfg['min_face_frames']} frames and {evidence_cfg['min_face_seconds']:.0f} s are needed)."
        ] + reasons
    elif not enough_episodes:
        note = (f"Too few episodes with an emotion to judge the emotion indicators: {len(labelled)} "
                f"(at least {evidence_cfg['min_episodes']} are needed).")
        reasons.append(note)
        if level == "none":
            level = "insufficient"
    return Screening(
        level=level, reasons=reasons, indicators=indicators, config_version=config["config_version"],
        intended_use=INTENDED_USE, longitudinal=longitudinal,
    )


class _Face:
    """Frames with a face and readable AU probabilities, and the per-frame figures several rules
    read (each computed once per screening)."""

    def __init__(self, series: FrameSeries) -> None:
        probs = np.asarray(series.au_prob, dtype=float)
        rows_ok = np.isfinite(probs).all(axis=1) if probs.size else np.zeros(len(series), bool)
        self.mask = np.asarray(series.face_found, bool) & rows_ok
        self.frames = int(self.mask.sum())
        self.seconds = self.frames * max(frame_step_s(series), 0.0)
        self.minutes = face_minutes(series)
        self.active = series.au_active()
        self.readable = series.au_readable()
        self._series = series

    @cached_property
    def emotion_counts(self) -> tuple[dict[str, int], int]:
        return emotion_time_counts(self._series)


def _episode_summary(episodes: Sequence[Episode], labelled: Sequence[Episode], kinds: set[str]) -> str:
    kinds_seen = Counter(e.kind for e in labelled)
    found = f"{len(episodes)} episode{'' if len(episodes) == 1 else 's'} found"
    counted = " or ".join(f"{kind}-expressions" for kind in sorted(kinds))
    return (f"{found}; {len(labelled)} counted ({counted} with an emotion: "
            f"{kinds_seen.get('micro', 0)} micro, {kinds_seen.get('macro', 0)} macro).")


def _emotion_shares(labelled: Sequence[Episode], kinds: tuple[str, ...], enough: bool,
                    recall: dict[str, float]) -> list[Indicator]:
    """One share per emotion, for information; none for an emotion that is not read."""
    counts, n = emotion_counts(labelled, kinds)
    shares = emotion_shares(labelled, kinds)
    return [
        Indicator(f"share_{emotion}", f"Share of episodes read as {emotion}",
                  round(shares[emotion], 4) if enough and shares and not not_read([emotion], recall) else None,
                  evidence=f"{counts[emotion]} of {n} episodes.")
        for emotion in EMOTIONS_FINE
    ]


def _rule_indicator(rule: dict[str, Any], series: FrameSeries, face: _Face, labelled: Sequence[Episode],
                    enough_face: bool, enough_episodes: bool, clusters: SessionClusters,
                    config: dict[str, Any]) -> Indicator:
    kind = rule["kind"]
    if kind == "au_rate":
        value, evidence = _au_rate(rule, series, face, labelled)
        judged = enough_face and face.seconds >= rule.get("min_face_seconds", 0.0)
        if value is not None and enough_face and not judged:
            evidence += f" Not judged: needs at least {rule['min_face_seconds']:.0f} s of face."
    elif kind == "emotion_share":
        counts, n = emotion_counts(labelled, config.get("episode_kinds", SHARE_KINDS))
        hits = sum(counts[emotion] for emotion in rule["emotions"])
        value = round(hits / n, 4) if n else None
        evidence = f"{hits} of {n} episodes ({', '.join(rule['emotions'])})."
        judged = enough_episodes
    else:
        value, evidence = _case_study(labelled, config["case_study_clusters"], clusters)
        judged = enough_episodes
    unread = not_read(rule.get("emotions", []), series.emotion_recall)
    if unread:
        evidence += " " + not_judged_text(unread)
        value = None
    elif not judged:
        if kind != "au_rate" and enough_face:
            evidence += f" Not judged: fewer than {config['evidence']['min_episodes']} episodes with an emotion."
        value = None
    raised = value is not None and (value >= rule["threshold"] if rule["direction"] == "high" else value <= rule["threshold"])
    return Indicator(rule["key"], rule["label"], value, threshold=float(rule["threshold"]), raised=raised,
                     evidence=evidence, reference=rule["reference"])


def _raised(rule: dict[str, Any], value: float | None) -> bool:
    threshold = rule.get("threshold")
    if value is None or threshold is None:
        return False
    return value >= threshold if rule["direction"] == "high" else value <= threshold


def _interview_indicator(rule: dict[str, Any], series: FrameSeries, episodes: Sequence[Episode], face: _Face,
                         enough_face: bool) -> Indicator:
    """A screening v2 figure of the whole interview, with its 95% interval (Wilson for shares,
    exact Poisson for counts per minute); not judged (no value) when the evidence is thin."""
    kind = rule["kind"]
    minutes = face.minutes
    interval: tuple[float, float] | None = None
    if kind == "emotion_time_share":
        counts, read = face.emotion_counts
        hits = sum(counts.get(e, 0) for e in rule["emotions"])
        value = hits / read if read else None
        interval = wilson(hits, read)
        evidence = (f"{' or '.join(rule['emotions'])} was the strongest reading in {hits} of {read} frames "
                    "with a face." if has_frame_emotions(series) else "This session has no per-frame emotion reading.")
        if not has_frame_emotions(series):
            value = None
        elif unread := not_read(rule["emotions"], series.emotion_recall):
            value, interval = None, None
            evidence += " " + not_judged_text(unread)
    elif kind == "episode_rate":
        count = sum(1 for e in episodes if e.kind == rule["episode_kind"])
        value = count / minutes if minutes > 0 else None
        interval = poisson_rate(count, minutes)
        evidence = f"{count} {rule['episode_kind']}-expression episode(s) in {minutes:.1f} min of visible face."
    elif kind == "au_events_per_minute":
        aus = rule["aus"]
        missing = [a for a in aus if a not in series.au_names]
        unread = [a for a in aus if a in series.au_names and not face.readable[series.au_names.index(a)]]
        if missing or unread:
            value, evidence = None, (f"{', '.join(missing + unread)} not read: the AU detector used for this "
                                     "session cannot detect it reliably, so this rule is not judged.")
        else:
            count = au_events(series, aus, face.active)
            value = count / minutes if minutes > 0 else None
            interval = poisson_rate(count, minutes)
            evidence = (f"{au_label(aus)} started {count} time(s) in {minutes:.1f} min of visible face "
                        f"(each lasting at least {MIN_EVENT_SECONDS:.1f} s).")
    else:  # head_motion
        value = head_motion(series)
        evidence = ("median head movement between frames, from the face mesh." if value is not None
                    else "This session has no head-pose reading (analysed without the face mesh).")
    judged = enough_face and face.seconds >= rule.get("min_face_seconds", 0.0)
    if value is not None and not judged:
        evidence += (f" Not judged: needs at least {max(rule.get('min_face_seconds', 0.0), 0.0):.0f} s of "
                     "visible face." if enough_face else " Not judged: too little visible face.")
        value, interval = None, None
    low, high = interval if interval is not None and value is not None else (None, None)
    return Indicator(rule["key"], rule["label"], None if value is None else round(value, 4),
                     threshold=None if rule.get("threshold") is None else float(rule["threshold"]),
                     raised=_raised(rule, value), evidence=evidence, reference=rule["reference"],
                     low=None if low is None else round(low, 4), high=None if high is None else round(high, 4))


def _au_rate(rule: dict[str, Any], series: FrameSeries, face: _Face,
             labelled: Sequence[Episode]) -> tuple[float | None, str]:
    """Share of face frames where all of the rule's AUs are active together (one AU: its rate)."""
    aus = rule["aus"]
    missing = [a for a in aus if a not in series.au_names]
    name = "+".join(aus)
    if missing:
        return None, f"{', '.join(missing)} not read by the AU detector used for this session."
    cols = [series.au_names.index(a) for a in aus]
    unread = [a for a, ok in zip(aus, face.readable[cols]) if not ok]
    if unread:
        return None, (f"{', '.join(unread)} not read: the AU detector used for this session cannot "
                      "detect it reliably, so this rule is not judged.")
    if face.frames == 0:
        return None, "No frame with a face."
    active = int(np.all(face.active[face.mask][:, cols], axis=1).sum())
    in_episodes = sum(1 for e in labelled if set(aus) <= set(e.active_aus))
    rate = active / face.frames
    return round(rate, 4), (
        f"{name} active in {active} of {face.frames} frames with a face ({rate:.0%}); "
        f"in {in_episodes} of {len(labelled)} episodes with an emotion."
    )


def _case_study(labelled: Sequence[Episode], names: Sequence[str], clusters: SessionClusters) -> tuple[float | None, str]:
    """Episodes whose emotion and active AUs contain a case-study cluster's known combination."""
    known = {n: TABLE10_KNOWN[n] for n in names if n in TABLE10_KNOWN}
    unknown = [n for n in names if n not in TABLE10_KNOWN]
    hits: Counter = Counter()
    for episode in labelled:
        for name, combo in known.items():
            if name.split("_")[0].lower() == episode.emotion and set(combo) <= set(episode.active_aus):
                hits[name] += 1
                break
    total = sum(hits.values())
    value = round(total / len(labelled), 4) if labelled else None
    matched = ", ".join(f"{n} {{{', '.join(known[n])}}} x{hits[n]}" for n in known) or "none"
    evidence = f"{total} of {len(labelled)} episodes ({matched})."
    if unknown:
        evidence += f" Not matchable (AU combination unknown to mescreen): {', '.join(unknown)}."
    if clusters.reference_version:
        evidence += (" Clusters named after the reference clusters of the research data (version "
                     f"{clusters.reference_version.rpartition('@')[2]}).")
    return value, evidence


def _longitudinal(current: Sequence[Indicator], previous: Sequence[Screening], config: dict[str, Any]) -> list[Indicator]:
    """Change of each rule's value against the mean of earlier sessions' values
    (mescreen.core.screening.figures.change_over_time: only with enough earlier sessions)."""
    rules = {r["key"]: r for r in config["rules"] if "change_threshold" in r}
    out = []
    for indicator in current:
        rule = rules.get(indicator.key)
        if rule is None:
            continue
        past = [next((p.value for p in s.indicators if p.key == indicator.key), None) for s in previous]
        found = change_over_time(indicator.value, past)
        if found is None:
            continue
        change = round(found.change, 4)
        worse = change if rule["direction"] == "high" else -change
        out.append(Indicator(
            f"change_{indicator.key}", f"Change since earlier sessions: {indicator.label}", change,
            threshold=float(rule["change_threshold"]), raised=worse >= rule["change_threshold"],
            evidence=(f"now {found.value:.2f}, mean {found.baseline:.2f} over {found.earlier} earlier "
                      "session(s)."),
            reference=rule["reference"],
        ))
    return out


def _weight(config: dict[str, Any], key: str) -> float:
    return next((float(r["weight"]) for r in config["rules"] if r["key"] == key), 0.0)


def _level(score: float, levels: dict[str, float]) -> str:
    if score >= levels["flag"]:
        return "flag"
    if score >= levels["watch"]:
        return "watch"
    return "none"
