"""mescreen dashboard entry point (`streamlit run mescreen/app/app.py`, or `make run`).

Nothing is shown signed out except the sign-in form; the app refuses to start on a database that
has not been migrated, with the command that fixes it. Pages live in mescreen/app/screens/ (not
`pages/`: Streamlit would serve a `pages/` folder by URL without running this script, so a link
such as /session?patient=... would bypass sign-in and the navigation).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import auth, ui
from mescreen.app.progress_panel import sidebar_jobs
from mescreen.app.store import db, sessions
from mescreen.store.users import UserView, count_users
from mescreen.store.errors import SignInThrottledError

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="mescreen", page_icon=":material/psychology:", layout="wide")
# Tables' built-in CSV buttons would export patient data without an audit row; pages offer
# audited download buttons instead (also set in .streamlit/config.toml).
st.set_option("client.disableDataExport", True)


_DEEP_LINK = "deep_link_after_sign_in"  # ?patient=&session= of a link opened signed out


def _store_ready() -> bool:
    try:
        sessions()
    except MescreenError as exc:
        st.title("mescreen")
        st.error(f"The dashboard cannot open its database: {ui.md(exc)}", icon=":material/database:")
        st.markdown("Run `mescreen db upgrade` (or `make run`, which does it), then reload this page.")
        return False
    return True


def _sign_in_page() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("mescreen")
        st.caption("Micro-expression screening aid for clinicians. Sign in to see patients and results.")
        with db() as session:
            no_users = count_users(session) == 0
        if no_users:
            st.warning("No user accounts exist yet. An administrator creates the first one with "
                       "`mescreen user add NAME --role admin`.")
        with st.form("sign_in"):
            username = st.text_input("User name")
            password = st.text_input("Password", type="password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted:
            try:
                user = auth.sign_in(username, password)
            except SignInThrottledError as exc:
                st.error(str(exc), icon=":material/lock_clock:")
                return
            if user is None:
                st.error("Unknown user name or wrong password.")
            else:
                st.rerun()


def _signed_out_pages() -> list[st.Page]:
    """The sign-in form, also under every page's address: a link to a page opened signed out shows
    the form (keeping its ?patient=&session=) rather than "page not found"."""
    names = sorted(p.stem for p in (HERE / "screens").glob("*.py"))
    return [st.Page(_sign_in_page, title="Sign in", icon=":material/login:", default=True)] + [
        st.Page(_sign_in_page, title="Sign in", url_path=name) for name in names]


def _sidebar(user: UserView) -> None:
    with st.sidebar:
        st.markdown(f"Signed in as **{ui.md(user.username)}** ({user.role})")
        if st.button("Sign out", key="sign_out"):
            auth.sign_out()
            st.rerun()
        sidebar_jobs(user.username)


def main() -> None:
    if not _store_ready():
        st.stop()
    user = auth.refresh()
    if user is None:
        auth.write_cookie()
        if "patient" in st.query_params:  # a deep link opened signed out: followed after sign-in
            st.session_state[_DEEP_LINK] = st.query_params.to_dict()
        st.navigation(_signed_out_pages(), position="hidden").run()
        return
    session_page = st.Page(HERE / "screens" / "session.py", title="Session", icon=":material/monitoring:")
    pages = [
        st.Page(HERE / "screens" / "patients.py", title="Patients", icon=":material/group:", default=True),
        st.Page(HERE / "screens" / "upload.py", title="Upload & analyse", icon=":material/upload:"),
        session_page,
        st.Page(HERE / "screens" / "over_time.py", title="Patient over time", icon=":material/timeline:"),
        st.Page(HERE / "screens" / "import_csv.py", title="Import CSV", icon=":material/table_view:"),
        st.Page(HERE / "screens" / "glossary.py", title="AU glossary", icon=":material/menu_book:"),
    ]
    if user.role == "admin":
        pages.append(st.Page(HERE / "screens" / "users.py", title="Users", icon=":material/manage_accounts:"))
        pages.append(st.Page(HERE / "screens" / "audit.py", title="Audit log", icon=":material/policy:"))
    ui.registry()  # the first run of this server process cleans up after an interrupted one
    page = st.navigation(pages)  # before the sidebar: its links resolve against these pages
    link = st.session_state.pop(_DEEP_LINK, None) or ui.session_to_open()
    if link:
        st.switch_page(session_page, query_params=link)
    auth.write_cookie()  # after any switch: a run cut short by it would drop the cookie script
    _sidebar(user)
    page.run()


main()
