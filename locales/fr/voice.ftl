# dalal - français : ce que seule la ligne vocale dit.
# Locuteur natif: non attesté pour cette traduction; à faire relire par un locuteur natif du français.

voice-press = tapez
voice-more = Pour plus de choix, tapez 9.
voice-back = Pour revenir en arrière, tapez dièse.
voice-repeat = Pour réécouter, tapez étoile.
voice-agent = Pour parler à un conseiller, tapez 0.
voice-agent-hours = { $days ->
    [none] Nos conseillers ne prennent pas d'appels en ce moment.
   *[other] Nos conseillers répondent de { $open } heures à { $close } heures, { $days ->
        [every] tous les jours
        [one] le { $first ->
             [1] lundi
             [2] mardi
             [3] mercredi
             [4] jeudi
             [5] vendredi
             [6] samedi
            *[7] dimanche
        }
        [range] du { $first ->
             [1] lundi
             [2] mardi
             [3] mercredi
             [4] jeudi
             [5] vendredi
             [6] samedi
            *[7] dimanche
        } au { $last ->
             [1] lundi
             [2] mardi
             [3] mercredi
             [4] jeudi
             [5] vendredi
             [6] samedi
            *[7] dimanche
        }
       *[several] certains jours de la semaine seulement
    }.
  }
voice-agent-transfer = Veuillez patienter, nous vous passons un conseiller.
voice-no-input = Nous n'avons pas entendu votre choix.
voice-offer = Nous n'avons pas compris votre choix. Pour être rappelé par un conseiller, tapez 1. Pour enregistrer votre réclamation, tapez 2.
voice-record-prompt = Enregistrez votre réclamation après le bip. Tapez dièse quand vous avez fini.
voice-record-done = Merci, votre réclamation est enregistrée. Référence : { $ref }.
voice-finish-hash = Puis tapez dièse.
voice-goodbye = Merci de votre appel. Au revoir.
voice-survey = Avant de raccrocher : comment jugez-vous ce service ? Tapez de 1, mauvais, à 5, excellent.
voice-survey-thanks = Merci pour votre avis.
voice-resume-offer = Votre dernier appel a été coupé. Pour reprendre où vous en étiez, tapez 1. Pour recommencer, tapez 2.
