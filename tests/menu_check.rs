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
fn option_numbering_gap() {
    let ws = Workspace::new();
    ws.edit(
        "menus/main.yaml",
        r#"{ key: "3", label: main-follow-complaint"#,
        r#"{ key: "9", label: main-follow-complaint"#,
    );
    ws.expect("option numbering gap", Some("  main:"));
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
