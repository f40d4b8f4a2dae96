"""Episodes: facial movement over time.

Takes the per-frame series (crops, AU probabilities, emotion trace); returns episodes with onset,
apex and offset. `spotting` finds micro- and macro-movements from the crops, `expressions` finds
expressions from the per-frame emotion trace, and `clusters` sub-divides each emotion's episodes
into ME clusters by K-means with k chosen by silhouette (the seed paper's Table 10).
"""
