"""`mescreen analyze photo.jpg` as a clinician runs it: a clean terminal (no framework log lines),
no TensorFlow, and only the analyze command's own code loaded; `--verbose` keeps the log lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mescreen.cli.main import build_parser

PROBE = ("import runpy, sys\nsys.argv = ['mescreen'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('mescreen.cli.main', run_name='__main__')\n"
         "finally:\n    print('loaded:', sorted(m for m in ('tensorflow', 'keras', 'sklearn', 'scipy.stats', "
         "'mescreen.training.emotion') if m in sys.modules))\n")


def _analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=180)


def test_a_still_prints_the_summary_and_nothing_else(images_dir: Path) -> None:
    done = _analyze("analyze", str(images_dir / "single_face.jpg"), "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    assert "single_face.jpg: 572x562, 1 frames analysed, face in 1" in done.stdout
    assert done.stdout.strip().endswith("loaded: []")


def test_verbose_keeps_the_runtimes_log_lines(images_dir: Path) -> None:
    done = _analyze("--verbose", "analyze", str(images_dir / "single_face.jpg"), "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "XNNPACK" in done.stderr


def test_the_parser_for_one_command_registers_only_that_command() -> None:
    only = build_parser("analyze")
    commands = next(a for a in only._actions if a.dest == "command").choices
    assert set(commands) == {"analyze"}
    everything = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert {"analyze", "train", "convert", "import"} <= set(everything)
    assert set(next(a for a in build_parser("import")._actions if a.dest == "command").choices) == set(everything)
