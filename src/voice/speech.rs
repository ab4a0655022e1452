//! What a voice turn says, as segments: a recorded prompt where one exists along the
//! language's fallback chain, else text for the platform's speech synthesis.
//!
//! A Fluent message is spoken from pieces: its static text (one prompt, `<message-id>`, when
//! the message has no variables; else one prompt per text run, `<message-id>.<hash>`) and
//! its variables, spoken from recorded number, currency, month and letter pieces
//! (`numbers`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Datelike, Timelike};
use fluent_syntax::ast;

use crate::engine::Value;
use crate::i18n::Catalog;
use crate::voice::numbers;

/// One thing to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// What it says (the TTS text, or the recording's fallback text).
    pub text: String,
    /// Language of `text`.
    pub lang: String,
    /// A recorded prompt saying it, if one exists.
    pub audio: Option<Audio>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    pub lang: String,
    pub id: String,
    pub wav: bool,
    pub mp3: bool,
}

impl Audio {
    /// Path under `/audio/`, preferring MP3 when asked and available.
    pub fn path(&self, prefer_mp3: bool) -> String {
        let ext = if (prefer_mp3 && self.mp3) || !self.wav {
            "mp3"
        } else {
            "wav"
        };
        format!("/audio/{}/{}.{ext}", self.lang, self.id)
    }
}

/// Name of the manifest listing a language's synthetic placeholder prompts, one id a line.
pub const SYNTHETIC_MANIFEST: &str = "SYNTHETIC";

/// The recorded prompts on disk.
#[derive(Debug, Default)]
pub struct PromptIndex {
    pub dir: PathBuf,
    /// (lang, id) -> (wav, mp3)
    files: BTreeMap<(String, String), (bool, bool)>,
    synthetic: BTreeSet<(String, String)>,
}

impl PromptIndex {
    pub fn load(dir: &Path) -> PromptIndex {
        let mut index = PromptIndex {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        let Ok(langs) = std::fs::read_dir(dir) else {
            return index;
        };
        for lang_dir in langs.flatten() {
            let lang = lang_dir.file_name().to_string_lossy().to_string();
            if !lang_dir.path().is_dir() {
                continue;
            }
            for file in std::fs::read_dir(lang_dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = file.file_name().to_string_lossy().to_string();
                if name == SYNTHETIC_MANIFEST {
                    let text = std::fs::read_to_string(file.path()).unwrap_or_default();
                    for id in text
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    {
                        index.synthetic.insert((lang.clone(), id.to_string()));
                    }
                    continue;
                }
                let (id, wav) = match (name.strip_suffix(".wav"), name.strip_suffix(".mp3")) {
                    (Some(id), _) => (id, true),
                    (_, Some(id)) => (id, false),
                    _ => continue,
                };
                let entry = index
                    .files
                    .entry((lang.clone(), id.to_string()))
                    .or_default();
                if wav {
                    entry.0 = true;
                } else {
                    entry.1 = true;
                }
            }
        }
        index
    }

    /// The index of `dir`, read once per process (and again on [`Self::refresh`]).
    pub fn shared(dir: &Path) -> Arc<PromptIndex> {
        let mut cache = prompt_cache().lock().expect("prompt cache");
        cache
            .entry(dir.to_path_buf())
            .or_insert_with(|| Arc::new(PromptIndex::load(dir)))
            .clone()
    }

    /// Reads `dir` again for [`Self::shared`] (a menu reload: new recordings are served).
    pub fn refresh(dir: &Path) -> Arc<PromptIndex> {
        let index = Arc::new(PromptIndex::load(dir));
        let mut cache = prompt_cache().lock().expect("prompt cache");
        cache.insert(dir.to_path_buf(), index.clone());
        index
    }

    pub fn get(&self, lang: &str, id: &str) -> Option<Audio> {
        self.files
            .get(&(lang.to_string(), id.to_string()))
            .map(|&(wav, mp3)| Audio {
                lang: lang.to_string(),
                id: id.to_string(),
                wav,
                mp3,
            })
    }

    pub fn has(&self, lang: &str, id: &str) -> bool {
        self.files.contains_key(&(lang.to_string(), id.to_string()))
    }

    pub fn is_synthetic(&self, lang: &str, id: &str) -> bool {
        self.synthetic.contains(&(lang.to_string(), id.to_string()))
    }
}

/// Prompt indexes per folder, shared by every call of the process.
type PromptCache = Mutex<HashMap<PathBuf, Arc<PromptIndex>>>;

/// The prompt indexes read, per folder.
fn prompt_cache() -> &'static PromptCache {
    static CACHE: OnceLock<PromptCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The Fluent patterns of every message of every locale folder, to split them for speech.
#[derive(Debug, Default)]
pub struct Shapes {
    by: HashMap<(String, String), ast::Pattern<String>>,
}

impl Shapes {
    pub fn load(locales_dir: &Path) -> Shapes {
        let Ok(langs) = std::fs::read_dir(locales_dir) else {
            return Shapes::default();
        };
        let mut languages = Vec::new();
        for lang_dir in langs.flatten() {
            let lang = lang_dir.file_name().to_string_lossy().to_string();
            let sources = std::fs::read_dir(lang_dir.path())
                .into_iter()
                .flatten()
                .flatten()
                .filter(|file| file.path().extension().is_some_and(|x| x == "ftl"))
                .map(|file| {
                    let source = std::fs::read_to_string(file.path()).unwrap_or_default();
                    (file.path(), source)
                })
                .collect();
            languages.push((lang, sources));
        }
        Shapes::from_sources(languages)
    }

