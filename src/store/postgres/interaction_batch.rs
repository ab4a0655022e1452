//! The interactions log's batches (see `store::batch`) in one PostgreSQL statement, one array
//! per column: one round trip and one commit for the whole batch.

use sqlx::postgres::PgPool;

use super::convert::ts;
use crate::domain::Interaction;
use crate::store::StoreResult;
use crate::store::interactions::UPSERT_INTERACTIONS_UNNEST;

/// Overrides [`crate::store::CrmStore::record_interactions`]: the rows one by one would cost a
/// round trip each.
pub(super) async fn record_interactions(pool: &PgPool, rows: &[Interaction]) -> StoreResult<()> {
    fn column<T>(rows: &[Interaction], f: impl Fn(&Interaction) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    sqlx::query(UPSERT_INTERACTIONS_UNNEST)
        .bind(column(rows, |i| i.channel.clone()))
        .bind(column(rows, |i| i.gateway.clone()))
        .bind(column(rows, |i| i.session_id.clone()))
        .bind(column(rows, |i| i.phone.clone()))
        .bind(column(rows, |i| i.account_no.clone()))
        .bind(column(rows, |i| i.language.clone()))
        .bind(column(rows, |i| i.path.clone()))
        .bind(column(rows, |i| i.outcome.clone()))
        .bind(column(rows, |i| i.hops))
        .bind(column(rows, |i| ts(&i.started_at)))
        .bind(column(rows, |i| ts(&i.updated_at)))
        .bind(column(rows, |i| i.ended))
        .execute(pool)
        .await?;
    Ok(())
}
