//! `dalal check` passes on the shipped menus and catches each kind of defect, with file:line.

use std::path::{Path, PathBuf};
use std::process::Command;

use dalal::config::Config;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the shipped menus and locales that a test may break.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(Path::new("menus"), &dir.path().join("menus"));
        copy_dir(Path::new("locales"), &dir.path().join("locales"));
        Workspace { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} lacks {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    fn edit_all(&self, rel: &str, from: &str, to: &str) {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} lacks {from:?}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }

    /// `main.yaml:<line>:` of the first line holding `marker`.
    fn location_of(&self, marker: &str) -> String {
        let text = std::fs::read_to_string(self.path("menus/main.yaml")).unwrap();
        let line = text.lines().position(|l| l.contains(marker)).unwrap() + 1;
        format!("main.yaml:{line}:")
    }

    fn problems(&self) -> Vec<String> {
        let config = Config {
            menus_dir: self.path("menus"),
            locales_dir: self.path("locales"),
            ..Config::default()
        };
        match dalal::server::load_menus(&config) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        }
    }

    fn expect(&self, needle: &str, line_of: Option<&str>) {
        let problems = self.problems();
        let hit = problems.iter().find(|p| p.contains(needle));
        let hit = hit.unwrap_or_else(|| panic!("no problem mentions {needle:?}: {problems:#?}"));
        if let Some(marker) = line_of {
            let text = std::fs::read_to_string(self.path("menus/main.yaml")).unwrap();
            let line = text.lines().position(|l| l.contains(marker)).unwrap() + 1;
            assert!(
                hit.contains(&format!("main.yaml:{line}:")),
                "expected main.yaml:{line}: in {hit}"
            );
        }
    }
}

#[test]
fn shipped_menus_pass_the_check_binary() {
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("4 languages"), "{stdout}");
}

#[test]
fn check_binary_fails_with_file_line_on_a_broken_menu() {
    let ws = Workspace::new();
    ws.edit("menus/main.yaml", "text: no-bill", "text: no-such-message");
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("check")
        .env("DALAL_MENUS_DIR", ws.path("menus"))
        .env("DALAL_LOCALES_DIR", ws.path("locales"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("main.yaml:") && stdout.contains("unknown message id 'no-such-message'"),
        "{stdout}"
    );
}

#[test]
fn unknown_message_id() {
    let ws = Workspace::new();
    ws.edit("menus/main.yaml", "text: no-bill", "text: no-such-message");
    ws.expect("unknown message id 'no-such-message'", Some("  no_bill:"));
}

#[test]
fn message_missing_in_one_locale() {
    let ws = Workspace::new();
    ws.edit(
        "locales/sw/main.ftl",
        "no-bill = Hakuna bili kwa akaunti hii.\n",
        "",
    );
    ws.expect(
        "message 'no-bill' is missing in locale 'sw'",
        Some("  no_bill:"),
    );
}

#[test]
fn unreachable_node() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "  callback_done:",
        "  orphan:\n    text: no-bill\n    end: true\n\n  callback_done:",
    );
    ws.expect("node 'orphan' is unreachable", Some("  orphan:"));
}

#[test]
fn dead_end_screen() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "  no_bill:\n    text: no-bill\n    end: true",
        "  no_bill:\n    text: no-bill",
    );
    ws.expect("dead end", Some("  no_bill:"));
}

#[test]
fn dead_end_action_outcome() {
    let ws = Workspace::new();
    ws.edit("menus/main.yaml", "      none: no_bill\n", "");
    ws.expect(
        "outcome 'none' of action 'latest_bill' leads nowhere",
        Some("  fetch_bill:"),
    );
}

#[test]
fn next_branch_for_an_outcome_the_action_never_gives() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "      none: no_bill\n",
        "      nothing: no_bill\n",
    );
    ws.expect(
        "action 'latest_bill' has no outcome 'nothing'",
        Some("  fetch_bill:"),
    );
}

#[test]
fn renamed_input_variable_an_action_reads() {
    let ws = Workspace::new();
    // Both meter prompts feed `find_meter`; renaming their variable must not pass unseen.
    ws.edit_all("menus/main.yaml", "var: typed_meter,", "var: typed_metre,");
    let problems = ws.problems();
    let needle = "action 'find_meter' reads variable 'typed_meter', which nothing in the menu sets";
    for node in [
        "  outage_find_meter:",
        "  area_find_meter:",
        "  reading_find_meter:",
    ] {
        let at = ws.location_of(node);
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&at) && p.contains(needle)),
            "no {at} {needle:?} in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), 3, "{problems:#?}");
}

