"""Fonts of the PDF report, and text that every script prints in.

The body font is DejaVu Sans (Latin, Greek, Cyrillic, symbols such as >= and arrows), else
Helvetica. Text a clinic typed (patient codes, user names, file names) may be in any script: a
character the body font lacks is set in a wide-coverage font when one is installed (WenQuanYi Zen
Hei covers Chinese, Japanese and Korean; Debian `fonts-wqy-zenhei`, installed by .ci/run; or any
TrueType file named by MESCREEN_PDF_FONT). Without one, the character is written as its code
point, e.g. "[U+60A3]": never an empty box, and two different codes never print alike.
(Noto CJK is not used: its outlines are PostScript/CFF, which ReportLab cannot embed.)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

WIDE = "MescreenWide"
#: TrueType files with wide coverage, in order of preference (path, index inside a .ttc).
WIDE_FONT_FILES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)


def _body_fonts() -> tuple[str, str]:
    try:
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", "DejaVuSans.ttf"))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"))
        return "DejaVuSans", "DejaVuSans-Bold"
    except TTFError:
        return "Helvetica", "Helvetica-Bold"


def _wide_font() -> str | None:
    """Register the first wide-coverage font found; None (logged) when there is none."""
    if WIDE in pdfmetrics.getRegisteredFontNames():
        return WIDE
    chosen = os.environ.get("MESCREEN_PDF_FONT", "").strip()
    candidates = [(chosen, 0)] if chosen else []
    for path, index in [*candidates, *WIDE_FONT_FILES]:
        if Path(path).is_file():
            try:
                pdfmetrics.registerFont(TTFont(WIDE, path, subfontIndex=index))
                return WIDE
            except TTFError as exc:
                log.warning("cannot use %s for the PDF report: %s", path, exc)
    log.warning("no wide-coverage font found: characters outside Latin/Greek/Cyrillic are written "
                "as code points in PDF reports (install fonts-wqy-zenhei)")
    return None


FONT, FONT_BOLD = _body_fonts()
WIDE_FONT = _wide_font()


def covers(font: str, char: str) -> bool:
    """Whether `font` has a glyph for `char` (standard PDF fonts: Latin-1)."""
    face = getattr(pdfmetrics.getFont(font), "face", None)
    if face is None:
        return ord(char) < 256
    return ord(char) in face.charToGlyph


def markup(text: object, font: str = FONT) -> str:
    """`text` as Paragraph markup: escaped, with runs the body font lacks in the wide font."""
    parts: list[str] = []
    wide_run: list[str] = []

    def close_run() -> None:
        if wide_run:
            parts.append(f'<font name="{WIDE}">{escape("".join(wide_run))}</font>')
            wide_run.clear()

    for char in str(text):
        if char in "\n\t" or covers(font, char):
            close_run()
            parts.append(escape(char))
        elif WIDE_FONT is not None and covers(WIDE_FONT, char):
            wide_run.append(char)
        else:
            close_run()
            parts.append(f"[U+{ord(char):04X}]")
    close_run()
    return "".join(parts)


def plain_line(text: str, font: str = FONT) -> tuple[str, str]:
    """(font, text) for one line drawn without markup (page header): the body font when it covers
    the text, else the wide font when that does, else the body font with code points."""
    if all(covers(font, c) for c in text):
        return font, text
    if WIDE_FONT is not None and all(covers(WIDE_FONT, c) for c in text):
        return WIDE_FONT, text
    return font, "".join(c if covers(font, c) else f"[U+{ord(c):04X}]" for c in text)
