# SMS to customers (the outbox). Short, and in GSM-7 where French allows it (é è à ù are
# GSM-7; ê â ô î û ç are not): one SMS of 160 characters each where possible.
# Locuteur natif: non attesté pour cette traduction; à faire relire par un locuteur natif du français.

sms-ticket-filed = { $category ->
    [outage] Signalement de coupure enregistré
    [new_connection] Demande de branchement enregistrée
    [hazard] Signalement de danger enregistré
   *[other] Réclamation enregistrée
  }. Réf { $ref }. { $category ->
    [hazard] Éloignez-vous: notre équipe arrive.
   *[other] { $due ->
        [none] Nous vous tiendrons informé par SMS.
       *[other] Traitement prévu avant le { $due }; nous vous tiendrons informé par SMS.
      }
  }
sms-outage-reported = Signalement de coupure enregistré. Réf { $ref }. { $restore ->
    [none] Nos équipes sont sur place; un SMS vous dira quand le service revient.
   *[other] Rétablissement prévu le { $restore }. Un SMS vous dira quand le service revient.
  }
sms-callback-requested = Demande de rappel enregistrée. Un agent vous appellera aux heures d'ouverture.
sms-ticket-status = { $category ->
    [new_connection] Demande
    [hazard] Alerte danger
   *[other] Réclamation
  } { $ref }: { $status ->
    [in_progress] en traitement. Nos équipes s'en occupent.
    [resolved] résolue. Le problème est-il réglé? Répondez 1 oui, 2 non.
    [closed] fermée. Merci de votre patience.
   *[open] rouverte. Nos équipes reprennent le dossier.
  }
sms-ticket-late = { $category ->
    [new_connection] Demande
    [hazard] Alerte danger
   *[other] Réclamation
  } { $ref }: nous avons pris du retard, veuillez nous en excuser. Elle est transmise à un responsable.
sms-planned-outage = Coupure { $service ->
    [water] d'eau
   *[electricity] d'électricité
  } programmée à { $area } le { $start }{ $end ->
    [none] .
   *[other] , jusqu'au { $end }.
  } Merci de prendre vos dispositions.
sms-outage-restored = Le service { $service ->
    [water] d'eau
   *[electricity] d'électricité
  } est rétabli à { $area }. Merci de votre patience.
sms-survey = Comment jugez-vous notre service? Répondez de 1 (mauvais) à 5 (excellent). STOP pour ne plus recevoir ces messages.
sms-survey-help = Pour répondre, envoyez un seul chiffre de 1 (mauvais) à 5 (excellent).
sms-opted-out = Vous ne recevrez plus nos annonces ni sondages. Les messages sur vos demandes restent envoyés.
sms-token-resend = Votre dernier code pour le compteur { $meter }: { $token }. Tapez-le sur le clavier du compteur.
# Words that opt a phone out, any case, separated by spaces.
sms-stop-words = STOP ARRET ARRÊT
