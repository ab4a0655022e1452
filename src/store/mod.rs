//! Stores behind small traits: the engine never knows which database or session backend runs.

pub mod batch;
mod common;
mod customers;
mod import;
pub mod inspect;
mod interactions;
pub mod memory_sessions;
mod migrations;
mod outages;
pub mod outbox;
pub mod postgres;
pub mod redis_sessions;
pub mod report;
mod rules;
pub(crate) mod sql;
pub mod sqlite;
mod tickets;
mod usage;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::*;

/// `impl $trait for $store` from a table of the trait's methods that each run one function of
/// an aggregate module (a statement, or a rule over statements), written once for both
/// databases. The database's `$run!` macro says where each kind of work runs:
/// - `read`: statements that only read (SQLite: a read connection, in place; PostgreSQL: the
///   pool);
/// - `write`: writes that need no transaction of their own (SQLite: a unit of work on the
///   writer thread; PostgreSQL: the pool, each statement autocommitted);
/// - `unit`: several statements, all or nothing (SQLite: a unit of work; PostgreSQL: a
///   transaction of their own);
/// - `file`: a filing rule of `rules.rs`, over the store's `FilingStore`;
/// - `import`: `import::import`, over the database's `ImportTx`.
///
/// The methods a database runs its own way follow the table, as in any `impl` block.
macro_rules! delegate {
    (
        $(#[$attr:meta])*
        impl $trait:ident for $store:ty, run by $run:ident {
            $($name:ident($($p:ident: $t:ty),* $(,)?) -> $out:ty = $mode:ident $f:path;)*
        }
        $($own:tt)*
    ) => {
        $(#[$attr])*
        impl $trait for $store {
            $(
                async fn $name(&self, $($p: $t),*) -> $crate::store::StoreResult<$out> {
                    $run!(self, $mode, $f, $($p: $t),*)
                }
            )*
            $($own)*
        }
    };
}
pub(crate) use delegate;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded store's serving connections (rusqlite; sqlx runs its migrations and imports).
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("session store unavailable: {0}")]
    SessionBackend(String),
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Counts of what an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub areas: usize,
    pub customers: usize,
    pub bills: usize,
    pub tickets: usize,
    pub outages: usize,
    pub vends: usize,
    pub meter_readings: usize,
}

impl ImportSummary {
    /// What importing the whole dataset writes.
    pub(crate) fn of(data: &Dataset) -> ImportSummary {
        ImportSummary {
            areas: data.areas.len(),
            customers: data.customers.len(),
            bills: data.bills.len(),
            tickets: data.tickets.len(),
            outages: data.outages.len(),
            vends: data.vends.len(),
            meter_readings: data.meter_readings.len(),
        }
    }
}

/// Rows an import writes per transaction: a big dataset is committed chunk by chunk (the write
/// lock is never held for minutes, the journal stays small, progress can be shown); a dataset
/// of at most this many rows, like the demo, is written in one transaction.
pub const IMPORT_CHUNK_ROWS: usize = 10_000;

/// How far an import has gone: rows written and committed so far, out of all the dataset's
/// rows (areas, customers, bills, outages, tickets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

/// Called after every committed chunk of an import.
pub type ProgressFn<'a> = &'a (dyn Fn(ImportProgress) + Send + Sync);

/// The utility's CRM: customers, bills, outages, tickets, and everything the phone channels
/// write. What only tests and tools read is in [`inspect::CrmInspect`].
#[async_trait]
pub trait CrmStore: Send + Sync {
    /// Reachability check for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
    /// True when no customer has been loaded yet (the server then loads the demo dataset).
    async fn is_empty(&self) -> StoreResult<bool>;
    /// Loads a dataset; rows already present are updated, never duplicated. Tables are written
    /// in dependency order (areas, customers, bills, outages, tickets) with multi-row inserts,
    /// committed every [`IMPORT_CHUNK_ROWS`] rows: a dataset of at most that many rows is
    /// written in one transaction. A bigger import interrupted half-way keeps the chunks already
    /// committed, and importing the same dataset again completes it (the import is idempotent).
    async fn import(&self, data: &Dataset) -> StoreResult<ImportSummary> {
        self.import_with_progress(data, &|_| {}).await
    }
    /// [`CrmStore::import`], calling `progress` after every committed chunk.
    async fn import_with_progress(
        &self,
        data: &Dataset,
        progress: ProgressFn<'_>,
    ) -> StoreResult<ImportSummary>;

