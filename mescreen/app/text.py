"""Showing text that users or imported files wrote (patient codes, names, notes, file names,
error messages quoting them) without Streamlit interpreting it.

Streamlit renders most strings as Markdown with extensions: links and remote images
(`[x](https://...)`, `![](...)`), bare web addresses, colours (`:red[...]`), LaTeX (`$...$`),
icons and HTML-like tags. A pseudonymous code such as `[call me](https://evil.example)` must appear
exactly as typed, so every ASCII punctuation character is backslash-escaped (CommonMark treats an
escaped punctuation character as itself) and line breaks become spaces.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def md(text: object) -> str:
    """`text` as literal Markdown: shown character for character, never as a link or markup."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).splitlines()))
