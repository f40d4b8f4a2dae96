"""Batch analysis of many recordings on a Dask cluster (`mescreen batch MANIFEST.csv`)."""
