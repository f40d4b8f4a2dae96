"""Training and subject-independent evaluation of mescreen's models (one module per model)."""
