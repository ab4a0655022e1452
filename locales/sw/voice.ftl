# dalal - Kiswahili: maneno ya simu ya sauti tu.
# Translation NOT written by a native Swahili speaker: must be reviewed by one before going live.

voice-press = bonyeza
voice-more = Kwa chaguo zaidi, bonyeza 9.
voice-back = Kurudi nyuma, bonyeza alama ya reli.
voice-repeat = Kusikiliza tena, bonyeza nyota.
voice-agent = Kuongea na wakala, bonyeza 0.
voice-agent-hours = { $days ->
    [none] Mawakala wetu hawapokei simu kwa sasa.
   *[other] Mawakala wetu hujibu kuanzia { $open } hadi { $close } kwa mfumo wa saa ishirini na nne, { $days ->
        [every] kila siku
        [one] siku ya { $first ->
             [1] Jumatatu
             [2] Jumanne
             [3] Jumatano
             [4] Alhamisi
             [5] Ijumaa
             [6] Jumamosi
            *[7] Jumapili
        }
        [range] { $first ->
             [1] Jumatatu
             [2] Jumanne
             [3] Jumatano
             [4] Alhamisi
             [5] Ijumaa
             [6] Jumamosi
            *[7] Jumapili
        } hadi { $last ->
             [1] Jumatatu
             [2] Jumanne
             [3] Jumatano
             [4] Alhamisi
             [5] Ijumaa
             [6] Jumamosi
            *[7] Jumapili
        }
       *[several] siku fulani za wiki tu
    }.
  }
voice-agent-transfer = Tafadhali subiri, tunakuunganisha na wakala.
voice-no-input = Hatukusikia chaguo lako.
voice-offer = Hatukuelewa chaguo lako. Kupigiwa simu na wakala, bonyeza 1. Kurekodi malalamiko yako, bonyeza 2.
voice-record-prompt = Rekodi malalamiko yako baada ya mlio. Bonyeza alama ya reli ukimaliza.
voice-record-done = Asante, malalamiko yako yamerekodiwa. Kumbukumbu: { $ref }.
voice-finish-hash = Kisha bonyeza alama ya reli.
voice-goodbye = Asante kwa kupiga simu. Kwaheri.
voice-survey = Kabla hujakata simu: huduma hii ilikuwaje? Bonyeza 1 kwa mbaya, hadi 5 kwa bora sana.
voice-survey-thanks = Asante kwa maoni yako.
voice-resume-offer = Simu yako ya mwisho ilikatika. Kuendelea ulipoishia, bonyeza 1. Kuanza upya, bonyeza 2.
