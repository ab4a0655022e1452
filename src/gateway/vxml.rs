//! VoiceXML 2.1: one document per turn, fetched by `GET`/`POST /voice/vxml`.
//!
//! A turn is a `<form>` whose `<field>` carries an inline DTMF grammar (in the VoiceXML
//! namespace), the prompt as `<audio src="...">fallback text</audio>`, `<noinput>`/`<nomatch>`
//! and a `<filled>` that `<submit>`s the keys back with the session id in the URL. The last
//! document says goodbye and `<disconnect/>`s; the platform's `connection.disconnect.hangup`
//! event (caller or us hanging up) submits `event=hangup` so the call is closed in the log.
//!
//! The caller's number: the first request carries `caller` (and `session`); without `caller`
//! a bootstrap document submits `session.connection.remote.uri`.
//!
//! A recorded complaint (`<record>`) is uploaded as `multipart/form-data` to
//! [`RECORDING_PATH`], the audio in the `recording` part; we store it (`voice::recording`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::xml::{W, content, document, empty, end, start};
use super::{GatewayError, Route, VoiceGateway, VoiceRequest, WireRequest, e164, form};
use crate::channel::{Event, Inbound, Input, Recording, Upload};
use crate::domain::SessionEnd;
use crate::voice::{Collect, Turn, Urls};

pub const NAME: &str = "vxml";

/// Languages VoiceXML platforms commonly synthesise among ours (every `<audio>` carries
/// its text anyway).
pub const TTS_LANGUAGES: &[&str] = &["en", "fr"];

pub const CONTENT_TYPE: &str = "application/voicexml+xml; charset=utf-8";

/// Where a `<record>` result is submitted (`multipart/form-data`, the audio in `recording`):
/// the one route with a body limit large enough for audio.
pub const RECORDING_PATH: &str = "/voice/vxml/recording";

/// Largest recording upload: a two-minute complaint in 8 kHz 16-bit WAV is under 2 MiB.
pub const MAX_RECORDING_BYTES: usize = 8 * 1024 * 1024;

const PATH: &str = "/voice/vxml";

/// VoiceXML platforms, as a plug-in of the runner.
#[derive(Default)]
pub struct VoiceXml;

impl VoiceGateway for VoiceXml {
    fn name(&self) -> &'static str {
        NAME
    }

    fn routes(&self) -> &'static [Route] {
        &[
            Route {
                path: PATH,
                get: true,
                put: false,
                max_body: None,
            },
            Route {
                path: RECORDING_PATH,
                get: false,
                put: false,
                max_body: Some(MAX_RECORDING_BYTES),
            },
        ]
    }

    fn tts_languages(&self) -> &'static [&'static str] {
        TTS_LANGUAGES
    }

    fn content_type(&self) -> &'static str {
        CONTENT_TYPE
    }

    fn decode(&self, request: &WireRequest) -> Result<VoiceRequest, GatewayError> {
        let mut params = request.query.clone();
        if request.is_form() && !request.body.is_empty() {
            params.extend(form::pairs(&request.body)?);
        }
        let upload = if request.path == RECORDING_PATH {
            Some(recording_part(request, &mut params)?)
        } else {
            None
        };
        Ok(match parse(&params, new_session_id)? {
            Parsed::Bootstrap { session_id } => {
                VoiceRequest::Answer(render_bootstrap(&session_id, &self.urls(request)))
            }
            Parsed::Ended {
                session_id,
                phone,
                cause,
            } => VoiceRequest::Hop(Inbound {
                session_id: session_id.clone(),
                phone: phone.clone().unwrap_or_default(),
                event: Event::End(SessionEnd {
                    gateway: NAME.into(),
                    session_id,
                    status: cause,
                    phone,
                    ..SessionEnd::default()
                }),
            }),
            Parsed::Turn {
                session_id,
                phone,
                event,
            } => VoiceRequest::Hop(Inbound {
                session_id,
                phone,
                // On the upload route the audio is the event, whatever else was submitted.
                event: match upload {
                    None => event,
                    Some(Some(upload)) => Event::Recording(Recording::Uploaded(upload)),
                    Some(None) => Event::Recording(Recording::Empty),
                },
            }),
        })
    }

    fn urls(&self, request: &WireRequest) -> Urls {
        Urls {
            callback: request.url(PATH),
            base: request.base_url.clone(),
        }
    }

    fn render(&self, turn: &Turn, urls: &Urls, inbound: &Inbound) -> String {
        render(turn, urls, &inbound.phone)
    }

    fn render_end(&self) -> String {
        render_exit()
    }
}

