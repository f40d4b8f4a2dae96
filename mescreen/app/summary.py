"""Numbers derived from a SessionResult that both the screen (Plotly) and paper (PDF) show.

Kept apart from the drawing code so the two renderings cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mescreen.core.emotion.recall import not_read, reading_text
from mescreen.core.screening.figures import UNDETERMINED, episode_emotion
from mescreen.core.result import Episode, Indicator, SessionResult
from mescreen.core.screening.indicators import CONFIG_DIR, indicator_emotions, load_config
from mescreen.app.au_words import au_list, in_words
from mescreen.app.plain_words import cluster_words

#: Long recordings are binned to at most this many points before charting: a browser or a PDF
#: page cannot show more, and per-frame arrays of an hour-long interview would be heavy.
MAX_POINTS = 600


@dataclass(frozen=True)
class Binned:
    """A per-frame signal averaged over equal time bins (NaN where a bin had no valid value)."""

    time_s: np.ndarray  # (m,) bin centres
    values: np.ndarray  # (m,) or (m, k)


def binned(time_s: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS) -> Binned:
    """Mean of `values` over at most `max_points` equal-count bins along time, ignoring NaN."""
    n = int(time_s.shape[0])
    if n <= max_points:
        return Binned(np.asarray(time_s, float), np.asarray(values, float))
    edges = np.linspace(0, n, max_points + 1).astype(int)
    vals = np.asarray(values, float)
    out_t = np.empty(max_points)
    out_v = np.full((max_points,) + vals.shape[1:], np.nan)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        out_t[i] = float(np.mean(time_s[a:b]))
        chunk = vals[a:b]
        valid = ~np.isnan(chunk)
        counts = valid.sum(axis=0)
        sums = np.where(valid, chunk, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out_v[i] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return Binned(out_t, out_v)


#: Width of the moving average that lightly smooths the per-frame emotion trace: long enough to
#: calm frame-to-frame jitter, short enough (under a micro-expression's 0.5 s) to keep episodes.
SMOOTH_SECONDS = 0.2


def smoothed(time_s: np.ndarray, values: np.ndarray, seconds: float = SMOOTH_SECONDS) -> np.ndarray:
    """Centred moving average over `seconds` (NaN ignored); frames that had no value stay NaN,
    so gaps (no face, nothing computed) remain gaps."""
    values = np.asarray(values, float)
    if values.shape[0] < 2:
        return values
    step = float(np.median(np.diff(time_s))) or 1.0
    window = max(1, int(round(seconds / step)))
    frame = pd.DataFrame(values.reshape(values.shape[0], -1))
    out = frame.rolling(window, center=True, min_periods=1).mean().to_numpy().reshape(values.shape)
    return np.where(np.isnan(values), np.nan, out)


def emotion_trace(result: SessionResult, max_points: int = MAX_POINTS) -> tuple[Binned, list[str]]:
    """The per-frame emotion probabilities, lightly smoothed and binned, with the names of the
    emotions that have any value (screen and PDF draw the same trace)."""
    series = result.series
    values = smoothed(series.time_s, series.emotion_prob)
    b = binned(series.time_s, values, max_points)
    keep = [j for j in range(len(series.emotion_names)) if not np.all(np.isnan(b.values[:, j]))]
    return Binned(b.time_s, b.values[:, keep]), [series.emotion_names[j] for j in keep]


def emotion_label(episode: Episode) -> str:
    """The emotion an episode counts as (mescreen.core.screening.figures.episode_emotion), as everywhere."""
    return episode_emotion(episode)


def emotion_counts(result: SessionResult) -> pd.DataFrame:
    """Episodes per emotion and kind: columns emotion, micro, macro, total (sorted by total)."""
    rows: dict[str, dict[str, int]] = {}
    for ep in result.episodes:
        row = rows.setdefault(emotion_label(ep), {"micro": 0, "macro": 0})
        row[ep.kind] += 1
    frame = pd.DataFrame(
        [{"emotion": e, **c, "total": c["micro"] + c["macro"]} for e, c in rows.items()],
        columns=["emotion", "micro", "macro", "total"],
    )
    return frame.sort_values(["total", "emotion"], ascending=[False, True]).reset_index(drop=True)


def confidence_text(episode: Episode) -> str:
    """An episode's confidence as a clinician reads it ("0.82", or "not estimated")."""
    return "not estimated" if episode.confidence is None else f"{episode.confidence:.2f}"


