//! Africa's Talking voice: form POSTs in (`isActive, sessionId, callerNumber, dtmfDigits,
//! recordingUrl, durationInSeconds, hangupCause, ...`), XML `<Response>` out with `Play`,
//! `Say` (English only), `GetDigits`, `Record`, `Dial` and `Redirect`.
//!
//! AT has no hangup verb: a response that stops asking ends the call. On a `GetDigits`
//! timeout AT runs the next element, so a `Redirect` (`?event=noinput`) follows it. The last
//! POST has `isActive=0` with the call's duration and hangup cause.

use super::form::Form;
use super::xml::{W, document, empty, end, finish, start, text};
use super::{GatewayError, Route, VoiceGateway, VoiceRequest, WireRequest, normalize_msisdn};
use crate::channel::{Event, Inbound, Input, Recording};
use crate::domain::SessionEnd;
use crate::voice::{Collect, Turn, Urls};

pub const NAME: &str = "africastalking_voice";

/// Africa's Talking `Say` speaks English only.
pub const TTS_LANGUAGES: &[&str] = &["en"];

const PATH: &str = "/voice/africastalking";

/// Africa's Talking voice, as a plug-in of the runner.
#[derive(Default)]
pub struct AfricasTalkingVoice;

impl VoiceGateway for AfricasTalkingVoice {
    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        const ROUTES: &[Route] = &[Route::post(PATH)];
        ROUTES
    }

    fn tts_languages(&self) -> &'static [&'static str] {
        TTS_LANGUAGES
    }

    fn content_type(&self) -> &'static str {
        "application/xml"
    }

    fn decode(&self, request: &WireRequest) -> Result<VoiceRequest, GatewayError> {
        parse(&request.body, request.query_param("event")).map(VoiceRequest::Hop)
    }

    fn urls(&self, request: &WireRequest) -> Urls {
        Urls {
            callback: request.url(PATH),
            base: request.base_url.clone(),
        }
    }

    fn render(&self, turn: &Turn, urls: &Urls, _inbound: &Inbound) -> String {
        render(turn, urls)
    }

    fn render_end(&self) -> String {
        finish({
            let mut w = document();
            empty(&mut w, "Response", &[]);
            w
        })
    }
}

fn session_id(form: &Form) -> Result<String, GatewayError> {
    let id = form.require_non_empty("sessionId")?;
    if id.len() > 128 || id.chars().any(char::is_control) {
        return Err(GatewayError::Malformed {
            field: "sessionId",
            reason: "must be 1 to 128 printable characters".into(),
        });
    }
    Ok(id.to_string())
}

/// Parses a callback; `event` is the `?event=` of our own `Redirect`s (`noinput`).
pub fn parse(body: &[u8], event: Option<&str>) -> Result<Inbound, GatewayError> {
    let form = Form::parse(body)?;
    let session_id = session_id(&form)?;
    let active = form.require("isActive")?;
    // Outbound calls put the customer in destinationNumber.
    let phone_field = match form.get("direction") {
        Some("Outbound") => "destinationNumber",
        _ => "callerNumber",
    };
    let phone = match form.get(phone_field) {
        Some(raw) if !raw.is_empty() => {
            Some(normalize_msisdn(raw, None).ok_or(GatewayError::Malformed {
                field: if phone_field == "callerNumber" {
                    "callerNumber"
                } else {
                    "destinationNumber"
                },
                reason: "not an E.164 phone number".into(),
            })?)
        }
        _ => None,
    };
    match active {
        "0" => {
            let text = |name: &str| form.get(name).filter(|s| !s.is_empty()).map(str::to_string);
            let end = SessionEnd {
                gateway: NAME.to_string(),
                session_id: session_id.clone(),
                status: text("hangupCause").unwrap_or_else(|| "NORMAL_CLEARING".into()),
                duration_ms: form.optional_i64("durationInSeconds")?.map(|s| s * 1000),
                hops_count: None,
                input: None,
                last_app_response: None,
                error_message: None,
                cost: match (text("amount"), text("currencyCode")) {
                    (Some(a), Some(c)) => Some(format!("{c} {a}")),
                    (a, _) => a,
                },
                phone,
                service_code: text("destinationNumber"),
                network_code: None,
                date: None,
            };
            Ok(Inbound {
                session_id,
                phone: end.phone.clone().unwrap_or_default(),
                event: Event::End(end),
            })
        }
        "1" => {
            let phone = phone.ok_or(GatewayError::Missing("callerNumber"))?;
            let recording = form
                .get("recordingUrl")
                .or_else(|| form.get("RecordingUrl"))
                .filter(|s| !s.is_empty());
            let event = match (recording, form.get("dtmfDigits"), event) {
                (Some(url), _, _) => Event::Recording(Recording::Hosted(url.to_string())),
                (None, _, Some("noinput")) => Event::NoInput,
                (None, Some(d), _) => Event::Input(Input::Latest(d.trim().to_string())),
                (None, None, _) => Event::Start,
            };
            Ok(Inbound {
                session_id,
                phone,
                event,
            })
        }
        _ => Err(GatewayError::Malformed {
            field: "isActive",
            reason: "expected 0 or 1".into(),
        }),
    }
}