    /// Accounts whose `phone` or `alt_phone` is this E.164 number, ordered by account number.
    async fn accounts_for_phone(&self, phone: &str) -> StoreResult<Vec<Account>>;
    async fn account(&self, account_no: &str) -> StoreResult<Option<Account>>;
    /// Account whose number matches `typed`, either exactly (case-insensitive) or by its digits
    /// alone (keypads type digits: `100001` finds `SNE100001`).
    async fn account_by_number(&self, typed: &str) -> StoreResult<Option<Account>>;
    /// Account whose meter matches `typed`, exactly or by its digits alone.
    async fn account_by_meter(&self, typed: &str) -> StoreResult<Option<Account>>;
    async fn area(&self, area_code: &str) -> StoreResult<Option<Area>>;
    /// Every area, ordered by name (then code): callers find theirs by part of its name.
    async fn areas(&self) -> StoreResult<Vec<Area>>;
    async fn latest_bill(&self, account_no: &str) -> StoreResult<Option<Bill>>;
    /// The account's latest bill (as [`CrmStore::latest_bill`]) with the total still due over
    /// all its `unpaid` and `partially_paid` bills (each bill's `amount_minor - paid_minor`,
    /// never below zero) and how many those are; one query.
    async fn bill_statement(&self, account_no: &str) -> StoreResult<Option<BillStatement>>;

    /// Language chosen earlier by a phone linked to no account.
    async fn phone_language(&self, phone: &str) -> StoreResult<Option<String>>;
    /// Saves the choice on every account this phone acts for, and on the phone itself.
    async fn save_language(&self, phone: &str, language: &str) -> StoreResult<()>;

    /// Outages of an area (any service) that callers should hear about, soonest first: every
    /// active or suspected one (not restored yet, whatever its expected end), and the scheduled
    /// ones that have not ended by `now`.
    async fn area_outages(&self, area_code: &str, now: DateTime<Utc>) -> StoreResult<Vec<Outage>>;
    /// Files an outage report atomically (one transaction; serialised per `origin_key` and
    /// per area and service, across every server instance sharing the database):
    /// 1. a retry (same `origin_key`, in outage_reports or tickets, whatever area and service
    ///    it names, even while the first filing is still deciding) returns the first filing
    ///    unchanged (the outage as it is now), and writes nothing;
    /// 2. an outage of this area and service with status `active` or `suspected` (the latest
    ///    to start): a report is attached to it (a new reference from the sequence tickets use);
    /// 3. else, when the `outage` tickets of this area and service not linked to an outage yet
    ///    and created at or after `created_at - policy.window`, plus this report, number at least
    ///    `policy.threshold` (and the area is known): ONE suspected outage is opened (outage_id
    ///    `SUS-<area_code>-<service>-<YYYYMMDDHHMMSS of created_at>`, kind `unplanned`, status
    ///    `suspected`, starts_at = created_at, no expected end, cause
    ///    `suspected: <n> reports by phone`), those tickets are linked to it (`outage_id`) and
    ///    this report is attached to it;
    /// 4. else an `outage` ticket is filed (status `open`, area and service recorded on it),
    ///    exactly as [`CrmStore::create_ticket`] files one.
    ///
    /// Tickets filed by a concurrent report with a slightly later `created_at` count too: under
    /// concurrency, filings do not reach the store in the order of their timestamps.
    async fn file_outage_report(
        &self,
        filing: &NewOutageFiling,
        policy: &StormPolicy,
    ) -> StoreResult<OutageFiling>;
    async fn outage_report(&self, reference: &str) -> StoreResult<Option<OutageReport>>;
    async fn outage(&self, outage_id: &str) -> StoreResult<Option<Outage>>;

