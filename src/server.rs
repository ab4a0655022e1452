//! Wiring: configuration -> stores, menus, translations -> an `App` ready to serve.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::actions::AreaOutageCache;
use crate::check;
use crate::config::Config;
use crate::engine::Profile;
use crate::i18n::Catalog;
use crate::import;
use crate::menu::Menu;
use crate::notify::Notifier;
use crate::runner::App;
use crate::runner::menus::{Loader, MenuSet, Menus};
use crate::security::{Guard, PhoneLimiter};
use crate::store::memory_sessions::MemorySessions;
use crate::store::outbox::OutboxStore;
use crate::store::redis_sessions::RedisSessions;
use crate::store::sqlite::SqliteCrm;
use crate::store::{CrmStore, SessionStore};

/// The shipped menus and translations, built into the binary: used when the default folders
/// (`menus/`, `locales/` in the current directory) do not exist, so `dalal` runs from any
/// directory. A folder configured explicitly must exist.
mod shipped {
    use std::path::PathBuf;

    // `FILES`: every file under `menus/` and `locales/`, listed by build.rs.
    include!(concat!(env!("OUT_DIR"), "/shipped.rs"));

    /// The shipped files under `folder/`, as (path from the repository root, bytes).
    pub fn under(folder: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> {
        let prefix = format!("{folder}/");
        FILES
            .iter()
            .filter(move |(path, _)| path.starts_with(&prefix))
            .copied()
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// The menu files, as `Menu::load` picks them from a folder: its `*.yaml` and `*.yml`.
    pub fn menus() -> Vec<(PathBuf, String)> {
        under("menus")
            .filter(|(path, _)| {
                let name = &path["menus/".len()..];
                !name.contains('/') && (name.ends_with(".yaml") || name.ends_with(".yml"))
            })
            .map(|(path, bytes)| (PathBuf::from(path), text(bytes)))
            .collect()
    }

    /// Per language, its translation files, as `Catalog::load` picks them from a folder:
    /// `locales/<lang>/*.ftl`.
    pub fn locales() -> Vec<(String, Vec<(PathBuf, String)>)> {
        let mut languages: Vec<(String, Vec<(PathBuf, String)>)> = Vec::new();
        for (path, bytes) in under("locales") {
            let Some((lang, file)) = path["locales/".len()..].split_once('/') else {
                continue;
            };
            if file.contains('/') || !file.ends_with(".ftl") {
                continue;
            }
            let source = (PathBuf::from(path), text(bytes));
            match languages.last_mut() {
                Some((last, sources)) if last == lang => sources.push(source),
                _ => languages.push((lang.to_string(), vec![source])),
            }
        }
        languages
    }
}

/// Whether the shipped files stand in for `dir`: the default folder, absent.
fn uses_shipped(dir: &std::path::Path, default: &std::path::Path) -> bool {
    !dir.exists() && dir == default
}

fn load_catalog(config: &Config) -> Result<Catalog, Vec<crate::i18n::I18nError>> {
    if !uses_shipped(&config.locales_dir, &Config::default().locales_dir) {
        return Catalog::load(
            &config.locales_dir,
            &config.default_language,
            config.fallbacks.clone(),
        );
    }
    tracing::warn!(dir = %config.locales_dir.display(), "locales folder missing: using the shipped translations");
    Catalog::from_sources(
        shipped::locales(),
        &config.default_language,
        config.fallbacks.clone(),
    )
}

fn load_menu(config: &Config) -> Result<Menu, Vec<crate::menu::MenuError>> {
    if !uses_shipped(&config.menus_dir, &Config::default().menus_dir) {
        return Menu::load(&config.menus_dir);
    }
    tracing::warn!(dir = %config.menus_dir.display(), "menus folder missing: using the shipped menu");
    Menu::from_sources(&shipped::menus())
}

/// The speech shapes of the translations the server uses (the shipped ones when it uses
/// those), shared by every set built from the same files.
fn load_shapes(config: &Config) -> Arc<crate::voice::speech::Shapes> {
    use crate::voice::speech::Shapes;
    if !uses_shipped(&config.locales_dir, &Config::default().locales_dir) {
        return Shapes::shared(&config.locales_dir);
    }
    static SHIPPED: std::sync::OnceLock<Arc<Shapes>> = std::sync::OnceLock::new();
    SHIPPED
        .get_or_init(|| Arc::new(Shapes::from_sources(shipped::locales())))
        .clone()
}

/// The speech shapes for a reload: read again from the folder (its files may have changed).
fn reloaded_shapes(config: &Config) -> Arc<crate::voice::speech::Shapes> {
    if uses_shipped(&config.locales_dir, &Config::default().locales_dir) {
        return load_shapes(config);
    }
    Arc::new(crate::voice::speech::Shapes::load(&config.locales_dir))
}

/// Loads menus and translations and checks them together; every problem, one per line.
pub fn load_menus(config: &Config) -> Result<(Menu, Catalog), Vec<String>> {
    load_menus_of_version(config, &menu_version(config))
}

/// [`load_menus`] when the caller already has the files' `version` (`menu_version`).
fn load_menus_of_version(config: &Config, version: &str) -> Result<(Menu, Catalog), Vec<String>> {
    let catalog = load_catalog(config);
    let menu = load_menu(config);
    let (menu, catalog) = match (menu, catalog) {
        (Ok(m), Ok(c)) => (m, c),
        (m, c) => {
            let mut problems: Vec<String> = Vec::new();
            if let Err(e) = m {
                problems.extend(e.iter().map(ToString::to_string));
            }
            if let Err(e) = c {
                problems.extend(e.iter().map(ToString::to_string));
            }
            return Err(problems);
        }
    };
    let profile = Profile {
        transliterate: config.transliterate,
        ..Profile::USSD
    };
    let problems = checked_once(config, version, || {
        check::check(&menu, &catalog, profile)
            .iter()
            .map(ToString::to_string)
            .collect()
    });
    if problems.is_empty() {
        Ok((menu, catalog))
    } else {
        Err(problems)
    }
}

/// The problems `check` finds in the configured menus and translations, computed once per
/// content in this process: the page-budget check renders every screen in every language
/// (a second in a debug build), and a reload of unchanged files, or a test suite starting
/// hundreds of servers on the same files, would otherwise pay it every time. The key is all
/// that the check reads: every file's bytes (`version`, from `menu_version`) and the settings
/// that shape the catalog and the pages.
fn checked_once(
    config: &Config,
    version: &str,
    check: impl FnOnce() -> Vec<String>,
) -> Vec<String> {
    static CHECKED: std::sync::Mutex<Vec<(String, Vec<String>)>> =
        std::sync::Mutex::new(Vec::new());
    let mut fallbacks: Vec<_> = config.fallbacks.iter().collect();
    fallbacks.sort();
    let key = format!(
        "{version} {:?} {fallbacks:?} {}",
        config.default_language, config.transliterate
    );
    let known = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, problems)) = known.iter().find(|(k, _)| *k == key) {
        return problems.clone();
    }
    drop(known);
    let problems = check();
    let mut known = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if !known.iter().any(|(k, _)| *k == key) {
        // A few contents are enough (reloads move forward); the oldest goes first.
        if known.len() == 8 {
            known.remove(0);
        }
        known.push((key, problems.clone()));
    }
    problems
}