    /// The shapes of `(language, [(file, text)])`, as `Catalog::from_sources` takes them.
    pub fn from_sources(languages: Vec<(String, Vec<(PathBuf, String)>)>) -> Shapes {
        let mut shapes = Shapes::default();
        for (lang, sources) in languages {
            for (_, source) in sources {
                let resource = match fluent_syntax::parser::parse(source) {
                    Ok(r) => r,
                    Err((r, _)) => r,
                };
                for entry in resource.body {
                    if let ast::Entry::Message(m) = entry
                        && let Some(value) = m.value
                    {
                        shapes.by.insert((lang.clone(), m.id.name), value);
                    }
                }
            }
        }
        shapes
    }

    pub fn shared(locales_dir: &Path) -> Arc<Shapes> {
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Shapes>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut cache = cache.lock().expect("shape cache");
        cache
            .entry(locales_dir.to_path_buf())
            .or_insert_with(|| Arc::new(Shapes::load(locales_dir)))
            .clone()
    }

    fn pattern(&self, lang: &str, id: &str) -> Option<&ast::Pattern<String>> {
        self.by.get(&(lang.to_string(), id.to_string()))
    }
}

/// A message split for speaking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A run of static text and the prompt id that records it.
    Text { id: String, text: String },
    /// A variable, spoken from pieces.
    Slot(String),
}

/// FNV-1a, 32 bits: stable across builds and platforms.
fn fnv(text: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

fn is_static(pattern: &ast::Pattern<String>) -> bool {
    pattern.elements.iter().all(|e| {
        matches!(
            e,
            ast::PatternElement::TextElement { .. }
                | ast::PatternElement::Placeable {
                    expression: ast::Expression::Inline(
                        ast::InlineExpression::StringLiteral { .. }
                    )
                }
        )
    })
}

/// Splits patterns into text runs (ended at every variable and every select) and slots.
struct Splitter<'a> {
    message: &'a str,
    whole: bool,
    run: String,
    parts: Vec<Part>,
}