    /// Files a ticket, assigning a new reference with a check digit. Idempotent on `origin_key`.
    async fn create_ticket(&self, ticket: &NewTicket) -> StoreResult<Ticket>;
    /// Files a complaint: as [`CrmStore::create_ticket`], except that when the ticket names
    /// an account which has an `open` or `in_progress` ticket of the same category, no ticket
    /// is filed: a `customer_called_again` event is added to that ticket (the newest), which
    /// is returned as a repeat. Idempotent on `origin_key` (a retry adds no second event);
    /// one transaction, serialised per account and category.
    async fn file_complaint(&self, ticket: &NewTicket) -> StoreResult<ComplaintFiling>;
    /// Files a new connection request: a `new_connection` ticket, as
    /// [`CrmStore::create_ticket`] files one, and its service, area and account in
    /// `connection_requests`; except that when a request of the same service and area from the
    /// same phone or for the same account is `open` or `in_progress`, nothing is filed: a
    /// `customer_called_again` event is added to that ticket (the newest), which is returned
    /// as a repeat. Idempotent on `origin_key` (a retry adds no second event); one
    /// transaction, serialised per area and service.
    async fn file_connection_request(
        &self,
        request: &NewConnectionRequest,
    ) -> StoreResult<ComplaintFiling>;
    async fn ticket(&self, reference: &str) -> StoreResult<Option<Ticket>>;
    /// The latest event of a ticket's history (what was last done, and when): (at, event,
    /// detail); the last written of those at the same time.
    async fn latest_ticket_event(
        &self,
        reference: &str,
    ) -> StoreResult<Option<(DateTime<Utc>, String, Option<String>)>>;
    /// Tickets not yet resolved or closed, filed from this phone or for these accounts,
    /// newest first.
    async fn open_tickets(&self, phone: &str, account_nos: &[String]) -> StoreResult<Vec<Ticket>>;

    /// Creates a call-back task for an agent; returns its id. Idempotent on `origin_key`.
    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<i64>;

    /// Inserts or updates the log row of one session (keyed by gateway + session id).
    async fn record_interaction(&self, interaction: &Interaction) -> StoreResult<()>;
    /// [`record_interaction`](Self::record_interaction) for several sessions (one row each),
    /// all or nothing.
    async fn record_interactions(&self, interactions: &[Interaction]) -> StoreResult<()> {
        for interaction in interactions {
            self.record_interaction(interaction).await?;
        }
        Ok(())
    }
    /// Records the gateway's end-of-session notification against the interaction.
    async fn record_session_end(&self, end: &SessionEnd) -> StoreResult<()>;

    /// The account's latest token purchases, newest first.
    async fn recent_vends(&self, account_no: &str, limit: u32) -> StoreResult<Vec<Vend>>;
    /// Queues one SMS repeating the account's latest token, once per `origin_key`; the
    /// purchase it repeats (`None`, and nothing queued, when the account bought none).
    async fn resend_token(&self, request: &TokenResend) -> StoreResult<Option<Vend>>;
    /// The account's latest meter indexes, newest first.
    async fn meter_readings(&self, account_no: &str, limit: u32) -> StoreResult<Vec<MeterReading>>;
    /// Stores a caller's self-reading with a new reference, once per `origin_key` (a retry
    /// gets the first one back).
    async fn submit_meter_reading(&self, reading: &NewMeterReading) -> StoreResult<MeterReading>;
}

