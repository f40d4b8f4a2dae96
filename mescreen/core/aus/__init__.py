"""Action units: per-frame AU probabilities and whether each AU is active.

Takes the face crops, the landmark geometry and the per-frame emotion network's face features;
returns per-frame AU probabilities normalised to the person filmed (`stage`), read by the
`detector` (HOG + face shape + face features, one linear model per AU) against the person's
neutral face (`baseline`). `activity` is the one owner of "is this AU active?"; `facs` parses the
datasets' FACS code strings.
"""