impl Splitter<'_> {
    fn flush(&mut self) {
        let text = self.run.split_whitespace().collect::<Vec<_>>().join(" ");
        self.run.clear();
        if text.chars().any(char::is_alphanumeric) {
            let id = if self.whole {
                self.message.to_string()
            } else {
                format!("{}.{}", self.message, fnv(&text))
            };
            if !self
                .parts
                .iter()
                .any(|p| matches!(p, Part::Text { id: i, .. } if *i == id))
                || !self.whole
            {
                self.parts.push(Part::Text { id, text });
            }
        }
    }

    /// `args` None: walk every variant (all runs a message can say).
    fn walk(&mut self, pattern: &ast::Pattern<String>, args: Option<&BTreeMap<String, Value>>) {
        for element in &pattern.elements {
            match element {
                ast::PatternElement::TextElement { value } => self.run.push_str(value),
                ast::PatternElement::Placeable { expression } => match expression {
                    ast::Expression::Inline(ast::InlineExpression::StringLiteral { value }) => {
                        self.run.push_str(value)
                    }
                    ast::Expression::Inline(ast::InlineExpression::VariableReference { id }) => {
                        self.flush();
                        self.parts.push(Part::Slot(id.name.clone()));
                    }
                    ast::Expression::Select { selector, variants } => {
                        self.flush();
                        match args {
                            None => {
                                for v in variants {
                                    self.walk(&v.value, None);
                                    self.flush();
                                }
                            }
                            Some(args) => {
                                let value = match selector {
                                    ast::InlineExpression::VariableReference { id } => {
                                        args.get(&id.name).map(|v| v.display("en"))
                                    }
                                    _ => None,
                                };
                                let key = |v: &ast::Variant<String>| match &v.key {
                                    ast::VariantKey::Identifier { name } => name.clone(),
                                    ast::VariantKey::NumberLiteral { value } => value.clone(),
                                };
                                let chosen = variants
                                    .iter()
                                    .find(|v| value.as_deref() == Some(key(v).as_str()))
                                    .or_else(|| variants.iter().find(|v| v.default));
                                if let Some(v) = chosen {
                                    self.walk(&v.value, Some(args));
                                    self.flush();
                                }
                            }
                        }
                    }
                    _ => self.flush(),
                },
            }
        }
    }
}

fn split_with(
    catalog: &Catalog,
    shapes: &Shapes,
    lang: &str,
    id: &str,
    args: Option<&BTreeMap<String, Value>>,
) -> Vec<Part> {
    let Some(pattern) = shapes.pattern(lang, id) else {
        // Not in the parsed locales (a fallback message): said whole.
        let text = catalog.text(lang, id, args.unwrap_or(&BTreeMap::new()));
        return vec![Part::Text {
            id: id.to_string(),
            text,
        }];
    };
    let mut splitter = Splitter {
        message: id,
        whole: is_static(pattern),
        run: String::new(),
        parts: Vec::new(),
    };
    splitter.walk(pattern, args);
    splitter.flush();
    splitter.parts
}

/// Splits message `id` in `lang` into text runs and variables, given the arguments.
pub fn split(
    catalog: &Catalog,
    shapes: &Shapes,
    lang: &str,
    id: &str,
    args: &BTreeMap<String, Value>,
) -> Vec<Part> {
    split_with(catalog, shapes, lang, id, Some(args))
}

/// Every text run message `id` can say in `lang`, over all its variants (for the recording
/// script and the coverage report).
pub fn all_runs(catalog: &Catalog, shapes: &Shapes, lang: &str, id: &str) -> Vec<(String, String)> {
    let mut runs: Vec<(String, String)> = Vec::new();
    for part in split_with(catalog, shapes, lang, id, None) {
        if let Part::Text { id, text } = part
            && !runs.iter().any(|(i, _)| *i == id)
        {
            runs.push((id, text));
        }
    }
    runs
}

/// One step of a language's prompt fallback chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Recorded(String),
    Tts(String),
}

