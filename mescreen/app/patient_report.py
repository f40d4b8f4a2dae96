"""The patient-level PDF report: every session of one patient, with the trends over time.

Built from the same tables as the Patient over time page (mescreen/app/timeline.py) and with the
session report's building blocks (mescreen/app/report_pdf.py), so page layout, fonts, colours,
page numbers and the intended-use statement on every page are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from mescreen.core import INTENDED_USE
from mescreen.app import timeline
from mescreen.app.au_words import in_words
from mescreen.app.palette import EMOTION_COLOURS, emotion_colour
from mescreen.app.report_pdf import (
    CHART_W, FONT, _build, _caption, _legend, _p, _styles, _table, plot_lines, unprintable_notice,
)
from mescreen.store.session_rows import SessionView

#: Colours for indicator lines (emotions keep their own colours).
_SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D1F", "#7F3C8D"]


@dataclass
class PatientReportContext:
    patient_code: str
    generated_by: str = ""
    patient_note: str = ""  # the clinician's note on the patient
    generated_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def trend_drawing(frame: pd.DataFrame, title: str, *, change: bool = False) -> Drawing:
    """Each metric per session in recording order (x, labelled with the session's own number),
    gaps where a session has no value; for `change`, the change from the named baseline with a
    zero line."""
    column = "change" if change else "value"
    frame = frame[frame.groupby("metric")[column].transform(lambda v: v.notna().any())]
    n_metrics = frame["metric"].nunique()
    legend_h = 10 * n_metrics + 6
    d = Drawing(CHART_W, 175 + legend_h)
    _caption(d, title)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 25 + legend_h, CHART_W - 60, 130
    order = frame.drop_duplicates("session").sort_values(["recorded_on", "number"])
    place = {session: k for k, session in enumerate(order["session"], start=1)}
    number_at = {k: int(n) for k, n in zip(place.values(), order["number"])}
    series = []
    for k, (metric, rows) in enumerate(frame.groupby("metric", sort=False)):
        rows = rows.sort_values(["recorded_on", "number"])
        name = str(metric)
        colour = emotion_colour(name) if name in EMOTION_COLOURS else _SERIES_COLOURS[k % len(_SERIES_COLOURS)]
        series.append((name, rows["session"].map(place).to_numpy(float), rows[column].to_numpy(float), colour))
    legend = plot_lines(plot, series, width=1.8, markers=True)
    plot.xValueAxis.valueMin = 0.8
    plot.xValueAxis.valueMax = len(place) + 0.2
    plot.xValueAxis.valueSteps = list(number_at)
    plot.xValueAxis.labelTextFormat = lambda x: str(number_at.get(int(round(x)), ""))
    plot.xValueAxis.labels.fontName = FONT
    plot.yValueAxis.labels.fontName = FONT
    values = frame[column].to_numpy(float)
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    plot.yValueAxis.valueMin = min(low, 0.0)
    plot.yValueAxis.valueMax = max(high, 0.0) + 0.05 * max(high - low, 0.1)
    d.add(plot)
    if change:
        span = plot.yValueAxis.valueMax - plot.yValueAxis.valueMin
        y0 = plot.y + plot.height * (0 - plot.yValueAxis.valueMin) / span
        d.add(Line(plot.x, y0, plot.x + plot.width, y0, strokeColor=colors.HexColor("#444444"), strokeWidth=0.6,
                   strokeDashArray=[2, 2]))
    key = _legend(legend, 40, legend_h)
    key.alignment = "left"
    d.add(key)
    return d


def _has(frame: pd.DataFrame, column: str) -> bool:
    return not frame.empty and bool(frame[column].notna().any())


def trend_section(finished: Sequence[SessionView], labels: dict[str, str], st: dict) -> list:
    """The trend charts that have something to draw: emotion shares, then the indicators with a
    value in some session, four to a chart (numbered when there are several), each followed by its
    change from the baseline where one exists. What had nothing to draw is named in one sentence."""
    indicators = timeline.indicator_frame(finished, labels)
    indicators = indicators[indicators["metric"].isin(list(labels.values()))].copy()
    indicators["metric"] = [in_words(m) for m in indicators["metric"]]
    valued = [m for m in dict.fromkeys(indicators["metric"])
              if indicators.loc[indicators["metric"] == m, "value"].notna().any()]
    groups = [valued[k:k + 4] for k in range(0, len(valued), 4)]
    shares = timeline.emotion_share_frame(finished)
    charts = [(shares, "Emotion share of the episodes per session", "Emotion shares: change from the baseline")]
    for k, group in enumerate(groups, start=1):
        suffix = f" ({k})" if len(groups) > 1 else ""
        charts.append((indicators[indicators["metric"].isin(group)], f"Screening indicators per session{suffix}",
                       f"Screening indicators: change from the baseline{suffix}"))
    out: list = []
    for frame, title, change_title in charts:
        if _has(frame, "value"):
            out += [trend_drawing(frame, title), Spacer(1, 8)]
        if _has(frame, "change"):
            out += [trend_drawing(frame, change_title, change=True), Spacer(1, 8)]
    left_out = []
    if not _has(shares, "value"):
        left_out.append("emotion shares (no analysed session has an episode with an emotion)")
    if not valued:
        left_out.append("screening indicators (none could be judged in any analysed session)")
    if not any(_has(frame, "change") for frame, _, _ in charts):
        left_out.append(f"change from the baseline (it needs a session with at least {timeline.MIN_EARLIER_SESSIONS} "
                        "earlier analysed sessions with a value)")
    if left_out:
        out.append(_p("Not drawn, having no values yet: " + "; ".join(left_out) + ".", st["body"]))
    return out


def build_patient_report(views: Sequence[SessionView], context: PatientReportContext,
                         labels: dict[str, str]) -> bytes:
    """All sessions of one patient and their trends, as PDF bytes."""
    st = _styles()
    finished = timeline.done(views)
    story: list = [
        _p("mescreen patient report", st["title"]),
        _p(f"Patient {context.patient_code}: {len(views)} session(s), {len(finished)} analysed. "
           f"Generated {context.generated_at} by {context.generated_by or '-'}.", st["body"]),
        _p(INTENDED_USE, st["box"]),
        *unprintable_notice([context.patient_code, context.generated_by, context.patient_note,
                             *(v.notes or "" for v in views), *(v.file_name for v in views),
                             *(v.uploader for v in views)], st),
        _p("Sessions", st["h2"]),
    ]
    table = timeline.sessions_table(views, labels)
    rows = [["session", "recorded on", "status", "screening level", "raised indicators", "episodes"]]
    rows += [[r["session"], str(r["recorded on"]), r["status"], r["screening level"],
              in_words(r["raised indicators"]), r["episodes"]] for _, r in table.iterrows()]
    story.append(_table(rows, [16 * mm, 24 * mm, 18 * mm, 24 * mm, CHART_W - 100 * mm, 18 * mm], st["small"]))
    pipelines = sorted({v.versions.get("pipeline", "-") for v in finished})
    story.append(_p(f"Analysis pipeline version(s) of these sessions: {', '.join(pipelines) or '-'}. Values "
                    "from different versions may not be comparable.", st["small"]))

    notes = [("Patient", context.patient_note)] + [(f"Session {v.number}", v.notes or "") for v in views]
    notes = [(who, text) for who, text in notes if text]
    if notes:
        story.append(_p("Clinician's notes", st["h2"]))
        story += [_p(f"{who}: {text}", st["body"]) for who, text in notes]

    story.append(_p("Trends over time", st["h2"]))
    story.append(_p("Sessions are drawn in recording order (earliest left), each labelled with its own session "
                    "number, given at upload. A session without a value is a gap, never a zero. Change is "
                    f"measured from {timeline.BASELINE_WORDS}.",
                    st["body"]))
    story += trend_section(finished, labels, st)
    return _build(story, f"mescreen patient report - patient {context.patient_code}",
                  f"mescreen patient report {context.patient_code}")
