//! The voice hotline end to end over real HTTP: whole calls through Africa's Talking voice,
//! Twilio and VoiceXML, in every shipped language, keys in, XML out, final hang-up callback,
//! with the CRM read back. Every VoiceXML document the suite receives is validated against
//! the W3C VoiceXML 2.1 schema with `xmllint` (Debian `libxml2-utils`; a missing tool fails
//! the test). Every prompt URL a reply names is fetched once and checked (status, content
//! type, cache header, and for WAV the 8 kHz mono 16-bit header).

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use quick_xml::events::Event;
use sha1::Sha1;

use dalal::reference::{Typed, parse_typed};
use support::{TestServer, start, start_with};

const FR_WATER: &str = "+221786452821"; // SNW100000, fr, Plateau, bill 66 860 FCFA unpaid
const WO_POWER: &str = "+221786562901"; // SNE100001, wo, Médina, bill 75 005 FCFA
const TWO_ACCOUNTS: &str = "+221706606044"; // SNE100002 (Pikine, OUT0001) + SNW100003
const SW_WATER: &str = "+254112207544"; // KEW100012, sw, partially paid KES bill
const EN_POWER: &str = "+254729141428"; // KEE100010, en, paid KES bill
const NO_LANGUAGE: &str = "+221785841036"; // SNE100005, language unknown
const UNKNOWN: &str = "+221770000099"; // linked to no account

const SCHEMAS: &str = "../shared/schemas/voicexml21";
const TWILIO_TOKEN: &str = "test-twilio-auth-token";

// --- a small XML tree ------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every descendant (depth first, document order) named `name`.
    fn all(&self, name: &str) -> Vec<&El> {
        let mut out = Vec::new();
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            out.extend(c.all(name));
        }
        out
    }

    fn names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
}

fn parse_xml(xml: &str) -> El {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<El> = vec![El::default()];
    let element = |e: &quick_xml::events::BytesStart| El {
        name: e.name().0.to_string(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("attribute");
                (
                    a.key.0.to_string(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .expect("attribute value")
                        .into_owned(),
                )
            })
            .collect(),
        ..Default::default()
    };
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("not XML ({e}): {xml}"))
        {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(element(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let s = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => match r.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => panic!("entity {other} in {xml}"),
                    },
                };
                stack.last_mut().unwrap().text.push_str(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML: {xml}");
    let mut roots = stack.pop().unwrap().children;
    assert_eq!(roots.len(), 1, "one root element: {xml}");
    roots.pop().unwrap()
}

// --- VoiceXML validation --------------------------------------------------------------------

/// Validates a VoiceXML document against the W3C schema with xmllint; panics otherwise.
fn validate_vxml(doc: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.vxml");
    std::fs::write(&file, doc).unwrap();
    let schemas = Path::new(SCHEMAS);
    let output = Command::new("xmllint")
        .env("XML_CATALOG_FILES", schemas.join("catalog.xml"))
        .args(["--noout", "--nonet", "--schema"])
        .arg(schemas.join("vxml.xsd"))
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint cannot run ({e}): install libxml2-utils (tests/services.sh start does)")
        });
    assert!(
        output.status.success(),
        "VoiceXML document fails the W3C schema:\n{}\n{doc}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// --- one call, any protocol -----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    At,
    Twilio,
    Vxml,
}

const PROTOCOLS: [Proto; 3] = [Proto::At, Proto::Twilio, Proto::Vxml];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Collect {
    Key,
    Digits,
    Record,
    Transfer(String),
    Hangup,
}

/// One reply, read back from the XML.
#[derive(Debug, Clone)]
struct Turn {
    xml: String,
    /// Each thing said in order: `lang/prompt-id` for a recording, `say:<text>` otherwise.
    said: Vec<String>,
    /// The text of every segment (VoiceXML only: `<audio>` carries its text).
    text: String,
    collect: Collect,
    timeout: Option<String>,
}

impl Turn {
    /// Whether a prompt is said: `lang/id` exactly, or a run of message `id` (`id.<hash>`).
    fn says(&self, piece: &str) -> bool {
        self.said
            .iter()
            .any(|s| s == piece || s.strip_prefix(piece).is_some_and(|r| r.starts_with('.')))
    }

    /// The prompts said, as one space-separated string (to look for a sequence).
    fn line(&self) -> String {
        self.said.join(" ")
    }

    fn assert_says(&self, piece: &str) {
        assert!(self.says(piece), "{piece} not said: {:#?}", self.said);
    }

    fn assert_sequence(&self, pieces: &str) {
        assert!(
            self.line().contains(pieces),
            "{pieces:?} not said in order: {}",
            self.line()
        );
    }

    /// Keys offered on this turn: the number spoken after each "press".
    fn offered_keys(&self) -> Vec<String> {
        self.said
            .windows(2)
            .filter(|w| w[0].ends_with("/voice-press"))
            .map(|w| w[1].rsplit("num-").next().unwrap().to_string())
            .collect()
    }
}

/// A prompt URL `http://host/audio/fr/main-bill.mp3` as `fr/main-bill`, checking the extension.
fn prompt_id(url: &str, ext: &str) -> String {
    let path = url
        .split("/audio/")
        .nth(1)
        .unwrap_or_else(|| panic!("{url}"));
    let id = path
        .strip_suffix(ext)
        .unwrap_or_else(|| panic!("{url} is not a {ext} prompt"));
    id.to_string()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Twilio's documented signature, computed here independently of the server's code.
fn twilio_signature(token: &str, url: &str, pairs: &[(&str, &str)]) -> String {
    let mut sorted = pairs.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Prompt URLs already fetched and checked, per process.
static FETCHED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

struct VoiceCall<'a> {
    server: &'a TestServer,
    proto: Proto,
    session: String,
    phone: String,
    /// Sign Twilio requests with this token.
    token: Option<&'static str>,
    /// Send this gateway key (`X-Dalal-Key`).
    key: Option<&'static str>,
    last: Option<Turn>,
}

fn call<'a>(server: &'a TestServer, proto: Proto, phone: &str) -> VoiceCall<'a> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    VoiceCall {
        server,
        proto,
        session: format!("V{n}x{}", std::process::id()),
        phone: phone.to_string(),
        token: None,
        key: None,
        last: None,
    }
}

