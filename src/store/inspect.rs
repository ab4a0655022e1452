//! Reads (and one write) that only tests and tools need, kept off the runtime [`CrmStore`]
//! trait: nothing on the request path depends on them, so a new store need not offer them to
//! serve callers.
//!
//! [`CrmStore`]: crate::store::CrmStore

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::*;

/// For tests and tools, not on the request path.
#[async_trait]
pub trait CrmInspect: Send + Sync {
    /// The active or suspected outage of this service in this area (the latest to start), if
    /// any.
    async fn active_outage(&self, area_code: &str, service: &str) -> StoreResult<Option<Outage>>;
    /// Attaches a report to a known outage; returns the report's reference. Idempotent on
    /// `origin_key`.
    async fn report_outage(&self, report: &NewOutageReport) -> StoreResult<OutageReport>;
    /// How many reports are attached to an outage (the affected customers the CRM counts).
    async fn outage_report_count(&self, outage_id: &str) -> StoreResult<i64>;
    /// The event history of a ticket: (at, event, detail), oldest first.
    async fn ticket_events(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Option<String>)>>;
    async fn interaction(
        &self,
        gateway: &str,
        session_id: &str,
    ) -> StoreResult<Option<Interaction>>;
    /// What the connection request filed as this ticket asked for.
    async fn connection_request(&self, ticket_ref: &str) -> StoreResult<Option<ConnectionRequest>>;
}

/// `impl CrmInspect for $store`, every method as the SQL stores run it (see
/// [`crate::store::delegate!`]).
macro_rules! impl_crm_inspect {
    ($store:ty, run by $run:ident) => {
        const _: () = {
            use $crate::domain::*;
            use $crate::store::inspect::CrmInspect;
            use $crate::store::{interactions, outages, rules, tickets};
            $crate::store::delegate! {
                #[async_trait::async_trait]
                impl CrmInspect for $store, run by $run {
                    active_outage(area_code: &str, service: &str) -> Option<Outage> = read outages::current_outage;
                    report_outage(report: &NewOutageReport) -> OutageReport = file rules::file_once;
                    outage_report_count(outage_id: &str) -> i64 = read outages::outage_report_count;
                    ticket_events(reference: &str) -> Vec<tickets::TicketEvent> = read tickets::ticket_events;
                    interaction(gateway: &str, session_id: &str) -> Option<Interaction> = read interactions::interaction;
                    connection_request(ticket_ref: &str) -> Option<ConnectionRequest> = read tickets::connection_request;
                }
            }
        };
    };
}
pub(crate) use impl_crm_inspect;
