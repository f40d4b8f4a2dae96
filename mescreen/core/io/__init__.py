"""Reading and writing: media files in, tables out.

`video` streams frames with timestamps and probes a file (`container` reads which streams it
declares); `openface_csv` writes a session's series as OpenFace-style columns, `peer_import` reads
OpenFace and py-feat output as a mescreen series; `safe_csv` writes CSV a spreadsheet never runs
as formulas.
"""
