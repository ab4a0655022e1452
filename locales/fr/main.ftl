# dalal - français. Restez en GSM-7 quand c'est possible (é è à ù ok; ê ç ô â î û non) :
# une page GSM-7 tient 182 caractères, une page UCS-2 seulement 80.
# Locuteur natif: non attesté pour cette traduction; à faire relire par un locuteur natif du français.

language-title = Langue/Lakk/Lugha
language-name = Français

pick-account-title = Plusieurs comptes sont liés à ce numéro. Choisissez:
account-item = { $account } ({ $service ->
    [water] eau
   *[electricity] électricité
  }, { $area })

main-title = Bienvenue. Choisissez:
main-bill = Ma facture
main-report-outage = Signaler une coupure
main-follow-complaint = Suivre une réclamation
main-file-complaint = Faire une réclamation
main-area-outages = Coupures dans mon quartier
main-change-language = Changer de langue
main-callback = Etre rappelé
main-more-services = Autres services
more-services-title = Autres services:
main-meter-reading = Relevé de compteur
main-hazard = Signaler un danger

verify-account-prompt = Entrez votre numéro de compte (chiffres):
verify-meter-prompt = Entrez les 4 derniers chiffres de votre compteur:
verify-failed = Compte ou compteur incorrect. Essais restants: { $attempts_left }
verify-locked = Trop d'essais. Réessayez plus tard ou rendez-vous en agence.
try-again = Réessayer

bill-details = Facture { $period }
    Montant: { $amount }
    { $overdue ->
        [yes] EN RETARD depuis le { $due }
       *[no] A payer avant le { $due }
    }
    Statut: { $bill_status ->
        [paid] payée
        [partially_paid] payée en partie, reste { $balance }
       *[unpaid] non payée
    }
bill-arrears = Total à payer, toutes factures: { $total_due }
    Dernière facture { $period }
    Montant: { $amount }
    { $overdue ->
        [yes] EN RETARD depuis le { $due }
       *[no] A payer avant le { $due }
    }
    Statut: { $bill_status ->
        [paid] payée
        [partially_paid] payée en partie, reste { $balance }
       *[unpaid] non payée
    }
no-bill = Aucune facture pour ce compte.

meter-prompt = Entrez votre numéro de compteur:
meter-not-found = Compteur introuvable. Vérifiez le numéro.
outage-confirm = Signaler une coupure { $service ->
    [water] d'eau
   *[electricity] d'électricité
  } à { $area }?
confirm-yes = Oui
confirm-no = Non

outage-known = { $status ->
    [suspected] Beaucoup de clients signalent une coupure à { $area }. Nos équipes sont prévenues. Réf: { $ref }
   *[other] Coupure connue à { $area }, { $restoration ->
        [delayed] rétablissement retardé, nos équipes y travaillent
        [unknown] nos équipes y travaillent
       *[expected] rétablissement prévu le { $restore }
    }. Votre signalement est enregistré. Réf: { $ref }
  }
outage-ticket = Merci, coupure signalée. Réf: { $ref }

tickets-title = Vos réclamations en cours:
ticket-item = { $ref } { $category ->
      [outage] Coupure
      [billing_dispute] Litige facture
      [meter_fault] Compteur en panne
      [new_connection] Nouveau branchement
      [quality_of_service] Qualité de service
      [reconnection] Rétablissement
      [hazard] Danger signalé
     *[other] Autre
  }: { $late ->
    [yes] en retard, délai { $sla }
   *[other] { $status ->
           [in_progress] en traitement
           [resolved] résolue
           [closed] fermée
          *[open] ouverte
       }, délai { $sla }
  }
enter-reference = Entrer une référence
ref-prompt = Entrez la référence (chiffres):
ticket-details = Réf { $ref }
    { $category ->
        [outage] Coupure
        [billing_dispute] Litige facture
        [meter_fault] Compteur en panne
        [new_connection] Nouveau branchement
        [quality_of_service] Qualité de service
        [reconnection] Rétablissement
        [hazard] Danger signalé
       *[other] Autre
    }: { $status ->
        [in_progress] en traitement
        [resolved] résolue
        [closed] fermée
       *[open] ouverte
    }
    { $late ->
        [yes] En retard: délai dépassé ({ $sla })
       *[other] Délai: { $sla }
    }
    Dernier suivi: { $event ->
        [created] déposée
        [status] statut { $event_detail ->
            [in_progress] en traitement
            [resolved] résolue
            [closed] fermée
           *[open] rouverte
        }
        [escalated] escaladée (niveau { $event_detail })
        [customer_reply] votre réponse
        [customer_called_again] vous avez rappelé
        [note] note de nos agents
       *[other] mise à jour
    } le { $event_at }
outage-report-details = Réf { $ref }: signalement de coupure à { $area }, { $restoration ->
    [restored] rétablie.
    [delayed] rétablissement retardé, nos équipes y travaillent.
    [unknown] { $status ->
        [suspected] signalée par de nombreux clients
       *[other] en cours
    }, nos équipes y travaillent.
   *[expected] { $status ->
        [scheduled] programmée
       *[other] en cours
    }. Rétablissement prévu: { $restore }
  }
