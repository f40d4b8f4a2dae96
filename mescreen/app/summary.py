"""Numbers derived from a SessionResult that both the screen (Plotly) and paper (PDF) show.

Kept apart from the drawing code so the two renderings cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mescreen.core.figures import episode_emotion
from mescreen.core.result import Episode, SessionResult

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


def emotion_label(episode: Episode) -> str:
    """The emotion an episode counts as (mescreen.core.figures.episode_emotion), as everywhere."""
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


def episodes_table(result: SessionResult) -> pd.DataFrame:
    """One row per episode, in the words a clinician reads (times in seconds)."""
    rows = []
    for i, ep in enumerate(result.episodes, start=1):
        confidence = ep.emotion_prob.get(ep.emotion) if ep.emotion else None
        rows.append({
            "#": i,
            "kind": ep.kind,
            "onset (s)": round(ep.onset_s, 2),
            "apex (s)": round(ep.apex_s, 2),
            "offset (s)": round(ep.offset_s, 2),
            "duration (s)": round(ep.duration_s, 2),
            "emotion": emotion_label(ep),
            "emotion prob.": None if confidence is None else round(float(confidence), 2),
            "active AUs": "+".join(ep.active_aus) or "-",
            "ME cluster": ep.cluster or "-",
            "cluster AUs": "+".join(ep.cluster_aus) or "-",
        })
    columns = ["#", "kind", "onset (s)", "apex (s)", "offset (s)", "duration (s)", "emotion",
               "emotion prob.", "active AUs", "ME cluster", "cluster AUs"]
    return pd.DataFrame(rows, columns=columns)


def cluster_table(result: SessionResult) -> pd.DataFrame:
    """Reference ME clusters seen in this session: name, emotion, AU combination, episodes."""
    info = {c.name: c for c in result.clusters.reference_clusters}
    rows = []
    seen = {n: c for n, c in result.clusters.counts.items() if c > 0}
    for name, count in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])):
        cluster = info.get(name)
        rows.append({
            "cluster": name,
            "emotion": cluster.emotion if cluster else name.split("_")[0].lower(),
            "AU combination": "+".join(cluster.aus) if cluster else "-",
            "episodes": int(count),
        })
    return pd.DataFrame(rows, columns=["cluster", "emotion", "AU combination", "episodes"])


def indicators_table(result: SessionResult) -> pd.DataFrame:
    """Screening indicators with value, threshold, whether raised and the evidence behind it."""
    rows = []
    for ind in list(result.screening.indicators) + list(result.screening.longitudinal):
        rows.append({
            "indicator": ind.label,
            "value": "n/a" if ind.value is None else f"{ind.value:.3g}",
            "threshold": "-" if ind.threshold is None else f"{ind.threshold:.3g}",
            "raised": "yes" if ind.raised else "no",
            "evidence": ind.evidence,
            "reference": ind.reference,
        })
    return pd.DataFrame(rows, columns=["indicator", "value", "threshold", "raised", "evidence", "reference"])


def face_found_share(result: SessionResult) -> float:
    """Share of analysed frames in which a face was found (0 when nothing was analysed)."""
    found = result.series.face_found
    return float(found.mean()) if found.size else 0.0


def face_confidence(result: SessionResult) -> np.ndarray:
    """Per-frame face detection confidence, 0 where no face was found (screen and PDF chart)."""
    series = result.series
    return np.where(series.face_found, series.face_confidence, 0.0).astype(float)


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
