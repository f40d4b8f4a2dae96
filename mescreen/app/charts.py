"""Every Plotly figure the dashboard shows, built from a SessionResult or a patient's timeline.

Figures are pure functions of their data (no Streamlit here), so tests can check what each
one plots and the PDF report can draw the same numbers with ReportLab (mescreen/app/report_pdf.py).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mescreen.core.screening.figures import MIN_EARLIER_SESSIONS
from mescreen.core.result import Episode, Indicator, SessionResult
from mescreen.app import evidence, summary
from mescreen.app.au_words import READ_AUS, au_label, au_list, au_region
from mescreen.app.plain_words import cluster_words
from mescreen.app.palette import EMOTION_COLOURS, KIND_SHADE, MACRO_OPACITY, NOT_RAISED, RAISED, emotion_colour

_LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=60, r=20, t=50, b=40),
    height=380,
    legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
)


#: How much the evidence pictures enlarge the onset-to-apex movement arrows (micro-expressions move
#: landmarks by about 1% of the face: true to scale, the arrows would be invisible).
ARROW_GAIN = 5
STILL = evidence.STILL_COLOUR


def _figure(title: str, **layout: object) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **{**_LAYOUT, **layout})
    # margins grow to fit the axis titles: fixed ones cut "emotion" and the face-quality titles off
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _empty(fig: go.Figure, message: str) -> go.Figure:
    """An empty chart that says why it is empty, rather than blank axes. Each wrapped line keeps its
    trailing space, so the words stay apart where the text is read without the line breaks."""
    fig.add_annotation(text=" <br>".join(textwrap.wrap(message, 55)), showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper", font=dict(size=14, color="#666"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _count_step(largest: int) -> int:
    """Whole-number tick spacing for counts (Plotly would otherwise label 0.2, 0.4, ...)."""
    return max(1, int(np.ceil(largest / 6)))


def emotion_distribution(result: SessionResult) -> go.Figure:
    """Episodes per emotion, micro and macro stacked (macro lighter), in each emotion's colour."""
    fig = _figure("Emotion distribution of the episodes", barmode="stack",
                  xaxis_title="emotion the episode counts as", yaxis_title="episodes")
    counts = summary.emotion_counts(result)
    if counts.empty:
        return _empty(fig, "No facial movement episodes were found in this recording.")
    for kind, opacity in (("micro", 1.0), ("macro", MACRO_OPACITY)):
        fig.add_bar(
            x=counts["emotion"], y=counts[kind], name=f"{kind}-expressions ({KIND_SHADE[kind]})",
            opacity=opacity, marker_color=[emotion_colour(e) for e in counts["emotion"]],
            marker_line=dict(color="#444", width=0.5),
            hovertemplate="%{x}: %{y} " + kind + "-expressions<extra></extra>",
        )
    fig.update_yaxes(tickformat="d", rangemode="tozero", dtick=_count_step(int(counts["total"].max())))
    fig.update_layout(legend_title_text="bar colour = emotion; shade = kind:")
    return fig


def emotion_over_time(result: SessionResult) -> go.Figure:
    """The per-frame emotion trace, lightly smoothed, with each episode drawn as a band from onset
    to offset in its emotion's colour."""
    fig = _figure("Emotion over time", xaxis_title="time (s)", yaxis_title="probability",
                  yaxis_range=[0, 1])
    series = result.series
    trace, names = summary.emotion_trace(result)
    if len(series) == 0 or not names:
        return _empty(fig, "No emotion was computed (no episodes, or no face).")
    for j, name in enumerate(names):
        fig.add_scatter(x=trace.time_s, y=trace.values[:, j], mode="lines", name=name,
                        line=dict(color=emotion_colour(name), width=1.8), connectgaps=False,
                        hovertemplate=name + " %{y:.2f} at %{x:.2f} s<extra></extra>")
    for ep in result.episodes:
        label = summary.emotion_label(ep)
        fig.add_vrect(x0=ep.onset_s, x1=max(ep.offset_s, ep.onset_s + 0.02), fillcolor=emotion_colour(label),
                      opacity=0.18, line_width=0, layer="below")
    if result.episodes:
        fig.add_scatter(
            x=[e.apex_s for e in result.episodes], y=[1.0] * len(result.episodes), mode="markers",
            name="episode apex<br>(band: onset to offset)",
            marker=dict(symbol="triangle-down", size=9, color=[emotion_colour(summary.emotion_label(e))
                                                               for e in result.episodes]),
            customdata=[[summary.emotion_text(e), summary.confidence_text(e)] for e in result.episodes],
            hovertemplate="apex %{x:.2f} s: %{customdata[0]}, confidence %{customdata[1]}<extra></extra>",
        )
    # Beside the plot, one name a line: under it, nine names wrapped into more rows than the plot is tall.
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1.0, yanchor="top",
                                  title_text="line colour = emotion", font=dict(size=11)),
                      margin=dict(l=60, r=10, t=50, b=40))
    return fig


