//! Menu hot reload: the menu, its translations and the speech shapes as one versioned set,
//! swapped atomically when an operator reloads (`SIGHUP`, `POST /admin/reload`).
//!
//! A session keeps the version it started on and runs every hop on it: a reload never moves
//! a caller to a screen of another menu mid-session. The sets replaced by a reload are kept
//! (the last [`KEPT`]) for the sessions still on them; a session whose set is gone (a restart,
//! another instance on another version) is ended politely by the runner.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::i18n::Catalog;
use crate::menu::Menu;
use crate::voice::speech::Shapes;

/// Sets replaced by a reload that are kept for the sessions started on them. Sessions live
/// minutes; operators reload a few times a day: eight covers a burst of corrections.
pub const KEPT: usize = 8;

/// One version of what the menus say: the menu, its translations, the speech shapes.
pub struct MenuSet {
    /// A hash of the files the set was read from: the same files give the same version on
    /// every instance.
    pub version: String,
    pub menu: Menu,
    pub catalog: Arc<Catalog>,
    pub shapes: Arc<Shapes>,
}

/// Reads and checks a new set: every problem, `file:line: message`, if it is refused.
pub type Loader = Arc<dyn Fn() -> Result<MenuSet, Vec<String>> + Send + Sync>;

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reloaded {
    pub version: String,
    pub previous: String,
    /// The files are those already served.
    pub unchanged: bool,
}

/// The current set and the ones replaced, kept for the sessions on them.
pub struct Menus {
    current: ArcSwap<MenuSet>,
    /// Newest first, at most [`KEPT`], never the current one.
    earlier: Mutex<VecDeque<Arc<MenuSet>>>,
    load: Loader,
    /// One reload at a time: two at once could install the older read last.
    reloading: Mutex<()>,
}

impl Menus {
    pub fn new(set: MenuSet, load: Loader) -> Menus {
        Menus {
            current: ArcSwap::from_pointee(set),
            earlier: Mutex::new(VecDeque::new()),
            load,
            reloading: Mutex::new(()),
        }
    }

    /// The set new sessions start on.
    pub fn current(&self) -> Arc<MenuSet> {
        self.current.load_full()
    }

    /// The set a session started on: the current one for a session saved before sessions
    /// carried a version; `None` if that version is no longer kept.
    pub fn of(&self, version: Option<&str>) -> Option<Arc<MenuSet>> {
        let current = self.current();
        let Some(version) = version else {
            return Some(current);
        };
        if current.version == version {
            return Some(current);
        }
        // `install` keeps the replaced set before it swaps: a version is always found in one
        // of the two.
        let earlier = self.earlier.lock().unwrap_or_else(|p| p.into_inner());
        earlier.iter().find(|s| s.version == version).cloned()
    }

    /// The versions kept, current first.
    pub fn versions(&self) -> Vec<String> {
        let mut versions = vec![self.current().version.clone()];
        let earlier = self.earlier.lock().unwrap_or_else(|p| p.into_inner());
        versions.extend(earlier.iter().map(|s| s.version.clone()));
        versions
    }

    /// Makes `set` the current one; the replaced one is kept for its sessions.
    pub fn install(&self, set: MenuSet) -> Reloaded {
        let mut earlier = self.earlier.lock().unwrap_or_else(|p| p.into_inner());
        let previous = self.current();
        if previous.version == set.version {
            return Reloaded {
                version: set.version,
                previous: previous.version.clone(),
                unchanged: true,
            };
        }
        earlier.retain(|s| s.version != set.version);
        earlier.push_front(previous.clone());
        earlier.truncate(KEPT);
        let version = set.version.clone();
        self.current.store(Arc::new(set));
        Reloaded {
            version,
            previous: previous.version.clone(),
            unchanged: false,
        }
    }

    /// Reads the files again and installs them if they pass the checks; else the current set
    /// stays and the problems are returned. Blocking (files, checks): run off the runtime.
    pub fn reload(&self) -> Result<Reloaded, Vec<String>> {
        let _one = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let set = (self.load)()?;
        Ok(self.install(set))
    }
}

