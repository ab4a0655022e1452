# Offered when the last session dropped mid-way (no last screen was sent).
# Locuteur natif: non attesté pour cette traduction; à faire relire par un locuteur natif du français.
resume-offer = Votre dernière session a été coupée.
    1. Reprendre où vous étiez
    2. Recommencer
