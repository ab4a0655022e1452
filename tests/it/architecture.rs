//! The layout rules ARCHITECTURE.md states, checked on the source: no import circle between
//! the top-level modules of `src/`, no gateway file importing another gateway's file, and no
//! name of a typed contract (`src/contracts.rs`) written as a raw string literal elsewhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/store/sqlite/mod.rs` -> `store`).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// Modules named as `crate::<name>` in a file's code (comments skipped).
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                refs.insert(name);
            }
        }
    }
    refs
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = top_module(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(crate_refs(&text).into_iter().filter(|d| *d != module));
    }
    graph
}

/// A cycle through `start`, if there is one.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let graph = module_graph();
    assert!(graph.contains_key("runner") && graph.contains_key("gateway"));
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_from(&graph, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}

/// The layers of `src/`, lowest first, as ARCHITECTURE.md draws them: a module may import
/// only modules of the layers below its own (not its own layer's, not above). A new top-level
/// module must be placed here.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "contracts and pure helpers",
        &["contracts", "reference", "text", "menu", "metrics"],
    ),
    (
        "the domain, typed values, KPI figures",
        &["domain", "value", "report"],
    ),
    (
        "channels, translations and settings",
        &["channel", "i18n", "config"],
    ),
    (
        "the stores, the engine, security",
        &["store", "engine", "security"],
    ),
    (
        "what the engine's effects call on",
        &["actions", "voice", "import"],
    ),
    (
        "wire formats (voice and USSD), checks",
        &["gateway", "check"],
    ),
    ("wire formats built on them", &["sms", "push", "simulator"]),
    ("following up by SMS", &["notify"]),
    ("one hop", &["runner"]),
    ("routes", &["http"]),
    ("serving", &["server"]),
    ("command-line tools", &["tools"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

#[test]
fn modules_import_only_from_the_layers_below_them() {
    let graph = module_graph();
    let mut wrong = Vec::new();
    for (module, deps) in &graph {
        let Some(layer) = layer_of(module) else {
            wrong.push(format!("{module}: in no layer (add it to LAYERS)"));
            continue;
        };
        for dep in deps {
            match layer_of(dep) {
                Some(below) if below < layer => {}
                Some(other) => wrong.push(format!(
                    "{module} ({}) imports {dep} ({})",
                    LAYERS[layer].0, LAYERS[other].0
                )),
                None => wrong.push(format!("{module} imports {dep}, in no layer")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "layer order broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    assert!(layer_of("store") < layer_of("runner"));
    assert!(layer_of("gateway") > layer_of("voice"));
    assert_eq!(layer_of("nonexistent"), None);
    let graph = module_graph();
    assert!(graph["runner"].contains("store"), "the graph reads imports");
}

#[test]
fn the_server_path_never_imports_the_command_line_tools() {
    let graph = module_graph();
    for (module, deps) in &graph {
        if module != "tools" {
            assert!(!deps.contains("tools"), "{module} imports tools");
        }
    }
}

#[test]
fn gateways_do_not_import_each_other() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gateway");
    let shared = ["mod", "con_end", "form", "json", "phone", "simulate", "xml"];
    let gateways: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .filter(|name| !shared.contains(&name.as_str()))
        .collect();
    assert!(gateways.len() >= 4, "{gateways:?}");
    for gateway in &gateways {
        let text = std::fs::read_to_string(dir.join(format!("{gateway}.rs"))).unwrap();
        for other in gateways.iter().filter(|o| *o != gateway) {
            for pattern in [format!("super::{other}"), format!("gateway::{other}")] {
                assert!(
                    !text
                        .lines()
                        .any(|l| l.trim_start().starts_with("use") && l.contains(&pattern)),
                    "{gateway}.rs imports {other}.rs"
                );
            }
        }
    }
}

/// Every name a type of `src/contracts.rs` owns.
fn contract_names() -> BTreeSet<&'static str> {
    use dalal::contracts::*;
    [
        TicketStatus::NAMES,
        Service::NAMES,
        Channel::NAMES,
        TariffKind::NAMES,
        OutboxKind::NAMES,
        OutageStatus::NAMES,
        OutageKind::NAMES,
        AccountStatus::NAMES,
    ]
    .concat()
    .into_iter()
    .collect()
}

/// Literals that spell a contract's name but mean something else: (file, literal).
const OTHER_MEANINGS: &[(&str, &str)] = &[
    // The desk's opening hour, a message argument of the voice policy.
    ("src/voice/policy.rs", "open"),
];

/// A file's code before its unit tests, comments aside.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut previous = "";
    for (n, line) in text.lines().enumerate() {
        if previous.trim() == "#[cfg(test)]" && line.trim_start().starts_with("mod ") {
            break;
        }
        previous = line;
        let code = line.split("//").next().unwrap_or_default();
        lines.push((n + 1, code.to_string()));
    }
    lines
}

/// The plain string literals of a line of code (`"in_progress"`), not text within longer ones.
fn word_literals(code: &str) -> Vec<&str> {
    code.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect()
}

#[test]
fn contract_names_are_written_only_in_their_types_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = contract_names();
    assert!(names.contains("in_progress") && names.contains("ticket_late"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut found = BTreeSet::new();
    let mut stray = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        if rel == "src/contracts.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, code) in code_lines(&text) {
            for literal in word_literals(&code)
                .into_iter()
                .filter(|l| names.contains(l))
            {
                let key = (rel.as_str(), literal);
                if OTHER_MEANINGS.contains(&key) {
                    found.insert((rel.clone(), literal.to_string()));
                } else {
                    stray.push(format!("{rel}:{n}: \"{literal}\""));
                }
            }
        }
    }
    assert!(
        stray.is_empty(),
        "contract names as raw literals (use the type in src/contracts.rs):\n{}",
        stray.join("\n")
    );
    for (file, literal) in OTHER_MEANINGS.iter() {
        assert!(
            found.contains(&(file.to_string(), literal.to_string())),
            "{file} no longer writes \"{literal}\": remove its allowance"
        );
    }
}

#[test]
fn the_literal_scan_sees_plain_literals_only() {
    assert_eq!(word_literals(r#"x == "in_progress" || y"#), ["in_progress"]);
    assert!(word_literals(r#""SELECT 'open' FROM t""#).is_empty());
    let text = "let a = \"open\"; // \"closed\"\n#[cfg(test)]\nmod tests {\n\"water\"\n}";
    let lines = code_lines(text);
    assert_eq!(lines.len(), 2);
    assert_eq!(word_literals(&lines[0].1), ["open"]);
}