/// `impl CrmStore for $store`: the methods every SQL store runs the same way, then `$own`
/// (what the database does its own way: the interactions log). `$run!` is the
/// database's (see [`delegate!`]).
macro_rules! impl_crm_store {
    ($store:ty, run by $run:ident, $($own:tt)*) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::domain::*;
            use $crate::store::{CrmStore, ImportSummary, ProgressFn};
            use $crate::store::{customers, import, outages, rules, tickets, usage};
            $crate::store::delegate! {
                #[async_trait::async_trait]
                impl CrmStore for $store, run by $run {
                    import_with_progress(data: &Dataset, progress: ProgressFn<'_>) -> ImportSummary = import import::import;
                    ping() -> () = read customers::ping;
                    is_empty() -> bool = read customers::is_empty;
                    accounts_for_phone(phone: &str) -> Vec<Account> = read customers::accounts_for_phone;
                    account(account_no: &str) -> Option<Account> = read customers::account;
                    account_by_number(typed: &str) -> Option<Account> = read customers::account_by_number;
                    account_by_meter(typed: &str) -> Option<Account> = read customers::account_by_meter;
                    area(area_code: &str) -> Option<Area> = read customers::area;
                    areas() -> Vec<Area> = read customers::areas;
                    latest_bill(account_no: &str) -> Option<Bill> = read customers::latest_bill;
                    bill_statement(account_no: &str) -> Option<BillStatement> = read customers::bill_statement;
                    phone_language(phone: &str) -> Option<String> = read customers::phone_language;
                    save_language(phone: &str, language: &str) -> () = unit customers::save_language;
                    area_outages(area_code: &str, now: DateTime<Utc>) -> Vec<Outage> = read outages::area_outages;
                    file_outage_report(filing: &NewOutageFiling, policy: &StormPolicy) -> OutageFiling = file rules::file_outage_report;
                    outage_report(reference: &str) -> Option<OutageReport> = read outages::outage_report;
                    outage(outage_id: &str) -> Option<Outage> = read outages::outage;
                    create_ticket(ticket: &NewTicket) -> Ticket = file rules::file_once;
                    file_complaint(ticket: &NewTicket) -> ComplaintFiling = file rules::file_complaint;
                    file_connection_request(request: &NewConnectionRequest) -> ComplaintFiling = file rules::file_connection_request;
                    ticket(reference: &str) -> Option<Ticket> = read tickets::ticket;
                    latest_ticket_event(reference: &str) -> Option<tickets::TicketEvent> = read tickets::latest_ticket_event;
                    open_tickets(phone: &str, account_nos: &[String]) -> Vec<Ticket> = read tickets::open_tickets;
                    create_callback(callback: &NewCallback) -> i64 = file rules::create_callback;
                    recent_vends(account_no: &str, limit: u32) -> Vec<Vend> = read usage::recent_vends;
                    resend_token(request: &TokenResend) -> Option<Vend> = write rules::resend_token;
                    meter_readings(account_no: &str, limit: u32) -> Vec<MeterReading> = read usage::meter_readings;
                    submit_meter_reading(reading: &NewMeterReading) -> MeterReading = write rules::submit_meter_reading;
                }
                $($own)*
            }
        };
    };
}
pub(crate) use impl_crm_store;

/// Live USSD/voice sessions, with a time to live. Values are opaque serialized session states.
/// A hop costs one call to read and one to write, whatever the store.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The value, unless missing or past its time to live.
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn put(&self, key: &str, value: Vec<u8>, ttl: std::time::Duration) -> StoreResult<()>;
    async fn delete(&self, key: &str) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;
    /// Removes and returns up to `limit` entries past their time to live, each to one caller
    /// only (whatever the number of instances sharing the store): the runner records what
    /// those abandoned sessions did before they are forgotten.
    async fn take_expired(&self, limit: usize) -> StoreResult<Vec<(String, Vec<u8>)>>;
    /// A counter's value (0 when missing or lapsed).
    async fn count(&self, key: &str) -> StoreResult<i64>;
    /// Adds one to a counter that lapses `ttl` after its first count; the new value.
    async fn increment(&self, key: &str, ttl: std::time::Duration) -> StoreResult<i64>;
}
