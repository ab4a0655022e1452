//! `dalal prompts`: which recorded prompts the voice menus need, per language; what is
//! recorded, what is a synthetic placeholder, what falls back where; the recording script
//! for voice talent; and `synth`, which makes placeholders with espeak-ng + sox.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::check::Problem;
use crate::config::Config;
use crate::i18n::Catalog;
use crate::menu::Menu;
use crate::voice::inventory::{self, run};
use crate::voice::numbers;
use crate::voice::speech::{self, PromptIndex, SYNTHETIC_MANIFEST, Shapes, Source};

// The inventory moved to `voice::inventory` (the studio uses it too); re-exported for callers.
pub use crate::voice::inventory::{Needed, needed, sox_writes_mp3, spoken_messages};

/// Languages espeak-ng can voice among ours (it has no Wolof), with its voice names.
pub const ESPEAK_VOICES: &[(&str, &str)] = &[("fr", "fr"), ("sw", "sw"), ("en", "en-gb")];

/// Languages some voice platform we speak to can synthesise (see the gateway modules).
pub fn tts_languages() -> BTreeSet<&'static str> {
    let mut all = BTreeSet::new();
    all.extend(crate::gateway::at_voice::TTS_LANGUAGES);
    all.extend(crate::gateway::twiml::TTS_LANGUAGES);
    all.extend(crate::gateway::vxml::TTS_LANGUAGES);
    all
}

/// How a missing prompt is said instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    Recorded(String),
    Tts(String),
    /// A language's own name, read by the platform's voice (`speech::OWN_LANGUAGE_ONLY`).
    NameRead,
    Nothing,
}

/// Where the fallback chain of `lang` leads for one prompt it lacks. Recorded fallbacks
/// are judged by message (its text differs per language) or piece id.
fn fallback(
    config: &Config,
    index: &PromptIndex,
    catalog: &Catalog,
    shapes: &Shapes,
    tts: &BTreeSet<&str>,
    lang: &str,
    need: &Needed,
) -> Fallback {
    if speech::OWN_LANGUAGE_ONLY.contains(&need.source.as_str()) {
        // A language's own name: read by the platform's voice, never another language's
        // recording (see `speech::OWN_LANGUAGE_ONLY`).
        return Fallback::NameRead;
    }
    let chain = match config.voice.prompt_fallbacks.get(lang) {
        Some(c) => speech::parse_chain(c),
        None => vec![Source::Recorded(lang.into())],
    };
    for source in chain {
        match source {
            Source::Recorded(l) if l == lang => continue,
            Source::Recorded(l) => {
                let recorded = if need.source == "numbers" {
                    index.has(&l, &need.id)
                } else {
                    let runs = speech::all_runs(catalog, shapes, &l, &need.source);
                    !runs.is_empty() && runs.iter().all(|(id, _)| index.has(&l, id))
                };
                if recorded {
                    return Fallback::Recorded(l);
                }
            }
            Source::Tts(l) if tts.contains(l.as_str()) => return Fallback::Tts(l),
            Source::Tts(_) => {}
        }
    }
    Fallback::Nothing
}

/// Coverage of one language.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub lang: String,
    pub needed: usize,
    pub recorded: usize,
    pub synthetic: Vec<String>,
    pub missing: Vec<(Needed, Fallback)>,
}

impl Coverage {
    pub fn percent(&self) -> f64 {
        if self.needed == 0 {
            return 100.0;
        }
        100.0 * (self.needed - self.missing.len()) as f64 / self.needed as f64
    }
}

pub struct Prompts {
    pub menu: Menu,
    pub catalog: Catalog,
    pub shapes: Shapes,
    pub index: PromptIndex,
}

impl Prompts {
    pub fn load(config: &Config) -> anyhow::Result<Prompts> {
        let (menu, catalog) = crate::server::load_menus(config)
            .map_err(|p| anyhow::anyhow!("menus invalid: {}", p.join("; ")))?;
        Ok(Prompts {
            menu,
            catalog,
            shapes: Shapes::load(&config.locales_dir),
            index: PromptIndex::load(&config.voice.prompts_dir),
        })
    }

    pub fn coverage(&self, config: &Config) -> Vec<Coverage> {
        coverage(config, &self.menu, &self.catalog, &self.shapes, &self.index)
    }
}

/// Coverage of every language.
pub fn coverage(
    config: &Config,
    menu: &Menu,
    catalog: &Catalog,
    shapes: &Shapes,
    index: &PromptIndex,
) -> Vec<Coverage> {
    let tts = tts_languages();
    catalog
        .languages
        .iter()
        .map(|lang| {
            let needed = needed(menu, catalog, shapes, lang);
            let mut c = Coverage {
                lang: lang.clone(),
                needed: needed.len(),
                ..Default::default()
            };
            for need in needed {
                if index.has(lang, &need.id) {
                    c.recorded += 1;
                    if index.is_synthetic(lang, &need.id) {
                        c.synthetic.push(need.id.clone());
                    }
                } else {
                    let f = fallback(config, index, catalog, shapes, &tts, lang, &need);
                    c.missing.push((need, f));
                }
            }
            c
        })
        .collect()
}

