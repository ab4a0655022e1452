# Offered when the last session dropped mid-way (no last screen was sent).
# Translation NOT written by a native Swahili speaker: must be reviewed by one before going live.
resume-offer = Kipindi chako cha mwisho kilikatika.
    1. Endelea ulipoishia
    2. Anza upya