ref-typo = La référence { $typed_ref } contient une erreur de frappe. Vérifiez-la.
ref-not-found = Aucune réclamation avec cette référence.
ref-malformed = Référence invalide: tapez seulement les chiffres.

category-title = Motif de la réclamation:
category-billing-dispute = Contester une facture
category-meter-fault = Compteur en panne
category-new-connection = Nouveau branchement
category-quality = Qualité de service
category-reconnection = Rétablissement
category-other = Autre
complaint-confirm = Confirmer la réclamation "{ $category ->
    [billing_dispute] Contester une facture
    [meter_fault] Compteur en panne
    [new_connection] Nouveau branchement
    [quality_of_service] Qualité de service
    [reconnection] Rétablissement
    [hazard] Danger signalé
   *[other] Autre
  }"?
complaint-filed = Réclamation enregistrée. Réf: { $ref }. Réponse avant le { $sla }.
complaint-already = Cette réclamation est déjà enregistrée. Réf: { $ref }. Nous avons noté votre appel.

outages-title = Coupures dans votre quartier:
outage-item = { $service ->
    [water] Eau
   *[electricity] Electricité
  } { $kind ->
    [planned] programmée
   *[unplanned] en cours
  }: { $restoration ->
    [delayed] depuis le { $start }, rétablissement retardé
   *[other] { $start } - { $end }
  }
no-outages = Aucune coupure en cours ou prévue dans votre quartier.

callback-confirm = Un agent vous rappellera au { $phone }. Confirmer?
callback-done = Demande enregistrée. Un agent vous rappellera.

nav-more = 98. Suite
nav-back = 0. Retour
error-invalid-choice = Choix invalide.
error-menu = Service momentanément indisponible. Merci de réessayer.
error-unavailable = Service indisponible. Merci de réessayer plus tard.
error-session-expired = Session expirée. Merci de recomposer le code.
error-input-too-long = Saisie trop longue.
error-rate-limited = Trop de demandes depuis ce numéro. Réessayez dans une minute.

# --- Codes prépayés et relevés de compteur ---
prepaid-title = Compteur prépayé. Choisissez:
prepaid-last-tokens = Mes derniers codes
prepaid-resend-token = Renvoyer mon dernier code par SMS
tokens-title = Vos derniers codes:
token-item = { $date }: { $amount }, { $units } { $service ->
    [water] m3
   *[other] kWh
  }
    { $token }
token-sent = Votre dernier code (acheté le { $token_date }) vous est envoyé par SMS.
no-tokens = Aucun achat de code trouvé pour ce compteur.
reading-prompt = { $has_last_reading ->
    [yes] Dernier relevé: { $last_reading } le { $last_read_on }. Tapez l'index de votre compteur (chiffres seulement):
   *[other] Tapez l'index de votre compteur (chiffres seulement):
  }
reading-saved = Merci, relevé { $reading } enregistré. Réf: { $ref }
reading-lower = Cet index est inférieur au dernier relevé ({ $last_reading }). Vérifiez votre compteur.
reading-too-high = Cet index dépasse de loin votre consommation habituelle. Vérifiez les chiffres.
reading-prepaid = Un compteur prépayé n'a pas besoin de relevé.

# --- Demande de nouveau branchement (menu principal 9, motif de réclamation 3) ---------------
main-new-connection = Nouveau branchement
connection-service-title = Nouveau branchement. Quel service?
connection-electricity = Électricité
connection-water = Eau
connection-where = Où voulez-vous le branchement { $service ->
    [water] d'eau
   *[electricity] d'électricité
  }?
connection-area-mine = { $account_area } (quartier de votre compte)
connection-area-other = Un autre quartier
connection-area-prompt = Tapez une partie du nom du quartier (lettres, ou chiffres de leurs touches: 2 pour ABC, 3 pour DEF...):
connection-areas-title = Plusieurs quartiers correspondent. Choisissez:
connection-area-item = { $area } ({ $region })
connection-area-not-found = Aucun quartier ne porte ce nom. Vérifiez-le et réessayez.
connection-area-too-many = Trop de quartiers correspondent. Tapez davantage du nom.
connection-confirm = Demander un branchement { $service ->
    [water] d'eau
   *[electricity] d'électricité
  } à { $area }?
connection-filed = Demande de branchement enregistrée. Réf: { $ref }. Réponse avant le { $sla }.
connection-already = Vous avez déjà une demande en cours pour ce branchement. Réf: { $ref }. Nous avons noté votre appel.

# --- Signaler un danger dans la rue (autres services 3) ----------------------------------------
hazard-kind-title = Signaler un danger. Lequel?
hazard-power-line = Fil électrique tombé
hazard-exposed-cable = Fil électrique dénudé
hazard-water-leak = Fuite d'eau dans la rue
hazard-where = Où est le danger?
hazard-confirm = Signaler { $hazard ->
    [power_line] un fil électrique tombé
    [exposed_cable] un fil électrique dénudé
   *[water_leak] une fuite d'eau
  } à { $area }?
hazard-filed = Signalé: réf { $ref }. Éloignez-vous; notre équipe arrive.