#[test]
fn renamed_option_variable_an_action_reads() {
    let ws = Workspace::new();
    ws.edit_all("menus/main.yaml", "set: { lang:", "set: { language:");
    ws.expect(
        "action 'save_language' reads variable 'lang', which nothing in the menu sets",
        Some("  save_language:"),
    );
}

#[test]
fn a_variable_another_action_sets_is_enough() {
    // `report_outage` reads `area_code`, which only `locate_caller`, `find_meter` and the
    // connection request's area actions set.
    let ws = Workspace::new();
    assert_eq!(ws.problems(), Vec::<String>::new());
    for action in [
        "locate_caller",
        "find_meter",
        "account_area",
        "find_area",
        "use_area",
    ] {
        ws.edit_all(
            "menus/main.yaml",
            &format!("action: {action}"),
            "action: open_tickets",
        );
    }
    let problems = ws.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&ws.location_of("  file_outage:"))
                && p.contains("action 'report_outage' reads variable 'area_code'")),
        "{problems:#?}"
    );
}

#[test]
fn input_kind_looser_than_what_the_action_reads() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "var: typed_meter_digits, kind: digits,",
        "var: typed_meter_digits, kind: code,",
    );
    ws.expect(
        "input 'typed_meter_digits' takes code, but action 'verify_account' reads it as digits",
        Some("  verify_meter:"),
    );
    // Stricter than needed is fine: digits are a code.
    let ws = Workspace::new();
    ws.edit_all(
        "menus/main.yaml",
        "var: typed_meter, kind: code,",
        "var: typed_meter, kind: digits,",
    );
    assert_eq!(ws.problems(), Vec::<String>::new());
}

#[test]
fn argument_the_action_does_not_take() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "    action: latest_bill\n",
        "    action: latest_bill\n    args: { months: \"3\" }\n",
    );
    ws.expect(
        "action 'latest_bill' takes no argument 'months'",
        Some("  fetch_bill:"),
    );
}

#[test]
fn list_no_action_fills() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "list: { from: tickets,",
        "list: { from: tikets,",
    );
    ws.expect(
        "list 'tikets' is filled by no action of the menu",
        Some("  ticket_list:"),
    );
}

#[test]
fn option_numbering_gap() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        r#"{ key: "3", label: main-follow-complaint"#,
        r#"{ key: "9", label: main-follow-complaint"#,
    );
    ws.expect("option numbering: keys 1, 2, 9, 4,", Some("  main:"));
}

#[test]
fn option_keys_may_skip_a_number_but_never_go_back() {
    // A skipped number is a key kept (a choice taken out, the others keep their keys): fine.
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        r#"{ key: "8", label: main-more-services"#,
        r#"{ key: "9", label: main-more-services"#,
    );
    let problems = ws.problems();
    assert!(problems.is_empty(), "{problems:#?}");
    // A key out of order, reused, or not a plain number: refused.
    for (from, to) in [
        (
            r#"{ key: "2", label: main-report"#,
            r#"{ key: "1", label: main-report"#,
        ),
        (
            r#"{ key: "1", label: main-bill"#,
            r#"{ key: "01", label: main-bill"#,
        ),
    ] {
        let ws = Workspace::new();
        ws.edit("menus/main.yaml", from, to);
        ws.expect("option numbering: keys", Some("  main:"));
    }
}

#[test]
fn screen_over_the_page_budget() {
    let ws = Workspace::new();
    // ê is not GSM-7: the prompt drops to the 80-character UCS-2 budget and no longer fits.
    ws.edit(
        "locales/fr/main.ftl",
        "main-title = Bienvenue. Choisissez:",
        "main-title = Bienvenue chez votre société. Vous êtes au bon endroit pour tout ce qui concerne votre compte. Choisissez:",
    );
    ws.expect("[fr] screen exceeds the page budget", Some("  main:"));
}

#[test]
fn unknown_target_and_action() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "goto: complaint_category }",
        "goto: nowhere }",
    );
    ws.expect("goes to unknown node 'nowhere'", Some("  main:"));
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        "action: latest_bill",
        "action: latest_bil",
    );
    ws.expect("unknown action 'latest_bil'", Some("  fetch_bill:"));
}

#[test]
fn fluent_syntax_error_has_a_line() {
    let ws = Workspace::new();
    ws.edit(
        "locales/en/main.ftl",
        "try-again = Try again",
        "try-again = { Try again",
    );
    let problems = ws.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("en/main.ftl:") && p.contains("Fluent syntax error")),
        "{problems:#?}"
    );
}

