"""New patients of a batch manifest: refused unless --create-patients, created in the named care
team, and an ambiguous or unknown team refused before any patient is created."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from mescreen.batch.errors import BatchError
from mescreen.batch.manifest import ManifestRow
from mescreen.batch.runner import prepare_patients
from mescreen.core.errors import MescreenError
from mescreen.store.patients import list_patients
from mescreen.store.teams import create_team
from mescreen.store.engine import make_engine

ACTOR = "batch:test"


def rows(*codes: str) -> list[ManifestRow]:
    return [ManifestRow(row=i + 2, video=Path(f"v{i}.mp4"), patient=c, recorded_on=date(2026, 1, 1))
            for i, c in enumerate(codes)]


@pytest.fixture
def two_teams(store_url: str):
    engine = make_engine(store_url)
    with Session(engine) as session:
        create_team(session, "Ward A", actor=ACTOR)
        create_team(session, "Ward B", actor=ACTOR)
    yield engine
    engine.dispose()


def codes(engine) -> dict[str, str]:
    with Session(engine) as session:
        return {p.code: p.team for p in list_patients(session, actor=ACTOR)}


def test_with_several_teams_the_team_must_be_named_and_nothing_is_created_before(two_teams) -> None:
    with pytest.raises(MescreenError, match="choose the patient's care team"):
        prepare_patients(two_teams, rows("P1", "P2"), create=True, actor=ACTOR)
    with pytest.raises(MescreenError, match="Ward C"):
        prepare_patients(two_teams, rows("P1", "P2"), create=True, actor=ACTOR, team="Ward C")
    assert codes(two_teams) == {}
    with pytest.raises(BatchError, match="--create-patients"):
        prepare_patients(two_teams, rows("P1"), create=False, actor=ACTOR, team="Ward B")


def test_new_patients_go_into_the_named_team(two_teams) -> None:
    prepare_patients(two_teams, rows("P1", "P2", "P1"), create=True, actor=ACTOR, team="Ward B")
    assert codes(two_teams) == {"P1": "Ward B", "P2": "Ward B"}


def test_team_without_create_patients_is_refused_by_the_command(tmp_path: Path) -> None:
    from mescreen.cli.batch import run

    args = argparse.Namespace(manifest=tmp_path / "m.csv", scheduler=None, workers=None, create_patients=False,
                              team="Ward B", uploader=ACTOR, no_progress=True)
    with pytest.raises(BatchError, match="--team names the care team of new patients"):
        run(args)