/// The menu set the configured files give, checked as `dalal check` checks menus and
/// translations (the menu with its translations, the voice keys, the glossaries), for a
/// reload. (The prompt coverage `dalal check` reports is a command-line tool's, which the
/// server does not import: a missing recording falls back as configured.)
pub fn load_menu_set(config: &Config) -> Result<MenuSet, Vec<String>> {
    let version = menu_version(config);
    let (menu, catalog) = load_menus_of_version(config, &version)?;
    let mut problems: Vec<String> = check::check_voice(&menu)
        .iter()
        .chain(&check::glossary(&config.locales_dir))
        .map(ToString::to_string)
        .collect();
    if !problems.is_empty() {
        problems.sort();
        return Err(problems);
    }
    Ok(MenuSet {
        version,
        menu,
        catalog: Arc::new(catalog),
        shapes: reloaded_shapes(config),
    })
}

/// The version of the menus and translations configured: a hash of their files (or of the
/// shipped ones the server falls back on), the same on every instance serving the same files.
pub fn menu_version(config: &Config) -> String {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (label, dir, default) in [
        ("menus", &config.menus_dir, Config::default().menus_dir),
        (
            "locales",
            &config.locales_dir,
            Config::default().locales_dir,
        ),
    ] {
        if uses_shipped(dir, &default) {
            files.extend(
                shipped::under(label).map(|(path, bytes)| (path.to_string(), bytes.to_vec())),
            );
        } else {
            files_under(label, dir, dir, &mut files);
        }
    }
    files.sort();
    crate::runner::menus::fingerprint(files.iter().map(|(p, t)| (p.as_str(), t.as_slice())))
}