def au_heatmap(result: SessionResult) -> go.Figure:
    """AU activation probability over time: one row per AU, darker is more active."""
    fig = _figure("Action-unit activation over time", xaxis_title="time (s)", height=460)
    series = result.series
    if len(series) == 0 or not series.au_names:
        return _empty(fig, "No frames were analysed.")
    binned = summary.binned(series.time_s, series.au_prob)
    fig.add_heatmap(
        x=binned.time_s, y=[au_label(a) for a in series.au_names], z=binned.values.T, zmin=0, zmax=1,
        colorscale="Blues", colorbar=dict(title="probability<br>the AU is<br>active"),
        hovertemplate="%{y} at %{x:.2f} s: %{z:.2f}<extra></extra>",
    )
    fig.update_layout(margin=dict(l=190, r=20, t=50, b=40))
    fig.update_yaxes(autorange="reversed")
    return fig


def episode_timeline(result: SessionResult) -> go.Figure:
    """Each episode as a bar from onset to offset, on the row of its emotion, apex marked."""
    fig = _figure("Micro- and macro-expression episodes", xaxis_title="time (s)",
                  yaxis_title="emotion", barmode="overlay")
    if not result.episodes:
        return _empty(fig, "No facial movement episodes were found in this recording.")
    for kind, opacity in (("micro", 1.0), ("macro", MACRO_OPACITY)):
        eps = [e for e in result.episodes if e.kind == kind]
        if not eps:
            continue
        labels = [summary.emotion_label(e) for e in eps]
        fig.add_bar(
            y=labels, x=[max(e.duration_s, 1e-3) for e in eps], base=[e.onset_s for e in eps],
            orientation="h", name=f"{kind}-expressions ({KIND_SHADE[kind]})", opacity=opacity,
            marker_color=[emotion_colour(lab) for lab in labels],
            customdata=[[f"{e.onset_s:.2f}", f"{e.offset_s:.2f}", au_list(e.active_aus),
                         cluster_words(e.cluster) if e.cluster else "-",
                         summary.emotion_text(e), summary.confidence_text(e)] for e in eps],
            hovertemplate="%{customdata[4]} (confidence %{customdata[5]})<br>%{customdata[0]}-%{customdata[1]} s"
                          "<br>AUs: %{customdata[2]}<br>cluster %{customdata[3]}<extra></extra>",
        )
    fig.add_scatter(
        x=[e.apex_s for e in result.episodes], y=[summary.emotion_label(e) for e in result.episodes],
        mode="markers", name="apex (black tick)", marker=dict(symbol="line-ns-open", size=14, color="#222"),
        hoverinfo="skip",
    )
    fig.update_layout(legend_title_text="bar colour = emotion; shade = kind:")
    end = result.video.duration_s or max(e.offset_s for e in result.episodes)
    fig.update_xaxes(range=[0, end])
    return fig


def cluster_distribution(result: SessionResult) -> go.Figure:
    """Episodes per reference ME cluster, each bar labelled with that cluster's AU combination."""
    fig = _figure("ME cluster distribution", xaxis_title="episodes", height=380)
    table = summary.cluster_table(result)
    if table.empty:
        note = result.clusters.note or "No episode could be assigned to an ME cluster."
        return _empty(fig, note)
    labels = [f"{name} ({aus})" for name, aus in zip(table["cluster"], table["AU codes"])]
    fig.add_bar(
        y=labels, x=table["episodes"], orientation="h", text=table["episodes"],
        marker_color=[emotion_colour(e) for e in table["emotion"]], customdata=table[["AU combination"]],
        hovertemplate="%{y}: %{x} episodes<br>%{customdata[0]}<extra></extra>", showlegend=False,
    )
    fig.update_xaxes(tickformat="d", rangemode="tozero", dtick=_count_step(int(table["episodes"].max())))
    fig.update_yaxes(autorange="reversed")
    return fig


