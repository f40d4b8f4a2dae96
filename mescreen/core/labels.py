"""The label sets every stage shares: which AUs mescreen reads and which emotions it names."""

from __future__ import annotations

#: AUs of the paper's Table 1 that the training data labels (CK+ columns and the MEGC2019
#: composite codes); AUs with fewer than 10 labelled sequences in CK+ (11, 18, 21, 22) are left out.
AU_NAMES: list[str] = [
    "AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU14",
    "AU15", "AU16", "AU17", "AU20", "AU23", "AU24", "AU25", "AU26", "AU27",
]

#: FACS names of the AUs above (Ekman, Friesen & Hager, FACS Manual 2002), for tables and charts.
AU_DESCRIPTIONS: dict[str, str] = {
    "AU1": "inner brow raiser", "AU2": "outer brow raiser", "AU4": "brow lowerer",
    "AU5": "upper lid raiser", "AU6": "cheek raiser", "AU7": "lid tightener", "AU9": "nose wrinkler",
    "AU10": "upper lip raiser", "AU12": "lip corner puller", "AU14": "dimpler",
    "AU15": "lip corner depressor", "AU16": "lower lip depressor", "AU17": "chin raiser",
    "AU20": "lip stretcher", "AU23": "lip tightener", "AU24": "lip pressor", "AU25": "lips part",
    "AU26": "jaw drop", "AU27": "mouth stretch", "AU43": "eyes closed",
}

#: The MEGC2019 composite classes the emotion CNN is trained on (label3).
EMOTIONS_3: list[str] = ["negative", "positive", "surprise"]

#: Fine emotions used for ME sub-division and screening (the paper's Table 10 emotions).
EMOTIONS_FINE: list[str] = ["anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise"]

#: Fine emotions that belong to each composite class.
FINE_TO_3: dict[str, str] = {
    "anger": "negative", "contempt": "negative", "disgust": "negative", "fear": "negative",
    "sadness": "negative", "happiness": "positive", "surprise": "surprise",
}

#: Negative emotions the paper found prominent in depressed patients (with surprise).
NEGATIVE_EMOTIONS: list[str] = ["anger", "contempt", "disgust", "fear", "sadness"]

#: The per-frame emotion trace: neutral and the seven emotions of FER+ (Barsoum et al., ICMI 2016).
FRAME_EMOTIONS: list[str] = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]


def au_label(aus: str | list[str]) -> str:
    """An AU, or a combination, with its FACS name(s): "AU12 lip corner puller",
    "AU6+AU12 (cheek raiser + lip corner puller)". Codes without a known name stay as codes."""
    if isinstance(aus, str):
        name = AU_DESCRIPTIONS.get(aus)
        return f"{aus} {name}" if name else aus
    if len(aus) == 1:
        return au_label(aus[0])
    names = [AU_DESCRIPTIONS.get(a, a) for a in aus]
    return f"{'+'.join(aus)} ({' + '.join(names)})"
