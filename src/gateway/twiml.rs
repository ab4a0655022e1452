//! Twilio: form POSTs in (`CallSid, From, To, Digits, RecordingUrl, CallStatus,
//! CallDuration`), TwiML out (`Say` with `language`, `Play`, `Gather`, `Record`, `Dial`,
//! `Redirect`, `Hangup`). Requests are authenticated by `X-Twilio-Signature` when an auth
//! token is configured.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use super::form::Form;
use super::xml::{W, content, document, empty, end, finish, start, text, text_with};
use super::{GatewayError, Route, VoiceGateway, VoiceRequest, WireRequest, normalize_msisdn};
use crate::channel::{Event, Inbound, Input, Recording};
use crate::domain::SessionEnd;
use crate::security::{Guard, Refusal};
use crate::voice::{Collect, Turn, Urls};

pub const NAME: &str = "twilio";

/// Languages Twilio's `Say` speaks among ours.
pub const TTS_LANGUAGES: &[&str] = &["en", "fr"];

const PATH: &str = "/voice/twilio";

/// Twilio, as a plug-in of the runner. Its requests prove themselves with a signature of the
/// whole URL and form, made with the account's auth token (when one is configured).
pub struct Twilio {
    pub auth_token: Option<String>,
}

impl super::FromConfig for Twilio {
    fn from_config(config: &crate::config::Config) -> Self {
        Twilio {
            auth_token: config.voice.twilio_auth_token.clone(),
        }
    }
}

impl VoiceGateway for Twilio {
    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        const ROUTES: &[Route] = &[Route::post(PATH), Route::post("/voice/twilio/status")];
        ROUTES
    }

    fn tts_languages(&self) -> &'static [&'static str] {
        TTS_LANGUAGES
    }

    fn content_type(&self) -> &'static str {
        "text/xml"
    }

    fn authenticate(&self, request: &WireRequest, _guard: Option<&Guard>) -> Result<(), Refusal> {
        let Some(token) = &self.auth_token else {
            return Ok(());
        };
        let url = request.url(&request.path_and_query);
        let presented = request.header("x-twilio-signature").unwrap_or_default();
        let params = form_pairs(&request.body).map_err(|_| Refusal::BadKey)?;
        if verify(token, &url, &params, presented) {
            Ok(())
        } else {
            tracing::warn!("twilio signature mismatch");
            Err(Refusal::BadKey)
        }
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
        let mut w = document();
        empty(&mut w, "Response", &[]);
        finish(w)
    }
}

/// Every form field, decoded, for the signature (which covers them all).
pub fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, GatewayError> {
    super::form::pairs(body)
}

