"""The PDF report for the clinical record, drawn entirely with ReportLab.

Charts are ReportLab graphics built from the same numbers as the screen charts (mescreen/app/summary.py),
so no browser or image export is needed on the server. Every page carries the patient code, the
page number ("page i of n") and the intended-use statement: a single printed page taken out of
the report must still say that this is a screening aid, never a diagnosis.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from xml.sax.saxutils import escape

import numpy as np
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from mescreen.core import INTENDED_USE, __version__
from mescreen.core.result import SessionResult
from mescreen.app import summary
from mescreen.app.palette import LEVEL_COLOURS, emotion_colour
from mescreen.app.pdf_fonts import FONT, FONT_BOLD, markup, plain_line

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
CHART_W = PAGE_W - 2 * MARGIN
LEVEL_WORDS = {
    "none": "No indicator raised",
    "watch": "Watch: some indicators raised",
    "flag": "Flag: several indicators raised; consider clinical follow-up",
    "insufficient": "Insufficient data to screen",
}


@dataclass
class ReportContext:
    """What the record needs beyond the analysis itself."""

    patient_code: str
    session_id: int | None = None
    recorded_on: str = ""
    uploaded_by: str = ""
    generated_by: str = ""
    generated_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=FONT_BOLD, fontSize=17,
                                alignment=TA_LEFT, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=FONT_BOLD, fontSize=12.5,
                             spaceBefore=10, spaceAfter=4),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "box": ParagraphStyle("box", parent=body, backColor=colors.HexColor("#FFF4E0"),
                              borderColor=colors.HexColor("#E69F00"), borderWidth=0.8, borderPadding=6,
                              spaceBefore=6, spaceAfter=10),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of literal text in any script (see mescreen/app/pdf_fonts.py)."""
    return Paragraph(markup(text, style.fontName), style)


