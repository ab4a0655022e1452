//! The test Kannel `tests/services.sh start` runs (bearerbox and smsbox, with fakesmsc as the
//! SMS centre): where it listens, what fakesmsc was sent, and messages injected as if a handset
//! sent them. Without the services' env every helper panics: these tests never skip.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dalal::gateway::mask_msisdn;
use dalal::text::gsm7::{self, Encoding};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode, percent_encode};

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run `bash tests/services.sh start && source \
             target/test-services/env` first (the Kannel tests need the test Kannel)"
        )
    })
}

fn required_port(name: &str) -> u16 {
    let value = required(name);
    value
        .parse()
        .unwrap_or_else(|_| panic!("{name}={value:?} is not a port"))
}

/// The test Kannel, from the env `tests/services.sh start` writes.
#[derive(Debug, Clone)]
pub struct KannelEnv {
    /// smsbox's `http://127.0.0.1:<port>/cgi-bin/sendsms`.
    pub sendsms_url: String,
    /// Of its `sendsms-user`.
    pub username: String,
    pub password: String,
    /// The `key=` smsbox puts on the incoming-message URL.
    pub callback_key: String,
    /// Where smsbox sends incoming messages: `http://127.0.0.1:<port>/sms/kannel/incoming`.
    pub mo_port: u16,
    pub fakesmsc: Fakesmsc,
}

impl KannelEnv {
    pub fn from_env() -> KannelEnv {
        KannelEnv {
            sendsms_url: required("DALAL_TEST_KANNEL_SENDSMS_URL"),
            username: required("DALAL_TEST_KANNEL_USERNAME"),
            password: required("DALAL_TEST_KANNEL_PASSWORD"),
            callback_key: required("DALAL_TEST_KANNEL_CALLBACK_KEY"),
            mo_port: required_port("DALAL_TEST_SMS_MO_PORT"),
            fakesmsc: Fakesmsc {
                log: required("DALAL_TEST_FAKESMSC_LOG").into(),
                program: required("DALAL_TEST_FAKESMSC_BIN").into(),
                mo_smsc_port: required_port("DALAL_TEST_KANNEL_MO_SMSC_PORT"),
            },
        }
    }
}

/// fakesmsc, the fake SMS centre: the log of what Kannel sent it, and the program that sends
/// messages into Kannel.
#[derive(Debug, Clone)]
pub struct Fakesmsc {
    /// One `Got message N: <from to kind payload>` line per message Kannel sent.
    pub log: PathBuf,
    pub program: PathBuf,
    /// bearerbox's fake SMSC port that takes injected messages (nothing is sent through it).
    pub mo_smsc_port: u16,
}

/// A message Kannel sent to fakesmsc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSms {
    pub from: String,
    pub to: String,
    /// How it went: `text` (GSM-7, shown as UTF-8), `ucs-2`, `data` (8-bit) or `udh` (a part
    /// of a longer message).
    pub kind: String,
    pub text: String,
}

/// A point in fakesmsc's log: what it is sent later comes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogMark(u64);

