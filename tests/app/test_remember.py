"""Staying signed in: the sign-in token is genuine only unaltered, for its user and version, until it expires."""

from __future__ import annotations

import os
from pathlib import Path

from mescreen.app import remember

KEY = b"k" * 32


def test_a_token_names_its_user_and_session_version_until_it_expires():
    token = remember.make_token("ada", 3, key=KEY, now=1000.0, lifetime_s=60)
    assert remember.read_token(token, key=KEY, now=1059.0) == ("ada", 3)
    assert remember.read_token(token, key=KEY, now=1060.0) is None  # expired


def test_altered_foreign_or_malformed_tokens_are_refused():
    token = remember.make_token("ada", 3, key=KEY, now=1000.0)
    payload, signature = token.split(".")
    forged = remember.make_token("admin", 3, key=b"other key", now=1000.0).split(".")[0] + "." + signature
    assert remember.read_token(forged, key=KEY, now=1001.0) is None
    assert remember.read_token(token, key=b"other key", now=1001.0) is None
    for junk in (None, "", "abc", "a.b.c", payload + ".", "." + signature):
        assert remember.read_token(junk, key=KEY, now=1001.0) is None


def test_the_secret_is_made_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(remember.SECRET_ENV, raising=False)
    monkeypatch.setenv(remember.SECRET_FILE_ENV, str(tmp_path / "var" / "secret_key"))
    first = remember.secret()
    assert len(first) == 64 and remember.secret() == first
    assert os.stat(tmp_path / "var" / "secret_key").st_mode & 0o777 == 0o600
    monkeypatch.setenv(remember.SECRET_ENV, "from-the-environment")
    assert remember.secret() == b"from-the-environment"


def test_the_cookie_script_stores_and_deletes():
    stored = remember.cookie_script("tok.sig")
    assert "mescreen_signin=tok.sig" in stored and "SameSite=Strict" in stored and "Max-Age=36000" in stored
    assert "Max-Age=0" in remember.cookie_script(None)


def test_processes_starting_together_share_one_whole_secret(tmp_path, monkeypatch):
    """Two workers spawned at once both found no key file; the second must read the first's key
    (it used to fail with FileExistsError)."""
    monkeypatch.delenv(remember.SECRET_ENV, raising=False)
    path = tmp_path / "var" / "secret_key"
    monkeypatch.setenv(remember.SECRET_FILE_ENV, str(path))
    real_exists = Path.exists
    first: list[bytes] = []

    def racing_exists(self: Path) -> bool:  # the other process makes the key after our check
        found = real_exists(self)
        if self == path and not found and not first:
            first.append(b"")  # marks the race as run before the nested call checks again
            first[0] = remember.secret()
        return found

    monkeypatch.setattr(Path, "exists", racing_exists)
    assert remember.secret() == first[0] and len(first[0]) == 64
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret_key"]  # no draft left behind