pub fn parse_chain(entries: &[String]) -> Vec<Source> {
    entries
        .iter()
        .map(|e| match e.strip_prefix("tts:") {
            Some(lang) => Source::Tts(lang.to_string()),
            None => Source::Recorded(e.clone()),
        })
        .collect()
}

/// Messages that name their own language ("Wolof", "Kiswahili" on the language menu): never
/// said from another language's recording (French's `language-name` says "Français"); without
/// a recording in their own language the platform reads the name.
pub const OWN_LANGUAGE_ONLY: &[&str] = &["language-name"];

/// Chooses how to say things for one platform.
pub struct Speaker<'a> {
    pub catalog: &'a Catalog,
    pub shapes: &'a Shapes,
    pub index: &'a PromptIndex,
    pub chains: &'a BTreeMap<String, Vec<String>>,
    /// Languages the platform's speech synthesis speaks.
    pub tts: &'a [&'a str],
}

/// The pieces that speak a value in `lang`, or `None` when it is free text (a place name).
pub fn value_pieces(lang: &str, value: &Value) -> Option<Vec<String>> {
    let date = |d: chrono::NaiveDate| {
        let mut p = numbers::number(lang, u64::from(d.day()));
        p.push(format!("month-{}", d.month()));
        p.extend(numbers::number(lang, d.year().unsigned_abs().into()));
        p
    };
    Some(match value {
        Value::Number(n) => numbers::number(lang, n.unsigned_abs()),
        Value::Money { minor, currency } => {
            let scale = 10u64.pow(crate::text::format::minor_digits(currency));
            let minor = minor.unsigned_abs();
            let mut p = numbers::number(lang, minor / scale);
            p.push(format!("cur-{currency}"));
            if minor % scale > 0 {
                p.extend(numbers::number(lang, minor % scale));
                p.push(format!("cur-{currency}-minor"));
            }
            p
        }
        Value::Date(d) => date(*d),
        Value::Time { at, zone } => {
            let local = at.with_timezone(&crate::text::format::zone(zone));
            let mut p = date(local.date_naive());
            let hour = numbers::number(lang, local.hour().into());
            if lang == "sw" {
                p.push("word-hours".into());
                p.extend(hour);
            } else {
                p.extend(hour);
                p.push("word-hours".into());
            }
            if local.minute() > 0 {
                p.extend(numbers::number(lang, local.minute().into()));
            }
            p
        }
        Value::Period { year, month } => {
            let mut p = vec![format!("month-{month}")];
            p.extend(numbers::number(lang, year.unsigned_abs().into()));
            p
        }
        Value::Reference(r) => numbers::spell(lang, r),
        Value::Text(s) => {
            // Account and meter numbers read as text: spelled, not said as one big number.
            let code = s.chars().any(|c| c.is_ascii_digit())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+- ".contains(c));
            if !code {
                return None;
            }
            numbers::spell(lang, s)
        }
    })
}

