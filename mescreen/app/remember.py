"""Staying signed in across a reload or a new tab: a signed, expiring token in a browser cookie.

Streamlit keeps the signed-in user only in the browser session's memory, which a reload throws
away. At sign-in the browser is given a token: the user name, the account's session version and
an expiry, signed with HMAC-SHA256 under a server secret. A new browser session that brings a
valid token is signed in as that user; mescreen.app.auth then re-reads the account as on every run,
so a deleted account, a reset password (new session version) or an expired token ends it, and
signing out deletes the cookie in that browser.

The secret is `MESCREEN_SECRET_KEY`, or a random key kept in `MESCREEN_SECRET_FILE` (default
var/secret_key, owner-only), made on first use. Streamlit has no server-side cookie API, so the
cookie is written by a script in the page (it cannot be HttpOnly); it is SameSite=Strict, and
Secure when the page is served over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

COOKIE = "mescreen_signin"
#: How long a token signs a browser in: one working day.
LIFETIME_S = 10 * 3600
SECRET_ENV = "MESCREEN_SECRET_KEY"
SECRET_FILE_ENV = "MESCREEN_SECRET_FILE"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret() -> bytes:
    """The server's signing key (environment, else the key file, made owner-only on first use)."""
    given = os.environ.get(SECRET_ENV, "").strip()
    if given:
        return given.encode("utf-8")
    path = Path(os.environ.get(SECRET_FILE_ENV) or Path("var") / "secret_key").expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a private name, then linked into place: the key file appears whole, and
        # when two processes start at once (e.g. two workers) the first link wins, the other reads it.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip().encode("utf-8")


def make_token(username: str, session_version: int, *, key: bytes, now: float | None = None,
               lifetime_s: float = LIFETIME_S) -> str:
    """A token naming the user and session version until `now + lifetime_s`."""
    now = time.time() if now is None else now
    payload = _b64(json.dumps([username, int(session_version), int(now + lifetime_s)]).encode("utf-8"))
    signature = _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def read_token(token: str | None, *, key: bytes, now: float | None = None) -> tuple[str, int] | None:
    """(user name, session version) of a genuine, unexpired token; None for anything else."""
    if not token or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    expected = _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        username, version, expires = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    now = time.time() if now is None else now
    if not isinstance(username, str) or not isinstance(version, int) or now >= expires:
        return None
    return username, version


def cookie_script(token: str | None, lifetime_s: float = LIFETIME_S) -> str:
    """The page script that stores the token (or, for None, deletes the cookie)."""
    value = token or ""
    age = int(lifetime_s) if token else 0
    return (
        "<script>(function(){var d;try{d=window.parent.document;}catch(e){d=document;}"
        "var secure=(window.parent.location.protocol==='https:')?';Secure':'';"
        f"d.cookie='{COOKIE}={value};Max-Age={age};Path=/;SameSite=Strict'+secure;}})();</script>"
    )