impl VoiceCall<'_> {
    fn path(&self) -> &'static str {
        match self.proto {
            Proto::At => "/voice/africastalking",
            Proto::Twilio => "/voice/twilio",
            Proto::Vxml => "/voice/vxml",
        }
    }

    /// POSTs form fields to the gateway path (with `query` after `?`); returns status and body.
    async fn raw(&self, query: &str, pairs: &[(&str, &str)]) -> (u16, String, String) {
        let path = if query.is_empty() {
            self.path().to_string()
        } else {
            format!("{}?{query}", self.path())
        };
        let url = format!("{}{path}", self.server.base);
        let mut request = self
            .server
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        if let Some(token) = self.token {
            request = request.header("X-Twilio-Signature", twilio_signature(token, &url, pairs));
        }
        if let Some(key) = self.key {
            request = request.header("X-Dalal-Key", key);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    async fn send(&mut self, query: &str, extra: &[(&str, &str)]) -> Turn {
        let mut pairs: Vec<(&str, &str)> = match self.proto {
            Proto::At => vec![
                ("isActive", "1"),
                ("sessionId", &self.session),
                ("direction", "Inbound"),
                ("callerNumber", &self.phone),
                ("destinationNumber", "+221338000000"),
            ],
            Proto::Twilio => vec![
                ("CallSid", &self.session),
                ("AccountSid", "ACtest"),
                ("From", &self.phone),
                ("To", "+221338000000"),
                ("CallStatus", "in-progress"),
                ("Direction", "inbound"),
            ],
            Proto::Vxml => vec![("session", &self.session), ("caller", &self.phone)],
        };
        pairs.extend_from_slice(extra);
        let (status, content_type, body) = self.raw(query, &pairs).await;
        assert_eq!(status, 200, "{:?} {query} {extra:?}: {body}", self.proto);
        let turn = self.read(&content_type, &body).await;
        self.last = Some(turn.clone());
        turn
    }

    /// Reads a reply: the protocol's rules, then what it says and what it waits for.
    async fn read(&self, content_type: &str, body: &str) -> Turn {
        let root = parse_xml(body);
        let base = &self.server.base;
        let callback = format!("{base}{}", self.path());
        let mut said = Vec::new();
        let mut text = String::new();
        let mut timeout = None;
        let collect = match self.proto {
            Proto::At => {
                assert_eq!(content_type, "application/xml", "{body}");
                assert_eq!(root.name, "Response", "{body}");
                let mut speak = |parent: &El| {
                    for c in &parent.children {
                        match c.name.as_str() {
                            "Play" => said.push(prompt_id(c.attr("url").unwrap(), ".mp3")),
                            "Say" => said.push(format!("say:{}", c.text)),
                            _ => {}
                        }
                    }
                };
                speak(&root);
                let names = root.names();
                if let Some(g) = root.children.iter().find(|c| c.name == "GetDigits") {
                    speak(g);
                    assert_eq!(g.attr("callbackUrl"), Some(callback.as_str()), "{body}");
                    assert_eq!(g.attr("finishOnKey"), Some("#"), "{body}");
                    timeout = g.attr("timeout").map(str::to_string);
                    // On a timeout AT runs the next element: our Redirect takes control back.
                    assert_eq!(names, ["GetDigits", "Redirect"], "{body}");
                    assert_eq!(root.children[1].text, format!("{callback}?event=noinput"));
                    match g.attr("numDigits") {
                        Some("1") => Collect::Key,
                        None => Collect::Digits,
                        other => panic!("numDigits {other:?}: {body}"),
                    }
                } else if let Some(r) = root.children.iter().find(|c| c.name == "Record") {
                    assert_eq!(r.attr("callbackUrl"), Some(callback.as_str()), "{body}");
                    assert_eq!(r.attr("finishOnKey"), Some("#"), "{body}");
                    assert_eq!(names.last(), Some(&"Redirect"), "{body}");
                    Collect::Record
                } else if let Some(d) = root.children.iter().find(|c| c.name == "Dial") {
                    Collect::Transfer(d.attr("phoneNumbers").unwrap().to_string())
                } else {
                    // AT has no hangup verb: a reply that asks nothing more ends the call.
                    assert!(names.iter().all(|n| *n == "Play" || *n == "Say"), "{body}");
                    Collect::Hangup
                }
            }
            Proto::Twilio => {
                assert_eq!(content_type, "text/xml", "{body}");
                assert_eq!(root.name, "Response", "{body}");
                let mut speak = |parent: &El| {
                    for c in &parent.children {
                        match c.name.as_str() {
                            "Play" => said.push(prompt_id(&c.text, ".wav")),
                            "Say" => {
                                assert!(c.attr("language").is_some(), "{body}");
                                said.push(format!("say:{}", c.text))
                            }
                            _ => {}
                        }
                    }
                };
                speak(&root);
                let names = root.names();
                if let Some(g) = root.children.iter().find(|c| c.name == "Gather") {
                    speak(g);
                    assert_eq!(g.attr("action"), Some(callback.as_str()), "{body}");
                    assert_eq!(g.attr("method"), Some("POST"), "{body}");
                    timeout = g.attr("timeout").map(str::to_string);
                    assert_eq!(names, ["Gather", "Redirect"], "{body}");
                    assert_eq!(root.children[1].text, format!("{callback}?event=noinput"));
                    match (g.attr("numDigits"), g.attr("finishOnKey")) {
                        // `*` and `#` must reach us as keys on menus.
                        (Some("1"), Some("")) => Collect::Key,
                        (None, Some("#")) => Collect::Digits,
                        other => panic!("Gather {other:?}: {body}"),
                    }
                } else if let Some(r) = root.children.iter().find(|c| c.name == "Record") {
                    assert_eq!(r.attr("action"), Some(callback.as_str()), "{body}");
                    Collect::Record
                } else if let Some(d) = root.children.iter().find(|c| c.name == "Dial") {
                    Collect::Transfer(d.text.clone())
                } else {
                    assert_eq!(names.last(), Some(&"Hangup"), "{body}");
                    Collect::Hangup
                }
            }
            Proto::Vxml => {
                assert_eq!(
                    content_type, "application/voicexml+xml; charset=utf-8",
                    "{body}"
                );
                validate_vxml(body);
                assert_eq!(root.name, "vxml", "{body}");
                for audio in root.all("audio") {
                    let src = audio.attr("src").unwrap();
                    if src.ends_with("/tts.wav") {
                        said.push(format!("say:{}", audio.text));
                    } else {
                        said.push(prompt_id(src, ".wav"));
                    }
                    text.push_str(&audio.text);
                    text.push(' ');
                }
                // The caller hanging up is reported back, to close the interaction.
                let catch = root.all("catch");
                assert_eq!(
                    catch.first().and_then(|c| c.attr("event")),
                    Some("connection.disconnect.hangup"),
                    "{body}"
                );
                let form = root.all("form");
                let form = form.first().expect("a form");
                if let Some(field) = form.all("field").first() {
                    let props: Vec<(&str, &str)> = form
                        .all("property")
                        .iter()
                        .map(|p| (p.attr("name").unwrap(), p.attr("value").unwrap()))
                        .collect();
                    timeout = props
                        .iter()
                        .find(|(n, _)| *n == "timeout")
                        .map(|(_, v)| v.trim_end_matches('s').to_string());
                    let submits = field.all("submit");
                    assert!(
                        submits.iter().all(|s| s
                            .attr("next")
                            .unwrap()
                            .starts_with(&format!("{callback}?session="))),
                        "{body}"
                    );
                    let grammar = field.all("grammar");
                    assert_eq!(grammar[0].attr("mode"), Some("dtmf"), "{body}");
                    let termchar = props.iter().find(|(n, _)| *n == "termchar").unwrap().1;
                    match termchar {
                        "" => Collect::Key,
                        "#" => Collect::Digits,
                        other => panic!("termchar {other}: {body}"),
                    }
                } else if !form.all("record").is_empty() {
                    Collect::Record
                } else if let Some(t) = form.all("transfer").first() {
                    Collect::Transfer(
                        t.attr("dest")
                            .unwrap()
                            .trim_start_matches("tel:")
                            .to_string(),
                    )
                } else {
                    assert!(!form.all("disconnect").is_empty(), "{body}");
                    Collect::Hangup
                }
            }
        };
        let turn = Turn {
            xml: body.to_string(),
            said,
            text,
            collect,
            timeout,
        };
        self.check_audio(&turn).await;
        turn
    }

    /// Fetches every prompt this turn names (once per process): 200, its content type, a
    /// cache header, and a WAV header of 8 kHz mono 16-bit PCM.
    async fn check_audio(&self, turn: &Turn) {
        let ext = match self.proto {
            Proto::At => "mp3",
            _ => "wav",
        };
        for id in turn.said.iter().filter(|s| !s.starts_with("say:")) {
            let url = format!("{}/audio/{id}.{ext}", self.server.base);
            if !FETCHED.lock().unwrap().insert(format!("{id}.{ext}")) {
                continue;
            }
            let response = self.server.client.get(&url).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{url}");
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default()
            };
            let expected = if ext == "mp3" {
                "audio/mpeg"
            } else {
                "audio/wav"
            };
            assert_eq!(header("content-type"), expected, "{url}");
            assert!(header("cache-control").contains("max-age="), "{url}");
            let bytes = response.bytes().await.unwrap();
            if ext == "wav" {
                let wav = Wav::read(&bytes).unwrap_or_else(|e| panic!("{url}: {e}"));
                assert_eq!((wav.rate, wav.channels, wav.bits), (8000, 1, 16), "{url}");
                assert!(wav.seconds() > 0.05, "{url} is empty");
            } else {
                let mp3 = bytes.starts_with(b"ID3")
                    || (bytes.len() > 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0);
                assert!(mp3, "{url} is not MP3");
            }
        }
    }

    async fn start(&mut self) -> Turn {
        self.send("", &[]).await
    }

    /// Keys pressed: a menu key, or digits (the `#` that ends them is the platform's).
    async fn press(&mut self, keys: &str) -> Turn {
        let last = self.last.as_ref().expect("call started");
        assert!(
            matches!(last.collect, Collect::Key | Collect::Digits),
            "the call does not wait for keys: {}",
            last.xml
        );
        match self.proto {
            Proto::At => self.send("", &[("dtmfDigits", keys)]).await,
            Proto::Twilio => self.send("", &[("Digits", keys)]).await,
            Proto::Vxml => {
                // The interpreter returns DTMF as space-separated tokens.
                let tokens: Vec<String> = keys.chars().map(String::from).collect();
                let tokens = tokens.join(" ");
                self.send("", &[("event", "input"), ("digits", &tokens)])
                    .await
            }
        }
    }

    /// No key before the timeout: what each platform then requests.
    async fn no_input(&mut self) -> Turn {
        match self.proto {
            Proto::At | Proto::Twilio => self.send("event=noinput", &[]).await,
            Proto::Vxml => self.send("", &[("event", "noinput")]).await,
        }
    }

    /// A recording finished (Africa's Talking and Twilio post its URL).
    async fn recorded(&mut self, url: &str) -> Turn {
        assert_eq!(self.last.as_ref().unwrap().collect, Collect::Record);
        match self.proto {
            Proto::At => self.send("", &[("recordingUrl", url)]).await,
            Proto::Twilio => {
                self.send("", &[("RecordingUrl", url), ("RecordingDuration", "12")])
                    .await
            }
            Proto::Vxml => panic!("VoiceXML uploads the recording: use recorded_vxml"),
        }
    }

    /// The `<submit>` of the last turn's `<record>`: where the interpreter uploads the audio.
    fn upload_url(&self) -> String {
        let last = self.last.as_ref().expect("call started");
        assert_eq!(last.collect, Collect::Record, "{}", last.xml);
        let root = parse_xml(&last.xml);
        let record = root.all("record");
        let filled = record[0].all("filled");
        let submit = filled.first().map(|f| f.all("submit")).unwrap_or_default();
        let submit = submit.first().unwrap_or_else(|| panic!("{}", last.xml));
        assert_eq!(submit.attr("method"), Some("post"), "{}", last.xml);
        assert_eq!(
            submit.attr("enctype"),
            Some("multipart/form-data"),
            "{}",
            last.xml
        );
        assert_eq!(submit.attr("namelist"), Some("recording"), "{}", last.xml);
        submit.attr("next").unwrap().to_string()
    }

    /// Uploads `audio` as the interpreter does (`multipart/form-data`, the audio in the
    /// `recording` part) to `url`; returns status, content type and body.
    async fn upload(&self, url: &str, audio: &[u8]) -> (u16, String, String) {
        let boundary = "----dalal-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"recording\"; \
                 filename=\"recording.wav\"\r\nContent-Type: audio/x-wav\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(audio);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut request = self.server.client.post(url).header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(key) = self.key {
            request = request.header("X-Dalal-Key", key);
        }
        let response = request.body(body).send().await.expect("upload sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    /// A VoiceXML recording finished: the interpreter uploads it where the document says.
    async fn recorded_vxml(&mut self, audio: &[u8]) -> Turn {
        let url = self.upload_url();
        let (status, content_type, body) = self.upload(&url, audio).await;
        assert_eq!(status, 200, "{body}");
        let turn = self.read(&content_type, &body).await;
        self.last = Some(turn.clone());
        turn
    }

    /// The platform's last request: the call is over.
    async fn hang_up(&mut self, seconds: u32, cause: &str) {
        let secs = seconds.to_string();
        let (status, content_type, body) = match self.proto {
            Proto::At => {
                self.raw(
                    "",
                    &[
                        ("isActive", "0"),
                        ("sessionId", &self.session),
                        ("direction", "Inbound"),
                        ("callerNumber", &self.phone),
                        ("destinationNumber", "+221338000000"),
                        ("durationInSeconds", &secs),
                        ("hangupCause", cause),
                        ("currencyCode", "XOF"),
                        ("amount", "12.5"),
                    ],
                )
                .await
            }
            Proto::Twilio => {
                self.raw(
                    "",
                    &[
                        ("CallSid", &self.session),
                        ("From", &self.phone),
                        ("To", "+221338000000"),
                        ("CallStatus", cause),
                        ("CallDuration", &secs),
                    ],
                )
                .await
            }
            Proto::Vxml => {
                self.raw(
                    "",
                    &[
                        ("session", &self.session),
                        ("caller", &self.phone),
                        ("event", "hangup"),
                        ("cause", cause),
                    ],
                )
                .await
            }
        };
        assert_eq!(status, 200, "{body}");
        let root = parse_xml(&body);
        match self.proto {
            Proto::At | Proto::Twilio => {
                assert_eq!(root.name, "Response", "{body}");
                assert!(root.children.is_empty(), "{body}");
            }
            Proto::Vxml => {
                assert_eq!(content_type, "application/voicexml+xml; charset=utf-8");
                validate_vxml(&body);
                assert_eq!(root.all("exit").len(), 1, "{body}");
            }
        }
    }

    fn gateway(&self) -> &'static str {
        match self.proto {
            Proto::At => "africastalking_voice",
            Proto::Twilio => "twilio",
            Proto::Vxml => "vxml",
        }
    }

    /// A scalar about this call's interaction row.
    async fn interaction(&self, what: &str) -> i64 {
        self.server
            .count(&format!(
                "SELECT COUNT(*) FROM interactions WHERE gateway = '{}' AND session_id = '{}' AND {what}",
                self.gateway(),
                self.session
            ))
            .await
    }

    /// Asserts the call is logged once, channel voice, closed with duration and cause.
    async fn assert_closed(&self, lang: &str, seconds: i64, cause: &str) {
        let ended = if support::production() {
            "ended"
        } else {
            "ended = 1"
        };
        // VoiceXML platforms do not report the duration: the server measures it.
        let duration = match self.proto {
            Proto::Vxml => "end_duration_ms >= 0".to_string(),
            _ => format!("end_duration_ms = {}", seconds * 1000),
        };
        let n = self
            .interaction(&format!(
                "channel = 'voice' AND phone = '{}' AND language = '{lang}' AND {ended} \
                 AND {duration} AND end_status = '{cause}'",
                self.phone,
            ))
            .await;
        assert_eq!(
            n, 1,
            "{:?} call {} not closed as voice/{lang}/{cause}",
            self.proto, self.session
        );
    }
}