// --- voice ------------------------------------------------------------------------------------

/// ARCHITECTURE.md's promise: a language with no voice is locale files only, no Rust (and one
/// option in the menu, which is data).
#[test]
fn a_text_only_language_needs_locale_files_only() {
    let ws = Workspace::new();
    std::fs::create_dir(ws.path("locales/ha")).unwrap();
    std::fs::copy(
        ws.path("locales/en/main.ftl"),
        ws.path("locales/ha/main.ftl"),
    )
    .unwrap();
    ws.edit(
        "locales/ha/main.ftl",
        "language-name = English",
        "language-name = Hausa",
    );
    let english = "      - { key: \"4\", label: language-name, label_lang: en, set: { lang: en }, goto: save_language }\n";
    ws.edit(
        "menus/main.yaml",
        english,
        &format!(
            "{english}      - {{ key: \"5\", label: language-name, label_lang: ha, set: {{ lang: ha }}, goto: save_language }}\n"
        ),
    );
    let (ok, out) = check_binary(&ws, &[], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("ha"), "the new language is listed: {out}");
    // A message missing from it is still found, with its file.
    ws.edit("locales/ha/main.ftl", "main-title =", "main-titel =");
    let (ok, out) = check_binary(&ws, &[], &[]);
    assert!(
        !ok && out.contains("main-title") && out.contains("ha"),
        "{out}"
    );
}

/// `dalal check` with the workspace's menus and locales and extra environment.
fn check_binary(ws: &Workspace, args: &[&str], env: &[(&str, &Path)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dalal"));
    command
        .args(args)
        .arg("check")
        .env("DALAL_MENUS_DIR", ws.path("menus"))
        .env("DALAL_LOCALES_DIR", ws.path("locales"));
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn check_fails_on_a_voice_menu_whose_options_cannot_fit_five_a_spoken_page() {
    let ws = Workspace::new();
    // Ten choices: spoken five a page with 9 for "more options" on the first, so a tenth
    // option has no key (a ninth is chosen with 9 on the last page, where there is no more).
    ws.edit(
        "menus/main.yaml",
        "      - { key: \"6\", label: category-other, set: { category: other }, goto: complaint_confirm }\n",
        "      - { key: \"6\", label: category-other, set: { category: other }, goto: complaint_confirm }\n\
         \x20     - { key: \"7\", label: category-other, set: { category: other }, goto: complaint_confirm }\n\
         \x20     - { key: \"8\", label: category-other, set: { category: other }, goto: complaint_confirm }\n\
         \x20     - { key: \"9\", label: category-other, set: { category: other }, goto: complaint_confirm }\n\
         \x20     - { key: \"10\", label: category-other, set: { category: other }, goto: complaint_confirm }\n",
    );
    let (ok, out) = check_binary(&ws, &[], &[]);
    assert!(!ok, "{out}");
    let text = std::fs::read_to_string(ws.path("menus/main.yaml")).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("  complaint_category:"))
        .unwrap()
        + 1;
    assert!(
        out.lines()
            .any(|l| l.contains(&format!("main.yaml:{line}:")) && l.contains("voice: option '9'")),
        "{out}"
    );
    // Eight options still fit (pages of five, keys 1-8), and nine (9 on the last page).
    for added in [
        "\x20     - { key: \"7\", label: category-other, set: { category: other }, goto: complaint_confirm }\n\
         \x20     - { key: \"8\", label: category-other, set: { category: other }, goto: complaint_confirm }\n",
        "\x20     - { key: \"7\", label: category-other, set: { category: other }, goto: complaint_confirm }\n\
         \x20     - { key: \"8\", label: category-other, set: { category: other }, goto: complaint_confirm }\n\
         \x20     - { key: \"9\", label: category-other, set: { category: other }, goto: complaint_confirm }\n",
    ] {
        let ws = Workspace::new();
        let sixth = "      - { key: \"6\", label: category-other, set: { category: other }, goto: complaint_confirm }\n";
        ws.edit("menus/main.yaml", sixth, &format!("{sixth}{added}"));
        let (ok, out) = check_binary(&ws, &[], &[]);
        assert!(ok, "{out}");
    }
}

#[test]
fn check_fails_on_a_prompt_with_no_audio_and_no_fallback() {
    let ws = Workspace::new();
    // Kiswahili prompts (names only: the check reads none of the audio), without main-bill,
    // and a chain that stops at Kiswahili recordings.
    let prompts = ws.path("prompts");
    std::fs::create_dir_all(prompts.join("sw")).unwrap();
    for entry in std::fs::read_dir("audio-prompts/sw").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.starts_with("main-bill.") {
            std::fs::write(prompts.join("sw").join(&name), b"").unwrap();
        }
    }
    let config = ws.path("dalal.toml");
    std::fs::write(
        &config,
        "[voice.prompt_fallbacks]\nsw = [\"sw\"]\nfr = [\"fr\", \"tts:fr\"]\nen = [\"en\", \"tts:en\"]\nwo = [\"wo\", \"tts:fr\"]\n",
    )
    .unwrap();
    let env = [("DALAL_PROMPTS_DIR", prompts.as_path())];
    let (ok, out) = check_binary(&ws, &["--config", config.to_str().unwrap()], &env);
    assert!(!ok, "{out}");
    let problems: Vec<&str> = out.lines().filter(|l| l.contains("voice prompt")).collect();
    assert_eq!(
        problems.len(),
        1,
        "only sw main-bill lacks audio and fallback: {out}"
    );
    assert!(
        problems[0]
            .contains("voice prompt 'main-bill' (main-bill) has no audio and no fallback in 'sw'"),
        "{out}"
    );
    // With English recordings to fall back on (the default chain sw -> tts:sw -> en), it passes.
    std::fs::create_dir_all(prompts.join("en")).unwrap();
    std::fs::write(prompts.join("en/main-bill.wav"), b"").unwrap();
    std::fs::write(
        &config,
        "[voice.prompt_fallbacks]\nsw = [\"sw\", \"en\"]\nfr = [\"fr\", \"tts:fr\"]\nen = [\"en\", \"tts:en\"]\nwo = [\"wo\", \"tts:fr\"]\n",
    )
    .unwrap();
    let (ok, out) = check_binary(&ws, &["--config", config.to_str().unwrap()], &env);
    assert!(ok, "{out}");
}

