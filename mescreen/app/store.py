"""The dashboard's handle on the store: one engine per database URL for the whole server process.

`st.cache_resource` keeps the engine (and its connection pool) across reruns and users; a
failed schema check is not cached, so running `mescreen db upgrade` and reloading the page is
enough once the message has been read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from mescreen.store.engine import database_url, open_store


@st.cache_resource(show_spinner=False)
def _sessions_for(url: str) -> sessionmaker[Session]:
    return open_store(url)


def sessions() -> sessionmaker[Session]:
    """The session factory for MESCREEN_DB_URL (raises SchemaNotReadyError before migration)."""
    return _sessions_for(database_url())


@contextmanager
def db() -> Iterator[Session]:
    """A short-lived session for one page action (the store's functions commit themselves)."""
    with sessions()() as session:
        yield session
