"""Issue 15, items 9 and 10: no password in any message about a bad database URL; the SQLite
file is owner-only and erased rows are overwritten."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mescreen.cli.main import main
from mescreen.store.engine import describe_url, make_engine, upgrade
from mescreen.store.errors import StoreError, driver_reason

SECRET = "s3cr3t-pw"


@pytest.mark.parametrize("url", [
    f"postgresql+psycopg://clinic:{SECRET}@db.example:54x32/mescreen",  # port is not a number
    f"postgres ql://clinic:{SECRET}@db.example/mescreen",  # does not parse
    f"nosuchdialect://clinic:{SECRET}@db.example/mescreen",  # no such driver
])
def test_bad_urls_never_show_the_password(url: str, capsys, monkeypatch) -> None:
    with pytest.raises(StoreError) as error:
        make_engine(url)
    assert SECRET not in str(error.value) and "clinic:***@" in str(error.value)
    assert SECRET not in describe_url(url)
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    assert main(["db", "current"]) == 2  # a one-line message, no traceback
    captured = capsys.readouterr()
    assert SECRET not in captured.err + captured.out and "Traceback" not in captured.err


def test_driver_messages_are_masked_too() -> None:
    assert SECRET not in driver_reason(RuntimeError(f"cannot connect to postgresql://u:{SECRET}@h/db"))


def test_sqlite_file_is_owner_only_with_secure_delete(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    assert stat.S_IMODE((tmp_path / "store.db").stat().st_mode) == 0o600
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()