def emotion_text(episode: Episode) -> str:
    """The emotion an episode counts as; an uncertain reading says so and what it was read as."""
    label = emotion_label(episode)
    if label == UNDETERMINED and episode.emotion:
        return f"{UNDETERMINED} (read as {episode.emotion}, uncertain)"
    return label


def episodes_table(result: SessionResult) -> pd.DataFrame:
    """One row per episode, in the words a clinician reads (times in seconds, AUs named)."""
    rows = []
    for i, ep in enumerate(result.episodes, start=1):
        rows.append({
            "#": i,
            "kind": ep.kind,
            "onset (s)": f"{ep.onset_s:.2f}",
            "apex (s)": f"{ep.apex_s:.2f}",
            "offset (s)": f"{ep.offset_s:.2f}",
            "duration (s)": f"{ep.duration_s:.2f}",
            "emotion": emotion_text(ep),
            "confidence": confidence_text(ep),
            "active AUs": au_list(ep.active_aus),
            "ME cluster": cluster_words(ep.cluster) if ep.cluster else "-",
        })
    columns = ["#", "kind", "onset (s)", "apex (s)", "offset (s)", "duration (s)", "emotion",
               "confidence", "active AUs", "ME cluster"]
    return pd.DataFrame(rows, columns=columns)


def cluster_table(result: SessionResult) -> pd.DataFrame:
    """Reference ME clusters seen in this session: name, emotion, AU combination, episodes."""
    info = {c.name: c for c in result.clusters.reference_clusters}
    rows = []
    seen = {n: c for n, c in result.clusters.counts.items() if c > 0}
    for name, count in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])):
        cluster = info.get(name)
        rows.append({
            "cluster": cluster_words(name),
            "emotion": cluster.emotion if cluster else name.split("_")[0].lower(),
            "AU combination": au_list(cluster.aus) if cluster else "-",
            "AU codes": "+".join(cluster.aus) if cluster else "-",
            "episodes": int(count),
        })
    return pd.DataFrame(rows, columns=["cluster", "emotion", "AU combination", "AU codes", "episodes"])


@dataclass(frozen=True)
class IndicatorTables:
    """The indicators of a session, as the Session page and the PDF show them.

    `judged`: indicators with a threshold that were computed and compared with it;
    `not_judged`: indicators with a threshold that could not be judged, with the reason apart;
    `described`: figures shown for information, without a threshold (emotion shares);
    `references`: the literature behind the rules, numbered as the tables' "ref." column.
    """

    judged: pd.DataFrame
    not_judged: pd.DataFrame
    described: pd.DataFrame
    references: list[str]


#: Rule kinds whose value is a share (shown in percent; its change in percentage points).
SHARE_KINDS = {"emotion_share", "au_rate", "case_study", "emotion_time_share"}

#: The unit written after a rule's value (and its change) when the value is not a share.
UNITS = {"episode_rate": " a minute", "au_events_per_minute": " a minute", "head_motion": " degrees a second"}


def known_rules() -> dict[str, dict[str, Any]]:
    """Every screening rule mescreen has had, by key: the default configuration's rules first and
    in its wording, then those only earlier configurations had (newest first), so a session
    screened with an earlier configuration reads in today's words too. Screening v1 called the
    share of face frames with an AU active its "frame rate"; it is shown as what it is (the
    versioned file itself stays as it was, its hash names the rules a session used)."""
    rules: dict[str, dict[str, Any]] = {r["key"]: r for r in load_config()["rules"]}
    for path in sorted(CONFIG_DIR.glob("screening_v*.json"), reverse=True):
        for rule in load_config(path)["rules"]:
            rules.setdefault(rule["key"], rule)
    for rule in rules.values():
        if rule["kind"] == "au_rate":
            rule["label"] = rule["label"].replace(") frame rate", "): share of frames")
    return rules


def rule_labels() -> dict[str, str]:
    """Rule key -> label (all configurations; AU codes named)."""
    return {key: in_words(rule["label"]) for key, rule in known_rules().items()}


