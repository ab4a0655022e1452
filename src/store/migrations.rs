//! Each database's migrations, built into the binary from `migrations/<database>/` (listed by
//! build.rs), read as sqlx's `migrate!` macro reads them: `0007_connection_requests.sql` is
//! version 7, "connection requests", its checksum that of its text. A database migrated by an
//! earlier build therefore validates against this one.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

mod files {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

pub(crate) fn sqlite() -> Migrator {
    migrator(files::SQLITE)
}

pub(crate) fn postgres() -> Migrator {
    migrator(files::POSTGRES)
}

fn migrator(files: &'static [(&'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        files
            .iter()
            .map(|&(name, sql)| migration(name, sql))
            .collect(),
    )
}

/// A migration file named `<version>_<description>.sql`.
fn migration(name: &str, sql: &'static str) -> Migration {
    let (version, description) = name
        .trim_end_matches(".sql")
        .split_once('_')
        .unwrap_or_else(|| panic!("migration {name}: not named <version>_<description>.sql"));
    let version = version
        .parse()
        .unwrap_or_else(|_| panic!("migration {name}: {version} is not a version number"));
    Migration::new(
        version,
        Cow::Owned(description.replace('_', " ")),
        MigrationType::from_filename(name),
        sql.into_sql_str(),
        sql.starts_with("-- no-transaction"),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// What sqlx reads from the folder (as `migrate!` did): same versions, descriptions,
    /// checksums, so databases migrated by earlier builds stay valid.
    async fn same_as_folder(built_in: Migrator, folder: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(folder);
        let from_folder = Migrator::new(dir)
            .await
            .expect("the migrations folder resolves");
        let summary = |m: &Migrator| -> Vec<(i64, String, Vec<u8>, bool)> {
            m.iter()
                .map(|m| {
                    (
                        m.version,
                        m.description.to_string(),
                        m.checksum.to_vec(),
                        m.no_tx,
                    )
                })
                .collect()
        };
        assert!(
            built_in.iter().next().is_some(),
            "{folder}: no migration built in"
        );
        assert_eq!(summary(&built_in), summary(&from_folder), "{folder}");
    }

    #[tokio::test]
    async fn built_in_migrations_are_the_folders() {
        same_as_folder(sqlite(), "sqlite").await;
        same_as_folder(postgres(), "postgres").await;
    }
}
