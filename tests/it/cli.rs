//! The `dalal` binary as an operator uses it: import and its errors.

use crate::support;

use std::path::Path;
use std::process::Command;

use support::process::dalal;

use support::FIXTURE;

#[test]
fn import_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("crm.db").display());
    for _ in 0..2 {
        let (ok, out, err) = dalal(&["import", FIXTURE, "--database-url", &url]);
        assert!(ok, "{out}{err}");
        assert!(
            out.contains("imported 14 areas, 240 customers, 1440 bills, 60 tickets, 5 outages"),
            "{out}"
        );
    }
}

#[test]
fn a_bad_row_rejects_the_file_with_file_and_line_and_loads_nothing() {
    let data = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(FIXTURE).unwrap().flatten() {
        std::fs::copy(entry.path(), data.path().join(entry.file_name())).unwrap();
    }
    let customers = data.path().join("customers.csv");
    let text = std::fs::read_to_string(&customers).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[4] = lines[4].replacen(",+221", ",0221", 1); // line 5: phone not E.164
    std::fs::write(&customers, lines.join("\n") + "\n").unwrap();

    let db = tempfile::tempdir().unwrap();
    let db_file = db.path().join("crm.db");
    let url = format!("sqlite:{}", db_file.display());
    let (ok, out, err) = dalal(&[
        "import",
        data.path().to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert!(!ok, "{out}");
    assert!(err.contains("customers.csv:5:"), "{err}");
    assert!(!Path::new(&db_file).exists() || !out.contains("imported"));
}

#[test]
fn import_of_a_missing_folder_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("crm.db").display());
    let (ok, _, err) = dalal(&["import", "/no/such/folder", "--database-url", &url]);
    assert!(!ok);
    assert!(err.contains("customers.csv"), "{err}");
}

// --- voice prompts ----------------------------------------------------------------------------

fn dalal_env(args: &[&str], env: &[(&str, &Path)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dalal"));
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("dalal runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn prompts_report_full_coverage_for_fr_sw_en_with_placeholders_flagged() {
    let (ok, out, err) = dalal(&["prompts"]);
    assert!(ok, "{out}{err}");
    for lang in ["fr", "sw", "en"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{lang}: ")))
            .unwrap_or_else(|| panic!("no line for {lang}: {out}"));
        assert!(line.contains("100% covered"), "{line}");
        // Every shipped prompt is an espeak-ng placeholder: counted, and flagged.
        let n: Vec<&str> = line.split_whitespace().collect();
        let recorded =
            n[n.iter().position(|w| *w == "covered").unwrap() + 1].trim_start_matches('(');
        let synthetic = n[n.iter().position(|w| *w == "recorded,").unwrap() + 1];
        assert_eq!(recorded, synthetic, "{line}");
        assert!(
            line.contains("synthetic placeholders: replace them with real recordings"),
            "{line}"
        );
        let manifest = std::fs::read_to_string(format!("audio-prompts/{lang}/SYNTHETIC")).unwrap();
        let listed = manifest
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(listed.to_string(), synthetic, "{lang}/SYNTHETIC");
    }
    let wo = out.lines().find(|l| l.starts_with("wo: ")).unwrap();
    assert!(wo.contains("0% covered"), "{wo}");
    assert!(!out.contains("NO audio and NO fallback"), "{out}");
}

#[test]
fn prompts_script_lists_exactly_what_wolof_voice_talent_must_record() {
    let (ok, report, err) = dalal(&["prompts"]);
    assert!(ok, "{err}");
    let (ok, script, err) = dalal(&["prompts", "script", "wo"]);
    assert!(ok, "{err}");
    let lines: Vec<(&str, &str)> = script
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap_or_else(|| panic!("{l:?}")))
        .collect();
    // The report's own list for Wolof, and its count, are the script.
    let to_record: usize = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("to record ("))
        .and_then(|l| l.split(')').next())
        .and_then(|n| n.parse().ok())
        .expect("a Wolof count");
    assert_eq!(lines.len(), to_record, "{script}");
    let ids: std::collections::BTreeSet<&str> = lines.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), lines.len(), "each prompt once");
    for (id, text) in &lines {
        assert!(!text.trim().is_empty(), "{id} has no text");
        assert!(
            report.contains(&format!("    {id}\t{text}")),
            "{id} not in the report"
        );
        // Nothing to record can be already there.
        assert!(!Path::new(&format!("audio-prompts/wo/{id}.wav")).exists());
    }
    for (id, text) in [
        ("language-name", "Wolof"),
        ("voice-press", "bësal"),
        ("main-bill", "Sama faktiir"),
        ("num-2", "ñaar"),
        ("voice-goodbye", "Jërëjëf ci sa woote. Ba beneen yoon."),
    ] {
        let got = lines.iter().find(|(i, _)| *i == id).map(|(_, t)| *t);
        if id == "main-bill" {
            assert!(got.is_some(), "{id} missing from the script");
        } else {
            assert_eq!(got, Some(text), "{id}");
        }
    }
    assert!(lines.iter().any(|(id, _)| id.starts_with("cur-XOF")));
    assert!(lines.iter().any(|(id, _)| *id == "month-11"));
    assert!(script.contains("8 kHz, mono, 16-bit PCM"), "{script}");
    // French is covered by placeholders only: its script is exactly the placeholders.
    let (ok, fr, _) = dalal(&["prompts", "script", "fr"]);
    assert!(ok);
    let manifest = std::fs::read_to_string("audio-prompts/fr/SYNTHETIC").unwrap();
    let placeholders: std::collections::BTreeSet<&str> = manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    let listed: std::collections::BTreeSet<&str> = fr
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(listed, placeholders);
    let (ok, _, err) = dalal(&["prompts", "script", "xx"]);
    assert!(!ok && err.contains("no locale 'xx'"), "{err}");
}

