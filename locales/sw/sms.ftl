# SMS to customers (the outbox). Short, GSM-7: one SMS of 160 characters each where possible.
# Translation NOT written by a native Swahili speaker: must be reviewed by one before going live.

sms-ticket-filed = { $category ->
    [outage] Ripoti ya kukatika imepokelewa
    [new_connection] Ombi la muunganisho mpya limepokelewa
    [hazard] Ripoti ya hatari imepokelewa
   *[other] Malalamiko yamepokelewa
  }. Kumb { $ref }. { $category ->
    [hazard] Kaa mbali nayo: timu yetu inakuja.
   *[other] { $due ->
        [none] Tutakujulisha kwa SMS.
       *[other] Tunalenga kuyatatua kabla ya { $due }; tutakujulisha kwa SMS.
      }
  }
sms-outage-reported = Ripoti ya kukatika imepokelewa. Kumb { $ref }. { $restore ->
    [none] Timu zetu zinashughulikia; SMS itakujulisha huduma ikirudi.
   *[other] Huduma inatarajiwa kurudi { $restore }. SMS itakujulisha huduma ikirudi.
  }
sms-callback-requested = Ombi la kupigiwa simu limepokelewa. Wakala atakupigia wakati wa saa za kazi.
sms-ticket-status = { $category ->
    [new_connection] Ombi { $ref }: { $status ->
        [in_progress] linashughulikiwa.
        [resolved] limetekelezwa. Je, umeunganishwa? Jibu 1 ndiyo, 2 hapana.
        [closed] limefungwa. Asante kwa uvumilivu.
       *[open] limefunguliwa tena. Timu zetu zinalishughulikia.
    }
    [hazard] Ripoti ya hatari { $ref }: { $status ->
        [in_progress] inashughulikiwa.
        [resolved] imeshughulikiwa. Je, hatari imeondolewa? Jibu 1 ndiyo, 2 hapana.
        [closed] imefungwa. Asante kwa uvumilivu.
       *[open] imefunguliwa tena. Timu zetu zinaishughulikia.
    }
   *[other] Malalamiko { $ref }: { $status ->
        [in_progress] yanashughulikiwa.
        [resolved] yametatuliwa. Je, tatizo limeisha? Jibu 1 ndiyo, 2 hapana.
        [closed] yamefungwa. Asante kwa uvumilivu.
       *[open] yamefunguliwa tena. Timu zetu zinayashughulikia.
    }
  }
sms-ticket-late = { $category ->
    [new_connection] Ombi { $ref }: tumechelewa, tunaomba radhi. Limepelekwa kwa msimamizi.
    [hazard] Ripoti ya hatari { $ref }: tumechelewa, tunaomba radhi. Imepelekwa kwa msimamizi.
   *[other] Malalamiko { $ref }: tumechelewa, tunaomba radhi. Yamepelekwa kwa msimamizi.
  }
sms-planned-outage = Kukatika kwa { $service ->
    [water] maji
   *[electricity] umeme
  } kumepangwa { $area } kuanzia { $start }{ $end ->
    [none] .
   *[other]  hadi { $end }.
  } Tafadhali jiandae.
sms-outage-restored = Huduma ya { $service ->
    [water] maji
   *[electricity] umeme
  } imerudi { $area }. Asante kwa uvumilivu.
sms-survey = Huduma yetu ilikuwaje? Jibu 1 (mbaya) hadi 5 (bora sana). Jibu STOP kusitisha ujumbe huu.
sms-survey-help = Kujibu, tuma tarakimu moja kutoka 1 (mbaya) hadi 5 (bora sana).
sms-opted-out = Hutapokea tena matangazo wala tafiti zetu. Ujumbe kuhusu maombi yako utaendelea.
sms-token-resend = Tokeni yako ya mwisho ya mita { $meter }: { $token }. Iweke kwenye kibodi ya mita.
# Words that opt a phone out, any case, separated by spaces.
sms-stop-words = STOP ACHA SITISHA
