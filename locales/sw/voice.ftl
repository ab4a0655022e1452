# dalal - Kiswahili: maneno ya simu ya sauti tu.

voice-press = bonyeza
voice-more = Kwa chaguo zaidi, bonyeza 9.
voice-back = Kurudi nyuma, bonyeza alama ya reli.
voice-repeat = Kusikiliza tena, bonyeza nyota.
voice-agent = Kuongea na wakala, bonyeza 0.
voice-agent-hours = Mawakala wetu hujibu kuanzia saa { $open } hadi saa { $close }, Jumatatu hadi Ijumaa.
voice-agent-transfer = Tafadhali subiri, tunakuunganisha na wakala.
voice-no-input = Hatukusikia chaguo lako.
voice-offer = Hatukuelewa chaguo lako. Kupigiwa simu na wakala, bonyeza 1. Kurekodi malalamiko yako, bonyeza 2.
voice-record-prompt = Rekodi malalamiko yako baada ya mlio. Bonyeza alama ya reli ukimaliza.
voice-record-done = Asante, malalamiko yako yamerekodiwa. Kumbukumbu: { $ref }.
voice-finish-hash = Kisha bonyeza alama ya reli.
voice-goodbye = Asante kwa kupiga simu. Kwaheri.
voice-survey = Kabla hujakata simu: huduma hii ilikuwaje? Bonyeza 1 kwa mbaya, hadi 5 kwa bora sana.
voice-survey-thanks = Asante kwa maoni yako.
