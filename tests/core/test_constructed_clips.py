"""The whole pipeline, with the shipped models, on clips built from a shared clip's real frames
(mescreen.training.synthetic_clips): a brief expression in a calm face is one episode with its
ends, and a calm or talking face raises none (issue 26)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mescreen.core.datapaths import models_dir
from mescreen.core.errors import ModelMissingError
from mescreen.core.pipeline import AnalysisOptions, Models, analyze_video
from mescreen.core.result import SessionResult
from mescreen.training.synthetic_clips import Clip, SourceFaces

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def source(videos_dir: Path) -> SourceFaces:
    return SourceFaces.read(videos_dir)


@pytest.fixture(scope="module")
def clips(source: SourceFaces) -> dict[str, Clip]:
    return source.clips(seconds=30.0)


@pytest.fixture(scope="module")
def models() -> Models:
    try:
        return Models.load(models_dir())
    except ModelMissingError as exc:
        pytest.skip(f"trained models not present: {exc}")


def _analyse(clip: Clip, name: str, folder: Path, models: Models) -> SessionResult:
    return analyze_video(clip.write(folder, name), AnalysisOptions(), models=models)


@pytest.mark.parametrize("name", ["spliced_smile", "brow_flash"])
def test_a_brief_expression_in_a_calm_face_is_one_episode_with_its_ends(
    name: str, clips: dict[str, Clip], models: Models, tmp_path: Path
) -> None:
    clip = clips[name]
    start, end = clip.labels[1][:2]
    assert end - start == pytest.approx(0.4 - 1 / clip.fps)  # 0.4 s of expression frames
    (episode,) = _analyse(clip, name, tmp_path, models).episodes
    assert abs(episode.onset_s - start) <= 0.15 and abs(episode.offset_s - end) <= 0.15
    assert episode.kind == "micro"


@pytest.mark.parametrize("name", ["neutral", "talking"])
def test_a_calm_or_talking_face_raises_no_episode(name: str, clips: dict[str, Clip], models: Models,
                                                   tmp_path: Path) -> None:
    result = _analyse(clips[name], name, tmp_path, models)
    assert result.series.face_found.all()
    assert result.episodes == []
