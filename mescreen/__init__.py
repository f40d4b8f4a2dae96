"""mescreen: facial action units, expressions and depression-associated indicators from
recorded interviews. A screening aid, not a diagnosis.

Sub-packages: `core` (the pure analysis library), `training` (model training and evaluation),
`store` (the database), `service` (analyse a recording for a patient and store it), `app`
(the Streamlit dashboard), `cli` (the `mescreen` command), `batch` (many recordings on Dask).
"""

__version__ = "0.1.0"