impl super::App {
    /// Reads menus, translations and prompts again (`SIGHUP`, `POST /admin/reload`): a set
    /// that passes the checks becomes the one new sessions start on (SMS too), and the
    /// recordings are indexed again; a set that fails leaves everything as it was, and the
    /// reason is logged and returned.
    pub async fn reload_menus(&self) -> Result<Reloaded, Vec<String>> {
        let app = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let reloaded = app.menus.reload()?;
            app.notifier
                .catalog
                .store(app.menus.current().catalog.clone());
            crate::voice::speech::PromptIndex::refresh(&app.config.voice.prompts_dir);
            Ok(reloaded)
        })
        .await
        .unwrap_or_else(|e| Err(vec![format!("menus: the reload stopped: {e}")]));
        match &result {
            Ok(r) => tracing::info!(
                version = %r.version,
                previous = %r.previous,
                unchanged = r.unchanged,
                "menus reloaded"
            ),
            Err(problems) => tracing::warn!(
                problems = %problems.join("; "),
                "menu reload refused: the menus served stay as they were"
            ),
        }
        result
    }
}

/// FNV-1a, 64 bits, over files given as (path, text) in a stable order: a version, not a
/// security measure.
pub fn fingerprint<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (path, text) in files {
        eat(path.as_bytes());
        eat(&[0]);
        eat(&(text.len() as u64).to_le_bytes());
        eat(text);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(version: &str) -> MenuSet {
        let yaml = "start: main\nhome: main\nnodes:\n  main:\n    text: no-bill\n    end: true\n";
        let menu = Menu::from_sources(&[("menus/main.yaml".into(), yaml.into())]).unwrap();
        let catalog = Catalog::from_sources(
            vec![(
                "en".into(),
                vec![("locales/en/main.ftl".into(), "no-bill = none\n".into())],
            )],
            "en",
            Default::default(),
        )
        .unwrap();
        MenuSet {
            version: version.into(),
            menu,
            catalog: Arc::new(catalog),
            shapes: Arc::new(Shapes::default()),
        }
    }

    fn menus() -> Menus {
        Menus::new(set("v0"), Arc::new(|| Err(vec!["not here".into()])))
    }

    #[test]
    fn a_session_finds_its_version_until_it_is_pushed_out() {
        let menus = menus();
        for n in 1..=KEPT + 1 {
            let r = menus.install(set(&format!("v{n}")));
            assert!(!r.unchanged);
            assert_eq!(r.previous, format!("v{}", n - 1));
        }
        assert_eq!(menus.current().version, format!("v{}", KEPT + 1));
        assert!(menus.of(Some("v1")).is_some(), "the last {KEPT} are kept");
        assert!(menus.of(Some("v0")).is_none(), "older ones are dropped");
        assert_eq!(menus.versions().len(), KEPT + 1);
        assert_eq!(
            menus.of(None).unwrap().version,
            menus.current().version,
            "a session without a version runs on the current set"
        );
    }

    #[test]
    fn the_same_files_again_change_nothing_and_a_refused_set_keeps_the_old() {
        let menus = menus();
        assert!(menus.install(set("v0")).unchanged);
        assert_eq!(menus.versions(), vec!["v0".to_string()]);
        assert_eq!(menus.reload(), Err(vec!["not here".to_string()]));
        assert_eq!(menus.current().version, "v0");
        // Back to an earlier version: it is current, and not kept twice.
        menus.install(set("v1"));
        menus.install(set("v0"));
        assert_eq!(menus.versions(), vec!["v0".to_string(), "v1".to_string()]);
    }

    #[test]
    fn fingerprints_follow_names_and_contents() {
        let a = fingerprint([("menus/main.yaml", b"x".as_slice())]);
        assert_eq!(a, fingerprint([("menus/main.yaml", b"x".as_slice())]));
        assert_ne!(a, fingerprint([("menus/main.yaml", b"y".as_slice())]));
        assert_ne!(a, fingerprint([("menus/other.yaml", b"x".as_slice())]));
    }
}