def indicator_label(indicator: Indicator, labels: dict[str, str] | None = None) -> str:
    """The indicator's name in today's words (the current rules' label, so sessions stored before
    a wording change read the same), AU codes named."""
    labels = labels if labels is not None else rule_labels()
    if indicator.key.startswith("change_"):
        base = labels.get(indicator.key.removeprefix("change_"))
        label = f"Change since earlier sessions: {base}" if base else indicator.label
    else:
        label = labels.get(indicator.key, indicator.label)
    return in_words(label)


def _number(value: float, share: bool) -> str:
    return f"{value:.0%}" if share else f"{value:.3g}"


def indicator_value(indicator: Indicator, kinds: dict[str, str] | None = None) -> str:
    """Value in its unit (shares in percent, changes of shares in percentage points), with its 95%
    interval where the rule defines one."""
    if indicator.value is None:
        return "-"
    kinds = kinds if kinds is not None else {k: r["kind"] for k, r in known_rules().items()}
    key = indicator.key.removeprefix("change_")
    share = key.startswith("share_") or kinds.get(key) in SHARE_KINDS
    unit = UNITS.get(kinds.get(key, ""), "")
    if indicator.key.startswith("change_"):
        return f"{100 * indicator.value:+.0f} points" if share else f"{indicator.value:+.3g}{unit}"
    if key == "face_seconds":
        return f"{indicator.value:.1f} s"
    text = _number(indicator.value, share) + unit
    if indicator.low is not None and indicator.high is not None:
        text += f" ({_number(indicator.low, share)} to {_number(indicator.high, share)})"
    return text


def _threshold_text(indicator: Indicator, kinds: dict[str, str]) -> str:
    if indicator.threshold is None:
        return "-"
    as_value = Indicator(indicator.key, indicator.label, indicator.threshold)
    return indicator_value(as_value, kinds)


#: The case-study sentence of the screening's evidence, and what it means: the paper names these
#: clusters without their AU combinations, so no episode can be matched to them, although
#: mescreen's own clusters (mescreen.core.episodes.clusters), numbered on their own, carry some of the
#: same names ("not matchable" beside episodes assigned to Sadness_ME1 read as a contradiction).
_UNMATCHABLE = re.compile(r"Not matchable \(AU combination unknown to mescreen\): ([^.]*)\.")
_UNMATCHABLE_WORDS = (r"The paper's case-study clusters \1 are not counted: the paper does not give their AU "
                      r"combinations. (mescreen numbers its own ME clusters separately: its cluster of the same "
                      r"name is another group of episodes, not the paper's.)")


def evidence_words(text: str) -> str:
    """An indicator's evidence as a clinician reads it: AU codes and ME clusters named, the case-study
    note plain."""
    return cluster_words(in_words(_UNMATCHABLE.sub(_UNMATCHABLE_WORDS, text)))


def _face_seconds(result: SessionResult) -> Indicator | None:
    face = next((i for i in result.screening.indicators if i.key == "face_seconds"), None)
    return face if face is not None and face.value is not None else None


def _face_reason(reason: str, result: SessionResult) -> str:
    """A "not enough face" reason with the figures behind it: "Face found in 100%" of a short
    recording is still too little face."""
    face = _face_seconds(result)
    if face is None or "face" not in reason:
        return reason
    if "too little visible face" in reason and face.threshold and face.value < face.threshold:
        return f"Too little face was visible: {face.value:.1f} s of the {face.threshold:.0f} s needed."
    if reason.startswith("needs at least"):
        return f"{reason[:1].upper()}{reason[1:]} This recording has {face.value:.1f} s."
    return reason


def not_judged_reason(indicator: Indicator, result: SessionResult) -> tuple[str, str]:
    """(reason, remaining evidence) for an indicator with a threshold but no value, in plain words."""
    evidence = indicator.evidence
    if "Not judged:" in evidence:
        before, after = evidence.split("Not judged:", 1)
        return in_words(_face_reason(after.strip(), result)), evidence_words(before.strip())
    if " not read" in evidence:
        return in_words(evidence.replace("the AU detector", "the AU model")), ""
    face = _face_seconds(result)
    if face is not None and face.threshold and face.value < face.threshold:
        return (f"Too little face was visible: {face.value:.1f} s of the {face.threshold:.0f} s needed.",
                evidence_words(evidence))
    if evidence.startswith("No frame with a face"):
        return "No frame showed a face.", ""
    return evidence_words(evidence) or "Not enough data in this recording.", ""


