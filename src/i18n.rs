//! Translations: one Fluent bundle per shipped language, loaded from `locales/<lang>/*.ftl`,
//! with a fallback chain per language (e.g. `wo -> fr -> en`) for messages a locale lacks.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;

use crate::value::Value;

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: Fluent syntax error: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: invalid language code")]
    BadLanguage { path: PathBuf },
    #[error("{0}: no locale found (expected locales/<lang>/*.ftl)")]
    Empty(PathBuf),
    #[error("{path}:{line}: message '{id}' is defined twice")]
    Duplicate {
        path: PathBuf,
        line: usize,
        id: String,
    },
}

/// Where a message is defined, for `dalal check` messages.
#[derive(Debug, Clone)]
pub struct Definition {
    pub path: PathBuf,
    pub line: usize,
}

pub struct Locale {
    pub lang: String,
    bundle: FluentBundle<FluentResource>,
    /// Message id -> where it is defined.
    pub definitions: BTreeMap<String, Definition>,
    /// Message id -> what formatting it needs: screens are formatted at every hop, and most
    /// of their lines (menu options, titles) take no variable at all.
    needs: HashMap<String, Needs>,
}

/// What a message needs from the session's variables to be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Needs {
    /// Nothing: its text, formatted once at load.
    Static(String),
    /// These variables only.
    Vars(Vec<String>),
    /// Any (it references another message, which sees the same arguments).
    All,
}

/// The variables a pattern reads; `None` when it references another message.
fn pattern_vars<'s>(pattern: &ast::Pattern<&'s str>, vars: &mut Vec<&'s str>) -> Option<()> {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_vars(expression, vars)?;
        }
    }
    Some(())
}

fn expression_vars<'s>(
    expression: &ast::Expression<&'s str>,
    vars: &mut Vec<&'s str>,
) -> Option<()> {
    match expression {
        ast::Expression::Inline(inline) => inline_vars(inline, vars),
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, vars)?;
            for variant in variants {
                pattern_vars(&variant.value, vars)?;
            }
            Some(())
        }
    }
}

fn inline_vars<'s>(inline: &ast::InlineExpression<&'s str>, vars: &mut Vec<&'s str>) -> Option<()> {
    let arguments = |arguments: &ast::CallArguments<&'s str>, vars: &mut Vec<&'s str>| {
        for positional in &arguments.positional {
            inline_vars(positional, vars)?;
        }
        for named in &arguments.named {
            inline_vars(&named.value, vars)?;
        }
        Some(())
    };
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            vars.push(id.name);
            Some(())
        }
        ast::InlineExpression::FunctionReference { arguments: a, .. } => arguments(a, vars),
        // A term sees only the arguments it is given here, never the message's.
        ast::InlineExpression::TermReference { arguments: a, .. } => match a {
            Some(a) => arguments(a, vars),
            None => Some(()),
        },
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        ast::InlineExpression::MessageReference { .. } => None,
        ast::InlineExpression::StringLiteral { .. }
        | ast::InlineExpression::NumberLiteral { .. } => Some(()),
    }
}

pub struct Catalog {
    locales: HashMap<String, Locale>,
    /// Languages in a stable order (sorted), for reports.
    pub languages: Vec<String>,
    default_lang: String,
    fallbacks: HashMap<String, Vec<String>>,
}

fn line_of(source: &str, byte: usize) -> usize {
    source[..byte.min(source.len())].matches('\n').count() + 1
}

/// Message ids defined at the start of lines (`id = ...`), with their line numbers.
fn scan_definitions(source: &str) -> Vec<(String, usize)> {
    source
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (id, _) = line.split_once('=')?;
            let id = id.trim_end();
            let starts_ok = id.chars().next()?.is_ascii_alphabetic();
            let body_ok = id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            (starts_ok && body_ok && !line.starts_with(' ')).then(|| (id.to_string(), i + 1))
        })
        .collect()
}

