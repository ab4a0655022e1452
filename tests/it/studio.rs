//! The prompt recording studio, end to end: a real server on port 0 over a temp copy of
//! `audio-prompts/`, real headless Chromium (driven over the W3C WebDriver protocol by
//! chromium-driver) recording from a fake microphone fed by a WAV file; the stored prompt's
//! format, the coverage `dalal prompts` reports, and the next Wolof caller hearing the new
//! recording instead of the French fallback.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use support::browser::Driver;

const ADMIN_KEY: &str = "studio-test-key";
const WO_POWER: &str = "+221786562901"; // SNE100001, speaks Wolof

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A WAV of a spoken phrase (espeak-ng) padded with a tone, for the fake microphone.
fn microphone_wav(dir: &Path) -> PathBuf {
    let path = dir.join("microphone.wav");
    let ok = Command::new("sox")
        .args(["-n", "-r", "48000", "-c", "1", "-b", "16"])
        .arg(&path)
        .args(["synth", "4", "sine", "300-600", "vol", "0.5"])
        .status()
        .expect("sox runs");
    assert!(ok.success(), "sox made the microphone WAV");
    path
}

/// Chromium's fake microphone, fed by `wav`, allowed without asking.
fn microphone_args(wav: &Path) -> Vec<String> {
    vec![
        "--use-fake-device-for-media-stream".into(),
        "--use-fake-ui-for-media-stream".into(),
        format!("--use-file-for-fake-audio-capture={}", wav.display()),
    ]
}

/// The format of a WAV file from its header: (channels, sample rate, bits per sample).
fn wav_format(bytes: &[u8]) -> (u16, u32, u16) {
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if &bytes[at..at + 4] == b"fmt " {
            let b = &bytes[at + 8..];
            assert_eq!(u16::from_le_bytes([b[0], b[1]]), 1, "PCM");
            return (
                u16::from_le_bytes([b[2], b[3]]),
                u32::from_le_bytes(b[4..8].try_into().unwrap()),
                u16::from_le_bytes([b[14], b[15]]),
            );
        }
        at += 8 + size + size % 2;
    }
    panic!("no fmt chunk");
}

/// The first prompt a Wolof caller hears on Africa's Talking, as `<lang>/<prompt id>`.
async fn first_prompt_heard(server: &support::TestServer, session: &str) -> String {
    let body = format!(
        "isActive=1&sessionId={session}&direction=Inbound&callerNumber={}&destinationNumber=%2B221338000000",
        WO_POWER.replace('+', "%2B")
    );
    let (status, xml) = server.post("/voice/africastalking", body).await;
    assert_eq!(status, 200, "{xml}");
    let at = xml
        .find("/audio/")
        .unwrap_or_else(|| panic!("no prompt: {xml}"))
        + 7;
    let url = &xml[at..at + xml[at..].find('"').unwrap()];
    url.trim_end_matches(".mp3")
        .trim_end_matches(".wav")
        .to_string()
}

/// `dalal prompts` over the temp copy: the line of one language.
fn coverage_line(prompts: &Path, lang: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("prompts")
        .env("DALAL_PROMPTS_DIR", prompts)
        .output()
        .expect("dalal runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{lang}: ")))
        .unwrap_or_else(|| panic!("no {lang} line"))
        .to_string()
}