/// Every file under `dir`, named `label/` + its path from `root` (so the same files in another
/// folder, or on another instance, give the same version, as the shipped ones do).
fn files_under(
    label: &str,
    root: &std::path::Path,
    dir: &std::path::Path,
    out: &mut Vec<(String, Vec<u8>)>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(label, root, &path, out);
        } else if let Ok(text) = std::fs::read(&path) {
            let name = path.strip_prefix(root).unwrap_or(&path);
            out.push((format!("{label}/{}", name.display()), text));
        }
    }
}

pub async fn connect_crm(config: &Config) -> anyhow::Result<Arc<dyn CrmStore>> {
    Ok(connect_database(config).await?.0)
}

/// The database `DATABASE_URL` selects, as the CRM and as the SMS outbox.
pub async fn connect_database(
    config: &Config,
) -> anyhow::Result<(Arc<dyn CrmStore>, Arc<dyn OutboxStore>)> {
    let (crm, outbox, _) = connect_stores(config).await?;
    Ok((crm, outbox))
}

/// The database `DATABASE_URL` selects, as the CRM, the SMS outbox and the KPI report's reads
/// (one connection pool for the three).
pub async fn connect_stores(
    config: &Config,
) -> anyhow::Result<(
    Arc<dyn CrmStore>,
    Arc<dyn OutboxStore>,
    Arc<dyn crate::store::report::ReportStore>,
)> {
    let url = &config.database_url;
    if url.starts_with("sqlite:") {
        let crm = SqliteCrm::connect(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        let crm = Arc::new(crm);
        Ok((crm.clone(), crm.clone(), crm))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        // The URL may hold a password: name only the kind of database in the error.
        let crm = crate::store::postgres::PgCrm::connect(url)
            .await
            .context("connecting to PostgreSQL (DATABASE_URL)")?;
        let crm = Arc::new(crm);
        Ok((crm.clone(), crm.clone(), crm))
    } else {
        anyhow::bail!(
            "unsupported DATABASE_URL scheme (expected sqlite:..., postgres://... or postgresql://...)"
        )
    }
}

/// The session store `REDIS_URL` selects, or the in-process one.
pub async fn connect_sessions(config: &Config) -> anyhow::Result<Arc<dyn SessionStore>> {
    match &config.redis_url {
        Some(url) => {
            let redis = RedisSessions::connect(url, &config.redis_key_prefix)
                .await
                .context("connecting to Redis (REDIS_URL)")?;
            Ok(Arc::new(redis))
        }
        None => Ok(Arc::new(MemorySessions::new())),
    }
}

/// Builds the application; an empty database gets the demo dataset shipped in the binary.
pub async fn build_app(config: Config) -> anyhow::Result<App> {
    let (menu, catalog) = load_menus(&config).map_err(|problems| {
        anyhow::anyhow!(
            "menus or translations are invalid (run `dalal check`):\n{}",
            problems.join("\n")
        )
    })?;
    let (crm, outbox, reports) = connect_stores(&config).await?;
    if crm.is_empty().await? {
        let summary = crm.import(&import::read_embedded_demo()).await?;
        tracing::info!(?summary, "empty database: demo dataset loaded");
    }
    let sessions = connect_sessions(&config).await?;
    let mut problems = crate::gateway::check_settings(&config, crate::sms::CALLBACK_NAMES);
    problems.extend(crate::sms::from_config(&config).err());
    problems.extend(config.voice.problems());
    problems.extend(crate::simulator::problems(&config));
    if !problems.is_empty() {
        anyhow::bail!("gateway settings are invalid:\n{}", problems.join("\n"));
    }
    let mut guards = HashMap::new();
    for (gateway, auth) in &config.gateways {
        let guard = Guard::new(auth).map_err(|e| anyhow::anyhow!("gateways.{gateway}: {e}"))?;
        guards.insert(gateway.clone(), guard);
    }
    let limiter = PhoneLimiter::new(config.rate_limit_per_minute);
    let area_cache = Arc::new(AreaOutageCache::new(Duration::from_secs(
        config.area_cache_secs,
    )));
    let idle = limiter.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            idle.forget_idle();
        }
    });
    let config = Arc::new(config);
    let catalog = Arc::new(catalog);
    let mut notifier = Notifier::new(crm.clone(), outbox, catalog.clone(), config.clone())
        .map_err(|e| anyhow::anyhow!(e))?;
    let metrics = crate::metrics::Metrics::new();
    notifier.metrics = metrics.clone();
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let notifier = Arc::new(notifier);
    if config.sms.in_serve {
        notifier.clone().spawn();
    }
    let set = MenuSet {
        version: menu_version(&config),
        menu,
        catalog,
        shapes: load_shapes(&config),
    };
    let reload_config = config.clone();
    let loader: Loader = Arc::new(move || load_menu_set(&reload_config));
    let app = App {
        interactions: crate::store::batch::InteractionWriter::start(crm.clone()),
        crm,
        notifier,
        sessions,
        menus: Arc::new(Menus::new(set, loader)),
        config,
        limiter,
        area_cache,
        guards: Arc::new(guards),
        metrics,
        reports,
    };
    let sweep = Duration::from_secs(app.config.expiry_sweep_secs.max(1));
    app.spawn_expiry_sweeper(sweep);
    Ok(app)
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting and lets in-flight hops finish (a
/// customer told "reported" keeps their reference), for at most [`DRAIN_LIMIT`].
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    if let Some(address) = app.config.metrics_listen.clone() {
        // Metrics on a listener of their own (a private address), not on the public one.
        let metrics = tokio::net::TcpListener::bind(&address)
            .await
            .with_context(|| format!("metrics_listen {address}"))?;
        let address = metrics.local_addr()?;
        tracing::info!(%address, "metrics: GET /metrics");
        let router = crate::http::metrics_router(app.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(metrics, router).await {
                tracing::error!(%error, "metrics listener stopped");
            }
        });
    }
    spawn_reload_on_hangup(app.clone());
    let router = crate::http::router(app);
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let signalled = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = signalled.clone();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight hops");
        notify.notify_one();
    });
    let drain_limit = async {
        signalled.notified().await;
        tokio::time::sleep(DRAIN_LIMIT).await;
    };
    tokio::select! {
        served = server => served?,
        () = drain_limit => tracing::warn!("in-flight hops still open after the drain limit"),
    }
    Ok(())
}

/// Longer than a hop's deadline, so every hop under way when the signal came gets its answer;
/// short enough for an orchestrator's termination grace period (Kubernetes: 30 s).
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// `SIGHUP` reloads menus, translations and prompts (`App::reload_menus`: a set that fails
/// the checks is logged and the old one stays).
fn spawn_reload_on_hangup(app: App) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hangups) => {
                tokio::spawn(async move {
                    while hangups.recv().await.is_some() {
                        tracing::info!("SIGHUP: reloading menus, translations and prompts");
                        let _ = app.reload_menus().await;
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "SIGHUP not handled: no menu reload on it"),
        }
    }
    #[cfg(not(unix))]
    let _ = app;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