impl Locale {
    /// Reads every `*.ftl` file of a locale folder, sorted by name.
    fn read_folder(dir: &Path) -> Result<Vec<(PathBuf, String)>, Vec<I18nError>> {
        let read_error = |path: &Path, source| I18nError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| vec![read_error(dir, e)])?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect();
        files.sort();
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        for path in files {
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push((path, text)),
                Err(e) => errors.push(read_error(&path, e)),
            }
        }
        if errors.is_empty() {
            Ok(sources)
        } else {
            Err(errors)
        }
    }

    fn from_sources(lang: &str, sources: Vec<(PathBuf, String)>) -> Result<Locale, Vec<I18nError>> {
        let folder = sources
            .first()
            .and_then(|(p, _)| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let langid = lang
            .parse()
            .map_err(|_| vec![I18nError::BadLanguage { path: folder }])?;
        let mut bundle = FluentBundle::new_concurrent(vec![langid]);
        // Bidi isolation marks are not GSM-7 and would push every page to UCS-2.
        bundle.set_use_isolating(false);
        let mut definitions = BTreeMap::new();
        let mut needs = HashMap::new();
        let mut errors = Vec::new();
        for (path, source) in sources {
            for (id, line) in scan_definitions(&source) {
                match definitions.entry(id) {
                    std::collections::btree_map::Entry::Occupied(e) => {
                        errors.push(I18nError::Duplicate {
                            path: path.clone(),
                            line,
                            id: e.key().clone(),
                        });
                    }
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(Definition {
                            path: path.clone(),
                            line,
                        });
                    }
                }
            }
            let resource = match FluentResource::try_new(source.clone()) {
                Ok(r) => r,
                Err((r, parse_errors)) => {
                    for e in parse_errors {
                        errors.push(I18nError::Syntax {
                            path: path.clone(),
                            line: line_of(&source, e.pos.start),
                            message: e.kind.to_string(),
                        });
                    }
                    r
                }
            };
            for entry in resource.entries() {
                if let ast::Entry::Message(message) = entry
                    && let Some(value) = &message.value
                {
                    let mut vars = Vec::new();
                    let need = match pattern_vars(value, &mut vars) {
                        None => Needs::All,
                        Some(()) if vars.is_empty() => Needs::Static(String::new()),
                        Some(()) => {
                            vars.sort_unstable();
                            vars.dedup();
                            Needs::Vars(vars.into_iter().map(str::to_string).collect())
                        }
                    };
                    needs.insert(message.id.name.to_string(), need);
                }
            }
            // Duplicates are reported above from the scan, with their line.
            let _ = bundle.add_resource(resource);
        }
        // Static texts formatted once, now that every message of the locale is in the bundle.
        for (id, need) in needs.iter_mut() {
            if let Needs::Static(text) = need {
                let message = bundle.get_message(id).and_then(|m| m.value());
                match message {
                    Some(pattern) => {
                        let mut ignored = Vec::new();
                        *text = bundle
                            .format_pattern(pattern, None, &mut ignored)
                            .into_owned();
                    }
                    None => *need = Needs::All,
                }
            }
        }
        if errors.is_empty() {
            Ok(Locale {
                lang: lang.to_string(),
                bundle,
                definitions,
                needs,
            })
        } else {
            Err(errors)
        }
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// Formats a message; `None` when this locale does not define it.
    pub fn format(&self, id: &str, args: &BTreeMap<String, Value>) -> Option<String> {
        let need = self.needs.get(id);
        if let Some(Needs::Static(text)) = need {
            return Some(text.clone());
        }
        let message = self.bundle.get_message(id)?;
        let pattern = message.value()?;
        let mut fluent_args = FluentArgs::new();
        match need {
            Some(Needs::Vars(names)) => {
                for name in names {
                    if let Some(value) = args.get(name) {
                        fluent_args.set(name.as_str(), to_fluent(value, &self.lang));
                    }
                }
            }
            _ => {
                for (name, value) in args {
                    fluent_args.set(name.as_str(), to_fluent(value, &self.lang));
                }
            }
        }
        let mut errors = Vec::new();
        let text = self
            .bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors);
        Some(text.into_owned())
    }
}

fn to_fluent(value: &Value, lang: &str) -> FluentValue<'static> {
    match value {
        // Counts select plural forms; other numbers (amounts) are preformatted strings.
        Value::Number(n) => FluentValue::from(*n),
        other => FluentValue::from(other.display(lang)),
    }
}

