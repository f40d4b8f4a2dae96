"""Fonts of the PDF report, and text that every script prints in.

The body font is DejaVu Sans (Latin, Greek, Cyrillic, symbols such as >= and arrows), else
Helvetica. Text a clinic typed (patient codes, user names, file names) may be in any script: a
character the body font lacks is set in the first wide-coverage font that has it, tried in this
order (only TrueType outlines: ReportLab cannot embed the PostScript/CFF outlines of OpenType
fonts such as Noto CJK):

1. any TrueType file named by MESCREEN_PDF_FONT;
2. WenQuanYi Zen Hei (Chinese, Japanese, Korean; GNU GPL v2 with a font embedding exception),
   Debian `fonts-wqy-zenhei`, which .ci/run installs; the other system fonts in `SYSTEM_FONTS`
   (WenQuanYi Micro Hei: Apache 2.0 or GPL v3; Droid Sans Fallback: Apache 2.0; AR PL UMing:
   Arphic Public License) when installed;
3. the fonts `make` installs with the environment from PyPI (`PACKAGED_FONTS`), so a machine with
   only Python prints Japanese and Korean too: IPAexGothic (Japanese kana and the JIS kanji, which
   include most Chinese characters in use; IPA Font License Agreement v1.0, which permits
   redistribution) from the package `japanize-matplotlib`, and NanumGothic (every Hangul
   syllable and the KS X 1001 hanja; SIL Open Font License 1.1) from `koreanize-matplotlib`.
   Both are installed without their matplotlib dependency: mescreen reads only the font files.

A character no font has is written as its code point, e.g. "[U+4EEC]": never an empty box, and
two different codes never print alike. `unprintable` names such characters, so the report's first
page and the dashboard can say that a code is not printed as typed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

#: System TrueType files with wide coverage, in order of preference (path, index inside a .ttc).
SYSTEM_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
#: Font files shipped inside Python packages that `make` installs (package, file inside it).
PACKAGED_FONTS = (
    ("japanize_matplotlib", "fonts/ipaexg.ttf"),
    ("koreanize_matplotlib", "fonts/NanumGothic.ttf"),
)


def _body_fonts() -> tuple[str, str]:
    try:
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", "DejaVuSans.ttf"))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"))
        return "DejaVuSans", "DejaVuSans-Bold"
    except TTFError:
        return "Helvetica", "Helvetica-Bold"


def _packaged(package: str, name: str) -> str | None:
    """The path of a font file inside an installed package, without importing the package (its
    own import would need matplotlib)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return str(path) if path.is_file() else None


def _candidates() -> list[tuple[str, int]]:
    chosen = os.environ.get("MESCREEN_PDF_FONT", "").strip()
    packaged = [(path, 0) for path in (_packaged(p, n) for p, n in PACKAGED_FONTS) if path]
    return [*([(chosen, 0)] if chosen else []), *SYSTEM_FONTS, *packaged]


def _wide_fonts() -> tuple[str, ...]:
    """Register every wide-coverage font found, in order of preference (logged when none is)."""
    found = []
    for path, index in _candidates():
        if not Path(path).is_file():
            continue
        name = f"MescreenWide{len(found) + 1}"
        try:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
            found.append(name)
        except TTFError as exc:
            log.warning("cannot use %s for the PDF report: %s", path, exc)
    if not found:
        log.warning("no wide-coverage font found: characters outside Latin/Greek/Cyrillic are written "
                    "as code points in PDF reports (run `make venv`, or install fonts-wqy-zenhei)")
    return tuple(found)


FONT, FONT_BOLD = _body_fonts()
WIDE_FONTS = _wide_fonts()


def covers(font: str, char: str) -> bool:
    """Whether `font` has a glyph for `char` (standard PDF fonts: Latin-1)."""
    face = getattr(pdfmetrics.getFont(font), "face", None)
    if face is None:
        return ord(char) < 256
    return ord(char) in face.charToGlyph


def _font_for(char: str, font: str) -> str | None:
    """The font `char` is set in: the body font, else the first wide font that has it (None: none)."""
    if char in "\n\t" or covers(font, char):
        return font
    return next((wide for wide in WIDE_FONTS if covers(wide, char)), None)


def code_point(char: str) -> str:
    return f"[U+{ord(char):04X}]"


def unprintable(text: object, font: str = FONT) -> list[str]:
    """The characters of `text` that no installed font has (printed as code points), each once."""
    return list(dict.fromkeys(c for c in str(text) if _font_for(c, font) is None))


def markup(text: object, font: str = FONT) -> str:
    """`text` as Paragraph markup: escaped, each run the body font lacks in the wide font that has it."""
    parts: list[str] = []
    run: list[str] = []
    run_font = font

    def close_run() -> None:
        if run:
            chunk = escape("".join(run))
            parts.append(chunk if run_font == font else f'<font name="{run_font}">{chunk}</font>')
            run.clear()

    for char in str(text):
        chosen = _font_for(char, font)
        if chosen != run_font:
            close_run()
        if chosen is None:
            parts.append(code_point(char))
            run_font = font
        else:
            run_font = chosen
            run.append(char)
    close_run()
    return "".join(parts)


def plain_line(text: str, font: str = FONT) -> tuple[str, str]:
    """(font, text) for one line drawn without markup (page header): the body font when it covers
    the text, else the wide font that covers most of it, with code points for what it lacks."""
    best = max((font, *WIDE_FONTS), key=lambda f: sum(covers(f, c) for c in text))
    return best, "".join(c if covers(best, c) else code_point(c) for c in text)
