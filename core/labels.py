"""The label sets every stage shares: which AUs mescreen reads and which emotions it names."""

from __future__ import annotations

#: AUs of the paper's Table 1 that the training data labels (CK+ columns and the MEGC2019
#: composite codes); AUs with fewer than 10 labelled sequences in CK+ (11, 18, 21, 22) are left out.
AU_NAMES: list[str] = [
    "AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU14",
    "AU15", "AU16", "AU17", "AU20", "AU23", "AU24", "AU25", "AU26", "AU27",
]

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
