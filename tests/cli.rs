//! The `dalal` binary as an operator uses it: import and its errors.

use std::path::Path;
use std::process::Command;

const FIXTURE: &str = "../shared/fixtures/crm-demo";

fn dalal(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(args)
        .output()
        .expect("dalal runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

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
