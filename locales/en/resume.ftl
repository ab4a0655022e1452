# Offered when the last session dropped mid-way (no last screen was sent).
# Native speaker: not on record for this translation; have a native English speaker review it.
resume-offer = Your last session was cut off.
    1. Continue where you left off
    2. Start over
