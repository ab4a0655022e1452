# dalal - Wolof. Bind ci GSM-7 bu mana nekk (à é ñ baax; ë ó ŋ duñu ci GSM-7):
# xët GSM-7 mën na am 182 araf, xët UCS-2 80 rekk.
# Translation NOT written by a native Wolof speaker: must be reviewed by one before going live.

language-title = Langue/Lakk/Lugha
language-name = Wolof

pick-account-title = Ay kont yu bare ñoo am nimero bii. Tànnal benn:
account-item = { $account } ({ $service ->
    [water] ndox
   *[electricity] kuraan
  }, { $area })

main-title = Dalal ak jàmm. Tànnal:
main-bill = Xool sama faktiir
main-report-outage = Yegle ab dagg
main-follow-complaint = Topp sama plent
main-file-complaint = Def ab plent
main-area-outages = Dagg yi ci sama gox
main-change-language = Soppi lakk
main-callback = Ñu woo ma
main-more-services = Yeneen sarwiis
more-services-title = Yeneen sarwiis:
main-meter-reading = Yonnee index kontoor bi
main-hazard = Yegle ab musiba

verify-account-prompt = Bindal sa nimero kont (nimero rekk):
verify-meter-prompt = Bindal 4 nimero yu mujj yu sa kontoor:
verify-failed = Kont wala kontoor baaxul. Li des: { $attempts_left }
verify-locked = Jéem yi bare nañu. Jéemaatal ci kanam wala nga dem ci ajaas bi.
try-again = Jéemaat

bill-details = Faktiir { $period }
    Xaalis: { $amount }
    { $overdue ->
        [yes] Bisu fey weesu na: { $due }
       *[no] Bisu fey: { $due }
    }
    Nekkin: { $bill_status ->
        [paid] fey nañu ko
        [partially_paid] fey nañu ci lenn, des na { $balance }
       *[unpaid] feyagul
    }
bill-arrears = Li nga war fey lépp: { $total_due }
    Faktiir bu mujj { $period }
    Xaalis: { $amount }
    { $overdue ->
        [yes] Bisu fey weesu na: { $due }
       *[no] Bisu fey: { $due }
    }
    Nekkin: { $bill_status ->
        [paid] fey nañu ko
        [partially_paid] fey nañu ci lenn, des na { $balance }
       *[unpaid] feyagul
    }
no-bill = Amul benn faktiir ci kont bii.

meter-prompt = Bindal sa nimero kontoor:
meter-not-found = Gisuñu kontoor bi. Seetal nimero bi.
outage-confirm = Yegle dagg { $service ->
    [water] ndox
   *[electricity] kuraan
  } ci { $area }?
confirm-yes = Waaw
confirm-no = Déedéet

outage-known = { $status ->
    [suspected] Kiliyaan yu bare yegle nañu ab dagg ci { $area }. Sunu ekip yi xam nañu ko. Ref: { $ref }
   *[other] Xam nañu dagg bi ci { $area }, { $restoration ->
        [delayed] yeex na dellu, sunu ekip yi ngi ciy liggéey
        [unknown] sunu ekip yi ngi ciy liggéey
       *[expected] dina dellu { $restore }
    }. Bind nañu sa yegle. Ref: { $ref }
  }
outage-ticket = Jerejef, yegle nga dagg bi. Ref: { $ref }

tickets-title = Sa plent yi ubbeeku:
ticket-item = { $ref } { $category ->
      [outage] Dagg
      [billing_dispute] Faktiir
      [meter_fault] Kontoor yaqu na
      [new_connection] Bransmaa bu bees
      [quality_of_service] Baaxaay liggeey
      [reconnection] Dellu kuraan
      [hazard] Musiba
     *[other] Leneen
  }: { $late ->
    [yes] dafa yéex, ba { $sla }
   *[other] { $status ->
           [in_progress] ñu ngi ci
           [resolved] saafara nañu ko
           [closed] jeex na
          *[open] ubbeeku
       }, ba { $sla }
  }
enter-reference = Bindal ab ref
ref-prompt = Bindal ref bi (nimero rekk):
ticket-details = Ref { $ref }
    { $category ->
        [outage] Dagg
        [billing_dispute] Faktiir
        [meter_fault] Kontoor yaqu na
        [new_connection] Bransmaa bu bees
        [quality_of_service] Baaxaay liggeey
        [reconnection] Dellu kuraan
        [hazard] Musiba
       *[other] Leneen
    }: { $status ->
        [in_progress] ñu ngi ci
        [resolved] saafara nañu ko
        [closed] jeex na
       *[open] ubbeeku
    }
    { $late ->
        [yes] Dafa yéex: waroon na jeex ba { $sla }
       *[other] Ba: { $sla }
    }
    Li mujj: { $event ->
        [created] bind nañu ko
        [status] { $event_detail ->
            [in_progress] ñu ngi ci
            [resolved] saafara nañu ko
            [closed] jeex na
           *[open] ubbeeku waat
        }
        [escalated] yéegal nañu ko (tolluwaay { $event_detail })
        [customer_reply] sa tontu
        [customer_called_again] woowaat nga
        [note] sunu liggeeykat bind na ci
       *[other] yeesal nañu ko
    } ci { $event_at }
outage-report-details = Ref { $ref }: yegle dagg ci { $area }, { $restoration ->
    [restored] dellu na.
    [delayed] yeex na dellu, sunu ekip yi ngi ciy liggéey.
    [unknown] { $status ->
        [suspected] kiliyaan yu bare yegle nañu ko
       *[other] mu ngi dox
    }, sunu ekip yi ngi ciy liggéey.
   *[expected] { $status ->
        [scheduled] dinañu ko def
       *[other] mu ngi dox
    }. Dina dellu: { $restore }
  }
