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
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from mescreen.core import INTENDED_USE, __version__
from mescreen.core.result import Episode, SessionResult
from mescreen.app import evidence, summary
from mescreen.app.au_words import au_label, in_words
from mescreen.app.palette import KIND_SHADE, LEVEL_COLOURS, emotion_colour, lighter
from mescreen.app.plain_words import version_words
from mescreen.app.pdf_fonts import FONT, FONT_BOLD, code_point, markup, plain_line, unprintable

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
    session_number: int | None = None  # the patient's own session number (never the store id)
    recorded_on: str = ""
    uploaded_by: str = ""
    generated_by: str = ""
    session_note: str = ""  # the clinician's note on this session
    patient_note: str = ""  # the clinician's note on the patient
    generated_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=FONT_BOLD, fontSize=17,
                                alignment=TA_LEFT, spaceAfter=4),
        # A heading goes to the next page with what follows it, never alone at a page's foot.
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=FONT_BOLD, fontSize=12.5,
                             spaceBefore=10, spaceAfter=4, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontName=FONT_BOLD, fontSize=10,
                             spaceBefore=6, spaceAfter=2, keepWithNext=1),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "box": ParagraphStyle("box", parent=body, backColor=colors.HexColor("#FFF4E0"),
                              borderColor=colors.HexColor("#E69F00"), borderWidth=0.8, borderPadding=6,
                              spaceBefore=6, spaceAfter=10),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of literal text in any script (see mescreen/app/pdf_fonts.py)."""
    return Paragraph(markup(text, style.fontName), style)


def unprintable_notice(texts: list[object], st: dict[str, ParagraphStyle]) -> list:
    """For the first page: the characters of `texts` (codes, names, notes a clinic typed) that no
    installed font has, so a reader knows "[U+...]" is not what was typed."""
    missing = list(dict.fromkeys(c for text in texts for c in unprintable(text)))
    if not missing:
        return []
    return [_p("Some characters cannot be printed with the fonts of this server and are written as their "
               f"Unicode code points: {', '.join(code_point(c) for c in missing)}. The dashboard shows them as "
               "typed. (An administrator can add a font: see MESCREEN_PDF_FONT in the app's README.)", st["box"])]


def _longest_word(text: object, font: str, size: float) -> float:
    return max((pdfmetrics.stringWidth(w, font, size) for w in str(text).split()), default=0.0)


def _fit_words(rows: list[list[object]], widths: list[float], style: ParagraphStyle) -> list[float]:
    """Widths widened so that no word of any cell is broken over two lines ("threshol d", "macr o",
    "Sadness_ME 1"), taken from the columns with the most room to spare."""
    padding = 14.0  # the table's left and right cell padding, and a little air
    need = [max(_longest_word(row[i], FONT_BOLD if r == 0 else style.fontName, style.fontSize)
                for r, row in enumerate(rows)) + padding for i in range(len(widths))]
    widths = list(widths)
    for i, n in enumerate(need):
        short = n - widths[i]
        while short > 0.01:
            donor = max((k for k in range(len(widths)) if k != i), key=lambda k: widths[k] - need[k])
            given = min(short, widths[donor] - need[donor])
            if given <= 0:
                break  # no room left anywhere: the table is too narrow for its words
            widths[i] += given
            widths[donor] -= given
            short -= given
    return widths


def _table(rows: list[list[object]], widths: list[float], style: ParagraphStyle) -> Table:
    """A grid table with a bold header row; every cell wrapped so long evidence text fits, words
    never broken."""
    head = ParagraphStyle("head", parent=style, fontName=FONT_BOLD)
    cells = [[_p(c, head) for c in rows[0]]] + [[_p(c, style) for c in row] for row in rows[1:]]
    table = Table(cells, colWidths=_fit_words(rows, widths, style), repeatRows=1)
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
    # Whole seconds would label a short recording's half-second ticks "0 s, 0 s, 1 s, 2 s, 2 s".
    plot.xValueAxis.labelTextFormat = "%.0f s" if end_s >= 10 else "%.1f s"


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


def plot_lines(plot: LinePlot, series: list[tuple[str, np.ndarray, np.ndarray, str]], width: float,
               markers: bool = False) -> list[tuple[colors.Color, str]]:
    """Draw each named (x, y) series in its colour, broken where y is missing (`_runs`); returns
    the legend's (colour, name) pairs."""
    data, line_colours, legend = [], [], []
    for name, x, y, colour in series:
        for run in _runs(x, y):
            data.append(run)
            line_colours.append(colour)
        legend.append((colors.HexColor(colour), name))
    plot.data = data
    for i, colour in enumerate(line_colours):
        plot.lines[i].strokeColor = colors.HexColor(colour)
        plot.lines[i].strokeWidth = width
        if markers:
            plot.lines[i].symbol = makeMarker("FilledCircle", size=4, fillColor=colors.HexColor(colour))
    return legend