/// A session id for a call the platform did not name (platform-neutral documents cannot rely
/// on one): unique within this process and across restarts.
fn new_session_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "vx{}{}",
        chrono::Utc::now().timestamp_micros(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Longest text field beside the audio: they are ids, numbers and events.
const MAX_FIELD_BYTES: usize = 1024;

/// The uploaded audio (the `recording` part), the other text parts added to `params`.
fn recording_part(
    request: &WireRequest,
    params: &mut Vec<(String, String)>,
) -> Result<Option<Upload>, GatewayError> {
    if !request.is_multipart() {
        return Err(GatewayError::NotMultipart);
    }
    let mut audio = None;
    for part in &request.parts {
        if part.name == "recording" {
            if audio.is_some() {
                return Err(GatewayError::Malformed {
                    field: "recording",
                    reason: "more than one recording".into(),
                });
            }
            audio = Some(part.data.clone());
        } else if part.file_name.is_none() {
            if part.data.len() > MAX_FIELD_BYTES {
                return Err(GatewayError::Malformed {
                    field: "multipart",
                    reason: format!("field `{}` too long", part.name),
                });
            }
            let value = String::from_utf8(part.data.to_vec())
                .map_err(|_| GatewayError::NotUtf8(part.name.clone()))?;
            params.push((part.name.clone(), value));
        }
    }
    Ok(audio
        .filter(|a| !a.is_empty())
        .map(|audio| Upload { audio }))
}

#[allow(clippy::large_enum_variant)] // one per request, consumed at once
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// No caller number yet: answer with the bootstrap document.
    Bootstrap { session_id: String },
    Turn {
        session_id: String,
        phone: String,
        event: Event,
    },
    /// The call is over (`event=hangup`), after `duration` seconds if the platform said.
    Ended {
        session_id: String,
        phone: Option<String>,
        cause: String,
    },
}

/// Parses query and form parameters (merged; the form wins).
pub fn parse(
    params: &[(String, String)],
    new_session_id: impl FnOnce() -> String,
) -> Result<Parsed, GatewayError> {
    let get = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let session_id = match get("session") {
        Some(s)
            if s.len() <= 128
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
        {
            s.to_string()
        }
        Some(_) => {
            return Err(GatewayError::Malformed {
                field: "session",
                reason: "letters, digits, - _ . only (128 at most)".into(),
            });
        }
        None => new_session_id(),
    };
    let phone = match get("caller") {
        None => None,
        Some(raw) => {
            // `tel:+221...` or `sip:+221...@host` from session.connection.remote.uri.
            let raw = raw.trim_start_matches("tel:").trim_start_matches("sip:");
            let raw = raw.split(['@', ';']).next().unwrap_or(raw);
            Some(e164("caller", raw, None)?)
        }
    };
    let event = get("event");
    if event == Some("hangup") {
        return Ok(Parsed::Ended {
            session_id,
            phone,
            cause: get("cause").unwrap_or("hangup").to_string(),
        });
    }
    let Some(phone) = phone else {
        return Ok(Parsed::Bootstrap { session_id });
    };
    let event = match (event, get("digits"), get("recording")) {
        (_, _, Some(url)) => Event::Recording(Recording::Hosted(url.to_string())),
        (Some("noinput"), _, _) => Event::NoInput,
        (Some("nomatch"), _, _) => Event::NoMatch,
        // DTMF results come back as space-separated tokens ("1 2 3").
        (_, Some(d), _) => Event::Input(Input::Latest(d.split_whitespace().collect())),
        (Some("input"), None, _) => Event::Input(Input::Latest(String::new())),
        _ => Event::Start,
    };
    Ok(Parsed::Turn {
        session_id,
        phone,
        event,
    })
}