#[test]
fn check_names_each_bad_gateway_setting() {
    let ws = Workspace::new();
    let config = ws.path("dalal.toml");
    std::fs::write(
        &config,
        "[gateways.hubtl]\n[gateways.nalo]\ncountry = \"Ghana\"\n[gateways.mtn]\noutbound_url = \"ftp://x\"\n",
    )
    .unwrap();
    let (ok, out) = check_binary(&ws, &["--config", config.to_str().unwrap()], &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("gateways.hubtl: no such gateway"), "{out}");
    assert!(
        out.contains("gateways.nalo.country: 'Ghana' is not a known country"),
        "{out}"
    );
    assert!(
        out.contains("gateways.mtn.outbound_url: 'ftp://x' is not an http(s) URL"),
        "{out}"
    );
}

/// One term per concept: the shipped locales pass their glossaries, and a forbidden variant
/// planted in a Wolof voice message is flagged by `dalal check` with its file:line.
#[test]
fn the_glossary_passes_on_the_shipped_locales_and_flags_a_planted_variant() {
    assert_eq!(
        dalal::check::glossary(Path::new("locales")),
        Vec::new(),
        "shipped locales use one term per concept"
    );
    let ws = Workspace::new();
    ws.edit(
        "locales/wo/voice.ftl",
        "Waxal sa plent ginnaaw",
        "Waxal sa jàmbat ginnaaw",
    );
    let text = std::fs::read_to_string(ws.path("locales/wo/voice.ftl")).unwrap();
    let line = text.lines().position(|l| l.contains("jàmbat")).unwrap() + 1;
    let problems = dalal::check::glossary(&ws.path("locales"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    let location = format!("wo/voice.ftl:{line}");
    assert!(problems[0].location.ends_with(&location), "{problems:?}");
    assert!(problems[0].message.contains("'plent'"), "{problems:?}");
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("check")
        .env("DALAL_MENUS_DIR", ws.path("menus"))
        .env("DALAL_LOCALES_DIR", ws.path("locales"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{location}: glossary: 'jàmbat' for complaint")),
        "{stdout}"
    );
    // A variant in a comment is no message: not flagged.
    ws.edit(
        "locales/wo/voice.ftl",
        "Waxal sa jàmbat ginnaaw",
        "Waxal sa plent ginnaaw",
    );
    ws.edit(
        "locales/wo/main.ftl",
        "# dalal - Wolof.",
        "# dalal - Wolof (jàmbat).",
    );
    assert_eq!(dalal::check::glossary(&ws.path("locales")), Vec::new());
}