def _table(rows: list[list[object]], widths: list[float], style: ParagraphStyle) -> Table:
    """A grid table with a bold header row; every cell wrapped so long evidence text fits."""
    cells = [[_p(c, style) for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#B0B8C0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _frame_table(frame, style: ParagraphStyle, widths: list[float] | None = None) -> Table:
    rows = [list(frame.columns)] + [["" if v is None else v for v in row] for row in frame.itertuples(index=False)]
    if widths is None:
        widths = [CHART_W / len(frame.columns)] * len(frame.columns)
    return _table(rows, widths, style)


# ---------------------------------------------------------------- charts (ReportLab graphics)

def _caption(drawing: Drawing, text: str) -> None:
    drawing.add(String(0, drawing.height - 12, text, fontName=FONT_BOLD, fontSize=10))


def _no_data(title: str, message: str, height: float = 50) -> Drawing:
    d = Drawing(CHART_W, height)
    _caption(d, title)
    d.add(String(10, height - 32, message, fontName=FONT, fontSize=9, fillColor=colors.HexColor("#666666")))
    return d


def _time_axis(plot: LinePlot, end_s: float) -> None:
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(end_s, 1e-3)
    plot.xValueAxis.labels.fontName = FONT
    plot.yValueAxis.labels.fontName = FONT
    plot.xValueAxis.labelTextFormat = "%.0f s"


def _runs(t: np.ndarray, v: np.ndarray) -> list[list[tuple[float, float]]]:
    """Split a series at NaN so gaps (no face, no emotion computed) stay gaps on paper too."""
    runs, current = [], []
    for x, y in zip(t.tolist(), v.tolist()):
        if y is None or not np.isfinite(y):
            if current:
                runs.append(current)
            current = []
        else:
            current.append((x, y))
    if current:
        runs.append(current)
    return [r if len(r) > 1 else r * 2 for r in runs]


def _line_chart(title: str, t: np.ndarray, columns: list[tuple[str, np.ndarray, str]], end_s: float,
                y_max: float | None = 1.0) -> Drawing:
    d = Drawing(CHART_W, 170)
    _caption(d, title)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 30, CHART_W - 150, 115
    data, line_colours, legend = [], [], []
    for name, values, colour in columns:
        for run in _runs(t, values):
            data.append(run)
            line_colours.append(colour)
        legend.append((colors.HexColor(colour), name))
    plot.data = data
    for i, colour in enumerate(line_colours):
        plot.lines[i].strokeColor = colors.HexColor(colour)
        plot.lines[i].strokeWidth = 2
    _time_axis(plot, end_s)
    plot.yValueAxis.valueMin = 0
    if y_max is not None:
        plot.yValueAxis.valueMax = y_max
    d.add(plot)
    d.add(_legend(legend, CHART_W - 100, 140))
    return d


def _time_labels(d: Drawing, left: float, bottom: float, width: float, end_s: float, decimals: int) -> None:
    """Five time labels under a hand-drawn time axis (0, quarters, end)."""
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        d.add(String(left + frac * width, bottom - 10, f"{frac * end_s:.{decimals}f} s", fontName=FONT,
                     fontSize=6.5, textAnchor="middle"))


def _legend(pairs: list[tuple[colors.Color, str]], x: float, y: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = FONT, 7.5
    legend.alignment = "right"
    legend.deltay, legend.dy, legend.dx = 9, 6, 6
    legend.colorNamePairs = pairs
    return legend


def emotion_distribution_drawing(result: SessionResult) -> Drawing:
    title = "Emotion distribution of the episodes"
    counts = summary.emotion_counts(result)
    if counts.empty:
        return _no_data(title, "No facial movement episodes were found in this recording.")
    d = Drawing(CHART_W, 170)
    _caption(d, title)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, CHART_W - 150, 115
    chart.data = [counts["micro"].tolist(), counts["macro"].tolist()]
    chart.categoryAxis.categoryNames = counts["emotion"].tolist()
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = max(1, int(np.ceil(counts["total"].max() / 5)))
    chart.bars[0].fillColor = colors.HexColor("#3B6EA5")
    chart.bars[1].fillColor = colors.HexColor("#A9C4E2")
    d.add(chart)
    d.add(_legend([(colors.HexColor("#3B6EA5"), "micro"), (colors.HexColor("#A9C4E2"), "macro")],
                  CHART_W - 100, 140))
    return d


def emotion_over_time_drawing(result: SessionResult) -> Drawing:
    title = "Emotion over time (probabilities near episodes)"
    s = result.series
    if len(s) == 0 or np.all(np.isnan(s.emotion_prob)):
        return _no_data(title, "No emotion was computed (no episodes, or no face).")
    b = summary.binned(s.time_s, s.emotion_prob, max_points=300)
    columns = [(name, b.values[:, j], emotion_colour(name)) for j, name in enumerate(s.emotion_names)
               if not np.all(np.isnan(b.values[:, j]))]
    return _line_chart(title, b.time_s, columns, result.video.duration_s or float(s.time_s[-1]))


def au_heatmap_drawing(result: SessionResult) -> Drawing:
    """Rows are AUs, columns time bins; white is inactive, dark blue active, grey no face."""
    title = "Action-unit activation over time"
    s = result.series
    if len(s) == 0 or not s.au_names:
        return _no_data(title, "No frames were analysed.")
    b = summary.binned(s.time_s, s.au_prob, max_points=150)
    n_rows, n_cols = len(s.au_names), b.values.shape[0]
    row_h = 8.0
    left, bottom = 40.0, 22.0
    width = CHART_W - left - 10
    d = Drawing(CHART_W, bottom + n_rows * row_h + 22)
    _caption(d, title)
    col_w = width / n_cols
    light, dark = np.array([1.0, 1.0, 1.0]), np.array([0.03, 0.19, 0.42])
    for j, name in enumerate(s.au_names):
        y = bottom + (n_rows - 1 - j) * row_h
        d.add(String(left - 4, y + 1.5, name, fontName=FONT, fontSize=6, textAnchor="end"))
        for i in range(n_cols):
            v = b.values[i, j]
            if np.isfinite(v):
                rgb = light + (dark - light) * float(np.clip(v, 0, 1))
                fill = colors.Color(*rgb)
            else:
                fill = colors.HexColor("#D0D0D0")
            d.add(Rect(left + i * col_w, y, col_w + 0.05, row_h, fillColor=fill, strokeColor=None))
    _time_labels(d, left, bottom, width, float(b.time_s[-1]) if n_cols else 0.0, decimals=0)
    return d


def episode_timeline_drawing(result: SessionResult) -> Drawing:
    title = "Episodes along the recording (dark: micro, light: macro)"
    if not result.episodes:
        return _no_data(title, "No facial movement episodes were found in this recording.")
    labels = sorted({summary.emotion_label(e) for e in result.episodes})
    row_h, left, bottom = 14.0, 70.0, 22.0
    width = CHART_W - left - 10
    end = result.video.duration_s or max(e.offset_s for e in result.episodes)
    d = Drawing(CHART_W, bottom + len(labels) * row_h + 24)
    _caption(d, title)
    d.add(Line(left, bottom, left + width, bottom, strokeColor=colors.black, strokeWidth=0.5))
    for k, label in enumerate(labels):
        y = bottom + (len(labels) - 1 - k) * row_h + 3
        d.add(String(left - 4, y + 2, label, fontName=FONT, fontSize=7, textAnchor="end"))
    for e in result.episodes:
        label = summary.emotion_label(e)
        k = labels.index(label)
        y = bottom + (len(labels) - 1 - k) * row_h + 3
        x0 = left + width * e.onset_s / end
        w = max(width * e.duration_s / end, 1.5)
        colour = colors.HexColor(emotion_colour(label))
        if e.kind == "macro":
            colour = colors.Color(colour.red, colour.green, colour.blue, alpha=0.4)
        d.add(Rect(x0, y, w, row_h - 5, fillColor=colour, strokeColor=None))
    _time_labels(d, left, bottom, width, end, decimals=1)
    return d


def cluster_distribution_drawing(result: SessionResult) -> Drawing:
    title = "ME cluster distribution (reference clusters, with each cluster's AU combination)"
    table = summary.cluster_table(result)
    if table.empty:
        return _no_data(title, result.clusters.note or "No episode could be assigned to an ME cluster.")
    n = len(table)
    d = Drawing(CHART_W, 40 + n * 16)
    _caption(d, title)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 170, 20, CHART_W - 200, n * 16
    chart.data = [table["episodes"].tolist()[::-1]]
    chart.categoryAxis.categoryNames = [f"{c} ({a})" for c, a in zip(table["cluster"], table["AU combination"])][::-1]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = max(1, int(np.ceil(table["episodes"].max() / 5)))
    for i, emotion in enumerate(table["emotion"].tolist()[::-1]):
        chart.bars[(0, i)].fillColor = colors.HexColor(emotion_colour(emotion))
    d.add(chart)
    return d


def face_quality_drawing(result: SessionResult) -> Drawing:
    title = "Face detection confidence over time (0 = no face found)"
    s = result.series
    if len(s) == 0:
        return _no_data(title, "No frames were analysed.")
    b = summary.binned(s.time_s, summary.face_confidence(result), max_points=300)
    return _line_chart(title, b.time_s, [("confidence", b.values, "#0072B2")],
                       result.video.duration_s or float(s.time_s[-1]))


def session_drawings(result: SessionResult) -> list[Drawing]:
    return [
        emotion_distribution_drawing(result), emotion_over_time_drawing(result),
        au_heatmap_drawing(result), episode_timeline_drawing(result),
        cluster_distribution_drawing(result), face_quality_drawing(result),
    ]


# ---------------------------------------------------------------- document

class _NumberedCanvas(rl_canvas.Canvas):
    """Defers page output so the footer can say 'page i of n' (n is known only at the end)."""

    header_text = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_frame(total)
            super().showPage()
        super().save()

    def _draw_frame(self, total: int) -> None:
        self.saveState()
        self.setFillColor(colors.HexColor("#444444"))
        font, header = plain_line(self.header_text)
        self.setFont(font, 8)
        self.drawString(MARGIN, PAGE_H - 12 * mm, header)
        self.setFont(FONT, 8)
        self.drawRightString(PAGE_W - MARGIN, PAGE_H - 12 * mm, f"Page {self._pageNumber} of {total}")
        self.setStrokeColor(colors.HexColor("#BBBBBB"))
        self.line(MARGIN, PAGE_H - 13.5 * mm, PAGE_W - MARGIN, PAGE_H - 13.5 * mm)
        self.line(MARGIN, 19 * mm, PAGE_W - MARGIN, 19 * mm)
        footer = ParagraphStyle("footer", fontName=FONT, fontSize=7, leading=8.5,
                                textColor=colors.HexColor("#444444"))
        para = Paragraph(escape(INTENDED_USE), footer)
        _, h = para.wrap(PAGE_W - 2 * MARGIN, 20 * mm)
        para.drawOn(self, MARGIN, 18 * mm - h)
        self.restoreState()


def build_report(result: SessionResult, context: ReportContext) -> bytes:
    """The full PDF report for one analysed session, as bytes."""
    st = _styles()
    story: list = []
    story.append(_p("mescreen screening report", st["title"]))
    story.append(_p(f"Patient {context.patient_code}"
                    + (f", session {context.session_id}" if context.session_id is not None else "")
                    + (f", recorded {context.recorded_on}" if context.recorded_on else ""), st["body"]))
    story.append(_p(INTENDED_USE, st["box"]))

    story.append(_p("Session details", st["h2"]))
    details = [["Item", "Value"],
               ["Patient code", context.patient_code],
               ["Session", "-" if context.session_id is None else str(context.session_id)],
               ["Recorded on", context.recorded_on or "-"],
               ["Uploaded by", context.uploaded_by or "-"],
               *[[k, v] for k, v in summary.session_facts(result)],
               ["Report generated", f"{context.generated_at} by {context.generated_by or '-'}"]]
    story.append(_table(details, [45 * mm, CHART_W - 45 * mm], st["body"]))

    story.append(_p("Screening", st["h2"]))
    level = result.screening.level
    level_style = ParagraphStyle("level", parent=st["body"], fontName=FONT_BOLD, fontSize=11,
                                 textColor=colors.HexColor(LEVEL_COLOURS.get(level, "#333333")))
    story.append(_p(f"Level: {level} - {LEVEL_WORDS.get(level, level)}", level_style))
    if result.screening.reasons:
        story.append(_p("Why this level:", st["body"]))
        for reason in result.screening.reasons:
            story.append(_p(f"\u2022 {reason}", st["body"]))
    else:
        story.append(_p("No indicator was raised.", st["body"]))
    story.append(Spacer(1, 4))
    ind = summary.indicators_table(result)
    if not ind.empty:
        # References are long and shared by several indicators: numbered once below the table.
        refs = list(dict.fromkeys(r for r in ind["reference"] if r))
        ind["reference"] = [f"[{refs.index(r) + 1}]" if r else "" for r in ind["reference"]]
        ind = ind.rename(columns={"reference": "ref."})
        story.append(_frame_table(
            ind, st["small"], [44 * mm, 14 * mm, 16 * mm, 14 * mm, CHART_W - 100 * mm, 12 * mm]))
        for i, ref in enumerate(refs, start=1):
            story.append(_p(f"[{i}] {ref}", st["small"]))
    if result.warnings:
        story.append(_p("Analysis notes", st["h2"]))
        for w in result.warnings:
            story.append(_p(f"\u2022 {w}", st["body"]))

    story.append(_p("Charts", st["h2"]))
    for drawing in session_drawings(result):
        story.append(KeepTogether([drawing, Spacer(1, 8)]))

    story.append(_p("Episodes", st["h2"]))
    episodes = summary.episodes_table(result)
    if episodes.empty:
        story.append(_p("No facial movement episodes were found in this recording.", st["body"]))
    else:
        widths = [w * mm for w in (6, 12, 11, 11, 11, 12, 17, 13, 27, 26)]
        story.append(_frame_table(episodes, st["small"], widths + [CHART_W - sum(widths)]))
    clusters = summary.cluster_table(result)
    if not clusters.empty:
        story.append(_p("ME clusters", st["h2"]))
        story.append(_frame_table(clusters, st["small"]))

    story.append(_p("Model and configuration versions", st["h2"]))
    versions = [["Component", "Version"]] + [[k, v] for k, v in sorted(result.versions.items())]
    versions += [["Screening rules", result.screening.config_version],
                 ["Reference clusters", result.clusters.reference_version or "-"],
                 ["Report", f"mescreen {__version__}"]]
    story.append(_table(versions, [45 * mm, CHART_W - 45 * mm], st["body"]))

    buffer = io.BytesIO()
    header = f"mescreen report - patient {context.patient_code}"
    canvas_class = type("ReportCanvas", (_NumberedCanvas,), {"header_text": header})
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=18 * mm,
        bottomMargin=30 * mm, title=f"mescreen report {context.patient_code}",
        author="mescreen", subject="Micro-expression screening report (not a diagnosis)",
    )
    doc.build(story, canvasmaker=canvas_class)
    return buffer.getvalue()
