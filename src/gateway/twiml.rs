//! Twilio: form POSTs in (`CallSid, From, To, Digits, RecordingUrl, CallStatus,
//! CallDuration`), TwiML out (`Say` with `language`, `Play`, `Gather`, `Record`, `Dial`,
//! `Redirect`, `Hangup`). Requests are authenticated by `X-Twilio-Signature` when an auth
//! token is configured.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use quick_xml::events::Event;
use sha1::Sha1;

use super::at_voice::{document, empty, end, start, text, text_with};
use super::form::Form;
use super::{CallCallback, GatewayError, normalize_msisdn};
use crate::domain::SessionEnd;
use crate::voice::call::VoiceEvent;
use crate::voice::{Collect, Turn, Urls};

pub const NAME: &str = "twilio";

/// Languages Twilio's `Say` speaks among ours.
pub const TTS_LANGUAGES: &[&str] = &["en", "fr"];

/// Every form field, decoded, for the signature (which covers them all).
pub fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, GatewayError> {
    Form::parse(body)?; // strict UTF-8 check, naming the field
    let decode = |raw: &[u8]| {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut pairs: Vec<(String, String)> = body
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |&b| b == b'=');
            let key = decode(parts.next().unwrap_or_default());
            let value = decode(parts.next().unwrap_or_default());
            (key, value)
        })
        .collect();
    pairs.sort();
    Ok(pairs)
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

pub fn parse(body: &[u8], event: Option<&str>) -> Result<CallCallback, GatewayError> {
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
    let phone = normalize_msisdn(raw).ok_or(GatewayError::Malformed {
        field: if field == "To" { "To" } else { "From" },
        reason: "not an E.164 phone number".into(),
    })?;
    let status = form.get("CallStatus").unwrap_or("in-progress");
    if matches!(
        status,
        "completed" | "busy" | "failed" | "no-answer" | "canceled"
    ) {
        return Ok(CallCallback::Ended(SessionEnd {
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
            phone: Some(phone),
            service_code: form.get("To").map(str::to_string),
            network_code: None,
            date: None,
        }));
    }
    let recording = form.get("RecordingUrl").filter(|s| !s.is_empty());
    let event = match (recording, form.get("Digits"), event) {
        (Some(url), _, _) => VoiceEvent::Recording(url.to_string()),
        (None, _, Some("noinput")) => VoiceEvent::NoInput,
        (None, Some(d), _) => VoiceEvent::Keys(d.trim().to_string()),
        (None, None, _) => VoiceEvent::Start,
    };
    Ok(CallCallback::Turn {
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

fn prompts(w: &mut super::at_voice::W, turn: &Turn, urls: &Urls) {
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
            w.write_event(Event::Text(quick_xml::events::BytesText::new(&noinput)))
                .expect("write to memory");
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
            w.write_event(Event::Text(quick_xml::events::BytesText::new(&noinput)))
                .expect("write to memory");
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
    String::from_utf8(w.into_inner()).expect("UTF-8 in, UTF-8 out")
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
        let cases: &[(&str, &[u8], Option<&str>, VoiceEvent)] = &[
            (
                "start",
                b"CallSid=CA1&From=%2B254711000001&To=%2B254700000000&CallStatus=ringing",
                None,
                VoiceEvent::Start,
            ),
            (
                "key",
                b"CallSid=CA1&From=%2B254711000001&Digits=3&CallStatus=in-progress",
                None,
                VoiceEvent::Keys("3".into()),
            ),
            (
                "no input",
                b"CallSid=CA1&From=%2B254711000001&CallStatus=in-progress",
                Some("noinput"),
                VoiceEvent::NoInput,
            ),
            (
                "recording",
                b"CallSid=CA1&From=%2B254711000001&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2FRE1",
                None,
                VoiceEvent::Recording("https://api.twilio.com/RE1".into()),
            ),
        ];
        for (label, body, q, expected) in cases {
            match parse(body, *q).unwrap() {
                CallCallback::Turn { event, phone, .. } => {
                    assert_eq!(&event, expected, "{label}");
                    assert_eq!(phone, "+254711000001");
                }
                CallCallback::Ended(_) => panic!("{label}"),
            }
        }
        let CallCallback::Ended(end) = parse(
            b"CallSid=CA1&From=%2B254711000001&CallStatus=completed&CallDuration=61",
            None,
        )
        .unwrap() else {
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
