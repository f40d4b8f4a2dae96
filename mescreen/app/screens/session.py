"""Session: one analysed recording, its charts, screening indicators and exports."""

from __future__ import annotations

import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import charts, evidence, exports, summary, ui
from mescreen.app.au_words import in_words
from mescreen.app.auth import actor
from mescreen.app.plain_words import version_words
from mescreen import service
from mescreen.app.store import db, sessions
from mescreen.store.patients import get_patient, update_patient
from mescreen.store.recordings import set_session_note
from mescreen.store.session_queries import load_session, patient_timeline

st.title("Session")
ui.show_flash()
ui.follow_session_link()
code = ui.choose_patient()
if code is None:
    st.stop()

with db() as session:
    timeline = patient_timeline(session, code, actor=actor())
if not timeline:
    st.info(f"Patient {ui.md(code)} has no recordings yet. Upload one on **Upload & analyse**.")
    st.stop()

views = {v.id: v for v in reversed(timeline)}  # newest recording first
wanted = st.session_state.get(ui.SESSION_KEY)
if wanted not in views:
    wanted = next((v.id for v in views.values() if v.status == "done"), next(iter(views)))
ids = list(views)
chosen = st.selectbox(
    "Recording", ids, index=ids.index(wanted), key=f"session_picker_{code}",
    format_func=lambda i: f"Session {views[i].number} - recorded {views[i].recorded_on} - {views[i].status} - "
                          f"{views[i].file_name}",
)
st.session_state[ui.SESSION_KEY] = chosen
ui.show_session_in_address(code, chosen)

try:
    with db() as session:
        view, result = load_session(session, chosen, actor=actor())
except MescreenError as exc:
    ui.error(exc)
    st.stop()

if result is None:
    if view.status == "failed":
        st.error(f"This analysis did not finish: {ui.md(view.error)}", icon=":material/error:")
    else:
        st.info(f"This recording is {view.status}; its results appear here when the analysis is done.")
        if st.button("Refresh"):
            st.rerun()
    st.stop()

ui.intended_use()
ui.level_badge(result.screening.level)
if result.screening.reasons:
    st.markdown("**Why this level**")
    st.markdown("\n".join(f"- {ui.md(in_words(r))}" for r in result.screening.reasons))

facts = dict(summary.session_facts(result))
cols = st.columns(4)
cols[0].metric("Duration", facts["Duration"])
cols[1].metric("Face found in", f"{100 * summary.face_found_share(result):.0f}%")
cols[2].metric("Episodes", len(result.episodes))
cols[3].metric("Micro-expressions", sum(e.kind == "micro" for e in result.episodes))
for warning in result.warnings:
    st.warning(ui.md(warning))

figures = charts.session_figures(result)


def chart(name: str) -> None:
    st.plotly_chart(figures[name], key=f"chart_{name}", config={"displaylogo": False})


def chart_pair(left_name: str, right_name: str) -> None:
    left, right = st.columns(2)
    with left:
        chart(left_name)
    with right:
        chart(right_name)


def evidence_section(result, video_path: str | None) -> None:
    """The face-mesh landmarks at onset and apex of one episode, chosen from those that have them
    (features, not the face); the real apex frame beside it only when the video was kept. One
    picture at a time: a picture per episode made a long session's page slow to open."""
    numbered = [(n, e) for n, e in enumerate(result.episodes, start=1)
                if evidence.episode_evidence(e) is not None]
    st.subheader("What the face did")
    if not numbered:
        st.caption("No episode has face-mesh landmarks (analysed with the Haar face stage, or before "
                   "landmarks were stored).")
        return
    st.caption("Face-mesh landmarks at onset and apex (stored features, not the face). Coloured: the regions "
               "that moved; grey: still. Black lines on the apex show each point's movement, enlarged "
               f"{charts.ARROW_GAIN} times.")
    episodes = dict(numbered)
    number = st.selectbox("Episode", list(episodes), key=f"evidence_episode_{view.id}",
                          format_func=lambda n: f"Episode {n}: {summary.emotion_text(episodes[n])} at "
                                                f"{episodes[n].apex_s:.2f} s")
    episode = episodes[number]
    left, right = st.columns([3, 1]) if video_path else (st.container(), None)
    with left:
        st.plotly_chart(charts.episode_evidence(episode, number), key="evidence", config={"displaylogo": False})
    if right is not None:
        frame = ui.video_frame(video_path, episode.apex_frame)
        if frame is not None:
            right.image(frame, caption=f"apex frame {episode.apex_frame} (kept video)")
    st.caption(evidence.episode_evidence(episode).caption())