/// `base64(HMAC-SHA1(token, url + each POST field's name and value, sorted by name))`.
pub fn signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("any key length");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of the presented signature with the expected one.
pub fn verify(token: &str, url: &str, params: &[(String, String)], presented: &str) -> bool {
    let expected = signature(token, url, params);
    let (a, b) = (expected.as_bytes(), presented.trim().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn parse(body: &[u8], event: Option<&str>) -> Result<Inbound, GatewayError> {
    let form = Form::parse(body)?;
    let session_id = form.require_non_empty("CallSid")?;
    if session_id.len() > 128 || session_id.chars().any(char::is_control) {
        return Err(GatewayError::Malformed {
            field: "CallSid",
            reason: "must be 1 to 128 printable characters".into(),
        });
    }
    let outbound = form
        .get("Direction")
        .is_some_and(|d| d.starts_with("outbound"));
    let field = if outbound { "To" } else { "From" };
    let raw = form.require_non_empty(if outbound { "To" } else { "From" })?;
    let phone = normalize_msisdn(raw, None).ok_or(GatewayError::Malformed {
        field: if field == "To" { "To" } else { "From" },
        reason: "not an E.164 phone number".into(),
    })?;
    let status = form.get("CallStatus").unwrap_or("in-progress");
    if matches!(
        status,
        "completed" | "busy" | "failed" | "no-answer" | "canceled"
    ) {
        let end = SessionEnd {
            gateway: NAME.into(),
            session_id: session_id.to_string(),
            status: status.to_string(),
            duration_ms: form.optional_i64("CallDuration")?.map(|s| s * 1000),
            hops_count: None,
            input: None,
            last_app_response: None,
            error_message: form
                .get("ErrorCode")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            cost: None,
            phone: Some(phone.clone()),
            service_code: form.get("To").map(str::to_string),
            network_code: None,
            date: None,
        };
        return Ok(Inbound {
            session_id: session_id.to_string(),
            phone,
            event: Event::End(end),
        });
    }
    let recording = form.get("RecordingUrl").filter(|s| !s.is_empty());
    let event = match (recording, form.get("Digits"), event) {
        (Some(url), _, _) => Event::Recording(Recording::Hosted(url.to_string())),
        (None, _, Some("noinput")) => Event::NoInput,
        (None, Some(d), _) => Event::Input(Input::Latest(d.trim().to_string())),
        (None, None, _) => Event::Start,
    };
    Ok(Inbound {
        session_id: session_id.to_string(),
        phone,
        event,
    })
}

/// Twilio's language code for ours.
pub fn language(lang: &str) -> &str {
    match lang {
        "en" => "en-GB",
        "fr" => "fr-FR",
        "sw" => "sw-KE",
        other => other,
    }
}

fn prompts(w: &mut W, turn: &Turn, urls: &Urls) {
    for segment in &turn.segments {
        match &segment.audio {
            Some(audio) => text(w, "Play", &urls.audio(audio, false)),
            None => text_with(
                w,
                "Say",
                &[("language", language(&segment.lang))],
                &segment.text,
            ),
        }
    }
}

pub fn render(turn: &Turn, urls: &Urls) -> String {
    let mut w = document();
    start(&mut w, "Response", &[]);
    let timeout = turn.timeout_secs.to_string();
    let noinput = urls.callback_with("event=noinput");
    match &turn.collect {
        Collect::Key | Collect::Digits => {
            let mut attrs = vec![
                ("action", urls.callback.as_str()),
                ("method", "POST"),
                ("timeout", timeout.as_str()),
            ];
            if turn.collect == Collect::Key {
                // `*` and `#` are keys of their own on menus (repeat, back).
                attrs.extend([("numDigits", "1"), ("finishOnKey", "")]);
            } else {
                attrs.push(("finishOnKey", "#"));
            }
            start(&mut w, "Gather", &attrs);
            prompts(&mut w, turn, urls);
            end(&mut w, "Gather");
            start(&mut w, "Redirect", &[("method", "POST")]);
            content(&mut w, &noinput);
            end(&mut w, "Redirect");
        }
        Collect::Record { max_secs } => {
            prompts(&mut w, turn, urls);
            let max = max_secs.to_string();
            empty(
                &mut w,
                "Record",
                &[
                    ("action", &urls.callback),
                    ("method", "POST"),
                    ("finishOnKey", "#"),
                    ("maxLength", &max),
                    ("playBeep", "true"),
                    ("timeout", &timeout),
                ],
            );
            start(&mut w, "Redirect", &[("method", "POST")]);
            content(&mut w, &noinput);
            end(&mut w, "Redirect");
        }
        Collect::Transfer(number) => {
            prompts(&mut w, turn, urls);
            text(&mut w, "Dial", number);
        }
        Collect::Hangup => {
            prompts(&mut w, turn, urls);
            empty(&mut w, "Hangup", &[]);
        }
    }
    end(&mut w, "Response");
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice::Segment;

    #[test]
    fn signature_matches_twilios_documented_example() {
        // From Twilio's security documentation.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let sig = signature("12345", url, &params);
        assert_eq!(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(verify("12345", url, &params, &sig));
        assert!(!verify(
            "12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8A="
        ));
        assert!(!verify("wrong", url, &params, &sig));
    }

    #[test]
    fn requests() {
        let cases: &[(&str, &[u8], Option<&str>, Event)] = &[
            (
                "start",
                b"CallSid=CA1&From=%2B254711000001&To=%2B254700000000&CallStatus=ringing",
                None,
                Event::Start,
            ),
            (
                "key",
                b"CallSid=CA1&From=%2B254711000001&Digits=3&CallStatus=in-progress",
                None,
                Event::Input(Input::Latest("3".into())),
            ),
            (
                "no input",
                b"CallSid=CA1&From=%2B254711000001&CallStatus=in-progress",
                Some("noinput"),
                Event::NoInput,
            ),
            (
                "recording",
                b"CallSid=CA1&From=%2B254711000001&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2FRE1",
                None,
                Event::Recording(Recording::Hosted("https://api.twilio.com/RE1".into())),
            ),
        ];
        for (label, body, q, expected) in cases {
            let inbound = parse(body, *q).unwrap();
            assert_eq!(&inbound.event, expected, "{label}");
            assert_eq!(inbound.phone, "+254711000001");
        }
        let Event::End(end) = parse(
            b"CallSid=CA1&From=%2B254711000001&CallStatus=completed&CallDuration=61",
            None,
        )
        .unwrap()
        .event
        else {
            panic!("not ended")
        };
        assert_eq!(
            (end.status.as_str(), end.duration_ms),
            ("completed", Some(61_000))
        );
        assert_eq!(
            parse(b"From=%2B254711000001", None),
            Err(GatewayError::Missing("CallSid"))
        );
    }

    /// The plug-in checks the signature over the public URL and every form field.
    #[test]
    fn requests_are_authenticated_by_their_signature() {
        let body: &'static [u8] = b"CallSid=CA1&From=%2B254711000001&Digits=3";
        let request = crate::gateway::case_request("/voice/twilio?event=noinput", body);
        let params = form_pairs(body).unwrap();
        let url = "https://ivr.example/voice/twilio?event=noinput";
        let mut signed = request.clone();
        signed.headers.insert(
            "x-twilio-signature",
            signature("token", url, &params).parse().unwrap(),
        );
        let twilio = Twilio {
            auth_token: Some("token".into()),
        };
        assert_eq!(twilio.authenticate(&signed, None), Ok(()));
        assert_eq!(twilio.authenticate(&request, None), Err(Refusal::BadKey));
        let open = Twilio { auth_token: None };
        assert_eq!(open.authenticate(&request, None), Ok(()));
        let VoiceRequest::Hop(inbound) = twilio.decode(&signed).unwrap() else {
            panic!("a turn")
        };
        // Our own Redirect after a timeout: no input, whatever else the form carries.
        assert_eq!(inbound.event, Event::NoInput);
    }

    #[test]
    fn renders_gather_with_language_and_hangup() {
        let turn = Turn {
            session_id: "CA1".into(),
            lang: "fr".into(),
            segments: vec![Segment {
                text: "Tapez <1> & \"2\"".into(),
                lang: "fr".into(),
                audio: None,
            }],
            collect: Collect::Digits,
            timeout_secs: 8,
        };
        let urls = Urls {
            callback: "https://ivr.example/voice/twilio".into(),
            base: "https://ivr.example".into(),
        };
        let xml = render(&turn, &urls);
        assert!(xml.contains("<Gather action=\"https://ivr.example/voice/twilio\" method=\"POST\" timeout=\"8\" finishOnKey=\"#\"><Say language=\"fr-FR\">Tapez &lt;1&gt; &amp; &quot;2&quot;</Say></Gather>"), "{xml}");
        assert!(xml.contains(
            "<Redirect method=\"POST\">https://ivr.example/voice/twilio?event=noinput</Redirect>"
        ));
        let xml = render(
            &Turn {
                collect: Collect::Hangup,
                ..turn
            },
            &urls,
        );
        assert!(xml.ends_with("<Hangup/></Response>"), "{xml}");
    }
}