impl Speaker<'_> {
    fn chain(&self, lang: &str) -> Vec<Source> {
        match self.chains.get(lang) {
            Some(c) => parse_chain(c),
            None => vec![Source::Recorded(lang.into()), Source::Tts(lang.into())],
        }
    }

    fn tts_speaks(&self, lang: &str) -> bool {
        self.tts.contains(&lang)
    }

    /// Segments saying message `id` in `lang`.
    pub fn message(&self, lang: &str, id: &str, args: &BTreeMap<String, Value>) -> Vec<Segment> {
        for source in self.chain(lang) {
            let (l, recorded) = match &source {
                Source::Recorded(l) => (l.as_str(), true),
                Source::Tts(l) => (l.as_str(), false),
            };
            if !self.catalog.has_language(l) || (!recorded && !self.tts_speaks(l)) {
                continue;
            }
            if l != lang && OWN_LANGUAGE_ONLY.contains(&id) {
                continue;
            }
            let parts = split(self.catalog, self.shapes, l, id, args);
            if recorded
                && !parts.iter().all(|p| match p {
                    Part::Text { id, .. } => self.index.has(l, id),
                    Part::Slot(_) => true,
                })
            {
                continue;
            }
            if l != lang {
                tracing::debug!(message = id, from = lang, to = l, "prompt falls back");
            }
            return self.parts(l, &parts, args, recorded);
        }
        tracing::debug!(message = id, lang, "no recording and no speech synthesis");
        let parts = split(self.catalog, self.shapes, lang, id, args);
        self.parts(lang, &parts, args, false)
    }

    fn parts(
        &self,
        lang: &str,
        parts: &[Part],
        args: &BTreeMap<String, Value>,
        recorded: bool,
    ) -> Vec<Segment> {
        let mut out = Vec::new();
        for part in parts {
            match part {
                Part::Text { id, text } => out.push(Segment {
                    text: text.clone(),
                    lang: lang.to_string(),
                    audio: if recorded {
                        self.index.get(lang, id)
                    } else {
                        None
                    },
                }),
                Part::Slot(var) => {
                    if let Some(value) = args.get(var) {
                        out.extend(self.value(lang, value));
                    }
                }
            }
        }
        out
    }

    /// Segments saying a value in `lang` (numbers, amounts, dates from recorded pieces).
    pub fn value(&self, lang: &str, value: &Value) -> Vec<Segment> {
        for source in self.chain(lang) {
            let (l, recorded) = match &source {
                Source::Recorded(l) => (l.as_str(), true),
                Source::Tts(l) => (l.as_str(), false),
            };
            let Some(pieces) = value_pieces(l, value) else {
                break;
            };
            if recorded && pieces.iter().all(|p| self.index.has(l, p)) {
                return self.pieces(l, &pieces);
            }
            if !recorded && self.tts_speaks(l) {
                return vec![Segment {
                    text: numbers::say(l, &pieces),
                    lang: l.to_string(),
                    audio: None,
                }];
            }
        }
        vec![Segment {
            text: value.display(lang),
            lang: lang.to_string(),
            audio: None,
        }]
    }

    /// Segments of recorded pieces in `lang` (each falls back to its words as text).
    pub fn pieces(&self, lang: &str, pieces: &[String]) -> Vec<Segment> {
        pieces
            .iter()
            .map(|p| Segment {
                text: numbers::say(lang, std::slice::from_ref(p)),
                lang: lang.to_string(),
                audio: self.index.get(lang, p),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable() {
        assert_eq!(fnv(""), "811c9dc5");
        assert_eq!(fnv("a"), "e40c292c");
    }

    #[test]
    fn value_pieces_for_amounts_dates_and_codes() {
        let money = Value::Money {
            minor: 896_850,
            currency: "KES".into(),
        };
        let p = value_pieces("en", &money).unwrap();
        assert_eq!(
            numbers::say("en", &p),
            "eight thousand nine hundred sixty eight Kenyan shillings fifty cents"
        );
        let d = Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 12).unwrap());
        assert_eq!(
            numbers::say("fr", &value_pieces("fr", &d).unwrap()),
            "douze novembre deux mille vingt six"
        );
        let period = Value::Period {
            year: 2026,
            month: 10,
        };
        assert_eq!(
            numbers::say("en", &value_pieces("en", &period).unwrap()),
            "October two thousand twenty six"
        );
        // Text is never parsed back into a period.
        assert_eq!(value_pieces("en", &Value::text("10/2026")), None);
        assert_eq!(
            value_pieces("en", &Value::Reference("RC2".into())).unwrap(),
            ["letter-r", "letter-c", "num-2"]
        );
        assert_eq!(value_pieces("en", &Value::text("Dakar Plateau")), None);
        assert_eq!(
            value_pieces("en", &Value::text("RC26")).unwrap(),
            ["letter-r", "letter-c", "num-2", "num-6"]
        );
    }
}