fn prompts(w: &mut W, turn: &Turn, urls: &Urls) {
    for segment in &turn.segments {
        match &segment.audio {
            Some(audio) => empty(w, "Play", &[("url", &urls.audio(audio, true))]),
            // English is the only language AT speaks; anything else without a recording
            // along its fallback chain is still said rather than skipped.
            None => text(w, "Say", &segment.text),
        }
    }
}

/// The XML answer to one turn.
pub fn render(turn: &Turn, urls: &Urls) -> String {
    let mut w = document();
    start(&mut w, "Response", &[]);
    let timeout = turn.timeout_secs.to_string();
    let noinput = urls.callback_with("event=noinput");
    match &turn.collect {
        Collect::Key | Collect::Digits => {
            let mut attrs = vec![
                ("timeout", timeout.as_str()),
                ("finishOnKey", "#"),
                ("callbackUrl", urls.callback.as_str()),
            ];
            if turn.collect == Collect::Key {
                attrs.insert(0, ("numDigits", "1"));
            }
            start(&mut w, "GetDigits", &attrs);
            prompts(&mut w, turn, urls);
            end(&mut w, "GetDigits");
            text(&mut w, "Redirect", &noinput);
        }
        Collect::Record { max_secs } => {
            prompts(&mut w, turn, urls);
            let max = max_secs.to_string();
            empty(
                &mut w,
                "Record",
                &[
                    ("finishOnKey", "#"),
                    ("maxLength", &max),
                    ("trimSilence", "true"),
                    ("playBeep", "true"),
                    ("callbackUrl", &urls.callback),
                ],
            );
            text(&mut w, "Redirect", &noinput);
        }
        Collect::Transfer(number) => {
            prompts(&mut w, turn, urls);
            empty(&mut w, "Dial", &[("phoneNumbers", number)]);
        }
        Collect::Hangup => prompts(&mut w, turn, urls),
    }
    end(&mut w, "Response");
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice::{Audio, Segment};

    /// (label, request body, event query, expected)
    type Case = (
        &'static str,
        &'static [u8],
        Option<&'static str>,
        Result<Event, GatewayError>,
    );

    #[test]
    fn voice_requests() {
        let cases: &[Case] = &[
            (
                "call starts",
                b"isActive=1&sessionId=ATVId_1&direction=Inbound&callerNumber=%2B254711000001&destinationNumber=%2B254711082000",
                None,
                Ok(Event::Start),
            ),
            (
                "a key",
                b"isActive=1&sessionId=ATVId_1&direction=Inbound&callerNumber=%2B254711000001&dtmfDigits=1",
                None,
                Ok(Event::Input(Input::Latest("1".into()))),
            ),
            (
                "digits ended by #",
                b"isActive=1&sessionId=ATVId_1&callerNumber=%2B254711000001&dtmfDigits=100012",
                None,
                Ok(Event::Input(Input::Latest("100012".into()))),
            ),
            (
                "our Redirect after a timeout",
                b"isActive=1&sessionId=ATVId_1&callerNumber=%2B254711000001",
                Some("noinput"),
                Ok(Event::NoInput),
            ),
            (
                "recording (capitalised field)",
                b"isActive=1&sessionId=ATVId_1&callerNumber=%2B254711000001&RecordingUrl=https%3A%2F%2Frec.example%2Fa.mp3",
                None,
                Ok(Event::Recording(Recording::Hosted(
                    "https://rec.example/a.mp3".into(),
                ))),
            ),
            (
                "no caller",
                b"isActive=1&sessionId=ATVId_1",
                None,
                Err(GatewayError::Missing("callerNumber")),
            ),
            (
                "no isActive",
                b"sessionId=ATVId_1&callerNumber=%2B254711000001",
                None,
                Err(GatewayError::Missing("isActive")),
            ),
        ];
        for (label, body, event, expected) in cases {
            let got = parse(body, *event).map(|r| r.event);
            assert_eq!(&got, expected, "{label}");
        }
    }

    #[test]
    fn our_redirect_after_a_timeout_is_no_input_through_the_plug_in() {
        let request = crate::gateway::case_request(
            "/voice/africastalking?event=noinput",
            b"isActive=1&sessionId=ATVId_1&callerNumber=%2B254711000001",
        );
        let VoiceRequest::Hop(inbound) = AfricasTalkingVoice.decode(&request).unwrap() else {
            panic!("a turn")
        };
        assert_eq!(inbound.event, Event::NoInput);
        let urls = AfricasTalkingVoice.urls(&request);
        assert_eq!(urls.callback, "https://ivr.example/voice/africastalking");
    }

    #[test]
    fn final_post_closes_with_duration_and_cause() {
        let r = parse(b"isActive=0&sessionId=ATVId_1&direction=Inbound&callerNumber=%2B254711000001&durationInSeconds=42&hangupCause=NORMAL_CLEARING&currencyCode=KES&amount=1.5", None).unwrap();
        let Event::End(end) = r.event else {
            panic!("not ended")
        };
        assert_eq!(end.duration_ms, Some(42_000));
        assert_eq!(end.status, "NORMAL_CLEARING");
        assert_eq!(end.cost.as_deref(), Some("KES 1.5"));
    }

    #[test]
    fn renders_getdigits_with_redirect_and_escapes_values() {
        let turn = Turn {
            session_id: "s".into(),
            lang: "fr".into(),
            segments: vec![
                Segment {
                    text: "Ma facture".into(),
                    lang: "fr".into(),
                    audio: Some(Audio {
                        lang: "fr".into(),
                        id: "main-bill".into(),
                        wav: true,
                        mp3: true,
                    }),
                },
                Segment {
                    text: "A & B <x>".into(),
                    lang: "en".into(),
                    audio: None,
                },
            ],
            collect: Collect::Key,
            timeout_secs: 8,
        };
        let urls = Urls {
            callback: "https://ivr.example/voice/africastalking".into(),
            base: "https://ivr.example".into(),
        };
        let xml = render(&turn, &urls);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><GetDigits numDigits=\"1\" timeout=\"8\" finishOnKey=\"#\" callbackUrl=\"https://ivr.example/voice/africastalking\"><Play url=\"https://ivr.example/audio/fr/main-bill.mp3\"/><Say>A &amp; B &lt;x&gt;</Say></GetDigits><Redirect>https://ivr.example/voice/africastalking?event=noinput</Redirect></Response>"
        );
        let hangup = render(
            &Turn {
                collect: Collect::Hangup,
                ..turn
            },
            &urls,
        );
        assert!(!hangup.contains("GetDigits") && !hangup.contains("Redirect"));
    }
}
