"""Real-video check of the per-frame emotion trace and the expression episodes against by-eye
segment labels (`<video>.labels.csv`, read by mescreen.training.face_reading.read_labels).

For each labelled segment whose expression is an emotion: the share of face frames whose
strongest per-frame emotion is that emotion, and the share read as any negative emotion (crying
is "sadness" by eye, but fear or anger is also a negative reading); the episodes that overlap it,
with their emotions. For segments labelled "neutral": episodes per minute (false alarms). And
the session's emotion shares (mescreen.core.screening.figures).

`episode_figures` sums a clip up against issue 26's bars: the expressions (labelled segments that
are an emotion; touching segments of one expression count as one) with an episode, episodes per
minute over the neutral segments, and how far matched episodes' ends are from the labels'.
This is a check, never a tuning target.
"""

from __future__ import annotations

import numpy as np

from mescreen.core.screening.figures import emotion_shares, episode_emotion, top_frame_emotions
from mescreen.core.labels import FRAME_EMOTIONS, NEGATIVE_EMOTIONS
from mescreen.core.result import Episode, SessionResult
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


#: Labels that are not an expression an episode should be found in.
NOT_EXPRESSIONS = frozenset({"neutral", "mixed", "unclear", ""})

#: Ends this close to the label's count as right (issue 26's bar); an episode reaching further
#: into a neutral segment, or lying mostly inside one, is a false alarm there.
END_TOLERANCE_S = 0.3


def expressions_of(segments: list[Segment]) -> list[Segment]:
    """The labelled expressions: segments that are an emotion, touching ones (at most
    END_TOLERANCE_S apart) of the same expression joined (a by-eye label may split one crying
    where a hand comes up)."""
    out: list[Segment] = []
    for seg in sorted((s for s in segments if s.expression not in NOT_EXPRESSIONS), key=lambda s: s.start_s):
        if out and out[-1].expression == seg.expression and seg.start_s - out[-1].end_s <= END_TOLERANCE_S:
            out[-1] = Segment(out[-1].start_s, seg.end_s, seg.expression, tuple(dict.fromkeys(out[-1].aus + seg.aus)))
        else:
            out.append(seg)
    return out


def _overlap(ep: Episode, start: float, end: float) -> float:
    return max(0.0, min(ep.offset_s, end) - max(ep.onset_s, start))


def episode_figures(episodes: list[Episode], segments: list[Segment]) -> dict:
    """Expressions with an episode, false alarms over neutral segments, and the end errors
    (episode minus label, seconds) of each expression's best-overlapping episode."""
    matched = []
    for seg in expressions_of(segments):
        best = max(episodes, key=lambda e: _overlap(e, seg.start_s, seg.end_s), default=None)
        if best is not None and _overlap(best, seg.start_s, seg.end_s) > 0:
            matched.append((seg, best.onset_s - seg.start_s, best.offset_s - seg.end_s))
        else:
            matched.append((seg, None, None))
    neutral = [s for s in segments if s.expression == "neutral"]
    alarms = [e for e in episodes
              if sum(_overlap(e, s.start_s, s.end_s) for s in neutral) > min(END_TOLERANCE_S, 0.5 * e.duration_s)]
    seconds = sum(s.end_s - s.start_s for s in neutral)
    return {"expressions": matched, "alarms": alarms, "neutral_s": seconds,
            "alarms_per_minute": len(alarms) / (seconds / 60.0) if seconds > 0 else None}


def episode_figures_markdown(name: str, figures: dict) -> str:
    """One paragraph per clip: the three figures, and each expression's match."""
    found = [(seg, a, b) for seg, a, b in figures["expressions"] if a is not None]
    lines = [f"**{name}: episodes against the labels**", ""]
    lines.append(f"- expressions with an episode: {len(found)} of {len(figures['expressions'])}"
                 + "".join(f"; {seg.name}: " + ("none" if a is None else f"ends {a:+.2f} / {b:+.2f} s")
                           for seg, a, b in figures["expressions"]))
    if figures["neutral_s"]:
        lines.append(f"- false alarms over neutral segments: {len(figures['alarms'])} in {figures['neutral_s']:.1f} s "
                     f"({figures['alarms_per_minute']:.1f} per minute)"
                     + "".join(f"; {e.kind} {episode_emotion(e)} {e.onset_s:.2f}-{e.offset_s:.2f} s" for e in figures["alarms"]))
    else:
        lines.append("- no segment is labelled neutral: false alarms not counted")
    if found:
        errors = np.abs([[a, b] for _, a, b in found])
        within = int((errors.max(axis=1) <= END_TOLERANCE_S).sum())
        lines.append(f"- end error of matched episodes: onset median {np.median(errors[:, 0]):.2f} s (max "
                     f"{errors[:, 0].max():.2f}), offset median {np.median(errors[:, 1]):.2f} s (max {errors[:, 1].max():.2f}); "
                     f"both ends within {END_TOLERANCE_S} s: {within} of {len(found)}")
    return "\n".join(lines + [""])
