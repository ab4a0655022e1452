# SMS to customers (the outbox). Short, GSM-7: one SMS of 160 characters each where possible.
# Native speaker: not on record for this translation; have a native English speaker review it.

sms-ticket-filed = { $category ->
    [outage] Outage report received
    [new_connection] New connection request received
    [hazard] Danger report received
   *[other] Complaint received
  }. Ref { $ref }. { $category ->
    [hazard] Keep away from it: our team is on its way.
   *[other] { $due ->
        [none] We will keep you informed by SMS.
       *[other] We aim to resolve it by { $due } and will keep you informed by SMS.
      }
  }
sms-outage-reported = Outage report received. Ref { $ref }. { $restore ->
    [none] Our teams are on it; an SMS will tell you when service is back.
   *[other] Restoration expected { $restore }. An SMS will tell you when service is back.
  }
sms-callback-requested = Call-back request received. An agent will call you during opening hours.
sms-ticket-status = { $category ->
    [new_connection] Request
    [hazard] Danger report
   *[other] Complaint
  } { $ref }: { $status ->
    [in_progress] in progress. Our teams are working on it.
    [resolved] resolved. Was it solved? Reply 1 yes, 2 no.
    [closed] closed. Thank you for your patience.
   *[open] reopened. Our teams are on it again.
  }
sms-ticket-late = { $category ->
    [new_connection] Request
    [hazard] Danger report
   *[other] Complaint
  } { $ref }: we are running late, and we apologise. It has been passed to a supervisor.
sms-planned-outage = Planned { $service ->
    [water] water
   *[electricity] power
  } outage in { $area } from { $start }{ $end ->
    [none] .
   *[other]  to { $end }.
  } Please plan ahead.
sms-outage-restored = { $service ->
    [water] Water
   *[electricity] Power
  } is back in { $area }. Thank you for your patience.
sms-survey = How was our service? Reply 1 (poor) to 5 (excellent). Reply STOP to stop these messages.
sms-survey-help = To answer, send one digit from 1 (poor) to 5 (excellent).
sms-opted-out = You will no longer get our notices or surveys. Messages about your own requests still come.
sms-token-resend = Your last token for meter { $meter }: { $token }. Enter it on the meter keypad.
# Words that opt a phone out, any case, separated by spaces.
sms-stop-words = STOP UNSUBSCRIBE
