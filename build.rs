//! Lists the actions for `src/actions/mod.rs`: every file of `src/actions/` that declares
//! `pub const SPEC: ActionSpec` is an action, so adding one is adding its file.

use std::fmt::Write;
use std::path::Path;

fn main() {
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
