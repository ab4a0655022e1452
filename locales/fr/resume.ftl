# Offered when the last session dropped mid-way (no last screen was sent).
resume-offer = Votre dernière session a été coupée.
    1. Reprendre où vous étiez
    2. Recommencer
