# dalal - English.
# Native speaker: not on record for this translation; have a native English speaker review it.

language-title = Langue/Lakk/Lugha
language-name = English

pick-account-title = Several accounts use this number. Choose one:
account-item = { $account } ({ $service ->
    [water] water
   *[electricity] electricity
  }, { $area })

main-title = Welcome. Choose:
main-bill = Check my bill
main-report-outage = Report an outage
main-follow-complaint = Follow a complaint
main-file-complaint = File a complaint
main-area-outages = Outages in my area
main-change-language = Change language
main-callback = Call me back
main-more-services = More services
more-services-title = More services:
main-meter-reading = Send a meter reading
main-hazard = Report a danger

verify-account-prompt = Enter your account number (digits):
verify-meter-prompt = Enter the last 4 digits of your meter number:
verify-failed = Account or meter does not match. Attempts left: { $attempts_left }
verify-locked = Too many attempts. Try again later or visit an agency.
try-again = Try again

bill-details = Bill { $period }
    Amount: { $amount }
    { $overdue ->
        [yes] OVERDUE since { $due }
       *[no] Due: { $due }
    }
    Status: { $bill_status ->
        [paid] paid
        [partially_paid] partly paid, balance { $balance }
       *[unpaid] unpaid
    }
bill-arrears = Total due, all bills: { $total_due }
    Latest bill { $period }
    Amount: { $amount }
    { $overdue ->
        [yes] OVERDUE since { $due }
       *[no] Due: { $due }
    }
    Status: { $bill_status ->
        [paid] paid
        [partially_paid] partly paid, balance { $balance }
       *[unpaid] unpaid
    }
no-bill = No bill found for this account.

meter-prompt = Enter your meter number:
meter-not-found = Meter not found. Check the number.
outage-confirm = Report a { $service ->
    [water] water
   *[electricity] power
  } outage in { $area }?
confirm-yes = Yes
confirm-no = No

outage-known = { $status ->
    [suspected] Many customers report an outage in { $area }. Our teams are informed. Ref: { $ref }
   *[other] Known outage in { $area }, { $restoration ->
        [delayed] restoration delayed, our teams are working on it
        [unknown] our teams are working on it
       *[expected] expected back { $restore }
    }. Your report is recorded. Ref: { $ref }
  }
outage-ticket = Thank you, outage reported. Ref: { $ref }

tickets-title = Your open complaints:
ticket-item = { $ref } { $category ->
      [outage] Outage
      [billing_dispute] Billing dispute
      [meter_fault] Meter fault
      [new_connection] New connection
      [quality_of_service] Quality of service
      [reconnection] Reconnection
      [hazard] Danger report
     *[other] Other
  }: { $late ->
    [yes] late, was due { $sla }
   *[other] { $status ->
           [in_progress] in progress
           [resolved] resolved
           [closed] closed
          *[open] open
       }, due { $sla }
  }
enter-reference = Enter a reference
ref-prompt = Enter the reference (digits):
ticket-details = Ref { $ref }
    { $category ->
        [outage] Outage
        [billing_dispute] Billing dispute
        [meter_fault] Meter fault
        [new_connection] New connection
        [quality_of_service] Quality of service
        [reconnection] Reconnection
        [hazard] Danger report
       *[other] Other
    }: { $status ->
        [in_progress] in progress
        [resolved] resolved
        [closed] closed
       *[open] open
    }
    { $late ->
        [yes] Late: was due { $sla }
       *[other] Due: { $sla }
    }
    Last: { $event ->
        [created] filed
        [status] status: { $event_detail ->
            [in_progress] in progress
            [resolved] resolved
            [closed] closed
           *[open] reopened
        }
        [escalated] escalated (level { $event_detail })
        [customer_reply] your answer
        [customer_called_again] you called again
        [note] note by our staff
       *[other] update
    } on { $event_at }
outage-report-details = Ref { $ref }: outage report in { $area }, { $restoration ->
    [restored] restored.
    [delayed] restoration delayed, our teams are working on it.
    [unknown] { $status ->
        [suspected] reported by many customers
       *[other] ongoing
    }, our teams are working on it.
   *[expected] { $status ->
        [scheduled] planned
       *[other] ongoing
    }. Expected back: { $restore }
  }