// --- WAV header -----------------------------------------------------------------------------

struct Wav {
    rate: u32,
    channels: u16,
    bits: u16,
    data_len: usize,
}

impl Wav {
    fn read(bytes: &[u8]) -> Result<Wav, String> {
        if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err("not a RIFF/WAVE file".into());
        }
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let mut at = 12;
        let mut fmt = None;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let len = u32_at(at + 4) as usize;
            let body = at + 8;
            if id == b"fmt " {
                if u16_at(body) != 1 {
                    return Err(format!("not PCM (format {})", u16_at(body)));
                }
                fmt = Some((u32_at(body + 4), u16_at(body + 2), u16_at(body + 14)));
            } else if id == b"data" {
                let (rate, channels, bits) = fmt.ok_or("data before fmt")?;
                return Ok(Wav {
                    rate,
                    channels,
                    bits,
                    data_len: len.min(bytes.len() - body),
                });
            }
            at = body + len + (len & 1);
        }
        Err("no data chunk".into())
    }

    fn seconds(&self) -> f64 {
        self.data_len as f64 / (f64::from(self.rate) * f64::from(self.channels) * 2.0)
    }
}

// --- tests ----------------------------------------------------------------------------------

/// Per language: the phone, the first words of the main menu, and the bill's amount as
/// prompts (Wolof has no recordings yet: it falls back to the French ones).
const LANGUAGES: [(&str, &str, &str, &str); 4] = [
    (
        "fr",
        FR_WATER,
        "fr",
        "fr/num-60 fr/num-6 fr/num-1000 fr/num-8 fr/num-100 fr/num-60 fr/cur-XOF",
    ),
    (
        "wo",
        WO_POWER,
        "fr",
        "fr/num-60 fr/num-15 fr/num-1000 fr/num-5 fr/cur-XOF",
    ),
    (
        "sw",
        SW_WATER,
        "sw",
        "sw/num-1000 sw/num-8 sw/num-100 sw/num-9 sw/num-60 sw/word-and sw/num-8 sw/cur-KES sw/num-50 sw/cur-KES-minor",
    ),
    (
        "en",
        EN_POWER,
        "en",
        "en/num-8 en/num-1000 en/num-7 en/num-100 en/num-80 en/cur-KES",
    ),
];

/// Dials, hears the main menu (first page: five choices, function before key), repeats it,
/// checks the bill, hears it, and hangs up.
async fn whole_call(mut call: VoiceCall<'_>, lang: &str, voice: &str, amount: &str) {
    let menu = call.start().await;
    assert_eq!(menu.collect, Collect::Key, "{}", menu.xml);
    assert_eq!(menu.timeout.as_deref(), Some("8"), "default key timeout");
    assert_eq!(
        menu.said[0],
        format!("{voice}/main-title"),
        "{:?}",
        menu.said
    );
    assert_eq!(
        menu.offered_keys(),
        ["1", "2", "3", "4", "5"],
        "{:?}",
        menu.said
    );
    // "To check your bill, press 1": the function first, then the key.
    menu.assert_sequence(&format!(
        "{voice}/main-bill {voice}/voice-press {voice}/num-1"
    ));
    menu.assert_sequence(&format!(
        "{voice}/main-area-outages {voice}/voice-press {voice}/num-5"
    ));
    for nav in ["voice-more", "voice-agent", "voice-repeat"] {
        menu.assert_says(&format!("{voice}/{nav}"));
    }
    assert!(
        !menu.said.iter().any(|s| s.starts_with("say:")),
        "{lang}: every prompt recorded or falling back to a recording: {:?}",
        menu.said
    );
    let again = call.press("*").await;
    assert_eq!(again.said, menu.said, "* repeats the prompt");
    let bill = call.press("1").await;
    bill.assert_sequence(amount);
    // A completed call asks how it went (the phone's first survey), then says goodbye.
    assert_eq!(bill.collect, Collect::Key, "{}", bill.xml);
    bill.assert_says(&format!("{voice}/voice-survey"));
    assert!(
        !bill.says(&format!("{voice}/voice-goodbye")),
        "{:?}",
        bill.said
    );
    let thanks = call.press("4").await;
    assert_eq!(thanks.collect, Collect::Hangup, "{}", thanks.xml);
    thanks.assert_says(&format!("{voice}/voice-survey-thanks"));
    thanks.assert_says(&format!("{voice}/voice-goodbye"));
    let answers = call
        .server
        .count(&format!(
            "SELECT COUNT(*) FROM survey_responses WHERE phone = '{}' AND channel = 'voice' AND score = 4 AND language = '{lang}'",
            call.phone
        ))
        .await;
    assert_eq!(answers, 1, "{lang}: the score is stored");
    let cause = match call.proto {
        Proto::Twilio => "completed",
        _ => "NORMAL_CLEARING",
    };
    call.hang_up(37, cause).await;
    call.assert_closed(lang, 37, cause).await;
    let path = call
        .interaction("(path LIKE '%bill_details%' OR path LIKE '%bill_arrears%')")
        .await;
    assert_eq!(path, 1, "{lang}: the screens visited are logged");
}

#[tokio::test]
async fn whole_calls_over_africastalking_in_every_language() {
    let server = start().await;
    for (lang, phone, voice, amount) in LANGUAGES {
        whole_call(call(&server, Proto::At, phone), lang, voice, amount).await;
    }
    // The cost of the call is kept with its end.
    let costed = server
        .count("SELECT COUNT(*) FROM interactions WHERE gateway = 'africastalking_voice' AND end_cost = 'XOF 12.5'")
        .await;
    assert_eq!(costed, 4);
}

