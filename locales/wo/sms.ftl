# SMS to customers (the outbox). Short, and in GSM-7: `ë` and `ŋ` are not GSM-7 and would
# halve what one SMS holds, so these texts write `e` and `n` for them, as SMS usage does.
# Translation NOT written by a native Wolof speaker: must be reviewed by one before going live.

sms-ticket-filed = { $category ->
    [outage] Bind nanu sa yegle dagg
    [new_connection] Bind nanu sa laaj bransmaa
    [hazard] Bind nanu sa yegle musiba
   *[other] Bind nanu sa plent
  }. Ref { $ref }. { $category ->
    [hazard] Bul ko jege: sunu ekip a ngi dikk.
   *[other] { $due ->
        [none] Dinanu la yegge ci SMS.
       *[other] Dinanu ko saafara ba { $due }; dinanu la yegge ci SMS.
      }
  }
sms-outage-reported = Bind nanu sa yegle dagg. Ref { $ref }. { $restore ->
    [none] Sunu ekip yi ngi ci; SMS dina la wax bu liggeey bi delsee.
   *[other] Dina delsi { $restore }. SMS dina la wax bu liggeey bi delsee.
  }
sms-callback-requested = Bind nanu sa laaj. Ab ajan dina la woo ci waxtu liggeey.
sms-ticket-status = { $category ->
    [new_connection] Laaj
    [hazard] Yegle musiba
   *[other] Plent
  } { $ref }: { $status ->
    [in_progress] nu ngi ci.
    [resolved] saafara nanu ko. Jafe-jafe bi jeex na? Tontul 1 waaw, 2 deedeet.
    [closed] jeex na. Jerejef ci sa muyu.
   *[open] ubbeeku na ko ci kanam. Sunu ekip yi ngi ci.
  }
sms-ticket-late = { $category ->
    [new_connection] Laaj
    [hazard] Yegle musiba
   *[other] Plent
  } { $ref }: yeex nanu, baal nu. Yonnee nanu ko ci ab njiit.
sms-planned-outage = Dagg { $service ->
    [water] ndox
   *[electricity] kuraan
  } ci { $area } { $start }{ $end ->
    [none] .
   *[other]  ba { $end }.
  } Waajalu.
sms-outage-restored = { $service ->
    [water] Ndox
   *[electricity] Kuraan
  } dellusi na ci { $area }. Jerejef ci sa muyu.
sms-survey = Naka nga gise sunu liggeey? Tontul 1 (bon) ba 5 (baax lool). STOP ngir bayi bataaxal yii.
sms-survey-help = Ngir tontu, yonnee benn nimero rekk, 1 (bon) ba 5 (baax lool).
sms-opted-out = Doo jot sunu yegle ak sunu laaj yi. Bataaxal yu jem ci sa laaj yi dinanu ko yonnee.
sms-token-resend = Sa code bu mujj ngir kontoor { $meter }: { $token }. Bindal ko ci klawiye kontoor bi.
# Words that opt a phone out, any case, separated by spaces.
sms-stop-words = STOP BAYI
