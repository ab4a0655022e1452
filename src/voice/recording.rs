//! Recorded complaints the platform uploads (VoiceXML `<record>`, submitted as
//! `multipart/form-data`): stored under `voice.recordings_dir` and served back at
//! `/recordings/<file>` to callers passing the VoiceXML gateway's authentication.
//!
//! File names are ours: the SHA-1 of the gateway, the session and the audio, then the format's
//! extension (sniffed from the bytes, never taken from the request). The platform retrying the
//! same upload therefore lands on the same file, and the ticket (keyed by the session) is filed
//! once.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha1::{Digest, Sha1};

/// URL path the stored recordings are served under.
pub const URL_PREFIX: &str = "/recordings/";

/// Formats we recognise: extension and content type.
const FORMATS: [(&str, &str); 5] = [
    ("wav", "audio/wav"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("au", "audio/basic"),
    ("bin", "application/octet-stream"),
];

/// The extension for these bytes, from their magic number (`bin` when unknown).
fn sniff(audio: &[u8]) -> &'static str {
    if audio.len() >= 12 && &audio[..4] == b"RIFF" && &audio[8..12] == b"WAVE" {
        "wav"
    } else if audio.starts_with(b"ID3")
        || (audio.len() > 2 && audio[0] == 0xFF && audio[1] & 0xE0 == 0xE0)
    {
        "mp3"
    } else if audio.starts_with(b"OggS") {
        "ogg"
    } else if audio.starts_with(b".snd") {
        "au"
    } else {
        "bin"
    }
}

/// The name a recording is stored under.
pub fn file_name(gateway: &str, session_id: &str, audio: &[u8]) -> String {
    let mut hash = Sha1::new();
    hash.update(gateway.as_bytes());
    hash.update([0]);
    hash.update(session_id.as_bytes());
    hash.update([0]);
    hash.update(audio);
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.{}", sniff(audio))
}

/// The content type of a stored recording, if `name` is one of ours (anything else: `None`).
pub fn content_type(name: &str) -> Option<&'static str> {
    let (stem, ext) = name.split_once('.')?;
    if stem.len() != 40
        || !stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    FORMATS.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

/// Writes `audio` to `<dir>/<name>` (the folder created if missing): to a temporary file first,
/// flushed to disk, then renamed, so the name never shows a partial recording. Runs to the end
/// even if the caller stops waiting.
pub async fn store(dir: &Path, name: &str, audio: Bytes) -> std::io::Result<PathBuf> {
    let dir = dir.to_path_buf();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(&name);
        // A retried upload: the same name holds the same bytes already.
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == audio.len() as u64) {
            return Ok(path);
        }
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let temp = dir.join(format!(
            ".{name}.{}.{}.part",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&audio)?;
            file.sync_all()?;
            std::fs::rename(&temp, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.map(|()| path)
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_ours_and_typed_by_content() {
        let wav = b"RIFF\x24\0\0\0WAVEfmt ";
        let name = file_name("vxml", "s1", wav);
        assert!(name.ends_with(".wav"), "{name}");
        assert_eq!(content_type(&name), Some("audio/wav"));
        assert_eq!(name, file_name("vxml", "s1", wav), "stable for a retry");
        assert_ne!(name, file_name("vxml", "s2", wav));
        assert!(file_name("vxml", "../x", b"<html>").ends_with(".bin"));
        for bad in [
            "",
            "x.wav",
            "../etc/passwd",
            ".abc.wav.part",
            &name.replace(".wav", ".html"),
        ] {
            assert_eq!(content_type(bad), None, "{bad}");
        }
    }
}
