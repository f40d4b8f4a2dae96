"""Colours shared by the Plotly charts and the PDF report, so a clinician reads the same emotion
in the same colour on screen and on paper."""

from __future__ import annotations

#: Fine and composite emotions (colour-blind-safe Okabe-Ito hues where possible).
EMOTION_COLOURS: dict[str, str] = {
    "anger": "#D55E00",
    "contempt": "#CC79A7",
    "disgust": "#8C6D1F",
    "fear": "#7F3C8D",
    "happiness": "#009E73",
    "sadness": "#0072B2",
    "surprise": "#E69F00",
    "negative": "#C0392B",
    "positive": "#009E73",
    "neutral": "#7F7F7F",
    "": "#9E9E9E",
}

FALLBACK = "#555555"

LEVEL_COLOURS: dict[str, str] = {
    "none": "#2E7D32",
    "watch": "#E69F00",
    "flag": "#C0392B",
    "insufficient": "#7F7F7F",
}


def emotion_colour(name: str) -> str:
    return EMOTION_COLOURS.get(name, FALLBACK)
