"""mescreen's analysis library: video -> face -> AUs -> ME episodes -> emotion -> clusters -> screening.

Pure and typed: nothing here imports Streamlit or the database.
"""

__version__ = "0.1.0"

INTENDED_USE = (
    "mescreen is a research screening aid. It describes facial behaviour; it does not diagnose "
    "depression or any other condition. Results must be interpreted by a qualified clinician "
    "together with a clinical interview and validated instruments."
)
