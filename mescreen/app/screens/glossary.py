"""AU glossary: what each action unit mescreen reads looks like, and the part of the face it moves."""

from __future__ import annotations

import streamlit as st

from mescreen.app import au_words, charts, ui

st.title("AU glossary")
st.caption("Action units (AUs) are the visible movements of the Facial Action Coding System (FACS; Ekman, "
           "Friesen & Hager, 2002). mescreen names each AU by its code and FACS name wherever it appears, "
           'e.g. "AU12 lip corner puller".')
st.plotly_chart(charts.face_regions(), key="glossary_regions", config={"displaylogo": False})
ui.table(au_words.glossary())