def _line_chart(title: str, t: np.ndarray, columns: list[tuple[str, np.ndarray, str]], end_s: float,
                y_max: float | None = 1.0) -> Drawing:
    d = Drawing(CHART_W, 170)
    _caption(d, title)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 30, CHART_W - 150, 115
    legend = plot_lines(plot, [(name, t, values, colour) for name, values, colour in columns], width=2)
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
    legend.columnMaximum = max(len(pairs), 1)  # one column: a second would fall outside the chart
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
    for i, emotion in enumerate(counts["emotion"]):
        chart.bars[(0, i)].fillColor = colors.HexColor(emotion_colour(emotion))
        chart.bars[(1, i)].fillColor = colors.HexColor(lighter(emotion_colour(emotion)))
    d.add(chart)
    grey = emotion_colour("neutral")
    d.add(_legend([(colors.HexColor(grey), f"micro ({KIND_SHADE['micro']})"),
                   (colors.HexColor(lighter(grey)), f"macro ({KIND_SHADE['macro']})")], CHART_W - 100, 140))
    d.add(String(CHART_W - 100, 100, "bar colour = emotion", fontName=FONT, fontSize=7, textAnchor="end"))
    return d


def emotion_over_time_drawing(result: SessionResult) -> Drawing:
    title = "Emotion over time (lightly smoothed; bands: episodes, onset to offset)"
    s = result.series
    trace, names = summary.emotion_trace(result, max_points=300)
    if len(s) == 0 or not names:
        return _no_data(title, "No emotion was computed (no episodes, or no face).")
    columns = [(name, trace.values[:, j], emotion_colour(name)) for j, name in enumerate(names)]
    end = result.video.duration_s or float(s.time_s[-1])
    d = _line_chart(title, trace.time_s, columns, end)
    left, width, bottom, height = 40, CHART_W - 150, 30, 115
    for e in result.episodes:
        x0 = left + width * min(e.onset_s, end) / end
        w = max(width * (min(e.offset_s, end) - e.onset_s) / end, 1.0)
        d.insert(1, Rect(x0, bottom, w, height, strokeColor=None,
                         fillColor=colors.HexColor(lighter(emotion_colour(summary.emotion_label(e)), 0.25))))
    return d


def au_heatmap_drawing(result: SessionResult) -> Drawing:
    """Rows are AUs, columns time bins; white is inactive, dark blue active, grey no face."""
    title = "Action-unit activation over time (darker blue: more likely active; grey: no face)"
    s = result.series
    if len(s) == 0 or not s.au_names:
        return _no_data(title, "No frames were analysed.")
    b = summary.binned(s.time_s, s.au_prob, max_points=150)
    n_rows, n_cols = len(s.au_names), b.values.shape[0]
    row_h = 8.0
    left, bottom = 120.0, 22.0
    width = CHART_W - left - 10
    d = Drawing(CHART_W, bottom + n_rows * row_h + 22)
    _caption(d, title)
    col_w = width / n_cols
    light, dark = np.array([1.0, 1.0, 1.0]), np.array([0.03, 0.19, 0.42])
    for j, name in enumerate(s.au_names):
        y = bottom + (n_rows - 1 - j) * row_h
        d.add(String(left - 4, y + 1.5, au_label(name), fontName=FONT, fontSize=6, textAnchor="end"))
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
    title = "Episodes along the recording (colour = emotion; full colour: micro, light: macro)"
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
        hex_colour = emotion_colour(label)
        colour = colors.HexColor(lighter(hex_colour) if e.kind == "macro" else hex_colour)
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
    chart.categoryAxis.categoryNames = [f"{c} ({a})" for c, a in zip(table["cluster"], table["AU codes"])][::-1]
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
    title = "Face quality over time: how clearly the face was visible (0 = not found, 1 = clearly)"
    s = result.series
    if len(s) == 0:
        return _no_data(title, "No frames were analysed.")
    b = summary.binned(s.time_s, summary.face_confidence(result), max_points=300)
    return _line_chart(title, b.time_s, [("face visible", b.values, "#0072B2")],
                       result.video.duration_s or float(s.time_s[-1]))


