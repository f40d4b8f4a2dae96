"""Real-video check of the per-frame emotion trace and the expression episodes against by-eye
segment labels (`<video>.labels.csv`, read by mescreen.training.face_reading.read_labels).

For each labelled segment whose expression is an emotion: the share of face frames whose
strongest per-frame emotion is that emotion, and the share read as any negative emotion (crying
is "sadness" by eye, but fear or anger is also a negative reading); the episodes that overlap it,
with their emotions. For segments labelled "neutral": episodes per minute (false alarms). And
the session's emotion shares (mescreen.core.screening.figures). This is a check, never a tuning target.
"""

from __future__ import annotations

import numpy as np

from mescreen.core.screening.figures import emotion_shares, episode_emotion, top_frame_emotions
from mescreen.core.labels import FRAME_EMOTIONS, NEGATIVE_EMOTIONS
from mescreen.core.result import SessionResult
from mescreen.training.face_reading import Segment


def emotion_rows(result: SessionResult, segments: list[Segment]) -> list[dict]:
    """One row per segment: frames, top-emotion match, negative share, overlapping episodes."""
    series = result.series
    top = top_frame_emotions(series)
    time_s = np.asarray(series.time_s)
    negative = [FRAME_EMOTIONS.index(e) for e in NEGATIVE_EMOTIONS]
    rows = []
    for seg in segments:
        inside = (time_s >= seg.start_s) & (time_s <= seg.end_s) & (top >= 0)
        n = int(inside.sum())
        row: dict = {"segment": seg.name, "expression": seg.expression, "frames": n}
        if seg.expression in FRAME_EMOTIONS and n:
            row["match"] = float(np.mean(top[inside] == FRAME_EMOTIONS.index(seg.expression)))
            row["negative"] = float(np.mean(np.isin(top[inside], negative)))
        episodes = [e for e in result.episodes if e.onset_s <= seg.end_s and e.offset_s >= seg.start_s]
        row["episodes"] = [f"{e.kind} {episode_emotion(e)} {e.onset_s:.1f}-{e.offset_s:.1f} s" for e in episodes]
        if seg.expression == "neutral":
            minutes = (seg.end_s - seg.start_s) / 60.0
            row["episodes_per_minute"] = len(episodes) / minutes if minutes > 0 else None
        rows.append(row)
    return rows


def emotion_markdown(name: str, result: SessionResult, segments: list[Segment]) -> str:
    """The rows as a Markdown table, and the session's emotion shares."""
    fmt = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
    rows = emotion_rows(result, segments)
    lines = [f"**{name}: per-frame emotion and episodes**", "",
             "| segment | frames | top emotion = label | top emotion negative | episodes overlapping |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['segment']} | {r['frames']} | {fmt(r.get('match'))} | {fmt(r.get('negative'))} | "
                     f"{'; '.join(r['episodes']) or 'none'} |")
    neutral = [r for r in rows if r["expression"] == "neutral"]
    if neutral:
        lines += ["", "Episodes per minute in segments labelled neutral: "
                  + ", ".join(f"{r['segment']} {fmt(r['episodes_per_minute'])}" for r in neutral)]
    else:
        lines += ["", "No segment is labelled neutral: false alarms cannot be counted on this clip."]
    shares = emotion_shares(result.episodes)
    lines += ["", "Session emotion shares (episodes): "
              + (", ".join(f"{e} {s:.2f}" for e, s in sorted(shares.items(), key=lambda kv: -kv[1]) if s)
                 or "none (no episode with a certain emotion)"), ""]
    return "\n".join(lines)