async fn upload(
    server: &support::TestServer,
    path: &str,
    key: Option<&str>,
    body: Vec<u8>,
) -> (u16, String) {
    let mut request = server
        .client
        .post(format!("{}{path}", server.base))
        .header("content-type", "audio/wav")
        .body(body);
    if let Some(key) = key {
        request = request.header("X-Dalal-Admin-Key", key);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_recorded_in_the_browser_is_served_to_the_next_wolof_caller() {
    let temp = tempfile::tempdir().unwrap();
    let prompts = temp.path().join("audio-prompts");
    copy_dir(Path::new("audio-prompts"), &prompts);
    assert!(
        !prompts.join("wo").exists(),
        "no Wolof recordings to start with"
    );
    let dir = prompts.clone();
    let server = support::start_with(move |c| {
        c.voice.prompts_dir = dir;
        c.admin_key = Some(ADMIN_KEY.into());
    })
    .await;
    let before = coverage_line(&prompts, "wo");
    assert!(before.contains("(0 of "), "{before}");
    // Today: Wolof callers hear the French fallback.
    assert_eq!(
        first_prompt_heard(&server, "ATUid_studio_1").await,
        "fr/main-title"
    );

    // The page and its API need the admin key.
    for path in ["/studio", "/studio?key=wrong", "/admin/studio/prompts"] {
        let status = server
            .client
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 403, "{path}");
    }

    let driver = Driver::start().await;
    let browser = driver
        .session(&microphone_args(&microphone_wav(temp.path())))
        .await;
    browser
        .open(&format!("{}/studio?key={ADMIN_KEY}", server.base))
        .await;
    browser.wait_text("#lang-wo", "0 of").await;
    // The key left the address bar.
    let url = browser.run("return location.href;").await;
    assert!(!url.as_str().unwrap().contains(ADMIN_KEY), "{url}");
    browser.click("#lang-wo").await;
    let row = r#"tr[data-id="main-title"]"#;
    let script_text = browser.text_content(&format!("{row} td.text")).await;
    assert!(!script_text.is_empty(), "the text to read is shown");
    browser.click(&format!("{row} button.record")).await;
    browser
        .wait_text(&format!("{row} .state"), "recording")
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser.click(&format!("{row} button.stop")).await;
    let state = browser
        .wait_text(&format!("{row} .state"), "recorded")
        .await;
    let seconds: f64 = state
        .trim_start_matches("recorded ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{state}"));
    assert!((1.0..10.0).contains(&seconds), "{state}");
    // Played back in the page: the take decodes and has its length.
    browser.click(&format!("{row} button.play")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let duration = browser
            .run(&format!(
                "return document.querySelector('{row} audio').duration || 0;"
            ))
            .await
            .as_f64()
            .unwrap_or(0.0);
        if duration > 1.0 {
            break;
        }
        assert!(Instant::now() < deadline, "the take does not play back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser
        .screenshot(Path::new("target/test-artifacts/studio-recorded.png"))
        .await;
    browser.click(&format!("{row} button.upload")).await;
    let status = browser.wait_text("#status", "stored wo/main-title").await;
    assert!(status.contains("wo: 1 of"), "{status}");
    browser.wait_text("#lang-wo", "1 of").await;
    browser.close().await;

    // Stored in the telephony formats.
    let wav = std::fs::read(prompts.join("wo/main-title.wav")).unwrap();
    assert_eq!(wav_format(&wav), (1, 8000, 16), "8 kHz mono 16-bit");
    let stored_seconds = (wav.len() - 44) as f64 / 16000.0;
    // The microphone's sound, normalised to -3 dBFS: not silence.
    let peak = wav[44..]
        .chunks_exact(2)
        .map(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs())
        .max()
        .unwrap();
    assert!(peak > 16000, "peak {peak}");
    assert!((1.0..10.0).contains(&stored_seconds), "{stored_seconds}");
    let mp3 = std::fs::read(prompts.join("wo/main-title.mp3")).unwrap();
    assert!(
        mp3.starts_with(b"ID3") || (mp3[0] == 0xff && mp3[1] & 0xe0 == 0xe0),
        "an MP3"
    );
    let leftovers: Vec<_> = std::fs::read_dir(prompts.join("wo"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let after = coverage_line(&prompts, "wo");
    assert!(after.contains("(1 of "), "{after}");

    // The next Wolof caller hears the recording, without a restart.
    assert_eq!(
        first_prompt_heard(&server, "ATUid_studio_2").await,
        "wo/main-title"
    );
    // Not the repo's files.
    assert!(!Path::new("audio-prompts/wo").exists());
}

#[tokio::test]
async fn uploads_replace_placeholders_and_bad_input_is_refused_with_nothing_stored() {
    let temp = tempfile::tempdir().unwrap();
    let prompts = temp.path().join("audio-prompts");
    copy_dir(Path::new("audio-prompts"), &prompts);
    let dir = prompts.clone();
    let server = support::start_with(move |c| {
        c.voice.prompts_dir = dir;
        c.admin_key = Some(ADMIN_KEY.into());
    })
    .await;
    let wav_path = microphone_wav(temp.path());
    let take = std::fs::read(&wav_path).unwrap();
    let synthetic = || std::fs::read_to_string(prompts.join("fr/SYNTHETIC")).unwrap();
    assert!(synthetic().lines().any(|l| l == "main-title"));
    let fr_before = coverage_line(&prompts, "fr");
    let placeholder = std::fs::read(prompts.join("fr/main-title.wav")).unwrap();

    // No key, a wrong key: 403.
    let path = "/admin/studio/prompts/fr/main-title";
    assert_eq!(upload(&server, path, None, take.clone()).await.0, 403);
    assert_eq!(
        upload(&server, path, Some("nope"), take.clone()).await.0,
        403
    );
    // Unknown language or prompt: 404.
    for bad in [
        "/admin/studio/prompts/xx/main-title",
        "/admin/studio/prompts/fr/no-such-prompt",
        "/admin/studio/prompts/fr/..%2F..%2Fetc",
    ] {
        let (status, body) = upload(&server, bad, Some(ADMIN_KEY), take.clone()).await;
        assert_eq!(status, 404, "{bad}: {body}");
    }
    // Not audio, a WAV header over junk sox refuses, too long, too large: 400.
    let mut fake = take[..44].to_vec();
    fake[20] = 0x55; // an audio format sox does not know
    fake.extend(vec![0x42u8; 8000]);
    let long = {
        let p = temp.path().join("long.wav");
        assert!(
            Command::new("sox")
                .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
                .arg(&p)
                .args(["synth", "61", "sine", "440"])
                .status()
                .unwrap()
                .success()
        );
        std::fs::read(p).unwrap()
    };
    let mut large = take[..44].to_vec();
    large.extend(vec![0u8; 5 * 1024 * 1024 + 10]);
    for (what, body) in [
        ("junk", b"this is not audio at all".to_vec()),
        ("bad format", fake),
        ("61 s", long),
        ("over 5 MB", large),
    ] {
        let (status, text) = upload(&server, path, Some(ADMIN_KEY), body).await;
        assert_eq!(status, 400, "{what}: {text}");
    }
    assert_eq!(
        std::fs::read(prompts.join("fr/main-title.wav")).unwrap(),
        placeholder,
        "nothing stored"
    );
    assert!(synthetic().lines().any(|l| l == "main-title"));
    let hidden: Vec<_> = std::fs::read_dir(prompts.join("fr"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");

    // The listing: main-title is a French placeholder to replace.
    let listing: Value = serde_json::from_str(
        &server
            .client
            .get(format!("{}/admin/studio/prompts", server.base))
            .header("X-Dalal-Admin-Key", ADMIN_KEY)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let fr = listing["languages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lang"] == "fr")
        .unwrap();
    let entry = fr["todo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "main-title")
        .unwrap();
    assert_eq!(entry["status"], "synthetic");
    assert!(!entry["text"].as_str().unwrap().is_empty());

    // A good take replaces the placeholder and leaves the synthetic list.
    let (status, body) = upload(&server, path, Some(ADMIN_KEY), take).await;
    assert_eq!(status, 200, "{body}");
    let wav = std::fs::read(prompts.join("fr/main-title.wav")).unwrap();
    assert_ne!(wav, placeholder);
    assert_eq!(wav_format(&wav), (1, 8000, 16));
    assert!(!synthetic().lines().any(|l| l == "main-title"));
    assert!(
        synthetic().lines().any(|l| l.starts_with("main-")),
        "others stay"
    );
    let fr_after = coverage_line(&prompts, "fr");
    let count = |line: &str| {
        let at = line.find(" of them synthetic").unwrap();
        line[..at].rsplit(", ").next().unwrap().to_string()
    };
    assert_ne!(
        count(&fr_before),
        count(&fr_after),
        "{fr_before} / {fr_after}"
    );
}
