"""Write a `FrameSeries` as an OpenFace 2-style per-frame CSV, so researchers can load mescreen's
output with the code they already use for OpenFace's `FeatureExtraction` files.

Columns: `frame, face_id, timestamp, confidence, success, AU01_r ... AU27_r, AU01_c ... AU27_c`,
separated by ", " as OpenFace writes them. `frame` is 1-based, as in OpenFace (source frame
index + 1). Where mescreen differs from OpenFace, and why:

- `AUxx_r`: OpenFace's is a 0-5 intensity regressed on DISFA-style labels; mescreen estimates AU
  presence only, so `AUxx_r` is its person-normalised probability times 5: the same scale, for
  loaders that expect it, but NOT a FACS intensity.
- `AUxx_c`: 1 where the AU is active (`FrameSeries.au_active`: the series' own per-AU
  thresholds, recorded with it), as OpenFace's presence column; AUs the detector does not read
  reliably are never 1.
- frames without a face have `success` 0 and zeros in every AU column (OpenFace's convention).
- after the AU columns, one column per emotion of the series (py-feat's names: `neutral`,
  `happiness`, ...): mescreen's per-frame emotion probabilities, empty where not read. OpenFace
  has none; loaders that select columns by name ignore them.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import IO, Sequence

import numpy as np

from mescreen.core.result import FrameSeries

#: OpenFace's intensity scale: AUxx_r = probability * R_SCALE.
R_SCALE = 5.0
_SEPARATOR = ", "
_OPENFACE_AU = re.compile(r"^\s*AU(\d{1,2})_([rc])\s*$")


def openface_au_column(au_name: str, kind: str) -> str:
    """mescreen's "AU4" -> OpenFace's "AU04_r" (kind "r") or "AU04_c" (kind "c")."""
    if kind not in ("r", "c"):
        raise ValueError(f"kind must be 'r' or 'c', not {kind!r}")
    return f"AU{int(au_name.upper().removeprefix('AU')):02d}_{kind}"


def au_from_openface_column(column: str) -> tuple[str, str] | None:
    """OpenFace's "AU04_r" -> ("AU4", "r"); None for a column that is not an AU column."""
    match = _OPENFACE_AU.match(column)
    return (f"AU{int(match.group(1))}", match.group(2)) if match else None


def openface_columns(au_names: Sequence[str], emotion_names: Sequence[str] = ()) -> list[str]:
    return (
        ["frame", "face_id", "timestamp", "confidence", "success"]
        + [openface_au_column(a, "r") for a in au_names]
        + [openface_au_column(a, "c") for a in au_names]
        + list(emotion_names)
    )


def _rows(series: FrameSeries) -> "list[list[str]]":
    prob = np.nan_to_num(series.au_prob.astype(np.float64), nan=0.0)
    present = series.au_active()
    rows = []
    for i in range(len(series)):
        found = bool(series.face_found[i])
        row = [
            str(int(series.frame_index[i]) + 1), "0", f"{series.time_s[i]:.3f}",
            f"{float(series.face_confidence[i]) if found else 0.0:.3f}", "1" if found else "0",
        ]
        row += [f"{v * R_SCALE:.2f}" if found else "0.00" for v in prob[i]]
        row += ["1" if p else "0" for p in present[i]]
        row += [f"{v:.4f}" if found and np.isfinite(v) else "" for v in series.emotion_prob[i]]
        rows.append(row)
    return rows


def write_openface_csv(series: FrameSeries, target: str | Path | IO[str]) -> None:
    """Write the series; its own AU thresholds decide the `_c` columns."""
    lines = [_SEPARATOR.join(openface_columns(series.au_names, series.emotion_names))]
    lines += [_SEPARATOR.join(row) for row in _rows(series)]
    text = "\n".join(lines) + "\n"
    if isinstance(target, (str, Path)):
        Path(target).write_text(text, encoding="utf-8")
    else:
        target.write(text)


def to_openface_text(series: FrameSeries) -> str:
    """The CSV as a string (for a download button)."""
    buffer = io.StringIO()
    write_openface_csv(series, buffer)
    return buffer.getvalue()