st.header("Screening indicators")
chart("indicators")
tables = summary.indicator_tables(result)
ui.indicator_tables(tables)

st.header("Emotions")
chart_pair("emotion_distribution", "emotion_over_time")

st.header("Action units")
chart("au_heatmap")

st.header("Micro- and macro-expression episodes")
chart("episode_timeline")
episodes = summary.episodes_table(result)
if not episodes.empty:
    st.caption("Confidence is how sure the emotion reading is (0 to 1); an uncertain reading counts as "
               "undetermined. AU names are explained on the **AU glossary** page.")
    ui.table(episodes)
    evidence_section(result, view.video_path)

st.header("ME clusters")
chart_pair("cluster_distribution", "silhouette")
clusters = summary.cluster_table(result)
if not clusters.empty:
    ui.table(clusters.drop(columns="AU codes"))
if result.clusters.note:
    st.caption(result.clusters.note)

st.header("Face quality")
chart("face_quality")

with st.expander("Recording details and model versions"):
    ui.table({"item": list(facts), "value": [str(v) for v in facts.values()]})  # the file name in full
    st.markdown("**Versions behind this reading**")
    for key, version in result.versions.items():  # the technical name in the hover, for tracing a result
        st.markdown(f"{ui.md(version_words(key))}: {ui.md(version)}", help=f"Technical name: `{key}`")

st.header("Notes")
with db() as session:
    patient = get_patient(session, code, actor=actor())
note_left, note_right = st.columns(2)
with note_left.form(f"session_note_{view.id}"):
    session_note = st.text_area(f"Note on session {view.number}", value=view.notes or "", height=130)
    if st.form_submit_button("Save session note"):
        with db() as session:
            set_session_note(session, view.id, session_note, actor=actor())
        ui.flash(f"The note on session {view.number} was saved.")
        st.rerun()
with note_right.form(f"patient_note_{code}"):
    patient_note = st.text_area(f"Note on patient {code} (all sessions)", value=patient.notes or "", height=130)
    if st.form_submit_button("Save patient note"):
        with db() as session:
            update_patient(session, code, display_name=patient.display_name, notes=patient_note,
                                      actor=actor())
        ui.flash(f"The note on patient {code} was saved.")
        st.rerun()
st.caption("Notes appear in the PDF reports; every change is in the audit log.")

st.header("Export")
ui.pdf_font_notice(view.patient_code, view.notes or "", patient.notes or "", view.uploader, view.file_name)
stem = exports.file_stem(view)
user = actor()


def audited(make, action: str):
    """Built, and audited, when clicked."""
    return exports.audited(sessions(), make, actor=user, action=action, patient_code=view.patient_code,
                           session_id=view.id)


c1, c2, c3 = st.columns(3)
c1.download_button("PDF report", audited(lambda: exports.pdf_bytes(view, result, user, patient.notes or ""),
                                         "download_pdf"),
                   file_name=f"{stem}.pdf", mime="application/pdf", type="primary", key="download_pdf",
                   on_click="ignore")
c2.download_button("Per-frame CSV (OpenFace columns)", audited(lambda: exports.csv_bytes(result), "download_csv"),
                   file_name=f"{stem}.csv", mime="text/csv", key="download_csv", on_click="ignore")
c3.download_button("Full result (JSON)", audited(lambda: exports.json_bytes(result), "download_json"),
                   file_name=f"{stem}.json", mime="application/json", key="download_json", on_click="ignore")
ui.intended_use()

st.divider()
with st.expander(f"Delete session {view.number} only"):
    st.warning(f"This erases session {view.number} (recorded {view.recorded_on}): its results and any kept "
               "video. The patient's other sessions stay; their change over time is recomputed without it. "
               "It cannot be undone.")
    typed = st.text_input(f"Type {view.number} to confirm", key=f"delete_session_confirm_{view.id}")
    if st.button("Delete this session", key="delete_session_button", disabled=typed.strip() != str(view.number)):
        try:
            service.delete_session(sessions(), view.id, actor=user)
        except MescreenError as exc:
            ui.error(exc)
        else:
            st.session_state.pop(ui.SESSION_KEY, None)
            ui.flash(f"Session {view.number} of patient {view.patient_code} was deleted.")
            st.rerun()
