//! Lists what is generated from folders, so adding a file needs no Rust change:
//! - the actions for `src/actions/mod.rs`: every file of `src/actions/` that declares
//!   `pub const SPEC: ActionSpec`; each action's outcomes, read from its `SPEC`, become its
//!   `Outcome` enum (`actions::outcomes::<name>`): `perform` can only give an outcome the spec
//!   lists, and the SPEC stays the one source;
//! - the shipped menus and translations for `src/server.rs`: every file under `menus/` and
//!   `locales/`, built into the binary for a `dalal` started away from them;
//! - the migrations of each database for `src/store/migrations.rs`: every file of
//!   `migrations/<database>/`, built into the binary (sqlx's `migrate!` macro would do the same
//!   at the price of compiling sqlx and SQLite's C code a second time, for the macro).

use std::fmt::Write;
use std::path::{Path, PathBuf};

const SPEC_LINE: &str = "pub const SPEC: ActionSpec";

fn main() {
    list_actions();
    list_shipped_files();
    list_migrations();
}

/// `SQLITE` and `POSTGRES`: each database's migrations as (file name, SQL), sorted by name
/// (the version number leads it).
fn list_migrations() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut list = String::new();
    for (constant, folder) in [("SQLITE", "sqlite"), ("POSTGRES", "postgres")] {
        let dir = Path::new(&manifest).join("migrations").join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        files_under(&dir, &mut files);
        files.sort();
        writeln!(list, "pub const {constant}: &[(&str, &str)] = &[").unwrap();
        for path in &files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file name");
            let path = path.display().to_string();
            writeln!(list, "    ({name:?}, include_str!({path:?})),").unwrap();
        }
        list.push_str("];\n");
    }
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    std::fs::write(out, list).expect("OUT_DIR is writable");
}

fn list_actions() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("src/actions");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut actions: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("src/actions exists")
        .map(|entry| entry.expect("readable folder").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter(|path| !path.ends_with("mod.rs"))
        .filter_map(|path| {
            println!("cargo:rerun-if-changed={}", path.display());
            let source = std::fs::read_to_string(&path).expect("readable source");
            let is_action = source.lines().any(|line| line.starts_with(SPEC_LINE));
            is_action.then_some((path, source))
        })
        .collect();
    actions.sort();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("actions.rs"), registry(&actions)).expect("OUT_DIR is writable");
    std::fs::write(out.join("outcomes.rs"), outcome_enums(&actions)).expect("OUT_DIR is writable");
}

fn action_name(path: &Path) -> &str {
    let name = path.file_stem().and_then(|s| s.to_str());
    name.expect("UTF-8 file name")
}

/// The generated file lives in OUT_DIR: each module is given the path of its source.
fn registry(actions: &[(PathBuf, String)]) -> String {
    let mut list = String::from("registry!(\n");
    for (path, _) in actions {
        let name = action_name(path);
        writeln!(list, "    {name} = {:?},", path.display().to_string())
            .expect("write to a string");
    }
    list.push_str(");\n");
    list
}

/// One module per action holding the `Outcome` enum of the outcomes its SPEC lists.
fn outcome_enums(actions: &[(PathBuf, String)]) -> String {
    let mut code = String::new();
    for (path, source) in actions {
        let name = action_name(path);
        let outcomes = spec_outcomes(source)
            .unwrap_or_else(|why| panic!("{}: SPEC outcomes: {why}", path.display()));
        let variants: Vec<String> = outcomes.iter().map(|o| camel_case(o)).collect();
        let n = outcomes.len();
        let w = &mut code;
        writeln!(w, "/// `{name}`: the outcomes its `SPEC` lists.").unwrap();
        writeln!(w, "pub mod {name} {{").unwrap();
        writeln!(w, "    /// An outcome `{name}`'s `SPEC` lists.").unwrap();
        writeln!(w, "    #[derive(Debug, Clone, Copy, PartialEq, Eq)]").unwrap();
        writeln!(w, "    pub enum Outcome {{").unwrap();
        for (outcome, variant) in outcomes.iter().zip(&variants) {
            writeln!(w, "        /// `{outcome}`").unwrap();
            writeln!(w, "        {variant},").unwrap();
        }
        writeln!(w, "    }}").unwrap();
        writeln!(w, "    impl Outcome {{").unwrap();
        let all: Vec<String> = variants.iter().map(|v| format!("Outcome::{v}")).collect();
        writeln!(
            w,
            "        pub const ALL: [Outcome; {n}] = [{}];",
            all.join(", ")
        )
        .unwrap();
        writeln!(
            w,
            "        pub const NAMES: [&'static str; {n}] = {outcomes:?};"
        )
        .unwrap();
        writeln!(w, "    }}").unwrap();
        writeln!(w, "    impl super::ActionOutcome for Outcome {{").unwrap();
        writeln!(w, "        fn as_str(self) -> &'static str {{").unwrap();
        writeln!(w, "            match self {{").unwrap();
        for (outcome, variant) in outcomes.iter().zip(&variants) {
            writeln!(w, "                Outcome::{variant} => {outcome:?},").unwrap();
        }
        writeln!(w, "            }}").unwrap();
        writeln!(w, "        }}").unwrap();
        writeln!(w, "    }}").unwrap();
        writeln!(w, "}}").unwrap();
    }
    code
}

/// The string literals of the SPEC's `outcomes: &[...]` (comments aside).
fn spec_outcomes(source: &str) -> Result<Vec<String>, String> {
    let code: String = source
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let spec = &code[code.find(SPEC_LINE).ok_or("no SPEC")?..];
    let list = spec
        .split_once("outcomes:")
        .ok_or("no `outcomes:` field")?
        .1
        .trim_start();
    let list = list
        .strip_prefix("&[")
        .ok_or("`outcomes` must be a literal list `&[\"...\"]`")?;
    let list = &list[..list.find(']').ok_or("unclosed list")?];
    let outcomes: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .filter(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .map(str::to_string)
                .ok_or_else(|| format!("{item}: an outcome is a snake_case string literal"))
        })
        .collect::<Result<_, _>>()?;
    if outcomes.is_empty() {
        return Err("no outcome".into());
    }
    Ok(outcomes)
}

/// `too_many` -> `TooMany`.
fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// `FILES`: every file under `menus/` and `locales/` (hidden ones aside: an editor's or a
/// mount's, not content), as its path from the repository root and its bytes, sorted by path
/// so the build is the same on every machine.
fn list_shipped_files() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest);
    let mut files = Vec::new();
    for folder in ["menus", "locales"] {
        // A folder given to rerun-if-changed is scanned whole: a new file or language counts.
        println!("cargo:rerun-if-changed={}", root.join(folder).display());
        files_under(&root.join(folder), &mut files);
    }
    files.sort();
    let mut list = String::from("pub const FILES: &[(&str, &[u8])] = &[\n");
    for path in &files {
        let relative = path.strip_prefix(root).expect("under the manifest folder");
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_str().expect("UTF-8 file name"))
            .collect::<Vec<_>>()
            .join("/");
        writeln!(
            list,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .expect("write to a string");
    }
    list.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("shipped.rs");
    std::fs::write(out, list).expect("OUT_DIR is writable");
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("readable folder").path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        if hidden {
            continue;
        } else if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}
