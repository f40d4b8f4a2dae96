"""AU codes in words: every chart, table and report names an AU as "AU12 lip corner puller".

The FACS names come from mescreen.core.labels.AU_DESCRIPTIONS (one list for the whole project);
this module adds what a clinician needs beside them: what the movement looks like and the region
of the face it moves (the glossary page and the evidence pictures use the same regions).
"""

from __future__ import annotations

import re

from mescreen.core.labels import AU_DESCRIPTIONS

#: Every AU mescreen reads and charts: the appearance model's AUs (mescreen.core.labels.AU_NAMES)
#: and eyes closed (AU43), read from the eye opening.
READ_AUS: tuple[str, ...] = tuple(AU_DESCRIPTIONS)

#: Face regions in the words the glossary and the evidence pictures use.
REGIONS: tuple[str, ...] = ("brows", "eyelids", "cheeks", "nose", "mouth", "chin and jaw")

#: The region each AU moves (FACS Manual 2002, muscle and appearance changes).
AU_REGION: dict[str, str] = {
    "AU1": "brows", "AU2": "brows", "AU4": "brows",
    "AU5": "eyelids", "AU7": "eyelids", "AU43": "eyelids",
    "AU6": "cheeks",
    "AU9": "nose",
    "AU10": "mouth", "AU12": "mouth", "AU14": "mouth", "AU15": "mouth", "AU16": "mouth", "AU20": "mouth",
    "AU23": "mouth", "AU24": "mouth", "AU25": "mouth",
    "AU17": "chin and jaw", "AU26": "chin and jaw", "AU27": "chin and jaw",
}

#: What each AU looks like, in plain words (after the FACS Manual's appearance changes).
AU_MEANING: dict[str, str] = {
    "AU1": "The inner ends of the eyebrows rise; the forehead wrinkles in the middle.",
    "AU2": "The outer ends of the eyebrows rise; the brows arch.",
    "AU4": "The brows are pulled down and together; vertical lines between the brows (frown).",
    "AU5": "The upper eyelid rises and more of the eye shows (widened eyes).",
    "AU6": "The cheeks rise and crow's feet form at the outer eye corners (as in a genuine smile).",
    "AU7": "The eyelids tighten and narrow the eye opening, mainly the lower lid.",
    "AU9": "The nose wrinkles and its sides rise (as in disgust).",
    "AU10": "The upper lip rises, deepening the fold from nose to mouth corner.",
    "AU12": "The lip corners are pulled up and back (the smile movement).",
    "AU14": "The lip corners tighten and dimples form beside them.",
    "AU15": "The lip corners are pulled down.",
    "AU16": "The lower lip is pulled down, showing the lower teeth.",
    "AU17": "The chin boss pushes up, raising the lower lip (pouting chin).",
    "AU20": "The lips are stretched sideways, flattening the mouth.",
    "AU23": "The lips tighten and narrow without pressing together.",
    "AU24": "The lips press together firmly.",
    "AU25": "The lips part.",
    "AU26": "The jaw drops slightly and the mouth opens, the jaw relaxed.",
    "AU27": "The mouth is stretched wide open, the jaw pulled far down.",
    "AU43": "The eyes are closed: the upper lids cover the eyes (read from how far the eyes are open).",
}

_CODE = re.compile(r"^AU0*(\d+)([A-Z]*)$", re.IGNORECASE)


def _canonical(code: str) -> tuple[str, str]:
    """("AU12", "L") for "AU12L", "au12" or "AU012"; the input unchanged when it is not an AU code."""
    match = _CODE.match(code.strip())
    if match is None:
        return code, ""
    return f"AU{int(match.group(1))}", match.group(2).upper()


def au_name(code: str) -> str:
    """The FACS name of an AU code ("lip corner puller"), "" when mescreen does not know it."""
    return AU_DESCRIPTIONS.get(_canonical(code)[0], "")


def au_label(code: str) -> str:
    """"AU12 lip corner puller": the code (as given) with its FACS name, or the code alone."""
    name = au_name(code)
    return f"{code} {name}" if name else code


def au_list(codes: list[str] | tuple[str, ...], empty: str = "-") -> str:
    """Several AUs in words, separated by commas ("AU6 cheek raiser, AU12 lip corner puller")."""
    return ", ".join(au_label(c) for c in codes) or empty


def in_words(text: str) -> str:
    """`text` with each AU code it mentions followed by the AU's name (for evidence sentences).
    A code already followed by its name is left alone."""

    def name_it(match: re.Match[str]) -> str:
        code = match.group(0)
        name = au_name(code)
        following = text[match.end():match.end() + len(name) + 1].strip().lower()
        return f"{code} {name}" if name and following != name else code

    return re.sub(r"\bAU\d+[LRB]*\b", name_it, text)


def au_region(code: str) -> str:
    """The face region an AU moves ("" when unknown)."""
    return AU_REGION.get(_canonical(code)[0], "")


def glossary() -> list[dict[str, str]]:
    """One row per AU mescreen reads: code, name, what it looks like, the region it moves."""
    return [{"AU": code, "name": AU_DESCRIPTIONS[code], "what it looks like": AU_MEANING[code],
             "face region": AU_REGION[code]} for code in READ_AUS]