impl Catalog {
    /// Loads every `locales/<lang>/` folder. `fallbacks` maps a language to the languages tried
    /// next, in order; the default language is always tried last.
    pub fn load(
        dir: &Path,
        default_lang: &str,
        fallbacks: HashMap<String, Vec<String>>,
    ) -> Result<Catalog, Vec<I18nError>> {
        let entries = std::fs::read_dir(dir).map_err(|source| {
            vec![I18nError::Read {
                path: dir.to_path_buf(),
                source,
            }]
        })?;
        let mut languages = Vec::new();
        let mut errors = Vec::new();
        for entry in entries.flatten() {
            let lang = entry.file_name().to_string_lossy().to_string();
            // Hidden folders are not languages (a Kubernetes ConfigMap mount adds `..data`).
            if entry.path().is_dir() && !lang.starts_with('.') {
                match Locale::read_folder(&entry.path()) {
                    Ok(sources) => languages.push((lang, sources)),
                    Err(mut e) => errors.append(&mut e),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if languages.is_empty() {
            return Err(vec![I18nError::Empty(dir.to_path_buf())]);
        }
        Catalog::from_sources(languages, default_lang, fallbacks)
    }

    /// Builds a catalog from `(language, [(file, text)])` pairs.
    pub fn from_sources(
        languages: Vec<(String, Vec<(PathBuf, String)>)>,
        default_lang: &str,
        fallbacks: HashMap<String, Vec<String>>,
    ) -> Result<Catalog, Vec<I18nError>> {
        let mut locales = HashMap::new();
        let mut errors = Vec::new();
        for (lang, sources) in languages {
            match Locale::from_sources(&lang, sources) {
                Ok(locale) => {
                    locales.insert(lang, locale);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut languages: Vec<String> = locales.keys().cloned().collect();
        languages.sort();
        Ok(Catalog {
            locales,
            languages,
            default_lang: default_lang.to_string(),
            fallbacks,
        })
    }

    pub fn locale(&self, lang: &str) -> Option<&Locale> {
        self.locales.get(lang)
    }

    pub fn default_lang(&self) -> &str {
        &self.default_lang
    }

    pub fn has_language(&self, lang: &str) -> bool {
        self.locales.contains_key(lang)
    }

    /// The languages tried for `lang`, in order, each once.
    pub fn chain<'s>(&'s self, lang: &'s str) -> Vec<&'s str> {
        let mut chain: Vec<&str> = vec![lang];
        if let Some(next) = self.fallbacks.get(lang) {
            chain.extend(next.iter().map(String::as_str));
        }
        chain.push(&self.default_lang);
        chain.push("en");
        let mut seen = Vec::new();
        chain.retain(|l| {
            let fresh = !seen.contains(l);
            seen.push(*l);
            fresh
        });
        chain
    }

    /// The server's error messages (`error-*`) in every language, as callers see them.
    pub fn error_texts(&self) -> Vec<String> {
        let none = BTreeMap::new();
        let mut texts = Vec::new();
        for locale in self.locales.values() {
            for id in locale
                .definitions
                .keys()
                .filter(|id| id.starts_with("error-"))
            {
                if let Some(text) = locale.format(id, &none) {
                    texts.push(text);
                }
            }
        }
        texts
    }

    /// Message `id` in every language that has it, as callers see it.
    pub fn texts_of(&self, id: &str) -> Vec<String> {
        let none = BTreeMap::new();
        self.locales
            .values()
            .filter_map(|locale| locale.format(id, &none))
            .collect()
    }

    /// Formats `id` in `lang`, falling back along the chain; the id itself if no locale has it
    /// (so a missing translation shows up on screen instead of crashing a session).
    pub fn text(&self, lang: &str, id: &str, args: &BTreeMap<String, Value>) -> String {
        self.chain(lang)
            .into_iter()
            .filter_map(|l| self.locales.get(l))
            .find_map(|locale| locale.format(id, args))
            .unwrap_or_else(|| id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_formatted_from_the_variables_they_read() {
        let src = "plain = Hello\nbill = Due { $amount } on { $due }\n\
                   count = { $n ->\n    [one] one ticket\n   *[other] { $n } tickets\n}\n\
                   -brand = Dalal\nbranded = { -brand } for { $who }\nref = { plain } again\n";
        let locale =
            Locale::from_sources("en", vec![(PathBuf::from("en/m.ftl"), src.into())]).unwrap();
        let need = |id: &str| locale.needs.get(id).cloned();
        assert_eq!(need("plain"), Some(Needs::Static("Hello".into())));
        assert_eq!(
            need("bill"),
            Some(Needs::Vars(vec!["amount".into(), "due".into()]))
        );
        assert_eq!(need("count"), Some(Needs::Vars(vec!["n".into()])));
        assert_eq!(need("branded"), Some(Needs::Vars(vec!["who".into()])));
        assert_eq!(need("ref"), Some(Needs::All));
        let args = BTreeMap::from([
            ("amount".to_string(), Value::text("10 XOF")),
            ("due".to_string(), Value::text("12/11")),
            ("n".to_string(), Value::Number(2)),
            ("who".to_string(), Value::text("you")),
            ("unused".to_string(), Value::text("x")),
        ]);
        assert_eq!(locale.format("plain", &args).unwrap(), "Hello");
        assert_eq!(locale.format("bill", &args).unwrap(), "Due 10 XOF on 12/11");
        assert_eq!(locale.format("count", &args).unwrap(), "2 tickets");
        assert_eq!(locale.format("branded", &args).unwrap(), "Dalal for you");
        assert_eq!(locale.format("ref", &args).unwrap(), "Hello again");
    }

    #[test]
    fn scans_definitions_with_lines() {
        let src = "# c\nmain-title = Hello\n    .attr = x\nbill-line =\n    { $x }\n";
        assert_eq!(
            scan_definitions(src),
            vec![("main-title".to_string(), 2), ("bill-line".to_string(), 4)]
        );
    }
}
