//! Lists what is generated from folders, so adding a file needs no Rust change:
//! - the actions for `src/actions/mod.rs`: every file of `src/actions/` that declares
//!   `pub const SPEC: ActionSpec`;
//! - the shipped menus and translations for `src/server.rs`: every file under `menus/` and
//!   `locales/`, built into the binary for a `dalal` started away from them.

use std::fmt::Write;
use std::path::Path;

fn main() {
    list_actions();
    list_shipped_files();
}

fn list_actions() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("src/actions");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut actions: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .expect("src/actions exists")
        .map(|entry| entry.expect("readable folder").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter(|path| !path.ends_with("mod.rs"))
        .filter(|path| {
            println!("cargo:rerun-if-changed={}", path.display());
            let source = std::fs::read_to_string(path).expect("readable source");
            source
                .lines()
                .any(|line| line.starts_with("pub const SPEC: ActionSpec"))
        })
        .collect();
    actions.sort();
    // The generated file lives in OUT_DIR: each module is given the path of its source.
    let mut list = String::from("registry!(\n");
    for path in &actions {
        let name = path.file_stem().and_then(|s| s.to_str());
        let name = name.expect("UTF-8 file name");
        writeln!(list, "    {name} = {:?},", path.display().to_string())
            .expect("write to a string");
    }
    list.push_str(");\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("actions.rs");
    std::fs::write(out, list).expect("OUT_DIR is writable");
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