ref-typo = Reference { $typed_ref } has a typing mistake. Please check it.
ref-not-found = No complaint has this reference.
ref-malformed = Invalid reference: type the digits only.

category-title = What is your complaint about?
category-billing-dispute = Billing dispute
category-meter-fault = Meter fault
category-new-connection = New connection
category-quality = Quality of service
category-reconnection = Reconnection
category-other = Other
complaint-confirm = Confirm complaint "{ $category ->
    [billing_dispute] Billing dispute
    [meter_fault] Meter fault
    [new_connection] New connection
    [quality_of_service] Quality of service
    [reconnection] Reconnection
    [hazard] Danger report
   *[other] Other
  }"?
complaint-filed = Complaint recorded. Ref: { $ref }. Answer by { $sla }.
complaint-already = This complaint is already registered. Ref: { $ref }. We have noted your call.

outages-title = Outages in your area:
outage-item = { $service ->
    [water] Water
   *[electricity] Power
  } { $kind ->
    [planned] planned
   *[unplanned] outage
  }: { $restoration ->
    [delayed] since { $start }, restoration delayed
   *[other] { $start } - { $end }
  }
no-outages = No current or planned outage in your area.

callback-confirm = An agent will call you back on { $phone }. Confirm?
callback-done = Request recorded. An agent will call you back.

nav-more = 98. More
nav-back = 0. Back
error-invalid-choice = Invalid choice.
error-menu = Service temporarily unavailable. Please try again.
error-unavailable = Service unavailable. Please try again later.
error-session-expired = Session expired. Please dial the code again.
error-input-too-long = Input too long.
error-rate-limited = Too many requests from this number. Please try again in a minute.

# --- Prepaid tokens and meter readings ---
prepaid-title = Prepaid meter. Choose:
prepaid-last-tokens = My last tokens
prepaid-resend-token = Resend my last token by SMS
tokens-title = Your last tokens:
token-item = { $date }: { $amount }, { $units } { $service ->
    [water] m3
   *[other] kWh
  }
    { $token }
token-sent = Your last token (bought { $token_date }) is sent to you by SMS.
no-tokens = No token purchase found for this meter.
reading-prompt = { $has_last_reading ->
    [yes] Last reading: { $last_reading } on { $last_read_on }. Enter your meter index (digits only):
   *[other] Enter your meter index (digits only):
  }
reading-saved = Thank you, reading { $reading } recorded. Ref: { $ref }
reading-lower = This is lower than the last reading ({ $last_reading }). Please check your meter.
reading-too-high = This is far above your usual use. Please check the digits.
reading-prepaid = A prepaid meter needs no reading.

# --- New connection request (more services 2, complaint category 3) ------------------------------
main-new-connection = New connection
connection-service-title = New connection. Which service?
connection-electricity = Electricity
connection-water = Water
connection-where = Where do you want the new { $service ->
    [water] water
   *[electricity] electricity
  } connection?
connection-area-mine = { $account_area } (your account's area)
connection-area-other = Another area
connection-area-prompt = Type part of the area name (letters, or the digits of their keys: 2 for ABC, 3 for DEF...):
connection-areas-title = Several areas match. Choose yours:
connection-area-item = { $area } ({ $region })
connection-area-not-found = No area has this name. Check it and try again.
connection-area-too-many = Too many areas match. Type more of the name.
connection-confirm = Request a new { $service ->
    [water] water
   *[electricity] electricity
  } connection in { $area }?
connection-filed = New connection request recorded. Ref: { $ref }. Answer by { $sla }.
connection-already = You already have a pending request for this. Ref: { $ref }. We have noted your call.

# --- Report a danger in the street (more services 3) -------------------------------------------
hazard-kind-title = Report a danger. What is it?
hazard-power-line = Fallen power line
hazard-exposed-cable = Exposed electric cable
hazard-water-leak = Water leak in the street
hazard-where = Where is the danger?
hazard-confirm = Report { $hazard ->
    [power_line] a fallen power line
    [exposed_cable] an exposed electric cable
   *[water_leak] a water leak
  } in { $area }?
hazard-filed = Reported: ref { $ref }. Keep away; our team is coming.
