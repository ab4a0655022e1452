# dalal - Wolof: li liñ di wax ci telefon bi rekk.
# Translation NOT written by a native Wolof speaker: must be reviewed by one before going live.

voice-press = bësal
voice-more = Ngir yeneen tànneef, bësal 9.
voice-back = Ngir dellu ginnaaw, bësal diyees.
voice-repeat = Ngir dégg ko at, bësal biddiw.
voice-agent = Ngir wax ak ab liggéeykat, bësal 0.
voice-agent-hours = { $days ->
    [none] Sunuy liggéeykat mënuñu jël woote yi fi mu nekk.
   *[other] Sunuy liggéeykat dañuy tontu li dale ci { $open } waxtu ba { $close } waxtu, { $days ->
        [every] bés bu nekk
        [one] { $first ->
             [1] altine
             [2] talaata
             [3] àllarba
             [4] alxamis
             [5] àjjuma
             [6] gaawu
            *[7] dibéer
        } rekk
        [range] { $first ->
             [1] altine
             [2] talaata
             [3] àllarba
             [4] alxamis
             [5] àjjuma
             [6] gaawu
            *[7] dibéer
        } ba { $last ->
             [1] altine
             [2] talaata
             [3] àllarba
             [4] alxamis
             [5] àjjuma
             [6] gaawu
            *[7] dibéer
        }
       *[several] ay bés ci ayu-bés bi rekk
    }.
  }
voice-agent-transfer = Muñal tuuti, nu ngi lay jokkale ak ab liggéeykat.
voice-no-input = Dégguñu sa tànneef.
voice-offer = Xamuñu sa tànneef. Ngir ab liggéeykat woo la, bësal 1. Ngir dugal sa plent, bësal 2.
voice-record-prompt = Waxal sa plent ginnaaw riir bi. Bësal diyees boo noppee.
voice-record-done = Jërëjëf, sa plent dugg na. Ref: { $ref }.
voice-finish-hash = Bësal diyees ginnaaw ga.
voice-goodbye = Jërëjëf ci sa woote. Ba beneen yoon.
voice-survey = Balaa ngay tëj: naka nga gise liggéey bii? Bësal 1 bu bonee, ba 5 bu baaxee lool.
voice-survey-thanks = Jërëjëf ci sa xalaat.
voice-resume-offer = Sa woote bu mujj dagg na. Ngir wéy fa nga yemoon, bësal 1. Ngir tàmbali waat, bësal 2.
