"""Every Plotly figure the dashboard shows, built from a SessionResult or a patient's timeline.

Figures are pure functions of their data (no Streamlit here), so tests can check what each
one plots and the PDF report can draw the same numbers with ReportLab (mescreen/app/report_pdf.py).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from mescreen.core.result import SessionResult
from mescreen.app import summary
from mescreen.app.palette import EMOTION_COLOURS, emotion_colour

_LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=60, r=20, t=50, b=40),
    height=380,
    legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
)


def _figure(title: str, **layout: object) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **{**_LAYOUT, **layout})
    return fig


def _empty(fig: go.Figure, message: str) -> go.Figure:
    """An empty chart that says why it is empty, rather than blank axes."""
    fig.add_annotation(text="<br>".join(textwrap.wrap(message, 55)), showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper", font=dict(size=14, color="#666"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _count_step(largest: int) -> int:
    """Whole-number tick spacing for counts (Plotly would otherwise label 0.2, 0.4, ...)."""
    return max(1, int(np.ceil(largest / 6)))


def emotion_distribution(result: SessionResult) -> go.Figure:
    """Episodes per emotion, micro and macro stacked."""
    fig = _figure("Emotion distribution of the episodes", barmode="stack",
                  xaxis_title="emotion", yaxis_title="episodes")
    counts = summary.emotion_counts(result)
    if counts.empty:
        return _empty(fig, "No facial movement episodes were found in this recording.")
    for kind, opacity in (("micro", 1.0), ("macro", 0.45)):
        fig.add_bar(
            x=counts["emotion"], y=counts[kind], name=f"{kind}-expressions", opacity=opacity,
            marker_color=[emotion_colour(e) for e in counts["emotion"]],
            hovertemplate="%{x}: %{y} " + kind + "<extra></extra>",
        )
    fig.update_yaxes(tickformat="d", rangemode="tozero", dtick=_count_step(int(counts["total"].max())))
    return fig


def emotion_over_time(result: SessionResult) -> go.Figure:
    """Emotion probabilities along the recording (computed near episodes), apexes marked."""
    fig = _figure("Emotion over time", xaxis_title="time (s)", yaxis_title="probability",
                  yaxis_range=[0, 1])
    series = result.series
    probs = series.emotion_prob
    if len(series) == 0 or probs.size == 0 or np.all(np.isnan(probs)):
        return _empty(fig, "No emotion was computed (no episodes, or no face).")
    binned = summary.binned(series.time_s, probs)
    for j, name in enumerate(series.emotion_names):
        column = binned.values[:, j]
        if np.all(np.isnan(column)):
            continue
        fig.add_scatter(x=binned.time_s, y=column, mode="lines+markers", name=name,
                        line=dict(color=emotion_colour(name)), marker=dict(size=4), connectgaps=False)
    for ep in result.episodes:
        fig.add_vline(x=ep.apex_s, line=dict(color=emotion_colour(ep.emotion), width=1, dash="dot"))
    return fig


def au_heatmap(result: SessionResult) -> go.Figure:
    """AU activation probability over time: one row per AU, darker is more active."""
    fig = _figure("Action-unit activation over time", xaxis_title="time (s)", height=460)
    series = result.series
    if len(series) == 0 or not series.au_names:
        return _empty(fig, "No frames were analysed.")
    binned = summary.binned(series.time_s, series.au_prob)
    fig.add_heatmap(
        x=binned.time_s, y=list(series.au_names), z=binned.values.T, zmin=0, zmax=1,
        colorscale="Blues", colorbar=dict(title="P(active)"),
        hovertemplate="%{y} at %{x:.2f} s: %{z:.2f}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def episode_timeline(result: SessionResult) -> go.Figure:
    """Each episode as a bar from onset to offset, on the row of its emotion, apex marked."""
    fig = _figure("Micro- and macro-expression episodes", xaxis_title="time (s)",
                  yaxis_title="emotion", barmode="overlay")
    if not result.episodes:
        return _empty(fig, "No facial movement episodes were found in this recording.")
    for kind, opacity in (("micro", 1.0), ("macro", 0.45)):
        eps = [e for e in result.episodes if e.kind == kind]
        if not eps:
            continue
        labels = [summary.emotion_label(e) for e in eps]
        fig.add_bar(
            y=labels, x=[max(e.duration_s, 1e-3) for e in eps], base=[e.onset_s for e in eps],
            orientation="h", name=f"{kind}-expressions", opacity=opacity,
            marker_color=[emotion_colour(lab) for lab in labels],
            customdata=[["+".join(e.active_aus) or "-", e.cluster or "-"] for e in eps],
            hovertemplate="%{y}: %{base:.2f}-%{x:.2f} s<br>AUs %{customdata[0]}<br>"
                          "cluster %{customdata[1]}<extra></extra>",
        )
    fig.add_scatter(
        x=[e.apex_s for e in result.episodes], y=[summary.emotion_label(e) for e in result.episodes],
        mode="markers", name="apex", marker=dict(symbol="line-ns-open", size=14, color="#222"),
    )
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
    labels = [f"{name} ({aus})" for name, aus in zip(table["cluster"], table["AU combination"])]
    fig.add_bar(
        y=labels, x=table["episodes"], orientation="h", text=table["episodes"],
        marker_color=[emotion_colour(e) for e in table["emotion"]],
        hovertemplate="%{y}: %{x} episodes<extra></extra>", showlegend=False,
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
    """Face detection confidence and sharpness along the recording: where results are weaker."""
    fig = _figure("Face quality over time", xaxis_title="time (s)",
                  yaxis=dict(title="detection confidence", range=[0, 1.05]),
                  yaxis2=dict(title="sharpness (Laplacian var.)", overlaying="y", side="right",
                              showgrid=False))
    series = result.series
    if len(series) == 0:
        return _empty(fig, "No frames were analysed.")
    blur = np.where(series.face_found, series.blur, np.nan).astype(float)
    b_conf = summary.binned(series.time_s, summary.face_confidence(result))
    fig.add_scatter(x=b_conf.time_s, y=b_conf.values, mode="lines", name="face confidence (0 = no face)",
                    line=dict(color="#0072B2"))
    if np.any(np.isfinite(blur)):
        b_blur = summary.binned(series.time_s, blur)
        fig.add_scatter(x=b_blur.time_s, y=b_blur.values, mode="lines", name="sharpness",
                        yaxis="y2", line=dict(color="#999", dash="dot"))
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
    fig.update_layout(height=max(260, 60 + 26 * len(inds)))
    fig.add_bar(
        y=[i.label for i in inds], x=[i.value / i.threshold for i in inds], orientation="h",
        marker_color=["#C0392B" if i.raised else "#5DA5DA" for i in inds], showlegend=False,
        customdata=[[f"{i.value:.3g}", f"{i.threshold:.3g}", "raised" if i.raised else "not raised"] for i in inds],
        hovertemplate="%{y}<br>value %{customdata[0]}, threshold %{customdata[1]} (%{customdata[2]})<extra></extra>",
    )
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
    (columns session, recorded_on, metric, value, change)."""
    column = "change" if change else "value"
    fig = _figure(title, xaxis_title="recording date",
                  yaxis_title="change from the patient's first sessions" if change else "value")
    if frame.empty or frame[column].isna().all():
        return _empty(fig, "Not enough analysed sessions for this patient yet.")
    for metric, rows in frame.groupby("metric", sort=False):
        rows = rows.sort_values("recorded_on")
        fig.add_scatter(
            x=rows["recorded_on"], y=rows[column], mode="lines+markers", name=str(metric), showlegend=True,
            line=dict(color=emotion_colour(str(metric))) if str(metric) in EMOTION_COLOURS else None,
            customdata=rows[["session"]], hovertemplate="session %{customdata[0]}: %{y:.3g}<extra>"
            + str(metric) + "</extra>",
        )
    if change:
        fig.add_hline(y=0, line=dict(color="#444", width=1))
    return fig