def silhouette_curves(result: SessionResult) -> go.Figure:
    """Average silhouette s(k) per emotion for this patient's own clustering, chosen k marked."""
    fig = _figure("Silhouette analysis of the patient's own ME clusters",
                  xaxis_title="number of clusters k", yaxis_title="average silhouette")
    curves = result.clusters.own_silhouette
    if not curves:
        note = result.clusters.note or "Too few episodes per emotion to cluster this session."
        return _empty(fig, note)
    for c in curves:
        colour = emotion_colour(c.emotion)
        fig.add_scatter(x=c.k, y=c.silhouette, mode="lines+markers", name=c.emotion,
                        line=dict(color=colour))
        if c.chosen_k in c.k:
            fig.add_scatter(x=[c.chosen_k], y=[c.silhouette[c.k.index(c.chosen_k)]], mode="markers",
                            marker=dict(size=14, symbol="star", color=colour),
                            name=f"{c.emotion}: chosen k={c.chosen_k}", showlegend=False)
    fig.update_xaxes(dtick=1)
    return fig


def face_quality(result: SessionResult) -> go.Figure:
    """How well the face could be seen along the recording: where results are weaker."""
    fig = _figure("Face quality over time", xaxis_title="time (s)",
                  yaxis=dict(title="face visible<br>(0 = not found, 1 = clearly)", range=[0, 1.05]),
                  yaxis2=dict(title="sharpness<br>(1 = this recording's typical)", overlaying="y", side="right",
                              showgrid=False, rangemode="tozero"))
    series = result.series
    if len(series) == 0:
        return _empty(fig, "No frames were analysed.")
    b_conf = summary.binned(series.time_s, summary.face_confidence(result))
    fig.add_scatter(x=b_conf.time_s, y=b_conf.values, mode="lines", name="face visible (blue line)",
                    line=dict(color="#0072B2"),
                    hovertemplate="%{x:.2f} s: face visible %{y:.2f}<br>(face detector confidence)<extra></extra>")
    sharp = summary.relative_sharpness(result)
    if np.any(np.isfinite(sharp)):
        b_blur = summary.binned(series.time_s, sharp)
        fig.add_scatter(x=b_blur.time_s, y=b_blur.values, mode="lines", name="sharpness (grey dots)",
                        yaxis="y2", line=dict(color="#999", dash="dot"),
                        hovertemplate="%{x:.2f} s: sharpness %{y:.2f} of typical<br>(variance of the Laplacian "
                                      "of the face crop, over its median)<extra></extra>")
    return fig


