"""Emotion: which emotion the face shows.

Two readers: `frame` names the emotion of every frame (8 FER+ classes, the trace that is stored);
`micro` classifies a micro-expression from its onset->apex optical flow (the seed paper's network).
`au_mapping` maps a combination of active AUs to an emotion (the paper's AU -> emotion step);
`table3` builds the seed paper's Table 3 network layout that both readers' networks derive from;
`recall` says how well the per-frame model reads each emotion (its FER+ test recall), which decides
whether an emotion's share is judged at all.
"""