ref-typo = Ref { $typed_ref } am na njuumte. Seetal ko.
ref-not-found = Amul benn plent ak ref bii.
ref-malformed = Ref bi baaxul: bindal nimero yi rekk.

category-title = Lan mooy sa plent?
category-billing-dispute = Faktiir
category-meter-fault = Kontoor yaqu na
category-new-connection = Bransmaa bu bees
category-quality = Baaxaay liggeey
category-reconnection = Dellu kuraan
category-other = Leneen
complaint-confirm = Dëggal plent "{ $category ->
    [billing_dispute] Faktiir
    [meter_fault] Kontoor yaqu na
    [new_connection] Bransmaa bu bees
    [quality_of_service] Baaxaay liggeey
    [reconnection] Dellu kuraan
    [hazard] Musiba
   *[other] Leneen
  }"?
complaint-filed = Bind nañu sa plent. Ref: { $ref }. Tontu ba { $sla }.
complaint-already = Sa plent bii bind nañu ko ba noppi. Ref: { $ref }. Bind nañu ni woowaat nga.

outages-title = Dagg yi ci sa gox:
outage-item = { $service ->
    [water] Ndox
   *[electricity] Kuraan
  } { $kind ->
    [planned] dagg bu ñu waajal
   *[unplanned] dagg
  }: { $restoration ->
    [delayed] dale ci { $start }, yeex na dellu
   *[other] { $start } - { $end }
  }
no-outages = Amul benn dagg leegi walla bu ñu waajal ci sa gox.

callback-confirm = Ab ajaa dina la woo ci { $phone }. Nangu nga?
callback-done = Bind nañu sa laaj. Ab ajaa dina la woo.

nav-more = 98. Yeneen
nav-back = 0. Dellu
error-invalid-choice = Li nga tànn baaxul.
error-menu = Sarwiis bi jàppul leegi. Jéemaatal.
error-unavailable = Sarwiis bi jàppul. Jéemaatal ci kanam.
error-session-expired = Jamono ji jeex na. Dootal kod bi.
error-input-too-long = Li nga bind dafa gudd lool.
error-rate-limited = Laaj yi bare nañu ci nimero bii. Jéemaatal ci benn simili.

# --- Code prepaye ak index kontoor ---
prepaid-title = Kontoor bu prepaye. Tànnal:
prepaid-last-tokens = Sama code yu mujj yi
prepaid-resend-token = Yonnee ma sama code bu mujj ci SMS
tokens-title = Say code yu mujj:
token-item = { $date }: { $amount }, { $units } { $service ->
    [water] m3
   *[other] kWh
  }
    { $token }
token-sent = Sa code bu mujj (jend nga ko { $token_date }) yonnee nanu la ko ci SMS.
no-tokens = Gisuñu benn code bu ñu jend ngir kontoor bii.
reading-prompt = { $has_last_reading ->
    [yes] Index bu mujj: { $last_reading } ci { $last_read_on }. Bindal index sa kontoor (nimero rekk):
   *[other] Bindal index sa kontoor (nimero rekk):
  }
reading-saved = Jerejef, index { $reading } bind nanu ko. Ref: { $ref }
reading-lower = Index bii gen na tuuti index bu mujj bi ({ $last_reading }). Seetal sa kontoor.
reading-too-high = Index bii epp na lool li nga baax a jefandikoo. Seetal nimero yi.
reading-prepaid = Kontoor bu prepaye soxlawul index.

# --- Laaj bransmaa bu bees (menu bu mag 9, plent 3) ------------------------------------------
# Not written by a native Wolof speaker either: to be reviewed with the rest.
main-new-connection = Bransmaa bu bees
connection-service-title = Bransmaa bu bees. Ban sarwiis?
connection-electricity = Kuraan
connection-water = Ndox
connection-where = Bransmaa { $service ->
    [water] ndox
   *[electricity] kuraan
  } bu bees: ci ban gox?
connection-area-mine = { $account_area } (gox u sa kont)
connection-area-other = Beneen gox
connection-area-prompt = Bindal benn pàcc ci turu gox bi (araf yi, walla nimero yi: 2 ngir ABC, 3 ngir DEF...):
connection-areas-title = Ay gox yu bare ñoo ko am. Tànnal sa gox:
connection-area-item = { $area } ({ $region })
connection-area-not-found = Amul benn gox ak tur wii. Seetal ko te jéemaat.
connection-area-too-many = Gox yu bare lool ñoo ko am. Bindal yeneen araf ci tur wi.
connection-confirm = Laaj bransmaa { $service ->
    [water] ndox
   *[electricity] kuraan
  } bu bees ci { $area }?
connection-filed = Bind nañu sa laaj bransmaa. Ref: { $ref }. Tontu ba { $sla }.
connection-already = Am nga laaj bransmaa bu ñu jeexalagul ci lii. Ref: { $ref }. Bind nañu ni woowaat nga.

# --- Yegle ab musiba ci mbedd mi (yeneen sarwiis 3) --------------------------------------------
# Not written by a native Wolof speaker either: to be reviewed with the rest.
hazard-kind-title = Yegle ab musiba. Lan la?
hazard-power-line = Fil kuraan bu daanu
hazard-exposed-cable = Fil kuraan bu ubbiku
hazard-water-leak = Ndox muy tuuru ci mbedd mi
hazard-where = Fan la musiba bi nekk?
hazard-confirm = Yegle { $hazard ->
    [power_line] fil kuraan bu daanu
    [exposed_cable] fil kuraan bu ubbiku
   *[water_leak] ndox muy tuuru
  } ci { $area }?
hazard-filed = Yegle nga ko: Ref { $ref }. Bul ko jege; sunu ekip a ngi dikk.