#[tokio::test]
async fn whole_calls_over_twilio_in_every_language_signed() {
    let server = start_with(|c| c.voice.twilio_auth_token = Some(TWILIO_TOKEN.into())).await;
    for (lang, phone, voice, amount) in LANGUAGES {
        let mut c = call(&server, Proto::Twilio, phone);
        c.token = Some(TWILIO_TOKEN);
        whole_call(c, lang, voice, amount).await;
    }
    // Unsigned, wrongly signed, or signed for other parameters: 403, and nothing is logged.
    let mut c = call(&server, Proto::Twilio, FR_WATER);
    let pairs = [
        ("CallSid", c.session.as_str()),
        ("From", FR_WATER),
        ("To", "+221338000000"),
    ];
    let (status, _, _) = c.raw("", &pairs).await;
    assert_eq!(status, 403, "unsigned");
    c.token = Some("another-token");
    let (status, _, _) = c.raw("", &pairs).await;
    assert_eq!(status, 403, "signed with another token");
    let url = format!("{}/voice/twilio", server.base);
    let forged = twilio_signature(TWILIO_TOKEN, &url, &pairs);
    let response = server
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", forged)
        .body(form(&[
            ("CallSid", c.session.as_str()),
            ("From", FR_WATER),
            ("To", "+221338000000"),
            ("Digits", "1"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        403,
        "a field added after signing"
    );
    assert_eq!(c.interaction("1 = 1").await, 0);
    // A signed request on the noinput redirect (the query is part of the signed URL).
    c.token = Some(TWILIO_TOKEN);
    c.start().await;
    let t = c.no_input().await;
    t.assert_says("fr/voice-no-input");
}

#[tokio::test]
async fn whole_calls_over_voicexml_in_every_language() {
    let server = start().await;
    for (lang, phone, voice, amount) in LANGUAGES {
        whole_call(call(&server, Proto::Vxml, phone), lang, voice, amount).await;
    }
    // The spoken text of the French bill, as the platform's synthesis would say it when a
    // file cannot be fetched.
    let mut c = call(&server, Proto::Vxml, FR_WATER);
    c.start().await;
    let bill = c.press("1").await;
    assert!(
        bill.text
            .contains("soixante six mille huit cent soixante francs CFA"),
        "{}",
        bill.text
    );
    assert!(
        bill.text.contains("octobre deux mille vingt six"),
        "{}",
        bill.text
    );
    // Due on 12/11/2026, unpaid on 30/11: it is said to be late, since then.
    assert!(bill.text.contains("EN RETARD depuis le"), "{}", bill.text);
    assert!(bill.text.contains("douze novembre"), "{}", bill.text);
    assert!(bill.xml.contains("xml:lang=\"fr-FR\""), "{}", bill.xml);

    // A platform that does not pass the caller: the bootstrap document asks for it.
    let (status, content_type, body) = {
        let response = server
            .client
            .get(format!("{}/voice/vxml", server.base))
            .send()
            .await
            .unwrap();
        let ct = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        (
            response.status().as_u16(),
            ct,
            response.text().await.unwrap(),
        )
    };
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/voicexml+xml; charset=utf-8");
    validate_vxml(&body);
    let root = parse_xml(&body);
    let var = root.all("var");
    assert_eq!(var[0].attr("expr"), Some("session.connection.remote.uri"));
    let submit = root.all("submit");
    let next = submit[0].attr("next").unwrap();
    assert_eq!(submit[0].attr("namelist"), Some("caller"));
    let session = next.split("session=").nth(1).unwrap().to_string();
    // The interpreter submits the remote URI: the call continues in the caller's language.
    let mut c = call(&server, Proto::Vxml, &format!("tel:{SW_WATER}"));
    c.session = session;
    let menu = c.start().await;
    assert_eq!(menu.said[0], "sw/main-title");
    assert!(menu.xml.contains("xml:lang=\"sw-KE\""), "{}", menu.xml);
}

#[tokio::test]
async fn the_language_is_chosen_first_each_option_in_its_own_language() {
    let server = start().await;
    for proto in PROTOCOLS {
        let mut c = call(&server, proto, NO_LANGUAGE);
        let menu = c.start().await;
        assert_eq!(menu.offered_keys(), ["1", "2", "3", "4"], "{proto:?}");
        menu.assert_sequence("fr/language-name fr/voice-press fr/num-1");
        menu.assert_sequence("sw/language-name sw/voice-press sw/num-3");
        menu.assert_sequence("en/language-name en/voice-press en/num-4");
        // No Wolof recording yet: the name is read ("Wolof"), never French's "Français".
        let wolof = menu
            .said
            .iter()
            .position(|s| s.ends_with("/num-1"))
            .map(|i| &menu.said[i + 1])
            .unwrap();
        assert_eq!(wolof, "say:Wolof", "{proto:?}: {:?}", menu.said);
        assert_eq!(
            menu.said
                .iter()
                .filter(|s| *s == "fr/language-name")
                .count(),
            1,
            "{proto:?}: {:?}",
            menu.said
        );
        if proto == Proto::At {
            // Say is English only on Africa's Talking: nothing else is synthesised.
            let says: Vec<&String> = menu.said.iter().filter(|s| s.starts_with("say:")).collect();
            assert_eq!(says, ["say:Wolof"]);
        }
    }
    // Choosing Kiswahili by voice saves it, and the next call is in Kiswahili.
    let mut c = call(&server, Proto::Twilio, NO_LANGUAGE);
    c.start().await;
    let main = c.press("3").await;
    assert_eq!(main.said[0], "sw/main-title", "{:?}", main.said);
    let saved = server
        .count("SELECT COUNT(*) FROM customers WHERE account_no = 'SNE100005' AND language = 'sw'")
        .await;
    assert_eq!(saved, 1);
    let next = call(&server, Proto::At, NO_LANGUAGE).start().await;
    assert_eq!(next.said[0], "sw/main-title");
}

#[tokio::test]
async fn spoken_menus_have_at_most_five_choices_9_more_hash_back_star_repeat() {
    // One phone calls over each platform in turn, hanging up mid-menu each time: every call is
    // to hear the main menu, not the offer to resume (which has its own test).
    let server = start_with(|c| c.resume_secs = 0).await;
    for proto in PROTOCOLS {
        let mut c = call(&server, proto, EN_POWER);
        let first = c.start().await;
        assert_eq!(first.offered_keys(), ["1", "2", "3", "4", "5"]);
        let second = c.press("9").await;
        assert_eq!(
            second.offered_keys(),
            ["6", "7", "8"],
            "{proto:?}: {:?}",
            second.said
        );
        second.assert_says("en/main-callback");
        second.assert_says("en/voice-back");
        assert!(!second.says("en/voice-more"));
        let back = c.press("#").await;
        assert_eq!(back.said, first.said, "{proto:?}: # goes back a page");
        // Six categories: five, then the sixth after 9.
        let cats = c.press("4").await;
        assert_eq!(cats.offered_keys(), ["1", "2", "3", "4", "5"], "{proto:?}");
        cats.assert_says("en/category-title");
        cats.assert_says("en/voice-more");
        assert!(
            !cats.says("en/voice-agent"),
            "agent offered on the main menu only"
        );
        let more = c.press("9").await;
        assert_eq!(more.offered_keys(), ["6"]);
        more.assert_says("en/category-other");
        let repeat = c.press("*").await;
        assert_eq!(repeat.said, more.said, "{proto:?}: * repeats");
        let cause = if proto == Proto::Twilio {
            "completed"
        } else {
            "NORMAL_CLEARING"
        };
        c.hang_up(20, cause).await;
        // Hung up mid-menu: the interaction is closed all the same.
        c.assert_closed("en", 20, cause).await;
    }
}

#[tokio::test]
async fn silence_and_wrong_keys_reprompt_twice_then_offer_callback_or_a_recorded_complaint() {
    let server = start().await;
    // Africa's Talking: silence three times, then record a complaint.
    let mut c = call(&server, Proto::At, FR_WATER);
    let menu = c.start().await;
    for n in 1..=2 {
        let t = c.no_input().await;
        assert_eq!(
            t.said[0], "fr/voice-no-input",
            "re-prompt {n}: {:?}",
            t.said
        );
        assert_eq!(
            &t.said[1..],
            &menu.said[..],
            "re-prompt {n} repeats the menu"
        );
    }
    let offer = c.no_input().await;
    assert_eq!(offer.said, ["fr/voice-offer"], "{}", offer.xml);
    assert_eq!(offer.collect, Collect::Key);
    let record = c.press("2").await;
    assert_eq!(record.collect, Collect::Record, "{}", record.xml);
    record.assert_says("fr/voice-record-prompt");
    let url = "https://voice.africastalking.com/recordings/ATVId_rec_1.mp3";
    let done = c.recorded(url).await;
    assert_eq!(done.collect, Collect::Hangup, "{}", done.xml);
    done.assert_says("fr/voice-record-done");
    let tickets = server
        .count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE channel = 'voice' AND phone = '{FR_WATER}' \
             AND account_no = 'SNW100000' AND note LIKE '%{url}%'"
        ))
        .await;
    assert_eq!(
        tickets, 1,
        "the recorded complaint is a ticket carrying its URL"
    );
    // Its reference is spoken digit by digit after "Référence".
    let digits: String = done
        .said
        .iter()
        .skip_while(|s| !s.starts_with("fr/voice-record-done"))
        .filter_map(|s| s.strip_prefix("fr/num-"))
        .collect();
    assert!(
        matches!(parse_typed(&digits), Typed::Reference(_)),
        "spoken reference {digits:?}: {:?}",
        done.said
    );
    let reference = format!("RC{digits}");
    let ticket = server
        .crm
        .ticket(&reference)
        .await
        .unwrap()
        .expect("ticket");
    assert_eq!(ticket.channel, "voice");
    // The platform retries the recording callback: still one ticket.
    c.send("", &[("recordingUrl", url)]).await;
    let n = server
        .count("SELECT COUNT(*) FROM tickets WHERE note LIKE '%ATVId_rec_1%'")
        .await;
    assert_eq!(n, 1);
    c.hang_up(95, "NORMAL_CLEARING").await;
    c.assert_closed("fr", 95, "NORMAL_CLEARING").await;

    // Twilio: wrong keys three times (on "more services", where 8 means nothing), then a
    // call-back.
    let mut c = call(&server, Proto::Twilio, SW_WATER);
    c.start().await;
    c.press("8").await.assert_says("sw/more-services-title");
    for _ in 1..=2 {
        let t = c.press("8").await;
        assert_eq!(t.said[0], "sw/error-invalid-choice", "{:?}", t.said);
        t.assert_says("sw/more-services-title");
    }
    let offer = c.press("8").await;
    assert_eq!(offer.said, ["sw/voice-offer"]);
    let done = c.press("1").await;
    assert_eq!(done.collect, Collect::Hangup);
    done.assert_says("sw/callback-done");
    let tasks = server
        .count(&format!(
            "SELECT COUNT(*) FROM callback_tasks WHERE phone = '{SW_WATER}' AND channel = 'voice' AND language = 'sw'"
        ))
        .await;
    assert_eq!(tasks, 1);

    // VoiceXML: a rejected key (nomatch) and silence mix; a good key in between resets.
    let mut c = call(&server, Proto::Vxml, EN_POWER);
    c.start().await;
    let t = c.send("", &[("event", "nomatch")]).await;
    assert_eq!(t.said[0], "en/error-invalid-choice");
    let t = c.no_input().await;
    assert_eq!(t.said[0], "en/voice-no-input");
    let t = c.press("9").await; // a good key: the count starts again
    assert_eq!(t.offered_keys(), ["6", "7", "8"]);
    c.no_input().await;
    let t = c.no_input().await;
    assert_eq!(
        t.said[0], "en/voice-no-input",
        "only two failures since the good key"
    );
    let offer = c.no_input().await;
    assert_eq!(offer.said, ["en/voice-offer"]);
    // Silence on the offer too: goodbye.
    let bye = c.no_input().await;
    assert_eq!(bye.collect, Collect::Hangup);
    bye.assert_says("en/voice-goodbye");
}

/// The agent-hours prompt says the days `[voice] agent_days` sets, not always Monday-Friday:
/// with no agent number the hours are said whatever the clock.
#[tokio::test]
async fn the_agent_hours_say_the_configured_days() {
    let server = start_with(|c| {
        c.voice.agent_days = vec![2, 3, 4, 5, 6];
        c.voice.agent_number = None;
    })
    .await;
    let mut c = call(&server, Proto::Vxml, FR_WATER);
    c.start().await;
    let t = c.press("0").await;
    t.assert_sequence("fr/num-8");
    t.assert_sequence("fr/num-10 fr/num-7");
    assert!(t.text.contains("du mardi au samedi"), "{}", t.text);
    assert!(!t.text.contains("lundi"), "{}", t.text);
    let mut c = call(&server, Proto::Vxml, SW_WATER);
    c.start().await;
    let t = c.press("0").await;
    // Swahili hours on the 24-hour clock, said so: never "saa 8" (2 o'clock) or "saa 17".
    assert!(
        t.text.contains(
            "kuanzia nane hadi kumi na saba kwa mfumo wa saa ishirini na nne, Jumanne hadi Jumamosi"
        ),
        "{}",
        t.text
    );
}

#[tokio::test]
async fn zero_reaches_an_agent_only_within_staffed_hours_else_the_hours_are_said() {
    // Never staffed.
    let server = start_with(|c| {
        c.voice.agent_days = vec![];
        c.voice.agent_number = Some("+221338001122".into());
    })
    .await;
    for proto in PROTOCOLS {
        let mut c = call(&server, proto, FR_WATER);
        let menu = c.start().await;
        let t = c.press("0").await;
        assert_eq!(t.collect, Collect::Key, "{proto:?}: {}", t.xml);
        // No staffed day at all: no hours promised, then the menu again.
        assert!(!t.line().contains("fr/num-8"), "{}", t.line());
        assert!(
            t.said[0].starts_with("fr/voice-agent-hours"),
            "{:?}",
            t.said
        );
        assert!(
            t.line().ends_with(&menu.line()),
            "{proto:?}: the menu follows"
        );
    }
    // Always staffed.
    let server = start_with(|c| {
        c.voice.agent_days = (1..=7).collect();
        c.voice.agent_open_hour = 0;
        c.voice.agent_close_hour = 24;
        c.voice.agent_number = Some("+221338001122".into());
    })
    .await;
    for proto in PROTOCOLS {
        let mut c = call(&server, proto, WO_POWER);
        c.start().await;
        let t = c.press("0").await;
        assert_eq!(
            t.collect,
            Collect::Transfer("+221338001122".into()),
            "{proto:?}: {}",
            t.xml
        );
        t.assert_says("fr/voice-agent-transfer");
        let outcome = c.interaction("outcome = 'agent:transfer'").await;
        assert_eq!(outcome, 1);
    }
}

#[tokio::test]
async fn key_timeouts_are_configurable() {
    let server = start_with(|c| c.voice.key_timeout_secs = 10).await;
    for proto in PROTOCOLS {
        let t = call(&server, proto, EN_POWER).start().await;
        assert_eq!(t.timeout.as_deref(), Some("10"), "{proto:?}: {}", t.xml);
    }
}

#[tokio::test]
async fn outage_complaint_follow_up_area_outages_and_callback_by_voice_write_the_crm() {
    let server = start().await;
    // Outage report attached to the known outage in Pikine (Africa's Talking).
    let before = server.crm.outage_report_count("OUT0001").await.unwrap();
    let mut c = call(&server, Proto::At, TWO_ACCOUNTS);
    let pick = c.start().await;
    assert_eq!(pick.offered_keys(), ["1", "2"], "{:?}", pick.said);
    c.press("1").await;
    let confirm = c.press("2").await;
    confirm.assert_says("fr/confirm-yes");
    let done = c.press("1").await;
    // The report is done; the survey is asked, and silence ends the call with no score.
    assert_eq!(done.collect, Collect::Key);
    done.assert_says("fr/voice-survey");
    let bye = c.no_input().await;
    assert_eq!(bye.collect, Collect::Hangup);
    assert_eq!(
        server.crm.outage_report_count("OUT0001").await.unwrap(),
        before + 1
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM outage_reports WHERE channel = 'voice'")
            .await,
        1
    );

    // Outages in my area (VoiceXML): times from pieces; OUT0001's expected end (20/11 13:00)
    // is past, so the list says since when and that restoration is delayed, not that time.
    let mut c = call(&server, Proto::Vxml, TWO_ACCOUNTS);
    c.start().await;
    c.press("1").await;
    c.press("9").await;
    let _ = c.press("#").await;
    let list = c.press("5").await;
    assert_eq!(list.collect, Collect::Hangup, "{}", list.xml);
    assert!(
        list.text
            .contains("depuis le vingt novembre deux mille vingt six six heures"),
        "{}",
        list.text
    );
    assert!(
        list.text.contains("rétablissement retardé"),
        "{}",
        list.text
    );
    assert!(!list.text.contains("treize"), "{}", list.text);
    list.assert_sequence("fr/num-6 fr/word-hours");

    // File a complaint (Twilio), then follow it by typing its reference's digits (VoiceXML).
    let mut c = call(&server, Proto::Twilio, EN_POWER);
    c.start().await;
    c.press("4").await;
    let confirm = c.press("2").await;
    confirm.assert_says("en/confirm-yes");
    let filed = c.press("1").await;
    // Filed: the survey follows; the caller rates it 2.
    assert_eq!(filed.collect, Collect::Key);
    filed.assert_says("en/voice-survey");
    assert_eq!(c.press("2").await.collect, Collect::Hangup);
    let tickets = server
        .count("SELECT COUNT(*) FROM tickets WHERE channel = 'voice' AND category = 'meter_fault' AND account_no = 'KEE100010'")
        .await;
    assert_eq!(tickets, 1);
    let digits: String = filed
        .said
        .iter()
        .skip_while(|s| !s.starts_with("en/complaint-filed"))
        .skip(1)
        .skip_while(|s| s.starts_with("en/letter-"))
        .map_while(|s| s.strip_prefix("en/num-"))
        .collect();
    assert!(
        matches!(parse_typed(&digits), Typed::Reference(_)),
        "spoken reference {digits:?}: {:?}",
        filed.said
    );
    let ticket = server
        .crm
        .ticket(&format!("RC{digits}"))
        .await
        .unwrap()
        .expect("the spoken reference is the ticket's");
    assert_eq!(
        (ticket.category.as_str(), ticket.channel.as_str()),
        ("meter_fault", "voice")
    );

    let mut c = call(&server, Proto::Vxml, EN_POWER);
    c.start().await;
    let list = c.press("3").await;
    // The open complaint is listed, its reference spelled out.
    let spelled: Vec<String> = digits.chars().map(|d| format!("en/num-{d}")).collect();
    list.assert_sequence(&format!("en/letter-r en/letter-c {}", spelled.join(" ")));
    let prompt = c.press("1").await;
    assert_eq!(prompt.collect, Collect::Digits, "{}", prompt.xml);
    prompt.assert_says("en/voice-finish-hash");
    let details = c.press(&digits).await;
    assert_eq!(details.collect, Collect::Hangup, "{}", details.xml);
    assert!(details.text.contains("Meter fault"), "{}", details.text);
    assert!(details.text.contains("open"), "{}", details.text);

    // Call-back (Africa's Talking, Kiswahili).
    let mut c = call(&server, Proto::At, SW_WATER);
    c.start().await;
    c.press("9").await;
    let confirm = c.press("7").await;
    confirm.assert_says("sw/confirm-yes");
    let done = c.press("1").await;
    done.assert_says("sw/callback-done");
    done.assert_says("sw/voice-survey");
    assert_eq!(c.no_input().await.collect, Collect::Hangup);
    let n = server
        .count("SELECT COUNT(*) FROM callback_tasks WHERE phone = '+254112207544' AND language = 'sw' AND account_no = 'KEW100012' AND channel = 'voice'")
        .await;
    assert_eq!(n, 1);
    let outcome = c
        .interaction("channel = 'voice' AND outcome IS NOT NULL")
        .await;
    assert_eq!(outcome, 1);
}

/// A new connection by voice: 8 (more services), then 2; the area is typed as keypad digits (633462 spells MEDINA); the request is filed
/// and its reference said, in pieces a caller can type back.
#[tokio::test]
async fn a_new_connection_by_voice_with_the_area_typed_on_the_keypad() {
    let server = start().await;
    let cases = [
        (Proto::At, EN_POWER, "en", "KEE100010"),
        (Proto::Twilio, FR_WATER, "fr", "SNW100000"),
        (Proto::Vxml, SW_WATER, "sw", "KEW100012"),
    ];
    for (proto, phone, lang, account) in cases {
        let mut c = call(&server, proto, phone);
        c.start().await;
        let more = c.press("8").await;
        assert_eq!(more.offered_keys(), ["1", "2", "3"], "{proto:?}");
        more.assert_says(&format!("{lang}/main-new-connection"));
        let service = c.press("2").await;
        service.assert_says(&format!("{lang}/connection-service-title"));
        assert_eq!(service.offered_keys(), ["1", "2"], "{proto:?}");
        let where_ = c.press("2").await;
        where_.assert_says(&format!("{lang}/connection-where"));
        where_.assert_says(&format!("{lang}/connection-area-mine"));
        let prompt = c.press("2").await;
        assert_eq!(prompt.collect, Collect::Digits, "{}", prompt.xml);
        prompt.assert_says(&format!("{lang}/connection-area-prompt"));
        prompt.assert_says(&format!("{lang}/voice-finish-hash"));
        let confirm = c.press("633462").await;
        confirm.assert_says(&format!("{lang}/connection-confirm"));
        assert!(
            confirm.said.iter().any(|s| s.contains("Médina")) || confirm.text.contains("Médina"),
            "{proto:?}: {:?}",
            confirm.said
        );
        let filed = c.press("1").await;
        filed.assert_says(&format!("{lang}/connection-filed"));
        // Filed: the survey follows; silence ends the call.
        filed.assert_says(&format!("{lang}/voice-survey"));
        assert_eq!(c.no_input().await.collect, Collect::Hangup);
        let digits: String = filed
            .said
            .iter()
            .skip_while(|s| !s.starts_with(&format!("{lang}/connection-filed")))
            .skip(1)
            .skip_while(|s| s.starts_with(&format!("{lang}/letter-")))
            .map_while(|s| s.strip_prefix(&format!("{lang}/num-")))
            .collect();
        let reference = format!("RC{digits}");
        let ticket = server
            .crm
            .ticket(&reference)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{proto:?}: spoken {reference}: {:?}", filed.said));
        assert_eq!(
            (
                ticket.category.as_str(),
                ticket.channel.as_str(),
                ticket.account_no.as_deref()
            ),
            ("new_connection", "voice", Some(account))
        );
        let row = format!(
            "SELECT COUNT(*) FROM connection_requests WHERE ticket_ref = '{reference}' \
             AND service = 'water' AND area_code = 'SN-DKR-MED' AND account_no = '{account}'"
        );
        assert_eq!(server.count(&row).await, 1, "{proto:?}");
    }
}

#[tokio::test]
async fn a_danger_reported_by_voice_is_an_urgent_ticket_of_its_own() {
    let server = start().await;
    let cases = [
        (Proto::At, EN_POWER, "en", "1", "power_line", "electricity"),
        (Proto::Twilio, FR_WATER, "fr", "3", "water_leak", "water"),
        (
            Proto::Vxml,
            SW_WATER,
            "sw",
            "2",
            "exposed_cable",
            "electricity",
        ),
    ];
    for (proto, phone, lang, key, kind, service) in cases {
        let mut c = call(&server, proto, phone);
        c.start().await;
        c.press("8")
            .await
            .assert_says(&format!("{lang}/main-hazard"));
        let kinds = c.press("3").await;
        kinds.assert_says(&format!("{lang}/hazard-kind-title"));
        kinds.assert_says(&format!("{lang}/hazard-water-leak"));
        assert_eq!(kinds.offered_keys(), ["1", "2", "3"], "{proto:?}");
        let where_ = c.press(key).await;
        where_.assert_says(&format!("{lang}/hazard-where"));
        // The account's area, typed again on the keypad: Médina (633462).
        c.press("2")
            .await
            .assert_says(&format!("{lang}/connection-area-prompt"));
        let confirm = c.press("633462").await;
        confirm.assert_says(&format!("{lang}/hazard-confirm"));
        let filed = c.press("1").await;
        filed.assert_says(&format!("{lang}/hazard-filed"));
        let digits: String = filed
            .said
            .iter()
            .skip_while(|s| !s.starts_with(&format!("{lang}/hazard-filed")))
            .skip(1)
            .skip_while(|s| s.starts_with(&format!("{lang}/letter-")))
            .map_while(|s| s.strip_prefix(&format!("{lang}/num-")))
            .collect();
        let reference = format!("RC{digits}");
        let ticket = server
            .crm
            .ticket(&reference)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{proto:?}: spoken {reference}: {:?}", filed.said));
        assert_eq!(
            (
                ticket.category.as_str(),
                ticket.channel.as_str(),
                ticket.note.as_deref()
            ),
            ("hazard", "voice", Some(kind))
        );
        assert_eq!(
            (ticket.sla_due_at.unwrap() - ticket.created_at).num_hours(),
            4
        );
        let row = format!(
            "SELECT COUNT(*) FROM tickets WHERE ticket_ref = '{reference}' \
             AND area_code = 'SN-DKR-MED' AND service = '{service}'"
        );
        assert_eq!(server.count(&row).await, 1, "{proto:?}");
        let sms = format!(
            "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'ticket_filed' \
             AND ticket_ref = '{reference}' AND phone = '{phone}'"
        );
        assert_eq!(server.count(&sms).await, 1, "{proto:?}");
    }
}

#[tokio::test]
async fn an_unknown_caller_proves_the_account_with_digits_then_hears_the_bill() {
    let server = start().await;
    // Three phones linked to no account: the first call saves the language it chose.
    let phones = [UNKNOWN, "+221770000098", "+221770000097"];
    for (proto, phone) in PROTOCOLS.into_iter().zip(phones) {
        let mut c = call(&server, proto, phone);
        c.start().await;
        c.press("4").await; // English
        let account = c.press("1").await;
        assert_eq!(
            account.collect,
            Collect::Digits,
            "{proto:?}: {}",
            account.xml
        );
        account.assert_says("en/verify-account-prompt");
        let meter = c.press("100000").await;
        assert_eq!(meter.collect, Collect::Digits);
        let wrong = c.press("0000").await;
        wrong.assert_says("en/verify-failed");
        assert!(
            !wrong.says("en/cur-XOF"),
            "no bill before the meter digits match"
        );
        c.press("1").await;
        c.press("100000").await;
        let bill = c.press("1595").await;
        bill.assert_says("en/cur-XOF");
        // Asked how it went on the first call only: one survey per phone per 30 days.
        if bill.collect == Collect::Key {
            bill.assert_says("en/voice-survey");
            let bye = c.no_input().await;
            assert_eq!(bye.collect, Collect::Hangup, "{proto:?}: {}", bye.xml);
        } else {
            assert_eq!(bill.collect, Collect::Hangup, "{proto:?}: {}", bill.xml);
        }
    }
}

#[tokio::test]
async fn audio_prompts_are_served_with_content_types_and_cache_headers() {
    let server = start().await;
    let get = |path: &str| {
        let url = format!("{}{path}", server.base);
        let client = server.client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let header = |n: &str| {
                r.headers()
                    .get(n)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default()
            };
            let (ct, cc) = (header("content-type"), header("cache-control"));
            (status, ct, cc, r.bytes().await.unwrap())
        }
    };
    let (status, ct, cc, wav) = get("/audio/fr/main-bill.wav").await;
    assert_eq!((status, ct.as_str()), (200, "audio/wav"));
    assert!(cc.contains("public") && cc.contains("max-age="), "{cc}");
    assert_eq!(
        wav,
        std::fs::read("audio-prompts/fr/main-bill.wav").unwrap()
    );
    let wav = Wav::read(&wav).unwrap();
    assert_eq!((wav.rate, wav.channels, wav.bits), (8000, 1, 16));
    let (status, ct, cc, _) = get("/audio/sw/main-bill.mp3").await;
    assert_eq!((status, ct.as_str()), (200, "audio/mpeg"));
    assert!(cc.contains("max-age="), "{cc}");
    for missing in [
        "/audio/fr/no-such-prompt.wav",
        "/audio/fr/main-bill.ogg",
        "/audio/fr/..%2F..%2FCargo.toml",
        "/audio/fr/%2E%2E.wav",
        "/audio/..%2Fsrc/lib.rs",
        "/audio/FR/main-bill.wav",
    ] {
        let (status, _, _, _) = get(missing).await;
        assert_eq!(status, 404, "{missing}");
    }
}

