//! Wiring: configuration -> stores, menus, translations -> an `App` ready to serve.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;
use crate::engine::Profile;
use crate::i18n::Catalog;
use crate::import;
use crate::menu::{Menu, check};
use crate::service::App;
use crate::store::CrmStore;
use crate::store::memory_sessions::MemorySessions;
use crate::store::sqlite::SqliteCrm;

/// Loads menus and translations and checks them together; every problem, one per line.
pub fn load_menus(config: &Config) -> Result<(Menu, Catalog), Vec<String>> {
    let catalog = Catalog::load(
        &config.locales_dir,
        &config.default_language,
        config.fallbacks.clone(),
    );
    let menu = Menu::load(&config.menus_dir);
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
    let problems = check::check(&menu, &catalog, profile);
    if problems.is_empty() {
        Ok((menu, catalog))
    } else {
        Err(problems.iter().map(ToString::to_string).collect())
    }
}

pub async fn connect_crm(config: &Config) -> anyhow::Result<Arc<dyn CrmStore>> {
    let url = &config.database_url;
    if url.starts_with("sqlite:") {
        let crm = SqliteCrm::connect(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        Ok(Arc::new(crm))
    } else {
        anyhow::bail!("unsupported DATABASE_URL scheme (expected sqlite:...)")
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
    let crm = connect_crm(&config).await?;
    if crm.is_empty().await? {
        let summary = crm.import(&import::read_embedded_demo()).await?;
        tracing::info!(?summary, "empty database: demo dataset loaded");
    }
    let sessions = Arc::new(MemorySessions::new());
    sessions.spawn_sweeper(Duration::from_secs(30));
    Ok(App {
        crm,
        sessions,
        menu: Arc::new(menu),
        catalog: Arc::new(catalog),
        config: Arc::new(config),
    })
}

/// Serves until SIGINT/SIGTERM, finishing in-flight requests.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let router = crate::http::router(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
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
