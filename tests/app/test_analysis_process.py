"""The pipeline run in a child process: results, expected errors and cancel cross back intact."""

from __future__ import annotations

import pytest

from mescreen.core.errors import Cancelled, InputError
from mescreen.core.progress import Progress
from mescreen.app.analysis_process import analyze_in_process


def test_expected_errors_keep_their_type_and_message(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty.mp4: the file is empty"):
        analyze_in_process(empty, lambda p: True, [])


def test_real_video_progress_result_and_cancel(videos_dir):
    seen: list[Progress] = []

    def progress(p: Progress) -> bool:
        seen.append(p)
        return True

    result = analyze_in_process(videos_dir / "single_face.mp4", progress, [])
    assert len(result.series) == 72 and result.series.face_found.any()
    assert {"faces", "aus", "screening"} <= {p.stage for p in seen}
    with pytest.raises(Cancelled):
        analyze_in_process(videos_dir / "single_face.mp4", lambda p: p.stage != "aus", [])