/// smsbox sends every incoming message to the one MO port: one test at a time listens there
/// (the tests of the crate share one process).
static MO_PORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl KannelEnv {
    /// The MO port to oneself until the guard drops; take it before binding `mo_port`. Waits
    /// (at most 10 s) for the previous holder's listener to close: a test's spawned server
    /// lives until its runtime shuts down, a little after the guard goes.
    pub async fn hold_mo_port(&self) -> tokio::sync::MutexGuard<'static, ()> {
        let guard = MO_PORT.lock().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpListener::bind(("127.0.0.1", self.mo_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the MO port {} stays taken",
                self.mo_port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        guard
    }
}

/// One injection at a time: a fake SMSC port serves one client at a time.
static INJECTING: Mutex<()> = Mutex::new(());

impl Fakesmsc {
    pub fn mark(&self) -> LogMark {
        let length = std::fs::metadata(&self.log)
            .unwrap_or_else(|e| panic!("fakesmsc's log {}: {e}", self.log.display()))
            .len();
        LogMark(length)
    }

    /// The messages fakesmsc logged after `mark`, oldest first.
    pub fn received_since(&self, mark: LogMark) -> Vec<ReceivedSms> {
        let mut file = std::fs::File::open(&self.log)
            .unwrap_or_else(|e| panic!("fakesmsc's log {}: {e}", self.log.display()));
        file.seek(SeekFrom::Start(mark.0)).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        // A line still being written is read next time.
        let complete = bytes
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |newline| newline + 1);
        bytes[..complete]
            .split(|&b| b == b'\n')
            .filter_map(|line| parse_log_line(&String::from_utf8_lossy(line)))
            .collect()
    }

    /// The first message to `to` fakesmsc logs after `since`; panics after `within`.
    pub async fn wait_for(&self, to: &str, since: LogMark, within: Duration) -> ReceivedSms {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received_since(since);
            if let Some(found) = received.iter().find(|sms| sms.to == to) {
                return found.clone();
            }
            if Instant::now() >= deadline {
                let seen: Vec<String> = received
                    .iter()
                    .map(|sms| format!("{} ({})", mask_msisdn(&sms.to), sms.kind))
                    .collect();
                panic!(
                    "fakesmsc was sent nothing for {} within {within:?}; it was sent: {seen:?} \
                     (log {})",
                    mask_msisdn(to),
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends `text` from `from` to `to` into Kannel, as the SMS centre delivers a message a
    /// handset sent: GSM-7 text as fakesmsc's `text` (Kannel keeps it as UTF-8), anything else
    /// as `ucs2` (UTF-16BE, URL-encoded). Returns once fakesmsc has written it to bearerbox.
    pub async fn inject(&self, from: &str, to: &str, text: &str) {
        let fakesmsc = self.clone();
        let line = mo_line(from, to, text);
        tokio::task::spawn_blocking(move || fakesmsc.inject_line(&line))
            .await
            .expect("fakesmsc injection");
    }

    fn inject_line(&self, line: &str) {
        let _one_at_a_time = INJECTING.lock().unwrap_or_else(|e| e.into_inner());
        // `-m 1`: that one message; fakesmsc then waits for answers until interrupted.
        let mut child = Command::new(&self.program)
            .args(["-H", "127.0.0.1", "-r", &self.mo_smsc_port.to_string()])
            .args(["-m", "1", "-i", "0", line])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not run: {e}", self.program.display()));
        let stderr = child.stderr.take().unwrap();
        let (lines, output) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut said = Vec::new();
        loop {
            match output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let sent = line.contains("fakesmsc: sent message 1");
                    said.push(line);
                    if sent {
                        break;
                    }
                }
                Err(_) => {
                    stop(&mut child);
                    panic!("fakesmsc did not send the message: {}", said.join("\n"));
                }
            }
        }
        // SIGINT: fakesmsc closes its connection cleanly, after the line it wrote.
        let interrupted = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + Duration::from_secs(5);
        while interrupted && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        stop(&mut child);
    }
}

fn stop(child: &mut Child) {
    child.kill().ok();
    child.wait().ok();
}

/// fakesmsc's line for a message from a handset.
pub fn mo_line(from: &str, to: &str, text: &str) -> String {
    assert!(
        !from.is_empty() && !to.is_empty() && !format!("{from}{to}").contains(char::is_whitespace),
        "sender and receiver are single words"
    );
    let gsm7 = gsm7::encoding(text) == Encoding::Gsm7;
    if gsm7 && !text.contains(['\n', '\r']) {
        format!("{from} {to} text {text}")
    } else {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        format!(
            "{from} {to} ucs2 {}",
            percent_encode(&utf16, NON_ALPHANUMERIC)
        )
    }
}

/// A `Got message N: <from to kind payload>` line of fakesmsc's log, read.
pub fn parse_log_line(line: &str) -> Option<ReceivedSms> {
    let after = &line[line.find("Got message ")?..];
    let content = &after[after.find(": <")? + 3..];
    let content = content.strip_suffix('>').unwrap_or(content);
    let mut words = content.splitn(4, ' ');
    let from = words.next()?.to_string();
    let to = words.next()?.to_string();
    let kind = words.next()?.to_string();
    let payload = words.next().unwrap_or_default();
    let text = match kind.as_str() {
        "text" => payload.to_string(),
        "data" => String::from_utf8_lossy(&url_decode(payload)).into_owned(),
        "ucs-2" => {
            let bytes = url_decode(payload);
            let units = bytes
                .chunks(2)
                .map(|pair| u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        // `<udh> data <part>`: the part's bytes.
        "udh" => {
            let part = payload.split_once(" data ").map_or("", |(_, part)| part);
            String::from_utf8_lossy(&url_decode(part)).into_owned()
        }
        _ => payload.to_string(),
    };
    Some(ReceivedSms {
        from,
        to,
        kind,
        text,
    })
}

/// Kannel's URL encoding undone: `+` is a space, `%XX` a byte.
fn url_decode(encoded: &str) -> Vec<u8> {
    percent_decode(encoded.replace('+', " ").as_bytes()).collect()
}
