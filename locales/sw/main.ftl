# dalal - Kiswahili.
# Translation NOT written by a native Swahili speaker: must be reviewed by one before going live.

language-title = Langue/Lakk/Lugha
language-name = Kiswahili

pick-account-title = Akaunti kadhaa zinatumia namba hii. Chagua moja:
account-item = { $account } ({ $service ->
    [water] maji
   *[electricity] umeme
  }, { $area })

main-title = Karibu. Chagua:
main-bill = Angalia bili yangu
main-report-outage = Ripoti kukatika kwa huduma
main-follow-complaint = Fuatilia malalamiko
main-file-complaint = Wasilisha malalamiko
main-area-outages = Kukatika katika eneo langu
main-change-language = Badilisha lugha
main-callback = Nipigie simu
main-more-services = Huduma nyingine
more-services-title = Huduma nyingine:
main-meter-reading = Tuma usomaji wa mita
main-hazard = Ripoti hatari

verify-account-prompt = Weka namba ya akaunti yako (tarakimu):
verify-meter-prompt = Weka tarakimu 4 za mwisho za mita yako:
verify-failed = Akaunti au mita si sahihi. Majaribio yaliyobaki: { $attempts_left }
verify-locked = Majaribio mengi mno. Jaribu baadaye au tembelea ofisi yetu.
try-again = Jaribu tena

bill-details = Bili { $period }
    Kiasi: { $amount }
    { $overdue ->
        [yes] IMECHELEWA tangu { $due }
       *[no] Tarehe ya mwisho: { $due }
    }
    Hali: { $bill_status ->
        [paid] imelipwa
        [partially_paid] imelipwa sehemu, salio { $balance }
       *[unpaid] haijalipwa
    }
bill-arrears = Jumla ya deni, bili zote: { $total_due }
    Bili ya mwisho { $period }
    Kiasi: { $amount }
    { $overdue ->
        [yes] IMECHELEWA tangu { $due }
       *[no] Tarehe ya mwisho: { $due }
    }
    Hali: { $bill_status ->
        [paid] imelipwa
        [partially_paid] imelipwa sehemu, salio { $balance }
       *[unpaid] haijalipwa
    }
no-bill = Hakuna bili kwa akaunti hii.

meter-prompt = Weka namba ya mita yako:
meter-not-found = Mita haikupatikana. Hakikisha namba.
outage-confirm = Ripoti kukatika kwa { $service ->
    [water] maji
   *[electricity] umeme
  } { $area }?
confirm-yes = Ndiyo
confirm-no = Hapana

outage-known = { $status ->
    [suspected] Wateja wengi wameripoti kukatika { $area }. Timu zetu zimearifiwa. Kumb: { $ref }
   *[other] Kukatika kunajulikana { $area }, { $restoration ->
        [delayed] kurudi kwa huduma kumechelewa, timu zetu zinashughulikia
        [unknown] timu zetu zinashughulikia
       *[expected] huduma itarudi { $restore }
    }. Ripoti yako imepokelewa. Kumb: { $ref }
  }
outage-ticket = Asante, kukatika kumeripotiwa. Kumb: { $ref }

tickets-title = Malalamiko yako yaliyo wazi:
ticket-item = { $ref } { $category ->
      [outage] Kukatika
      [billing_dispute] Mgogoro wa bili
      [meter_fault] Hitilafu ya mita
      [new_connection] Muunganisho mpya
      [quality_of_service] Ubora wa huduma
      [reconnection] Kurejesha huduma
      [hazard] Hatari
     *[other] Mengineyo
  }: { $late ->
    [yes] yamechelewa, hadi { $sla }
   *[other] { $status ->
           [in_progress] yanashughulikiwa
           [resolved] yametatuliwa
           [closed] yamefungwa
          *[open] wazi
       }, hadi { $sla }
  }
enter-reference = Weka namba ya kumbukumbu
ref-prompt = Weka namba ya kumbukumbu (tarakimu):
ticket-details = Kumb { $ref }
    { $category ->
        [outage] Kukatika
        [billing_dispute] Mgogoro wa bili
        [meter_fault] Hitilafu ya mita
        [new_connection] Muunganisho mpya
        [quality_of_service] Ubora wa huduma
        [reconnection] Kurejesha huduma
        [hazard] Hatari
       *[other] Mengineyo
    }: { $status ->
        [in_progress] yanashughulikiwa
        [resolved] yametatuliwa
        [closed] yamefungwa
       *[open] wazi
    }
    { $late ->
        [yes] Yamechelewa: yalipaswa hadi { $sla }
       *[other] Hadi: { $sla }
    }
    Mwisho: { $event ->
        [created] yamewasilishwa
        [status] hali: { $event_detail ->
            [in_progress] yanashughulikiwa
            [resolved] yametatuliwa
            [closed] yamefungwa
           *[open] yamefunguliwa tena
        }
        [escalated] yamepandishwa (ngazi { $event_detail })
        [customer_reply] jibu lako
        [customer_called_again] umepiga tena
        [note] maelezo ya mhudumu
       *[other] yamesasishwa
    } tarehe { $event_at }
outage-report-details = Kumb { $ref }: ripoti ya kukatika { $area }, { $restoration ->
    [restored] huduma imerudi.
    [delayed] kurudi kwa huduma kumechelewa, timu zetu zinashughulikia.
    [unknown] { $status ->
        [suspected] imeripotiwa na wateja wengi
       *[other] inaendelea
    }, timu zetu zinashughulikia.
   *[expected] { $status ->
        [scheduled] imepangwa
       *[other] inaendelea
    }. Itarudi: { $restore }
  }
ref-typo = Namba { $typed_ref } ina kosa la kuandika. Tafadhali ihakikishe.
ref-not-found = Hakuna malalamiko yenye namba hii.
ref-malformed = Namba si sahihi: andika tarakimu tu.