/// The human report: per language, coverage, placeholders, and what falls back where.
pub fn report(config: &Config, prompts: &Prompts) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "audio prompts in {} (fallback chains: {})",
        config.voice.prompts_dir.display(),
        config
            .voice
            .prompt_fallbacks
            .iter()
            .map(|(k, v)| format!("{k} -> {}", v.join(" -> ")))
            .collect::<Vec<_>>()
            .join("; ")
    );
    for c in prompts.coverage(config) {
        let _ = writeln!(
            out,
            "{}: {:.0}% covered ({} of {} prompts recorded, {} of them synthetic placeholders{})",
            c.lang,
            c.percent(),
            c.recorded,
            c.needed,
            c.synthetic.len(),
            if c.synthetic.is_empty() {
                ""
            } else {
                ": replace them with real recordings"
            }
        );
        if c.missing.is_empty() {
            continue;
        }
        let mut by_fallback: BTreeMap<String, usize> = BTreeMap::new();
        for (_, f) in &c.missing {
            let key = match f {
                Fallback::Recorded(l) => format!("fall back to recorded '{l}'"),
                Fallback::Tts(l) => format!("fall back to speech synthesis in '{l}'"),
                Fallback::NameRead => "name the language: read by the platform's voice".into(),
                Fallback::Nothing => "have NO audio and NO fallback".into(),
            };
            *by_fallback.entry(key).or_default() += 1;
        }
        for (what, n) in by_fallback {
            let _ = writeln!(out, "  {n} missing prompt(s) {what}");
        }
        if !numbers::LANGUAGES.contains(&c.lang.as_str()) {
            let _ = writeln!(
                out,
                "  numbers: no number words for '{}': amounts are spoken along the fallback chain",
                c.lang
            );
        } else if c.missing.iter().any(|(n, _)| n.source == "numbers") {
            let _ = writeln!(
                out,
                "  numbers: '{}' number pieces are not recorded yet: amounts, dates and references are spoken along the fallback chain until they are",
                c.lang
            );
        }
        let _ = writeln!(
            out,
            "  to record ({}): `dalal prompts script {}`",
            c.missing.len(),
            c.lang
        );
        for (need, _) in &c.missing {
            let _ = writeln!(out, "    {}\t{}", need.id, need.text);
        }
    }
    out
}

/// The recording script of one language: every prompt still to record (or all with `all`),
/// `prompt id <TAB> text to read`, with the file name to save it under.
pub fn script(config: &Config, prompts: &Prompts, lang: &str, all: bool) -> anyhow::Result<String> {
    if !prompts.catalog.has_language(lang) {
        anyhow::bail!("no locale '{lang}'");
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Recording script, language '{lang}'. Save each prompt as {}/{lang}/<prompt id>.wav\n\
         # (8 kHz, mono, 16-bit PCM; an .mp3 beside it for Africa's Talking), one short take\n\
         # each, spoken slowly and clearly. Numbers are read alone (\"seven\", not \"press 7\").\n\
         # prompt id\ttext to read",
        config.voice.prompts_dir.display()
    );
    for need in needed(&prompts.menu, &prompts.catalog, &prompts.shapes, lang) {
        let real = prompts.index.has(lang, &need.id) && !prompts.index.is_synthetic(lang, &need.id);
        if all || !real {
            let _ = writeln!(out, "{}\t{}", need.id, need.text);
        }
    }
    Ok(out)
}

/// Whether the hotline is meant to speak `lang`: it has a prompts folder of its own, or a
/// prompt fallback chain. A language with neither is text-only (USSD), added with locale files
/// alone; the hotline reads its text with the platform's speech synthesis, if any.
pub fn is_voiced(config: &Config, lang: &str) -> bool {
    config.voice.prompts_dir.join(lang).is_dir() || config.voice.prompt_fallbacks.contains_key(lang)
}

/// `dalal check` for voice: prompts that no recording and no fallback can say, in every
/// language the hotline is meant to speak.
pub fn check(config: &Config, menu: &Menu, catalog: &Catalog) -> Vec<Problem> {
    let shapes = Shapes::load(&config.locales_dir);
    let index = PromptIndex::load(&config.voice.prompts_dir);
    let mut problems = Vec::new();
    let coverage = coverage(config, menu, catalog, &shapes, &index);
    for c in coverage.iter().filter(|c| is_voiced(config, &c.lang)) {
        for (need, f) in &c.missing {
            if *f == Fallback::Nothing {
                problems.push(Problem {
                    location: format!("{}/{}", config.voice.prompts_dir.display(), c.lang),
                    message: format!(
                        "voice prompt '{}' ({}) has no audio and no fallback in '{}'",
                        need.id, need.source, c.lang
                    ),
                });
            }
        }
    }
    problems
}

