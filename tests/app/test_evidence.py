"""The evidence pictures find the region that moved between onset and apex, and draw it."""

from __future__ import annotations

import pytest

from mescreen.app import charts, evidence
from mescreen.app.report_pdf import evidence_drawing
from tests.app.conftest import synthetic_landmarks


@pytest.mark.parametrize("region", ["mouth", "brows", "nose"])
def test_the_moved_region_is_the_moving_one(result, region):
    episode = result.episodes[1]
    episode.landmarks = synthetic_landmarks(evidence.REGION_POINTS[region])
    found = evidence.episode_evidence(episode)
    assert found.moving[0] == region
    assert found.region_colour(region) == evidence.REGION_COLOURS[region]
    still = [r for r in evidence.REGIONS if r not in found.moving]
    assert still and all(found.region_colour(r) == evidence.STILL_COLOUR for r in still)
    assert region in found.caption()


def test_a_still_face_moves_nowhere(result):
    episode = result.episodes[1]
    episode.landmarks = synthetic_landmarks([], shift=0.0)
    found = evidence.episode_evidence(episode)
    assert found.moving == []
    assert "No region moved" in found.caption()


def test_without_landmarks_there_is_no_picture(result):
    episode = result.episodes[2]
    assert episode.landmarks == {}
    assert evidence.episode_evidence(episode) is None
    assert charts.episode_evidence(episode, 3) is None
    assert evidence_drawing(episode, 3) is None


def test_screen_and_paper_draw_onset_and_apex(result):
    episode = result.episodes[0]  # the fixture's disgust episode moves its nose
    fig = charts.episode_evidence(episode, 1)
    assert [a.text for a in fig.layout.annotations][:2] == [f"onset {episode.onset_s:.2f} s",
                                                           f"apex {episode.apex_s:.2f} s"]
    legend = [t.name for t in fig.data if t.showlegend is not False and t.name]
    assert any(name.startswith("nose moved") for name in legend)
    assert evidence_drawing(episode, 1) is not None


def test_every_region_has_points_colour_and_a_place_on_the_glossary_face():
    assert set(evidence.REGION_POINTS) == set(evidence.REGIONS) == set(evidence.REGION_COLOURS)
    assert set(evidence.schematic_regions()) == set(evidence.REGIONS)
    boxes = [(r, b) for r, bs in evidence.schematic_regions().items() for b in bs]
    for k, (region, (x0, y0, x1, y1)) in enumerate(boxes):  # no region's box covers another's
        for other, (u0, v0, u1, v1) in boxes[k + 1:]:
            assert x1 <= u0 or u1 <= x0 or y1 <= v0 or v1 <= y0, (region, other)
    assert all(0 <= i < 468 for idx in evidence.REGION_POINTS.values() for i in idx)


def test_every_box_on_the_glossary_face_is_labelled_with_its_region():
    labels = [a.text.split("<br>")[0] for a in charts.face_regions().layout.annotations]
    boxes = [r for r, bs in evidence.schematic_regions().items() for _ in bs]
    assert sorted(labels) == sorted(f"<b>{r}</b>" for r in boxes)  # both cheeks, not only the left one
