//! The menu model, as operators write it in YAML.
//!
//! A node is either a *screen* (`text`, with `options`, an `input` or a `list`, or `end: true`)
//! or an *action* (`action`, performed by the server, whose outcome picks the `next` node).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum MenuError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}:{line}: node '{id}' is defined in two files")]
    Duplicate {
        path: PathBuf,
        line: usize,
        id: String,
    },
    #[error("{0}: no menu file sets `start`")]
    NoStart(PathBuf),
}

/// One menu file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuFile {
    /// First node of every session.
    start: Option<String>,
    /// Where `00` leads.
    home: Option<String>,
    #[serde(default)]
    nodes: BTreeMap<String, Node>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Message id of the screen's text (screens only).
    pub text: Option<String>,
    #[serde(default)]
    pub options: Vec<MenuOption>,
    pub input: Option<InputSpec>,
    pub list: Option<ListSpec>,
    /// The session ends on this screen.
    #[serde(default)]
    pub end: bool,
    /// Name of a server action (action nodes only).
    pub action: Option<String>,
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    pub next: Option<Next>,
}

impl Node {
    pub fn is_action(&self) -> bool {
        self.action.is_some()
    }
}

/// Where an action leads: one node for every outcome, or one node per outcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Next {
    Always(String),
    ByOutcome(BTreeMap<String, String>),
}

impl Next {
    pub fn target(&self, outcome: &str) -> Option<&str> {
        match self {
            Next::Always(node) => Some(node),
            Next::ByOutcome(map) => map.get(outcome).map(String::as_str),
        }
    }

    pub fn targets(&self) -> Vec<&str> {
        match self {
            Next::Always(node) => vec![node],
            Next::ByOutcome(map) => map.values().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuOption {
    /// What the caller types; options are numbered 1, 2, 3... and the key says so explicitly.
    pub key: String,
    /// Message id of the label.
    pub label: String,
    /// Render the label in this language instead of the caller's (language choices are each
    /// written in their own language).
    pub label_lang: Option<String>,
    pub goto: String,
    /// Variables set when this option is chosen.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// Digits only.
    Digits,
    /// Letters and digits (account or meter numbers); no symbols.
    #[default]
    Code,
    /// Any printable text; the action that reads it judges it (e.g. a reference, so a
    /// malformed one gets its own explanation instead of "invalid choice").
    Text,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Variable that receives what the caller typed.
    pub var: String,
    #[serde(default)]
    pub kind: InputKind,
    #[serde(default = "default_min")]
    pub min: usize,
    #[serde(default = "default_max")]
    pub max: usize,
    pub goto: String,
}

fn default_min() -> usize {
    1
}
fn default_max() -> usize {
    20
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpec {
    /// Name of the list an action filled (e.g. `tickets`).
    pub from: String,
    /// Message id rendering one item, with the item's fields as variables.
    pub item: String,
    /// When set, items are numbered and choosing one sets `var` to the item's `id`.
    pub select: Option<ListSelect>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSelect {
    pub var: String,
    pub goto: String,
}

/// Every menu file of a folder, merged, with where each node was written.
#[derive(Debug, Clone)]
pub struct Menu {
    pub start: String,
    pub home: String,
    pub nodes: BTreeMap<String, Node>,
    /// Node id -> (file, line), for `dalal check` messages.
    pub locations: BTreeMap<String, (PathBuf, usize)>,
}

/// Finds the line of `  id:` under `nodes:` (serde does not report positions of map keys).
fn node_line(source: &str, id: &str) -> usize {
    source
        .lines()
        .position(|l| {
            let t = l.trim_start();
            l.len() > t.len() && (t.strip_prefix(id).is_some_and(|rest| rest.starts_with(':')))
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

impl Menu {
    pub fn from_sources(sources: &[(PathBuf, String)]) -> Result<Menu, Vec<MenuError>> {
        let mut errors = Vec::new();
        let mut start = None;
        let mut home = None;
        let mut nodes = BTreeMap::new();
        let mut locations = BTreeMap::new();
        for (path, source) in sources {
            let file: MenuFile = match serde_saphyr::from_str(source) {
                Ok(f) => f,
                Err(e) => {
                    errors.push(MenuError::Parse {
                        path: path.clone(),
                        message: e.to_string().replace('\n', " "),
                    });
                    continue;
                }
            };
            start = start.or(file.start);
            home = home.or(file.home);
            for (id, node) in file.nodes {
                let line = node_line(source, &id);
                if nodes.contains_key(&id) {
                    errors.push(MenuError::Duplicate {
                        path: path.clone(),
                        line,
                        id,
                    });
                    continue;
                }
                locations.insert(id.clone(), (path.clone(), line));
                nodes.insert(id, node);
            }
        }
        let dir = sources
            .first()
            .and_then(|(p, _)| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let Some(start) = start else {
            errors.push(MenuError::NoStart(dir));
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let home = home.unwrap_or_else(|| start.clone());
        Ok(Menu {
            start,
            home,
            nodes,
            locations,
        })
    }

    /// Loads every `*.yaml` / `*.yml` file of `dir`.
    pub fn load(dir: &Path) -> Result<Menu, Vec<MenuError>> {
        let entries = std::fs::read_dir(dir).map_err(|source| {
            vec![MenuError::Read {
                path: dir.to_path_buf(),
                source,
            }]
        })?;
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        for path in paths {
            match std::fs::read_to_string(&path) {
                Ok(s) => sources.push((path, s)),
                Err(source) => errors.push(MenuError::Read { path, source }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if sources.is_empty() {
            return Err(vec![MenuError::NoStart(dir.to_path_buf())]);
        }
        Menu::from_sources(&sources)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// `file:line` of a node, for messages.
    pub fn where_is(&self, id: &str) -> String {
        match self.locations.get(id) {
            Some((path, line)) => format!("{}:{line}", path.display()),
            None => "<menu>".to_string(),
        }
    }
}