/// What `synth` did.
#[derive(Debug, Default)]
pub struct SynthReport {
    pub written: BTreeMap<String, usize>,
    pub kept_real: BTreeMap<String, usize>,
    pub mp3: bool,
    pub skipped_languages: Vec<String>,
}

impl std::fmt::Display for SynthReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (lang, n) in &self.written {
            writeln!(
                f,
                "{lang}: {n} synthetic placeholder prompt(s) written, {} real recording(s) kept",
                self.kept_real.get(lang).copied().unwrap_or(0)
            )?;
        }
        for lang in &self.skipped_languages {
            writeln!(
                f,
                "{lang}: espeak-ng has no voice: record it (`dalal prompts script {lang}`)"
            )?;
        }
        if self.mp3 {
            writeln!(f, "MP3 copies written for Africa's Talking")
        } else {
            writeln!(
                f,
                "sox cannot write MP3 here: Africa's Talking is served the WAV files"
            )
        }
    }
}

/// Synthesises one prompt: espeak-ng to a WAV, then sox to 8 kHz mono 16-bit PCM,
/// normalised to -3 dBFS (and an MP3 copy when `mp3`), as studio recordings are.
pub fn synth_one(voice: &str, text: &str, out_wav: &Path, mp3: bool) -> anyhow::Result<()> {
    let raw = out_wav.with_extension("raw.wav");
    run(Command::new("espeak-ng")
        .args(["-v", voice, "-s", "145", "-w"])
        .arg(&raw)
        .arg(text))?;
    let result = inventory::to_telephony(&raw, out_wav, mp3);
    let _ = std::fs::remove_file(&raw);
    result
}

/// `dalal prompts synth`: placeholders for every prompt of `langs` (default: every language
/// espeak-ng speaks) that has no real recording, listed in `<lang>/SYNTHETIC`.
pub fn synth(config: &Config, prompts: &Prompts, langs: &[String]) -> anyhow::Result<SynthReport> {
    let dir: PathBuf = config.voice.prompts_dir.clone();
    std::fs::create_dir_all(&dir)?;
    let mut report = SynthReport {
        mp3: sox_writes_mp3(&dir),
        ..Default::default()
    };
    let langs: Vec<String> = if langs.is_empty() {
        prompts.catalog.languages.clone()
    } else {
        langs.to_vec()
    };
    let mut jobs = Vec::new();
    for lang in langs {
        let Some((_, voice)) = ESPEAK_VOICES.iter().find(|(l, _)| *l == lang) else {
            report.skipped_languages.push(lang);
            continue;
        };
        let lang_dir = dir.join(&lang);
        std::fs::create_dir_all(&lang_dir)?;
        let needed = needed(&prompts.menu, &prompts.catalog, &prompts.shapes, &lang);
        let mut synthetic = Vec::new();
        let mut todo = Vec::new();
        let mut kept = 0;
        let mut seen = BTreeSet::new();
        for need in needed {
            if !seen.insert(need.id.clone()) {
                continue;
            }
            if prompts.index.has(&lang, &need.id) && !prompts.index.is_synthetic(&lang, &need.id) {
                kept += 1;
                continue;
            }
            synthetic.push(need.id.clone());
            todo.push(need);
        }
        // Placeholders no longer needed (a message changed) go away.
        for entry in std::fs::read_dir(&lang_dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let id = name.trim_end_matches(".wav").trim_end_matches(".mp3");
            if id != name && prompts.index.is_synthetic(&lang, id) && !seen.contains(id) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let mut manifest = String::from(
            "# Synthetic placeholder prompts (espeak-ng + sox), made by `dalal prompts synth`.\n\
             # Replace each with a real recording of the same name and delete its line here.\n",
        );
        for id in &synthetic {
            manifest.push_str(id);
            manifest.push('\n');
        }
        std::fs::write(lang_dir.join(SYNTHETIC_MANIFEST), manifest)?;
        report.written.insert(lang.clone(), todo.len());
        report.kept_real.insert(lang.clone(), kept);
        jobs.push((lang_dir, voice.to_string(), todo));
    }
    let mp3 = report.mp3;
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(lang_dir, voice, todo)| {
                scope.spawn(move || -> anyhow::Result<()> {
                    for need in todo {
                        synth_one(
                            &voice,
                            &need.text,
                            &lang_dir.join(format!("{}.wav", need.id)),
                            mp3,
                        )?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("synth thread"))
            .collect()
    });
    for r in results {
        r?;
    }
    Ok(report)
}
