"""`mescreen train clusters`: arguments, clear errors, and a real rebuild from the SAMM sheet."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mescreen.cli import train_clusters
from mescreen.core.errors import InputError
from mescreen.core.episodes.clusters import MESubdivider, ReferenceClusters


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    train_clusters.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_pool_all_three_sheets_over_k_2_to_8():
    args = _args()
    assert (args.sources, args.k_min, args.k_max, args.random_state, args.out) == ("samm,casme2,ckplus", 2, 8, 0, None)


def test_missing_data_folder_is_a_readable_error(monkeypatch):
    monkeypatch.delenv("MESCREEN_DATA", raising=False)
    with pytest.raises(InputError, match="MESCREEN_DATA"):
        train_clusters.run(_args("--out", "-"))


def test_unknown_source_is_a_readable_error():
    with pytest.raises(InputError, match="unknown source"):
        train_clusters.run(_args("--sources", "samm,fer2013", "--out", "-"))


@pytest.mark.realdata
def test_rebuild_from_samm_writes_a_loadable_model(data_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "me_clusters_reference.json"
    assert train_clusters.run(_args("--sources", "samm", "--out", str(out))) == 0
    printed = capsys.readouterr().out
    assert "Fitted on 129 coded samples" in printed and "'other': 26" in printed
    assert "| Anger_ME1 |" in printed and f"Wrote {out}" in printed
    ref = ReferenceClusters.load(tmp_path)
    assert {c.emotion for c in ref.clusters} == {"anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise"}
    provenance = __import__("json").loads(out.read_text())["provenance"]
    assert provenance["command"].startswith("mescreen train clusters --sources samm")
    assert isinstance(MESubdivider.load(out), MESubdivider)