def with_reading(text: str, indicator: Indicator, result: SessionResult, rules: dict[str, dict[str, Any]]) -> str:
    """`text`, then how well each emotion the indicator counts is read (mescreen.core.emotion.recall);
    `text` alone for an indicator that counts no emotion."""
    emotions = indicator_emotions(indicator.key, rules)
    if not emotions:
        return text
    return " ".join(part for part in (text, reading_text(emotions, result.series.emotion_recall)) if part)


def indicator_tables(result: SessionResult) -> IndicatorTables:
    """Judged and not-judged indicators apart (see `IndicatorTables`); every emotion indicator says
    how well its emotions are read."""
    rules = known_rules()
    labels = {k: r["label"] for k, r in rules.items()}
    kinds = {k: r["kind"] for k, r in rules.items()}
    everything = list(result.screening.indicators) + list(result.screening.longitudinal)
    references = list(dict.fromkeys(i.reference for i in everything if i.reference))

    def ref(ind: Indicator) -> str:
        return f"[{references.index(ind.reference) + 1}]" if ind.reference else ""

    judged, not_judged, described = [], [], []
    for ind in everything:
        label = indicator_label(ind, labels)
        if ind.threshold is None:
            unread = ind.value is None and not_read(indicator_emotions(ind.key, rules), result.series.emotion_recall)
            described.append({"figure": label, "value": "not read" if unread else indicator_value(ind, kinds),
                              "evidence": with_reading(evidence_words(ind.evidence), ind, result, rules)})
        elif ind.value is None:
            reason, evidence = not_judged_reason(ind, result)
            not_judged.append({"indicator": label, "why not judged": reason,
                               "evidence": with_reading(evidence, ind, result, rules) or "-", "ref.": ref(ind)})
        else:
            judged.append({"indicator": label, "value (95% interval)": indicator_value(ind, kinds),
                           "threshold": _threshold_text(ind, kinds), "raised": "yes" if ind.raised else "no",
                           "evidence": with_reading(evidence_words(ind.evidence), ind, result, rules), "ref.": ref(ind)})
    return IndicatorTables(
        judged=pd.DataFrame(judged, columns=["indicator", "value (95% interval)", "threshold", "raised", "evidence", "ref."]),
        not_judged=pd.DataFrame(not_judged, columns=["indicator", "why not judged", "evidence", "ref."]),
        described=pd.DataFrame(described, columns=["figure", "value", "evidence"]),
        references=references,
    )


def face_found_share(result: SessionResult) -> float:
    """Share of analysed frames in which a face was found (0 when nothing was analysed)."""
    found = result.series.face_found
    return float(found.mean()) if found.size else 0.0


def face_confidence(result: SessionResult) -> np.ndarray:
    """Per-frame face detection confidence, 0 where no face was found (screen and PDF chart)."""
    series = result.series
    return np.where(series.face_found, series.face_confidence, 0.0).astype(float)


def relative_sharpness(result: SessionResult) -> np.ndarray:
    """Per-frame sharpness of the face crop (variance of the Laplacian) over its median in this
    recording: 1 is typical here, below 1 blurrier; NaN where no face was found."""
    series = result.series
    blur = np.where(series.face_found, series.blur, np.nan).astype(float)
    valid = blur[np.isfinite(blur) & (blur > 0)]
    if valid.size == 0:
        return np.full(blur.shape, np.nan)
    return blur / float(np.median(valid))


def session_facts(result: SessionResult) -> list[tuple[str, str]]:
    """Key facts of the recording and analysis as (label, value) pairs."""
    v = result.video
    return [
        ("File", v.file_name),
        ("Duration", f"{v.duration_s:.1f} s"),
        ("Resolution", f"{v.width} x {v.height}" if v.width else "-"),
        ("Frame rate", f"{v.fps:.2f} fps (analysed at {v.analysed_fps or v.fps:.2f})"),
        ("Frames analysed", f"{len(result.series)} of {v.frames_read} read"),
        ("Face found in", f"{100 * face_found_share(result):.0f}% of analysed frames"),
        ("Episodes", f"{sum(e.kind == 'micro' for e in result.episodes)} micro, "
                     f"{sum(e.kind == 'macro' for e in result.episodes)} macro"),
        ("Screening level", result.screening.level),
        ("Analysed at", result.created_at or "-"),
    ]