def indicator_values(result: SessionResult) -> go.Figure:
    """Each thresholded indicator as value / threshold, so indicators on different scales (seconds,
    counts, shares, frame rates) share one axis; 1 is the threshold, raised ones are red."""
    fig = _figure("Screening indicators relative to their thresholds",
                  xaxis_title="value / threshold (1 = threshold)")
    inds = [i for i in result.screening.indicators + result.screening.longitudinal
            if i.value is not None and i.threshold]
    if not inds:
        return _empty(fig, "No indicator could be computed for this recording.")
    fig.update_layout(height=max(260, 80 + 36 * len(inds)))
    labels = ["<br>".join(textwrap.wrap(summary.indicator_label(i), 48)) for i in inds]
    for raised, colour, name in ((True, RAISED, "raised (red)"), (False, NOT_RAISED, "not raised (blue)")):
        rows = [k for k, i in enumerate(inds) if i.raised == raised]
        fig.add_bar(
            y=[labels[k] for k in rows], x=[inds[k].value / inds[k].threshold for k in rows], orientation="h",
            marker_color=colour, name=name,
            customdata=[[summary.indicator_value(inds[k]), summary.indicator_value(
                Indicator(inds[k].key, "", inds[k].threshold))] for k in rows],
            hovertemplate="%{y}<br>value %{customdata[0]}, threshold %{customdata[1]}<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=labels)
    fig.update_layout(margin=dict(l=330, r=20, t=80, b=40),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    fig.add_vline(x=1.0, line=dict(color="#222", width=2, dash="dash"))
    fig.update_yaxes(autorange="reversed")
    return fig


def session_figures(result: SessionResult) -> dict[str, go.Figure]:
    """All session charts in the order the Session page shows them."""
    return {
        "emotion_distribution": emotion_distribution(result),
        "emotion_over_time": emotion_over_time(result),
        "au_heatmap": au_heatmap(result),
        "episode_timeline": episode_timeline(result),
        "cluster_distribution": cluster_distribution(result),
        "silhouette": silhouette_curves(result),
        "face_quality": face_quality(result),
        "indicators": indicator_values(result),
    }


def trend(frame: pd.DataFrame, title: str, *, change: bool = False) -> go.Figure:
    """Metrics across a patient's sessions; `frame` is mescreen.app.timeline's long format
    (session, number, recorded_on, metric, value, baseline, earlier, change). Missing values are
    gaps in the line, never zeros; a change is drawn only where its baseline exists."""
    column = "change" if change else "value"
    fig = _figure(title, xaxis_title="recording date",
                  yaxis_title="change from the mean of earlier sessions" if change else "value")
    if frame.empty or frame[column].isna().all():
        message = (f"Change is shown from the session with at least {MIN_EARLIER_SESSIONS} earlier analysed "
                   "sessions that have a value." if change else
                   "None of the analysed sessions has a value for these figures (an indicator has no value "
                   "when it could not be judged: each session's page says why).")
        return _empty(fig, message)
    for metric, rows in frame.groupby("metric", sort=False):
        rows = rows.sort_values("recorded_on")
        name = str(metric)
        hover = (f"session %{{customdata[0]}}: %{{y:+.3g}}<br>baseline %{{customdata[1]:.3g}} = mean of "
                 f"%{{customdata[2]}} earlier sessions<extra>{name}</extra>" if change else
                 f"session %{{customdata[0]}}: %{{y:.3g}}<extra>{name}</extra>")
        fig.add_scatter(
            x=rows["recorded_on"], y=rows[column], mode="lines+markers", name=name, showlegend=True,
            connectgaps=False,
            line=dict(color=emotion_colour(name)) if name in EMOTION_COLOURS else None,
            customdata=rows[["number", "baseline", "earlier"]], hovertemplate=hover,
        )
    if change:
        fig.add_hline(y=0, line=dict(color="#444", width=1), annotation_text="baseline",
                      annotation_position="bottom right")
    return fig


def _face_axes(fig: go.Figure, n: int, x_range: tuple[float, float] = (0.0, 1.0),
               y_range: tuple[float, float] = (0.0, 1.0)) -> None:
    """Hidden, equal-scale axes (y down) over `x_range` and `y_range` in face coordinates."""
    for i in range(1, n + 1):
        suffix = "" if i == 1 else str(i)
        fig.update_layout(**{
            f"xaxis{suffix}": dict(visible=False, range=list(x_range), scaleanchor=f"y{suffix}"),
            f"yaxis{suffix}": dict(visible=False, range=[y_range[1], y_range[0]]),
        })


def _landmark_ranges(*points: np.ndarray, margin: float = 0.03) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y extent of every landmark (and of the movement arrows drawn from them), with a
    margin: the chin, often the region that moved most, must not be cut off."""
    xy = np.concatenate(points)
    low, high = np.nanmin(xy, axis=0) - margin, np.nanmax(xy, axis=0) + margin
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


def _contours(fig: go.Figure, points: np.ndarray, colour_of, col: int, *, dash: str = "solid",
              legend: bool = False) -> None:
    """The face-mesh contours of `points`, each region in the colour `colour_of(region)` gives."""
    for region, lines in evidence.CONTOURS.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        for line in lines:
            xs += points[line, 0].tolist() + [None]
            ys += points[line, 1].tolist() + [None]
        colour = colour_of(region)
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=1.2 if colour == STILL else 2.4,
                                                               dash=dash),
                        name=region, showlegend=False, hoverinfo="skip", row=1, col=col)
    for region in ("cheeks", "chin and jaw"):
        idx = evidence.REGION_POINTS[region]
        fig.add_scatter(x=points[idx, 0], y=points[idx, 1], mode="markers", showlegend=False, hoverinfo="skip",
                        marker=dict(size=4, color=colour_of(region)), row=1, col=col)


def episode_evidence(episode: Episode, number: int) -> go.Figure | None:
    """The face-mesh landmarks at onset and apex side by side, the regions that moved in colour
    (grey: still), with the movement drawn 5x enlarged as arrows on the apex. None without landmarks."""
    found = evidence.episode_evidence(episode)
    if found is None:
        return None
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.02, subplot_titles=(
        f"onset {episode.onset_s:.2f} s", f"apex {episode.apex_s:.2f} s"))
    fig.update_layout(template="plotly_white", height=360, margin=dict(l=10, r=10, t=70, b=10),
                      title=f"Episode {number}: {summary.emotion_text(episode)} - what the face did",
                      legend=dict(orientation="h", y=-0.02, x=0))
    _contours(fig, found.onset, found.region_colour, 1)
    _contours(fig, found.onset, lambda r: "#DDDDDD", 2, dash="dot")
    _contours(fig, found.apex, found.region_colour, 2)
    xs: list[float | None] = []
    ys: list[float | None] = []
    ends = [found.onset[evidence.REGION_POINTS[r]] + ARROW_GAIN * (found.apex - found.onset)[evidence.REGION_POINTS[r]]
            for r in found.moving]
    for region, end_points in zip(found.moving, ends):
        for i, end in zip(evidence.REGION_POINTS[region], end_points):
            start = found.onset[i]
            xs += [start[0], end[0], None]
            ys += [start[1], end[1], None]
    if xs:
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="#222", width=1), row=1, col=2,
                        name=f"movement, drawn {ARROW_GAIN}x enlarged", hoverinfo="skip")
    for region in found.moving:
        fig.add_scatter(x=[None], y=[None], mode="lines", line=dict(color=evidence.REGION_COLOURS[region], width=3),
                        name=f"{region} moved {100 * found.movement[region]:.1f}%", row=1, col=1)
    fig.add_scatter(x=[None], y=[None], mode="lines", line=dict(color=STILL, width=1.2), name="still (grey)",
                    row=1, col=1)
    _face_axes(fig, 2, *_landmark_ranges(found.onset, found.apex, *ends))
    return fig


#: The glossary face's drawing height, and its label size: the face is drawn square, so one unit
#: of the face is about this many pixels, whatever the page's width.
_FACE_PX = 520 - 50 - 10
_FACE_FONT = 11


def _au_lines(aus: list[str], width: float) -> list[str]:
    """AU codes as lines that fit `width` (face units) at the label size (about 0.62 em a character)."""
    per_line = max(1, int(width * _FACE_PX // (0.62 * _FACE_FONT * 5.2)))  # "AU10 " is about 5 characters
    return [" ".join(aus[k:k + per_line]) for k in range(0, len(aus), per_line)]


def face_regions() -> go.Figure:
    """A schematic face with the regions the AUs move, in the colours the evidence pictures use,
    each region's AU codes inside its box."""
    fig = _figure("Face regions (colours as in the evidence pictures)", height=_FACE_PX + 60,
                  margin=dict(l=10, r=10, t=50, b=10), showlegend=False)
    fig.add_shape(type="circle", x0=0.12, y0=0.08, x1=0.88, y1=0.98, line=dict(color="#888"))
    for region, boxes in evidence.schematic_regions().items():
        colour = evidence.REGION_COLOURS[region]
        aus = [a for a in READ_AUS if au_region(a) == region]
        for x0, y0, x1, y1 in boxes:  # every box labelled: an unlabelled cheek read as an unknown region
            fig.add_shape(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=colour, width=2),
                          fillcolor=colour, opacity=0.25)
            fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, showarrow=False,
                               font=dict(size=_FACE_FONT, color="#222"),
                               text="<br>".join([f"<b>{region}</b>", *_au_lines(aus, x1 - x0)]))
    _face_axes(fig, 1)
    return fig
