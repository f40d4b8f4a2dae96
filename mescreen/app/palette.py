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
    "undetermined": "#9E9E9E",
    "": "#9E9E9E",
}

#: Micro-expressions are drawn in the emotion's full colour, macro-expressions lighter: the same
#: rule on screen (opacity) and on paper (the colour blended with white by the same amount).
MACRO_OPACITY = 0.45
KIND_SHADE: dict[str, str] = {"micro": "full colour", "macro": "light colour"}

#: Indicators over their threshold, and those under it.
RAISED = "#C0392B"
NOT_RAISED = "#5DA5DA"

FALLBACK = "#555555"

LEVEL_COLOURS: dict[str, str] = {
    "none": "#2E7D32",
    "watch": "#E69F00",
    "flag": "#C0392B",
    "insufficient": "#7F7F7F",
}


def emotion_colour(name: str) -> str:
    return EMOTION_COLOURS.get(name, FALLBACK)


def lighter(hex_colour: str, opacity: float = MACRO_OPACITY) -> str:
    """`hex_colour` as it looks at `opacity` on white (the PDF has no transparency to rely on)."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(255 - opacity * (255 - c)):02X}" for c in rgb)
