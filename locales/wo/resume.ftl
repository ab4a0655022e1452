# Offered when the last session dropped mid-way (no last screen was sent).
# Not written by a native speaker: to be reviewed.
# Translation NOT written by a native Wolof speaker: must be reviewed by one before going live.
resume-offer = Sa jokkoo bu mujj dagg na.
    1. Jëfandikoo fa nga yemoon
    2. Tàmbali waat