/// A WAV file's format and length, read from its header.
fn wav_header(path: &Path) -> (u32, u16, u16, f64) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..4], b"RIFF", "{}", path.display());
    assert_eq!(&bytes[8..12], b"WAVE", "{}", path.display());
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let (mut at, mut fmt) = (12, None);
    while at + 8 <= bytes.len() {
        let len = u32_at(at + 4) as usize;
        match &bytes[at..at + 4] {
            b"fmt " => {
                assert_eq!(u16_at(at + 8), 1, "PCM");
                fmt = Some((u32_at(at + 12), u16_at(at + 10), u16_at(at + 22)));
            }
            b"data" => {
                let (rate, channels, bits) = fmt.expect("fmt before data");
                let frame = f64::from(channels) * f64::from(bits) / 8.0;
                let len = len.min(bytes.len() - at - 8);
                return (rate, channels, bits, len as f64 / frame / f64::from(rate));
            }
            _ => {}
        }
        at += 8 + len + (len & 1);
    }
    panic!("{}: no data chunk", path.display());
}

#[test]
fn synth_makes_8khz_mono_prompts_as_long_as_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let prompts = dir.path().join("prompts");
    let env = [("DALAL_PROMPTS_DIR", prompts.as_path())];
    let (ok, out, err) = dalal_env(&["prompts", "synth", "--lang", "en"], &env);
    assert!(
        ok,
        "synth needs espeak-ng and sox (tests/services.sh start installs them): {out}{err}"
    );
    assert!(
        out.contains("en: 304 synthetic placeholder prompt(s) written"),
        "{out}"
    );
    assert!(out.contains("MP3 copies written"), "{out}");
    // Text at espeak-ng's 145 words a minute.
    let expected = |text: &str| text.split_whitespace().count() as f64 * 60.0 / 145.0;
    let mut lengths = Vec::new();
    for (id, text) in [
        (
            "voice-offer",
            "We could not understand your choice. To be called back by an agent, press 1. To record your complaint, press 2.",
        ),
        (
            "voice-record-prompt",
            "Record your complaint after the tone. Press the hash key when you have finished.",
        ),
        ("voice-no-input", "We did not hear your choice."),
        ("main-bill", "My bill"),
    ] {
        let (rate, channels, bits, secs) = wav_header(&prompts.join(format!("en/{id}.wav")));
        assert_eq!((rate, channels, bits), (8000, 1, 16), "{id}");
        let want = expected(text);
        assert!(
            secs > want * 0.6 && secs < want * 1.6 + 0.8,
            "{id}: {secs:.2} s for {text:?} (about {want:.2} s expected)"
        );
        assert!(prompts.join(format!("en/{id}.mp3")).exists(), "{id}.mp3");
        lengths.push(secs);
    }
    assert!(lengths[0] > 3.0 * lengths[3], "{lengths:?}");
    let manifest = std::fs::read_to_string(prompts.join("en/SYNTHETIC")).unwrap();
    assert!(manifest.lines().any(|l| l == "voice-offer"), "{manifest}");
    // The report on that folder: English complete (all placeholders), the others not.
    let (ok, report, _) = dalal_env(&["prompts"], &env);
    assert!(ok);
    assert!(
        report.contains("en: 100% covered (304 of 304 prompts recorded, 304 of them synthetic"),
        "{report}"
    );
    assert!(report.contains("fr: 0% covered"), "{report}");
}
