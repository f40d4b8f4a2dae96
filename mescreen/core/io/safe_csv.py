"""CSV that a spreadsheet opens as data, never as formulas.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (and some
tab- or CR-led ones) as a formula: a patient code like `=HYPERLINK("https://...")` would become a
live link, or worse, in the file a clinician opens. Such text cells get a leading apostrophe (the
OWASP advice; spreadsheets show the text unchanged). Numbers, negative ones included, are left as
they are, since they cannot carry a formula, and so is a formula character alone (a table's "-"
for a missing value), which has nothing to run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise(cell: object) -> object:
    """`cell` unchanged unless it is text a spreadsheet would read as a formula."""
    if isinstance(cell, str) and len(cell) > 1 and cell.startswith(FORMULA_STARTS) and not _is_number(cell):
        return "'" + cell
    return cell


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A comma-separated table with every cell neutralised (RFC 4180 quoting, \\n line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if c is None else neutralise(c) for c in row])
    return buffer.getvalue()