/// A WAV file as a VoiceXML platform records it: 8 kHz mono 16-bit PCM, a 440 Hz tone.
fn wav_recording(seconds: f64) -> Vec<u8> {
    let samples = (8000.0 * seconds) as u32;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..samples {
        let t = f64::from(n) / 8000.0;
        let v = (f64::sin(t * 440.0 * std::f64::consts::TAU) * 8000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Files under `dir` (none if it does not exist).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// Uploads `audio` as multipart with `Transfer-Encoding: chunked` (no length said up front)
/// over a plain TCP connection; returns the response's status line.
async fn chunked_upload(server: &TestServer, url: &str, key: &str, audio: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let target = url.trim_start_matches(&server.base);
    let boundary = "chunked-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"recording\"; \
         filename=\"r.wav\"\r\nContent-Type: audio/x-wav\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(audio);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: {address}\r\nX-Dalal-Key: {key}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and close before the end: write errors are expected then.
    for chunk in body.chunks(256 * 1024) {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(chunk);
        frame.extend_from_slice(b"\r\n");
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut response),
    )
    .await;
    let text = String::from_utf8_lossy(&response);
    text.lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_voicexml_recording_is_uploaded_stored_and_filed_as_one_ticket() {
    const KEY: &str = "vxml-test-key";
    let temp = tempfile::tempdir().unwrap();
    // Not there yet: created on the first recording.
    let recordings = temp.path().join("spool").join("recordings");
    let server = start_with(|c| {
        c.voice.recordings_dir = recordings.clone();
        c.gateways.insert(
            "vxml".into(),
            dalal::config::GatewaySettings {
                secret: Some(KEY.into()),
                allow_ips: vec![],
                ..Default::default()
            },
        );
    })
    .await;
    let mut c = call(&server, Proto::Vxml, FR_WATER);
    c.key = Some(KEY);
    c.start().await;
    for _ in 1..=3 {
        c.no_input().await;
    }
    let record = c.press("2").await;
    assert_eq!(record.collect, Collect::Record, "{}", record.xml);
    record.assert_says("fr/voice-record-prompt");
    let url = c.upload_url();
    assert!(
        url.starts_with(&format!(
            "{}/voice/vxml/recording?session={}&",
            server.base, c.session
        )),
        "{url}"
    );
    let tickets_sql = format!(
        "SELECT COUNT(*) FROM tickets WHERE phone = '{FR_WATER}' AND note LIKE '%/recordings/%'"
    );
    let tickets = || server.count(&tickets_sql);

    // Without the gateway key: refused before anything is read or stored.
    let audio = wav_recording(2.0); // 32 KB: more than the 16 KiB limit of every other route
    let keyed = c.key.take();
    let (status, _, _) = c.upload(&url, &audio).await;
    assert_eq!(status, 403);
    c.key = keyed;

    // Above 8 MiB: 413, nothing stored, no ticket, and the call still waits for the recording.
    let oversized = wav_recording(8.0 * 1024.0 * 1024.0 / 16000.0 + 1.0);
    let (status, _, body) = c.upload(&url, &oversized).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too large"), "{body}");
    assert_eq!(files_in(&recordings), Vec::<String>::new());
    assert_eq!(tickets().await, 0);
    // The same without a declared length (chunked): cut off at 8 MiB, 413 as well.
    let status = chunked_upload(&server, &url, KEY, &oversized).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    assert_eq!(files_in(&recordings), Vec::<String>::new());
    assert_eq!(tickets().await, 0);

    // Not multipart: a clear 400.
    let response = server
        .client
        .post(&url)
        .header("X-Dalal-Key", KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("recording=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(tickets().await, 0);

    // The real upload: stored, filed, and the reference said.
    let done = c.recorded_vxml(&audio).await;
    assert_eq!(done.collect, Collect::Hangup, "{}", done.xml);
    done.assert_says("fr/voice-record-done");
    let digits: String = done
        .said
        .iter()
        .skip_while(|s| !s.starts_with("fr/voice-record-done"))
        .filter_map(|s| s.strip_prefix("fr/num-"))
        .collect();
    assert!(
        matches!(parse_typed(&digits), Typed::Reference(_)),
        "spoken reference {digits:?}: {:?}",
        done.said
    );
    // Said once the ticket row is committed: it is there for anyone reading the CRM now.
    let reference = format!("RC{digits}");
    let ticket = server
        .crm
        .ticket(&reference)
        .await
        .unwrap()
        .expect("the ticket whose reference the caller heard");
    assert_eq!(
        (ticket.channel.as_str(), ticket.phone.as_deref()),
        ("voice", Some(FR_WATER))
    );
    assert_eq!(ticket.account_no.as_deref(), Some("SNW100000"));
    let note = ticket.note.clone().unwrap_or_default();
    let stored = files_in(&recordings);
    assert_eq!(stored.len(), 1, "{stored:?}");
    let file = &stored[0];
    assert!(
        file.ends_with(".wav") && !file.contains(&c.session),
        "a name of ours: {file}"
    );
    assert_eq!(note, format!("voice recording: /recordings/{file}"));
    assert_eq!(std::fs::read(recordings.join(file)).unwrap(), audio);
    assert_eq!(tickets().await, 1);

    // Served back to callers with the gateway's key, as WAV.
    let get = |path: String, key: Option<&'static str>| {
        let mut request = server.client.get(format!("{}{path}", server.base));
        if let Some(key) = key {
            request = request.header("X-Dalal-Key", key);
        }
        async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, ct, r.bytes().await.unwrap())
        }
    };
    let (status, ct, bytes) = get(format!("/recordings/{file}"), Some(KEY)).await;
    assert_eq!((status, ct.as_str()), (200, "audio/wav"));
    assert_eq!(bytes.as_ref(), audio.as_slice());
    let (status, _, _) = get(format!("/recordings/{file}"), None).await;
    assert_eq!(status, 403, "not without the key");
    let (status, _, _) = get(format!("/recordings/{file}?key={KEY}"), None).await;
    assert_eq!(status, 200, "?key= works as on /voice/vxml");
    for missing in [
        "/recordings/..%2F..%2FCargo.toml".to_string(),
        "/recordings/%2E%2E".to_string(),
        format!("/recordings/{}", file.replace(".wav", ".mp3")),
        format!("/recordings/.{file}.part"),
    ] {
        let (status, _, _) = get(missing.clone(), Some(KEY)).await;
        assert_eq!(status, 404, "{missing}");
    }

    // The platform retries the upload (our answer was lost): the same reference, one ticket,
    // one file.
    let (status, content_type, body) = c.upload(&url, &audio).await;
    assert_eq!(status, 200, "{body}");
    let again = c.read(&content_type, &body).await;
    again.assert_says("fr/voice-record-done");
    let again_digits: String = again
        .said
        .iter()
        .skip_while(|s| !s.starts_with("fr/voice-record-done"))
        .filter_map(|s| s.strip_prefix("fr/num-"))
        .collect();
    assert_eq!(again_digits, digits, "the retry hears the same reference");
    assert_eq!(tickets().await, 1);
    assert_eq!(files_in(&recordings), stored);

    c.hang_up(140, "NORMAL_CLEARING").await;
    c.assert_closed("fr", 140, "NORMAL_CLEARING").await;
    let outcome = c
        .interaction(&format!("outcome = 'file_complaint:recorded:{reference}'"))
        .await;
    assert_eq!(outcome, 1);

    // The larger limit is the recording route's alone: a big form elsewhere is still 413.
    let big = "x".repeat(20 * 1024);
    let (status, _, _) = c
        .raw(
            "",
            &[("session", "big"), ("caller", FR_WATER), ("pad", &big)],
        )
        .await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_prepaid_caller_hears_tokens_digit_by_digit_and_a_reading_is_taken_by_keypad() {
    let server = start().await;
    for proto in PROTOCOLS {
        // KEE100041, en, prepaid: its latest token, spoken digit by digit.
        let latest = server
            .text(
                "SELECT token FROM vends WHERE account_no = 'KEE100041' \
                 ORDER BY vended_at DESC LIMIT 1",
            )
            .await;
        let mut c = call(&server, proto, "+254110413812");
        c.start().await;
        let menu = c.press("1").await;
        menu.assert_says("en/prepaid-title");
        let tokens = c.press("1").await;
        tokens.assert_says("en/tokens-title");
        let digits: Vec<String> = latest.chars().map(|d| format!("en/num-{d}")).collect();
        assert!(
            tokens.said.windows(20).any(|w| w == digits.as_slice()),
            "{proto:?}: {latest} not spoken digit by digit: {:?}",
            tokens.said
        );

        // KEE100010, en, postpaid: a reading typed on the keypad, its reference spoken.
        let mut c = call(&server, proto, EN_POWER);
        c.start().await;
        c.press("8").await.assert_says("en/more-services-title");
        let prompt = c.press("1").await;
        prompt.assert_says("en/reading-prompt");
        let saved = c.press("26410").await;
        saved.assert_says("en/reading-saved");
    }
    let stored = server
        .count(
            "SELECT COUNT(*) FROM meter_readings WHERE account_no = 'KEE100010' \
             AND source = 'customer' AND channel = 'voice'",
        )
        .await;
    assert_eq!(stored, 3, "one reading per call");
}

// --- resuming a call that hung up mid-menu --------------------------------------------------

/// What each platform says of a call that ended the ordinary way.
fn normal_cause(proto: Proto) -> &'static str {
    match proto {
        Proto::Twilio => "completed",
        _ => "NORMAL_CLEARING",
    }
}

/// The resume offer's words in the prompt (VoiceXML) each language is spoken in: Wolof has no
/// recordings yet and falls back to the French ones, as the rest of its calls do.
fn offer_words(lang: &str) -> &'static str {
    match lang {
        "fr" | "wo" => "Votre dernier appel a été coupé. Pour reprendre où vous en étiez, tapez 1",
        "sw" => "Simu yako ya mwisho ilikatika. Kuendelea ulipoishia, bonyeza 1",
        _ => "Your last call was cut off. To continue where you left off, press 1",
    }
}

/// Calls in, hears the main menu (no offer), goes to the complaint categories, and hangs up
/// there; returns the main menu and the categories as heard.
async fn drop_on_the_categories(c: &mut VoiceCall<'_>, voice: &str) -> (Turn, Turn) {
    let menu = c.start().await;
    assert_eq!(
        menu.said[0],
        format!("{voice}/main-title"),
        "{:?}",
        menu.said
    );
    let categories = c.press("4").await;
    categories.assert_says(&format!("{voice}/category-title"));
    assert_eq!(categories.collect, Collect::Key);
    c.hang_up(20, normal_cause(c.proto)).await;
    (menu, categories)
}

/// Asserts a turn is the resume offer alone, in the caller's language, awaiting one key.
fn assert_offer(turn: &Turn, proto: Proto, lang: &str, voice: &str) {
    assert_eq!(
        turn.said,
        [format!("{voice}/voice-resume-offer")],
        "{proto:?} {lang}: {}",
        turn.xml
    );
    assert_eq!(turn.collect, Collect::Key, "{proto:?} {lang}: {}", turn.xml);
    if proto == Proto::Vxml {
        assert!(
            turn.text.contains(offer_words(lang)),
            "{lang}: {:?}",
            turn.text
        );
        let tag = match lang {
            "fr" => "fr-FR",
            "wo" => "wo-SN",
            "sw" => "sw-KE",
            _ => "en-GB",
        };
        assert!(
            turn.xml.contains(&format!("xml:lang=\"{tag}\"")),
            "{}",
            turn.xml
        );
    }
}

#[tokio::test]
async fn a_call_hung_up_mid_menu_is_offered_to_continue_where_it_left_off_in_every_language() {
    // resume_secs is on by default (120 s).
    let server = start().await;
    for proto in PROTOCOLS {
        for (lang, phone, voice, _) in LANGUAGES {
            let here = format!("{proto:?} {lang}");
            // Hung up on the complaint categories: the platform's hang-up notice closes the
            // call's interaction, and the call may still be resumed.
            let mut dropped = call(&server, proto, phone);
            let (menu, categories) = drop_on_the_categories(&mut dropped, voice).await;
            dropped.assert_closed(lang, 20, normal_cause(proto)).await;

            // Calling again: the offer, in the caller's language; 1 is back on the categories.
            let mut again = call(&server, proto, phone);
            let offer = again.start().await;
            assert_offer(&offer, proto, lang, voice);
            let resumed = again.press("1").await;
            assert_eq!(
                resumed.said, categories.said,
                "{here}: back where it left off"
            );
            assert_eq!(resumed.collect, Collect::Key, "{here}");
            // The call goes on from there: 9 is the next page of categories.
            let more = again.press("9").await;
            more.assert_says(&format!("{voice}/category-other"));
            let path = again.interaction("1 = 1").await;
            assert_eq!(path, 0, "{here}: the call is under way, not recorded yet");
            again.hang_up(31, normal_cause(proto)).await;
            again.assert_closed(lang, 31, normal_cause(proto)).await;
            let whole = again.interaction("path LIKE '%complaint_category%'").await;
            assert_eq!(
                whole, 1,
                "{here}: the resumed call's path goes on from the dropped one"
            );

            // It hung up mid-menu too: offered again; 2 starts over, from the main menu.
            let mut fresh = call(&server, proto, phone);
            assert_offer(&fresh.start().await, proto, lang, voice);
            let main = fresh.press("2").await;
            assert_eq!(main.said, menu.said, "{here}: started over");
            // A call that ends the ordinary way (the bill, the survey if asked, goodbye)...
            let mut last = fresh.press("1").await;
            if last.collect == Collect::Key {
                last.assert_says(&format!("{voice}/voice-survey"));
                last = fresh.press("4").await;
            }
            assert_eq!(last.collect, Collect::Hangup, "{here}: {}", last.xml);
            last.assert_says(&format!("{voice}/voice-goodbye"));
            fresh.hang_up(40, normal_cause(proto)).await;
            // ...leaves nothing to resume: the next call hears the main menu.
            let mut next = call(&server, proto, phone);
            let heard = next.start().await;
            assert_eq!(
                heard.said, menu.said,
                "{here}: no offer after a finished call"
            );
            // Hung up on the main menu itself: nothing to continue either (the loop's next
            // round starts with this phone and expects the main menu).
            next.press("*").await;
            next.hang_up(5, normal_cause(proto)).await;
        }
    }
}

#[tokio::test]
async fn the_resume_offer_is_asked_once_more_then_the_call_starts_over() {
    let server = start().await;
    for (proto, (lang, phone, voice, _)) in PROTOCOLS.into_iter().zip(LANGUAGES) {
        let here = format!("{proto:?} {lang}");
        let mut dropped = call(&server, proto, phone);
        let (menu, _) = drop_on_the_categories(&mut dropped, voice).await;
        let mut again = call(&server, proto, phone);
        assert_offer(&again.start().await, proto, lang, voice);
        // * says it again; a wrong key is said to be wrong, and the offer comes again.
        let repeated = again.press("*").await;
        assert_offer(&repeated, proto, lang, voice);
        let wrong = again.press("7").await;
        assert_eq!(
            wrong.said,
            [
                format!("{voice}/error-invalid-choice"),
                format!("{voice}/voice-resume-offer")
            ],
            "{here}"
        );
        // Silence after that: the call goes on from the start.
        let main = again.no_input().await;
        assert_eq!(main.said, menu.said, "{here}: started over");
        again.hang_up(12, normal_cause(proto)).await;
    }
    // Silence first, then a wrong key: the same.
    let mut dropped = call(&server, Proto::At, FR_WATER);
    let (menu, _) = drop_on_the_categories(&mut dropped, "fr").await;
    let mut again = call(&server, Proto::At, FR_WATER);
    again.start().await;
    let silence = again.no_input().await;
    assert_eq!(silence.said, ["fr/voice-no-input", "fr/voice-resume-offer"]);
    let main = again.press("0").await;
    assert_eq!(
        main.said, menu.said,
        "0 is no agent on the offer: started over"
    );

    // Hung up on the offer itself: the next call is offered the same dropped call again.
    for proto in PROTOCOLS {
        let mut dropped = call(&server, proto, EN_POWER);
        let (_, categories) = drop_on_the_categories(&mut dropped, "en").await;
        let mut left = call(&server, proto, EN_POWER);
        assert_offer(&left.start().await, proto, "en", "en");
        left.hang_up(4, normal_cause(proto)).await;
        let mut again = call(&server, proto, EN_POWER);
        assert_offer(&again.start().await, proto, "en", "en");
        let resumed = again.press("1").await;
        assert_eq!(resumed.said, categories.said, "{proto:?}");
        // Back to the main menu, and hung up there: continuing would be starting over, so
        // the next call is not asked.
        let back = again.press("#").await;
        assert_eq!(back.said[0], "en/main-title", "{proto:?}");
        again.hang_up(9, normal_cause(proto)).await;
        let next = call(&server, proto, EN_POWER).start().await;
        assert_eq!(next.said, back.said, "{proto:?}: no offer");
    }
}

#[tokio::test]
async fn a_call_dropped_without_a_hang_up_notice_is_offered_too_and_the_window_closes() {
    let server = start_with(|c| c.resume_secs = 2).await;
    // The line dropped and the platform said nothing: the call is still in the session store.
    let mut dropped = call(&server, Proto::Twilio, SW_WATER);
    dropped.start().await;
    let categories = dropped.press("4").await;
    let mut again = call(&server, Proto::Twilio, SW_WATER);
    assert_offer(&again.start().await, Proto::Twilio, "sw", "sw");
    let resumed = again.press("1#").await;
    assert_eq!(resumed.said, categories.said);
    // The dropped call, taken over before any notice, is recorded all the same.
    let left = if support::production() {
        "NOT ended"
    } else {
        "ended = 0"
    };
    let recorded = dropped
        .interaction(&format!("{left} AND path LIKE '%complaint_category%'"))
        .await;
    assert_eq!(recorded, 1, "the dropped call's interaction");
    again.hang_up(9, "completed").await;
    // Past resume_secs (counted from the hang-up), every platform's next call starts afresh.
    let mut menus = Vec::new();
    for (proto, phone, voice) in [
        (Proto::At, FR_WATER, "fr"),
        (Proto::Vxml, EN_POWER, "en"),
        (Proto::Twilio, WO_POWER, "fr"),
    ] {
        let mut c = call(&server, proto, phone);
        let (menu, _) = drop_on_the_categories(&mut c, voice).await;
        menus.push((proto, phone, menu));
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    for (proto, phone, menu) in menus {
        let heard = call(&server, proto, phone).start().await;
        assert_eq!(
            heard.said, menu.said,
            "{proto:?}: no offer after the window"
        );
    }
    // resume_secs = 0: never offered.
    let server = start_with(|c| c.resume_secs = 0).await;
    let mut c = call(&server, Proto::Vxml, WO_POWER);
    let (menu, _) = drop_on_the_categories(&mut c, "fr").await;
    let heard = call(&server, Proto::Vxml, WO_POWER).start().await;
    assert_eq!(heard.said, menu.said);
}
