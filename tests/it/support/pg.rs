//! Throwaway PostgreSQL databases for tests, on the server `DALAL_TEST_POSTGRES_URL` names
//! (started by tests/run-all.sh). Without the variable, tests that need one fail loudly.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub const POSTGRES_URL_VAR: &str = "DALAL_TEST_POSTGRES_URL";

pub fn postgres_admin_url() -> String {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{POSTGRES_URL_VAR} is not set: the PostgreSQL tests need a server. \
             Run tests/run-all.sh, which starts PostgreSQL (or set {POSTGRES_URL_VAR} to a \
             database on a running server, e.g. postgres://postgres@127.0.0.1:55432/dalal_test)."
        ),
    }
}

/// `url` with its database (the path) replaced by `name`, keeping any `?options`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

pub fn unique_name() -> String {
    use std::hash::{BuildHasher, RandomState};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let random = RandomState::new().hash_one((n, std::time::SystemTime::now()));
    format!("dalal_t_{}_{n}_{random:016x}", std::process::id())
}

/// A fresh PostgreSQL database for one test, dropped (best effort) when the test ends, even
/// when it panics.
pub struct TestDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let admin_url = postgres_admin_url();
        let name = unique_name();
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("cannot connect to {POSTGRES_URL_VAR} (is PostgreSQL running?): {e}")
        });
        // The name is ours (letters, digits and underscores), never outside text. A database
        // whose default collation is a real language's (ICU en-US) checks that the store
        // compares and orders text by bytes, as SQLite does, whatever the server's locale; a
        // server without ICU gets its default collation.
        let icu = format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' \
             LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
        );
        if sqlx::query(AssertSqlSafe(icu))
            .execute(&mut admin)
            .await
            .is_err()
        {
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        }
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        TestDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Runs on a thread of its own: Drop cannot await, and may run inside a runtime.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        });
        let _ = dropper.join();
    }
}