category-title = Malalamiko yako yanahusu nini?
category-billing-dispute = Mgogoro wa bili
category-meter-fault = Hitilafu ya mita
category-new-connection = Muunganisho mpya
category-quality = Ubora wa huduma
category-reconnection = Kurejesha huduma
category-other = Mengineyo
complaint-confirm = Thibitisha malalamiko "{ $category ->
    [billing_dispute] Mgogoro wa bili
    [meter_fault] Hitilafu ya mita
    [new_connection] Muunganisho mpya
    [quality_of_service] Ubora wa huduma
    [reconnection] Kurejesha huduma
    [hazard] Hatari
   *[other] Mengineyo
  }"?
complaint-filed = Malalamiko yamepokelewa. Kumb: { $ref }. Jibu kabla ya { $sla }.
complaint-already = Malalamiko haya yameshasajiliwa. Kumb: { $ref }. Tumeandika simu yako.

outages-title = Kukatika katika eneo lako:
outage-item = { $kind ->
    [planned] Kukatika kwa { $service ->
        [water] maji
       *[electricity] umeme
    } kulikopangwa
   *[unplanned] { $service ->
        [water] Maji yamekatika
       *[electricity] Umeme umekatika
    }
  }: { $restoration ->
    [delayed] tangu { $start }, kurudi kwa huduma kumechelewa
   *[other] { $start } - { $end }
  }
no-outages = Hakuna kukatika sasa wala kulikopangwa katika eneo lako.

callback-confirm = Wakala atakupigia kwa { $phone }. Thibitisha?
callback-done = Ombi limepokelewa. Wakala atakupigia simu.

nav-more = 98. Zaidi
nav-back = 0. Rudi
error-invalid-choice = Chaguo si sahihi.
error-menu = Huduma haipatikani kwa sasa. Tafadhali jaribu tena.
error-unavailable = Huduma haipatikani. Tafadhali jaribu tena baadaye.
error-session-expired = Muda umekwisha. Tafadhali piga msimbo tena.
error-input-too-long = Ulichoandika ni kirefu mno.
error-rate-limited = Maombi mengi mno kutoka namba hii. Jaribu tena baada ya dakika moja.

# --- Tokeni za malipo ya awali na usomaji wa mita ---
prepaid-title = Mita ya malipo ya awali. Chagua:
prepaid-last-tokens = Tokeni zangu za mwisho
prepaid-resend-token = Nitumie tokeni ya mwisho kwa SMS
tokens-title = Tokeni zako za mwisho:
token-item = { $date }: { $amount }, { $units } { $service ->
    [water] m3
   *[other] kWh
  }
    { $token }
token-sent = Tokeni yako ya mwisho (ya { $token_date }) imetumwa kwako kwa SMS.
no-tokens = Hakuna ununuzi wa tokeni uliopatikana kwa mita hii.
reading-prompt = { $has_last_reading ->
    [yes] Usomaji wa mwisho: { $last_reading } tarehe { $last_read_on }. Weka usomaji wa mita yako (tarakimu tu):
   *[other] Weka usomaji wa mita yako (tarakimu tu):
  }
reading-saved = Asante, usomaji { $reading } umehifadhiwa. Kumb: { $ref }
reading-lower = Usomaji huu ni chini ya ule wa mwisho ({ $last_reading }). Tafadhali angalia mita yako.
reading-too-high = Usomaji huu ni mkubwa mno kuliko matumizi yako ya kawaida. Tafadhali angalia tarakimu.
reading-prepaid = Mita ya malipo ya awali haihitaji usomaji.

# --- Ombi la muunganisho mpya (menyu kuu 9, aina ya malalamiko 3) ---------------------------
main-new-connection = Muunganisho mpya
connection-service-title = Muunganisho mpya. Huduma gani?
connection-electricity = Umeme
connection-water = Maji
connection-where = Unataka muunganisho mpya wa { $service ->
    [water] maji
   *[electricity] umeme
  } wapi?
connection-area-mine = { $account_area } (eneo la akaunti yako)
connection-area-other = Eneo lingine
connection-area-prompt = Andika sehemu ya jina la eneo (herufi, au tarakimu za vitufe vyake: 2 kwa ABC, 3 kwa DEF...):
connection-areas-title = Maeneo kadhaa yanalingana. Chagua lako:
connection-area-item = { $area } ({ $region })
connection-area-not-found = Hakuna eneo lenye jina hili. Hakikisha na ujaribu tena.
connection-area-too-many = Maeneo mengi mno yanalingana. Andika zaidi ya jina.
connection-confirm = Omba muunganisho mpya wa { $service ->
    [water] maji
   *[electricity] umeme
  } katika { $area }?
connection-filed = Ombi la muunganisho mpya limepokelewa. Kumb: { $ref }. Jibu kabla ya { $sla }.
connection-already = Tayari una ombi linalosubiri kwa hili. Kumb: { $ref }. Tumeandika simu yako.

# --- Ripoti hatari barabarani (huduma nyingine 3) ----------------------------------------------
hazard-kind-title = Ripoti hatari. Ni nini?
hazard-power-line = Nyaya ya umeme imeanguka
hazard-exposed-cable = Waya wa umeme uko wazi
hazard-water-leak = Maji yanavuja barabarani
hazard-where = Hatari iko wapi?
hazard-confirm = Ripoti { $hazard ->
    [power_line] nyaya ya umeme iliyoanguka
    [exposed_cable] waya wa umeme ulio wazi
   *[water_leak] maji yanayovuja
  } katika { $area }?
hazard-filed = Imeripotiwa: Kumb { $ref }. Kaa mbali; timu yetu inakuja.
