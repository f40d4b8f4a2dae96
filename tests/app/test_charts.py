"""The session charts plot the result's numbers, and say so when there is nothing to plot."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from mescreen.app import charts, summary
from mescreen.app.au_words import au_label
from mescreen.app.palette import emotion_colour
from tests.app.conftest import make_result


def _annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_every_session_chart_has_data(result):
    figures = charts.session_figures(result)
    assert set(figures) == {"emotion_distribution", "emotion_over_time", "au_heatmap",
                            "episode_timeline", "cluster_distribution", "silhouette",
                            "face_quality", "indicators"}
    for name, fig in figures.items():
        assert fig.data, f"{name} drew nothing"
        assert not _annotations(fig), f"{name} claims to be empty"
        fig.to_json()  # serialisable, as Streamlit needs


def test_emotion_distribution_counts_episodes(result):
    fig = charts.emotion_distribution(result)
    totals: dict[str, int] = {}
    for trace in fig.data:
        for x, y in zip(trace.x, trace.y):
            totals[x] = totals.get(x, 0) + int(y)
    assert totals == {"disgust": 1, "sadness": 1, "happiness": 1}


def test_heatmap_rows_are_aus_and_values_are_probabilities(result):
    heat = charts.au_heatmap(result).data[0]
    assert list(heat.y) == [au_label(a) for a in result.series.au_names]
    assert "AU12 lip corner puller" in heat.y  # codes with their FACS names, never codes alone
    z = np.asarray(heat.z, dtype=float)
    assert z.shape == (len(result.series.au_names), len(result.series))
    assert np.nanmax(z) <= 1.0 and np.isnan(z).any()  # no-face frames stay gaps, not zeros


def test_long_recordings_are_binned():
    long = make_result(n_frames=5000)
    heat = charts.au_heatmap(long).data[0]
    assert np.asarray(heat.z).shape[1] == summary.MAX_POINTS


def test_binned_means_ignore_nan():
    t = np.arange(4.0)
    b = summary.binned(t, np.array([1.0, np.nan, 3.0, 5.0]), max_points=2)
    assert b.values.tolist() == [1.0, 4.0]
    assert b.time_s.tolist() == [0.5, 2.5]


def test_episode_timeline_spans_onset_to_offset(result):
    bars = [t for t in charts.episode_timeline(result).data if t.type == "bar"]
    starts = sorted(float(b) for t in bars for b in t.base)
    assert starts == sorted(e.onset_s for e in result.episodes)


def test_cluster_bars_name_their_au_combination(result):
    labels = list(charts.cluster_distribution(result).data[0].y)
    assert "disgust cluster 1 (AU4+AU9+AU10)" in labels


def test_empty_session_charts_say_why(empty_result):
    for name in ("emotion_distribution", "episode_timeline", "cluster_distribution", "silhouette"):
        fig = getattr(charts, name if name != "silhouette" else "silhouette_curves")(empty_result)
        assert _annotations(fig), f"{name} is blank without a message"


def test_trend_plots_change_from_baseline():
    frame = pd.DataFrame({
        "session": [1, 2, 3], "number": [1, 2, 3],
        "recorded_on": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
        "metric": ["negative share"] * 3, "value": [0.2, 0.4, 0.6], "baseline": [0.3, 0.3, 0.3],
        "earlier": [3, 3, 3], "change": [-0.1, 0.1, 0.3],
    })
    fig = charts.trend(frame, "t", change=True)
    assert "baseline" in fig.data[0].hovertemplate and "earlier sessions" in fig.data[0].hovertemplate
    assert list(fig.data[0].y) == [-0.1, 0.1, 0.3]
    assert _annotations(charts.trend(frame.iloc[0:0], "t"))


def test_indicators_are_drawn_relative_to_their_thresholds(result):
    fig = charts.indicator_values(result)
    ratios = {y: x for trace in fig.data for y, x in zip(trace.y, trace.x)}
    by_key = {i.key: i for i in result.screening.indicators}
    negative = "<br>".join(textwrap.wrap(summary.indicator_label(by_key["negative_share"]), 48))
    assert ratios[negative] == pytest.approx(0.67 / 0.5)
    assert ratios["Episodes per minute"] == pytest.approx(18.0 / 10.0)
    raised = next(t for t in fig.data if t.name.startswith("raised"))
    assert list(raised.y) == [negative]  # the legend says what red means, and only raised ones are red


def test_emotion_over_time_draws_the_smoothed_trace_and_the_episodes(result):
    fig = charts.emotion_over_time(result)
    lines = {t.name: t for t in fig.data if t.mode == "lines"}
    assert set(lines) == set(result.series.emotion_names)  # every emotion with a value
    assert lines["disgust"].line.color == emotion_colour("disgust")
    bands = [s for s in fig.layout.shapes if s.type == "rect"]
    assert sorted(b.x0 for b in bands) == sorted(e.onset_s for e in result.episodes)
    disgust = np.asarray(lines["disgust"].y, dtype=float)
    assert np.isnan(disgust[0]) and np.nanmax(disgust) <= 0.88 + 1e-6  # gaps stay gaps


def test_smoothing_keeps_gaps_and_calms_a_one_frame_spike():
    t = np.arange(10) / 30.0
    v = np.array([0.1, 0.1, 0.1, 0.9, 0.1, 0.1, np.nan, 0.1, 0.1, 0.1])
    out = summary.smoothed(t, v, seconds=0.1)  # three frames
    assert np.isnan(out[6])
    assert out[3] == pytest.approx((0.1 + 0.9 + 0.1) / 3)


def test_uncertain_episode_is_marked_and_confidence_shown(result):
    episode = result.episodes[0]
    episode.confidence = 0.31
    assert summary.confidence_text(episode) == "0.31"
    assert summary.confidence_text(result.episodes[1]) == "not estimated"
    table = summary.episodes_table(result)
    assert list(table["confidence"])[:2] == ["0.31", "not estimated"]
    assert table.loc[0, "active AUs"] == "AU4 brow lowerer, AU9 nose wrinkler, AU10 upper lip raiser"


def test_uncertain_label_reads_undetermined_with_what_it_was_read_as(result, monkeypatch):
    monkeypatch.setattr(summary, "emotion_label", lambda e: "undetermined")
    assert summary.emotion_text(result.episodes[0]) == "undetermined (read as disgust, uncertain)"


def test_face_quality_speaks_of_visibility_and_sharpness(result):
    fig = charts.face_quality(result)
    assert "face visible" in fig.layout.yaxis.title.text
    assert "sharpness" in fig.layout.yaxis2.title.text
    sharp = next(t for t in fig.data if t.name.startswith("sharpness"))
    assert "Laplacian" in sharp.hovertemplate  # the technical name only in the hover
    assert np.nanmedian(np.asarray(sharp.y, dtype=float)) == pytest.approx(1.0)


def test_trend_leaves_missing_sessions_as_gaps():
    frame = pd.DataFrame({
        "session": [1, 2, 3], "number": [1, 2, 3],
        "recorded_on": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
        "metric": ["sadness"] * 3, "value": [0.2, np.nan, 0.6], "baseline": [np.nan] * 3,
        "earlier": [0, 0, 0], "change": [np.nan] * 3,
    })
    line = charts.trend(frame, "t").data[0]
    assert np.isnan(line.y[1]) and line.connectgaps is False  # no "0% sadness" for a session without episodes
    assert "at least 3" in _annotations(charts.trend(frame, "t", change=True))[0]


def test_axis_titles_fit_beside_their_plot():
    """Margins grow to fit axis titles, and no title line is longer than a 380-px plot is tall."""
    result = make_result()
    for fig in (charts.face_quality(result), charts.episode_timeline(result)):
        axes = [fig.layout[name] for name in fig.layout if name.startswith(("xaxis", "yaxis")) and fig.layout[name]]
        assert axes and all(axis.automargin for axis in axes)
        titles = [axis.title.text for axis in axes if axis.title and axis.title.text]
        assert all(len(line) <= 32 for title in titles for line in title.split("<br>")), titles
