"""Screening: depression-associated indicators of one session and the figures shown.

Takes a session's series, episodes and clusters; returns a `Screening` (indicators, each judged by a
versioned rule in `config/`, combined into a level) from `indicators`. `figures` owns every
clinical figure more than one screen shows (emotion shares, an episode's emotion, change over
time); `intervals` gives their 95% intervals.
"""
