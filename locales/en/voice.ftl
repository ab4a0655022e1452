# dalal - English: what only the voice line says.
# Native speaker: not on record for this translation; have a native English speaker review it.

voice-press = press
voice-more = For more options, press 9.
voice-back = To go back, press the hash key.
voice-repeat = To hear this again, press the star key.
voice-agent = To speak to an agent, press 0.
voice-agent-hours = { $days ->
    [none] Our agents cannot take calls at the moment.
   *[other] Our agents answer from { $open } hours to { $close } hours, { $days ->
        [every] every day
        [one] on { $first ->
             [1] Monday
             [2] Tuesday
             [3] Wednesday
             [4] Thursday
             [5] Friday
             [6] Saturday
            *[7] Sunday
        }
        [range] { $first ->
             [1] Monday
             [2] Tuesday
             [3] Wednesday
             [4] Thursday
             [5] Friday
             [6] Saturday
            *[7] Sunday
        } to { $last ->
             [1] Monday
             [2] Tuesday
             [3] Wednesday
             [4] Thursday
             [5] Friday
             [6] Saturday
            *[7] Sunday
        }
       *[several] on some days of the week only
    }.
  }
voice-agent-transfer = Please hold, we are connecting you to an agent.
voice-no-input = We did not hear your choice.
voice-offer = We could not understand your choice. To be called back by an agent, press 1. To record your complaint, press 2.
voice-record-prompt = Record your complaint after the tone. Press the hash key when you have finished.
voice-record-done = Thank you, your complaint is recorded. Reference: { $ref }.
voice-finish-hash = Then press the hash key.
voice-goodbye = Thank you for calling. Goodbye.
voice-survey = Before you go: how was this service? Press 1 for poor, up to 5 for excellent.
voice-survey-thanks = Thank you for your feedback.
voice-resume-offer = Your last call was cut off. To continue where you left off, press 1. To start over, press 2.
