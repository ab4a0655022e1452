# Offered when the last session dropped mid-way (no last screen was sent).
resume-offer = Your last session was cut off.
    1. Continue where you left off
    2. Start over