fn xml_lang(lang: &str) -> &str {
    match lang {
        "en" => "en-GB",
        "fr" => "fr-FR",
        "sw" => "sw-KE",
        "wo" => "wo-SN",
        other => other,
    }
}

fn begin(lang: &str) -> W {
    let mut w = document();
    start(
        &mut w,
        "vxml",
        &[
            ("version", "2.1"),
            ("xmlns", "http://www.w3.org/2001/vxml"),
            ("xml:lang", xml_lang(lang)),
        ],
    );
    w
}

fn finish(mut w: W) -> String {
    end(&mut w, "vxml");
    super::xml::finish(w)
}

fn submit(w: &mut W, next: &str, namelist: Option<&str>) {
    let mut attrs = vec![("next", next), ("method", "post")];
    if let Some(names) = namelist {
        attrs.push(("namelist", names));
    }
    empty(w, "submit", &attrs);
}

fn prompt(w: &mut W, turn: &Turn, urls: &Urls) {
    start(w, "prompt", &[]);
    for segment in &turn.segments {
        // A missing recording is still named: the platform then speaks the text.
        let src = match &segment.audio {
            Some(audio) => urls.audio(audio, false),
            None => format!("{}/audio/{}/tts.wav", urls.base, segment.lang),
        };
        start(w, "audio", &[("src", &src)]);
        content(w, &segment.text);
        end(w, "audio");
    }
    end(w, "prompt");
}

/// A DTMF grammar: one key of `0-9 * #`, or up to 40 digits.
fn grammar(w: &mut W, digits: bool) {
    start(
        w,
        "grammar",
        &[("mode", "dtmf"), ("version", "1.0"), ("root", "keys")],
    );
    start(w, "rule", &[("id", "keys"), ("scope", "public")]);
    let keys: &[&str] = if digits {
        &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    } else {
        &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]
    };
    let repeat = if digits { Some("1-40") } else { None };
    if let Some(r) = repeat {
        start(w, "item", &[("repeat", r)]);
    }
    start(w, "one-of", &[]);
    for k in keys {
        start(w, "item", &[]);
        content(w, k);
        end(w, "item");
    }
    end(w, "one-of");
    if repeat.is_some() {
        end(w, "item");
    }
    end(w, "rule");
    end(w, "grammar");
}

