//! The inventory of recorded prompts the voice menus need, per language (the recording
//! script), and turning a recording into the telephony formats. Shared by `dalal prompts`
//! (`tools::prompts`) and the recording studio (`GET /studio`), which the server serves and
//! so may not reach into `tools`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::engine::messages;
use crate::i18n::Catalog;
use crate::menu::Menu;
use crate::voice::numbers;
use crate::voice::policy::ids;
use crate::voice::speech::{self, PromptIndex, SYNTHETIC_MANIFEST, Shapes};

/// Message ids the voice channel can say.
pub fn spoken_messages(menu: &Menu) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for node in menu.nodes.values() {
        out.extend(node.text.clone());
        out.extend(node.options.iter().map(|o| o.label.clone()));
        out.extend(node.list.as_ref().map(|l| l.item.clone()));
    }
    for id in messages::ALL {
        if id != messages::NAV_MORE && id != messages::NAV_BACK {
            out.insert(id.to_string());
        }
    }
    out.extend(ids::ALL.iter().map(|s| s.to_string()));
    out.insert(ids::CALLBACK_DONE.to_string());
    out
}

/// One prompt a language needs: its id and the text to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    pub id: String,
    pub text: String,
    /// The message it belongs to, or `numbers` for number, currency, month and letter pieces.
    pub source: String,
}

/// Every prompt `lang` needs: each text run of each spoken message, and the number pieces.
pub fn needed(menu: &Menu, catalog: &Catalog, shapes: &Shapes, lang: &str) -> Vec<Needed> {
    let mut out = Vec::new();
    for message in spoken_messages(menu) {
        for (id, text) in speech::all_runs(catalog, shapes, lang, &message) {
            out.push(Needed {
                id,
                text,
                source: message.clone(),
            });
        }
    }
    for (id, text) in numbers::words(lang) {
        out.push(Needed {
            id,
            text,
            source: "numbers".into(),
        });
    }
    out
}

/// Whether `lang`'s prompt `id` is a real recording (not missing, not a placeholder).
pub fn is_real(index: &PromptIndex, lang: &str, id: &str) -> bool {
    index.has(lang, id) && !index.is_synthetic(lang, id)
}

/// Runs one external tool, its error output in the error.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .map_err(|e| anyhow::anyhow!("{:?}: {e}", command.get_program()))?;
    if !output.status.success() {
        anyhow::bail!(
            "{:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Converts any audio sox reads to the telephony format: 8 kHz mono 16-bit PCM WAV,
/// loudness normalised to -3 dBFS (and an MP3 copy beside it for Africa's Talking when
/// `mp3`). The one path for synthetic placeholders and studio recordings alike.
pub fn to_telephony(input: &Path, out_wav: &Path, mp3: bool) -> anyhow::Result<()> {
    run(Command::new("sox")
        .arg(input)
        .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
        .arg(out_wav)
        .args(["norm", "-3"]))?;
    if mp3 {
        run(Command::new("sox")
            .arg(out_wav)
            .arg(out_wav.with_extension("mp3")))?;
    }
    Ok(())
}

/// Whether sox here writes MP3.
pub fn sox_writes_mp3(dir: &Path) -> bool {
    let probe_wav = dir.join(".mp3-probe.wav");
    let probe_mp3 = dir.join(".mp3-probe.mp3");
    let ok = Command::new("sox")
        .args(["-n", "-r", "8000", "-c", "1"])
        .arg(&probe_wav)
        .args(["trim", "0", "0.1"])
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("sox")
            .arg(&probe_wav)
            .arg(&probe_mp3)
            .status()
            .is_ok_and(|s| s.success());
    let _ = std::fs::remove_file(probe_wav);
    let _ = std::fs::remove_file(probe_mp3);
    ok
}

/// Takes `id` off the synthetic list of `lang_dir` (a real recording replaced it); the
/// comment lines and the other ids stay as they were.
pub fn unmark_synthetic(lang_dir: &Path, id: &str) -> std::io::Result<()> {
    let path = lang_dir.join(SYNTHETIC_MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let kept: String = text
        .lines()
        .filter(|l| l.trim() != id)
        .map(|l| format!("{l}\n"))
        .collect();
    if kept != text {
        std::fs::write(&path, kept)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmarking_keeps_comments_and_other_ids() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SYNTHETIC_MANIFEST),
            "# placeholders\nmain-title\nmain-bill\n",
        )
        .unwrap();
        unmark_synthetic(dir.path(), "main-title").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(SYNTHETIC_MANIFEST)).unwrap(),
            "# placeholders\nmain-bill\n"
        );
        // No manifest: nothing to do.
        unmark_synthetic(&dir.path().join("none"), "x").unwrap();
    }
}
