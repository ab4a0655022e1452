# Offered when the last session dropped mid-way (no last screen was sent).
resume-offer = Kipindi chako cha mwisho kilikatika.
    1. Endelea ulipoishia
    2. Anza upya