/// The document for one turn. `phone` is carried in the callback URLs (the interpreter
/// posts it back with each turn).
pub fn render(turn: &Turn, urls: &Urls, phone: &str) -> String {
    let mut w = begin(&turn.lang);
    let ids = format!("session={}&caller={}", enc(&turn.session_id), enc(phone));
    let base = urls.callback_with(&ids);
    let with = |event: &str| format!("{base}&event={event}");
    start(
        &mut w,
        "catch",
        &[("event", "connection.disconnect.hangup")],
    );
    submit(&mut w, &with("hangup"), None);
    end(&mut w, "catch");
    start(&mut w, "form", &[("id", "turn")]);
    let timeout = format!("{}s", turn.timeout_secs);
    match &turn.collect {
        Collect::Key | Collect::Digits => {
            let digits = turn.collect == Collect::Digits;
            empty(
                &mut w,
                "property",
                &[("name", "timeout"), ("value", &timeout)],
            );
            empty(
                &mut w,
                "property",
                &[("name", "interdigittimeout"), ("value", &timeout)],
            );
            empty(
                &mut w,
                "property",
                &[
                    ("name", "termchar"),
                    ("value", if digits { "#" } else { "" }),
                ],
            );
            start(&mut w, "field", &[("name", "digits")]);
            grammar(&mut w, digits);
            prompt(&mut w, turn, urls);
            start(&mut w, "noinput", &[]);
            submit(&mut w, &with("noinput"), None);
            end(&mut w, "noinput");
            start(&mut w, "nomatch", &[]);
            submit(&mut w, &with("nomatch"), None);
            end(&mut w, "nomatch");
            start(&mut w, "filled", &[]);
            submit(&mut w, &with("input"), Some("digits"));
            end(&mut w, "filled");
            end(&mut w, "field");
        }
        Collect::Record { max_secs } => {
            let max = format!("{max_secs}s");
            start(
                &mut w,
                "record",
                &[
                    ("name", "recording"),
                    ("beep", "true"),
                    ("maxtime", &max),
                    ("finalsilence", "4s"),
                    ("dtmfterm", "true"),
                    ("type", "audio/x-wav"),
                ],
            );
            prompt(&mut w, turn, urls);
            start(&mut w, "noinput", &[]);
            submit(&mut w, &with("noinput"), None);
            end(&mut w, "noinput");
            start(&mut w, "filled", &[]);
            // The audio itself is uploaded, to the route that accepts its size.
            let upload = Urls {
                callback: format!("{}{RECORDING_PATH}", urls.base),
                base: urls.base.clone(),
            }
            .callback_with(&format!("{ids}&event=recorded"));
            empty(
                &mut w,
                "submit",
                &[
                    ("next", &upload),
                    ("method", "post"),
                    ("enctype", "multipart/form-data"),
                    ("namelist", "recording"),
                ],
            );
            end(&mut w, "filled");
            end(&mut w, "record");
        }
        Collect::Transfer(number) => {
            start(&mut w, "block", &[]);
            prompt(&mut w, turn, urls);
            end(&mut w, "block");
            let dest = format!("tel:{number}");
            start(
                &mut w,
                "transfer",
                &[("name", "agent"), ("dest", &dest), ("bridge", "true")],
            );
            end(&mut w, "transfer");
            start(&mut w, "block", &[]);
            empty(&mut w, "disconnect", &[]);
            end(&mut w, "block");
        }
        Collect::Hangup => {
            start(&mut w, "block", &[]);
            prompt(&mut w, turn, urls);
            empty(&mut w, "disconnect", &[]);
            end(&mut w, "block");
        }
    }
    end(&mut w, "form");
    finish(w)
}

/// Asks the interpreter for the caller's number, then comes back.
pub fn render_bootstrap(session_id: &str, urls: &Urls) -> String {
    let mut w = begin("en");
    start(&mut w, "form", &[("id", "bootstrap")]);
    empty(
        &mut w,
        "var",
        &[
            ("name", "caller"),
            ("expr", "session.connection.remote.uri"),
        ],
    );
    start(&mut w, "block", &[]);
    let next = urls.callback_with(&format!("session={}", enc(session_id)));
    submit(&mut w, &next, Some("caller"));
    end(&mut w, "block");
    end(&mut w, "form");
    finish(w)
}