def evidence_drawing(episode: Episode, number: int) -> Drawing | None:
    """The episode's landmarks at onset and apex side by side, moving regions in colour (as on
    screen, mescreen.app.charts.episode_evidence); None without landmarks."""
    found = evidence.episode_evidence(episode)
    if found is None:
        return None
    size, gap, top = 150.0, 20.0, 16.0
    d = Drawing(CHART_W, size + top + 14)
    _caption(d, f"Episode {number} ({summary.emotion_text(episode)}, confidence "
                f"{summary.confidence_text(episode)}): onset {episode.onset_s:.2f} s and apex {episode.apex_s:.2f} s")

    def place(points: np.ndarray, left: float) -> list[tuple[float, float]]:
        return [(left + size * float(x), 10 + size * (1 - float(y))) for x, y in points]

    for col, (points, label) in enumerate(((found.onset, "onset"), (found.apex, "apex"))):
        left = col * (size + gap)
        xy = place(points, left)
        d.add(String(left + size / 2, 2, label, fontName=FONT, fontSize=7, textAnchor="middle"))
        for region, lines in evidence.CONTOURS.items():
            colour = colors.HexColor(found.region_colour(region))
            width = 0.6 if found.region_colour(region) == evidence.STILL_COLOUR else 1.4
            for line in lines:
                d.add(PolyLine([c for i in line for c in xy[i]], strokeColor=colour, strokeWidth=width))
        for region in ("cheeks", "chin and jaw"):
            colour = colors.HexColor(found.region_colour(region))
            for i in evidence.REGION_POINTS[region]:
                d.add(Circle(xy[i][0], xy[i][1], 1.0, fillColor=colour, strokeColor=None))
    pairs = [(colors.HexColor(evidence.REGION_COLOURS[r]), f"{r}: moved {100 * found.movement[r]:.1f}%")
             for r in found.moving] + [(colors.HexColor(evidence.STILL_COLOUR), "still")]
    legend_x = 2 * (size + gap) + 10
    d.add(_legend(pairs, legend_x, size))
    for k, line in enumerate(("Distances: share of the distance", "between the outer eye corners.")):
        d.add(String(legend_x, size - 10 * len(pairs) - 10 - 9 * k, line, fontName=FONT, fontSize=6.5))
    return d


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


def indicator_section(result: SessionResult, st: dict[str, ParagraphStyle]) -> list:
    """Judged and not-judged indicators apart, the reason in its own column, references numbered."""
    tables = summary.indicator_tables(result)
    out: list = []
    if tables.judged.empty:
        out.append(_p("No indicator could be judged for this recording.", st["body"]))
    else:
        out.append(_p("Judged against a threshold", st["h3"]))
        out.append(_frame_table(tables.judged, st["small"],
                                [48 * mm, 24 * mm, 17 * mm, 13 * mm, CHART_W - 112 * mm, 10 * mm]))
    if not tables.not_judged.empty:
        out.append(_p("Not judged", st["h3"]))
        out.append(_frame_table(tables.not_judged, st["small"],
                                [52 * mm, 55 * mm, CHART_W - 117 * mm, 10 * mm]))
    if not tables.described.empty:
        out.append(_p("Emotion shares (for information, no threshold)", st["h3"]))
        out.append(_frame_table(tables.described, st["small"], [60 * mm, 20 * mm, CHART_W - 80 * mm]))
    out.append(Spacer(1, 3))
    for i, ref in enumerate(tables.references, start=1):
        out.append(_p(f"[{i}] {ref}", st["small"]))
    return out


def episodes_table(result: SessionResult, st: dict[str, ParagraphStyle]) -> Table:
    """One row per episode (mescreen.app.summary.episodes_table), the AU names given the room."""
    widths = [w * mm for w in (6, 12, 12, 12, 13, 15, 24, 19)]
    return _frame_table(summary.episodes_table(result), st["small"],
                        widths + [CHART_W - sum(widths) - 22 * mm, 22 * mm])


def notes_section(context: ReportContext, st: dict[str, ParagraphStyle]) -> list:
    """The clinician's notes on this session and on the patient, as written."""
    notes = [(f"Session {context.session_number}", context.session_note), ("Patient", context.patient_note)]
    notes = [(who, text) for who, text in notes if text]
    if not notes:
        return []
    return [_p("Clinician's notes", st["h2"])] + [_p(f"{who}: {text}", st["body"]) for who, text in notes]