/// The answer to `event=hangup`: nothing more to do.
pub fn render_exit() -> String {
    let mut w = begin("en");
    start(&mut w, "form", &[("id", "bye")]);
    start(&mut w, "block", &[]);
    empty(&mut w, "exit", &[]);
    end(&mut w, "block");
    end(&mut w, "form");
    finish(w)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice::Segment;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn requests() {
        let new = || "generated".to_string();
        assert_eq!(
            parse(&params(&[]), new),
            Ok(Parsed::Bootstrap {
                session_id: "generated".into()
            })
        );
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Event);
        let cases: &[Case] = &[
            (
                "bootstrap answer",
                &[("session", "v1"), ("caller", "tel:+221786452821")],
                Event::Start,
            ),
            (
                "key",
                &[
                    ("session", "v1"),
                    ("caller", "+221786452821"),
                    ("event", "input"),
                    ("digits", "1"),
                ],
                Event::Input(Input::Latest("1".into())),
            ),
            (
                "tokens",
                &[
                    ("session", "v1"),
                    ("caller", "sip:+221786452821@gw"),
                    ("event", "input"),
                    ("digits", "1 2 3"),
                ],
                Event::Input(Input::Latest("123".into())),
            ),
            (
                "noinput",
                &[
                    ("session", "v1"),
                    ("caller", "+221786452821"),
                    ("event", "noinput"),
                ],
                Event::NoInput,
            ),
            (
                "nomatch",
                &[
                    ("session", "v1"),
                    ("caller", "+221786452821"),
                    ("event", "nomatch"),
                ],
                Event::NoMatch,
            ),
        ];
        for (label, p, expected) in cases {
            match parse(&params(p), new).unwrap() {
                Parsed::Turn {
                    event,
                    phone,
                    session_id,
                } => {
                    assert_eq!(&event, expected, "{label}");
                    assert_eq!(
                        (phone.as_str(), session_id.as_str()),
                        ("+221786452821", "v1")
                    );
                }
                other => panic!("{label}: {other:?}"),
            }
        }
        assert!(matches!(
            parse(&params(&[("session", "v1"), ("event", "hangup")]), new),
            Ok(Parsed::Ended { .. })
        ));
        assert!(parse(&params(&[("session", "a b")]), new).is_err());
        assert!(parse(&params(&[("caller", "0711")]), new).is_err());
    }

    /// Labelled wire requests through the plug-in: a bootstrap is answered by the gateway
    /// alone; a hang-up ends the session; the recording route wants multipart.
    #[test]
    fn plug_in_cases() {
        let request = crate::gateway::case_request;
        match VoiceXml.decode(&request("/voice/vxml", b"")).unwrap() {
            VoiceRequest::Answer(doc) => assert!(doc.contains("session.connection.remote.uri")),
            other => panic!("bootstrap: {other:?}"),
        }
        match VoiceXml
            .decode(&request(
                "/voice/vxml?session=v1&caller=%2B221786452821&event=hangup&cause=busy",
                b"",
            ))
            .unwrap()
        {
            VoiceRequest::Hop(Inbound {
                event: Event::End(end),
                ..
            }) => assert_eq!(
                (end.session_id.as_str(), end.status.as_str()),
                ("v1", "busy")
            ),
            other => panic!("hang-up: {other:?}"),
        }
        match VoiceXml
            .decode(&request(
                "/voice/vxml?session=v1",
                b"caller=%2B221786452821&event=input&digits=2",
            ))
            .unwrap()
        {
            VoiceRequest::Hop(inbound) => {
                assert_eq!(inbound.event, Event::Input(Input::Latest("2".into())))
            }
            other => panic!("form body: {other:?}"),
        }
        assert_eq!(
            VoiceXml.decode(&request(
                "/voice/vxml/recording?session=v1&caller=%2B221786452821",
                b"recording=x"
            )),
            Err(GatewayError::NotMultipart)
        );
    }

    #[test]
    fn documents_escape_text_and_carry_the_session() {
        let turn = Turn {
            session_id: "v1".into(),
            lang: "fr".into(),
            segments: vec![Segment {
                text: "A & <B>".into(),
                lang: "fr".into(),
                audio: None,
            }],
            collect: Collect::Key,
            timeout_secs: 8,
        };
        let urls = Urls {
            callback: "http://h/voice/vxml".into(),
            base: "http://h".into(),
        };
        let doc = render(&turn, &urls, "+221786452821");
        assert!(doc.contains("A &amp; &lt;B&gt;"), "{doc}");
        assert!(
            doc.contains("session=v1&amp;caller=%2B221786452821&amp;event=input"),
            "{doc}"
        );
    }
}