def evidence_section(result: SessionResult, st: dict[str, ParagraphStyle]) -> list:
    """One evidence picture per episode with landmarks, with its sentence of what moved."""
    out: list = []
    for number, episode in enumerate(result.episodes, start=1):
        drawing = evidence_drawing(episode, number)
        if drawing is not None:
            found = evidence.episode_evidence(episode)
            out.append(KeepTogether([drawing, _p(found.caption(), st["small"]), Spacer(1, 8)]))
    if not out:
        return [_p("No episode has face-mesh landmarks (sessions analysed with the Haar face stage, or "
                   "before landmarks were stored).", st["body"])]
    intro = ParagraphStyle("intro", parent=st["small"], keepWithNext=1)  # with the first picture
    return [_p("Grey: regions that did not move; coloured: regions that moved (face-mesh landmarks, "
               "features, not the face; no image of the patient is stored).", intro), *out]


def versions_table(result: SessionResult, st: dict[str, ParagraphStyle]) -> Table:
    """One table of every version behind this report, each named for what it is."""
    versions = dict(result.versions)
    versions.setdefault("screening_config", result.screening.config_version)
    if result.clusters.reference_version:
        versions.setdefault("clusters", result.clusters.reference_version)
    rows = [["Component", "Version"], ["mescreen software (made this report)", __version__]]
    rows += [[version_words(k), v] for k, v in sorted(versions.items())]
    return _table(rows, [72 * mm, CHART_W - 72 * mm], st["body"])


def _build(story: list, header: str, title: str) -> bytes:
    buffer = io.BytesIO()
    canvas_class = type("ReportCanvas", (_NumberedCanvas,), {"header_text": header})
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=18 * mm,
        bottomMargin=30 * mm, title=title, author="mescreen",
        subject="Micro-expression screening report (not a diagnosis)",
    )
    doc.build(story, canvasmaker=canvas_class)
    return buffer.getvalue()


def build_report(result: SessionResult, context: ReportContext) -> bytes:
    """The full PDF report for one analysed session, as bytes."""
    st = _styles()
    story: list = []
    story.append(_p("mescreen screening report", st["title"]))
    story.append(_p(f"Patient {context.patient_code}"
                    + (f", session {context.session_number}" if context.session_number is not None else "")
                    + (f", recorded {context.recorded_on}" if context.recorded_on else ""), st["body"]))
    story.append(_p(INTENDED_USE, st["box"]))
    story += unprintable_notice([context.patient_code, context.uploaded_by, context.generated_by,
                                 context.session_note, context.patient_note, result.video.file_name], st)

    story.append(_p("Session details", st["h2"]))
    details = [["Item", "Value"],
               ["Patient code", context.patient_code],
               ["Session", "-" if context.session_number is None else str(context.session_number)],
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
            story.append(_p(f"\u2022 {in_words(reason)}", st["body"]))
    else:
        story.append(_p("No indicator was raised.", st["body"]))
    story.append(Spacer(1, 4))
    story += indicator_section(result, st)
    story += notes_section(context, st)
    if result.warnings:
        story.append(_p("Analysis notes", st["h2"]))
        for w in result.warnings:
            story.append(_p(f"\u2022 {w}", st["body"]))

    story.append(_p("Charts", st["h2"]))
    for drawing in session_drawings(result):  # a drawing never splits; bare, so the heading keeps with it
        story += [drawing, Spacer(1, 8)]

    story.append(_p("Episodes", st["h2"]))
    if not result.episodes:
        story.append(_p("No facial movement episodes were found in this recording.", st["body"]))
    else:
        story.append(episodes_table(result, st))
        story.append(_p("What the face did (evidence from the face-mesh landmarks)", st["h2"]))
        story += evidence_section(result, st)
    clusters = summary.cluster_table(result)
    if not clusters.empty:
        story.append(_p("ME clusters", st["h2"]))
        story.append(_frame_table(clusters.drop(columns="AU codes"), st["small"],
                                  [30 * mm, 22 * mm, CHART_W - 70 * mm, 18 * mm]))

    story.append(KeepTogether([_p("Versions", st["h2"]), versions_table(result, st)]))
    return _build(story, f"mescreen report - patient {context.patient_code}",
                  f"mescreen report {context.patient_code}")
