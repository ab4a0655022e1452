//! Where the outbox's statements (`store/outbox.rs`) and rules (`store/rules.rs`) run on
//! PostgreSQL: each statement on a pooled connection, each rule in a transaction. Several
//! instances may send from one database: a claim skips rows another sender is claiming
//! (`FOR UPDATE SKIP LOCKED`), and a claim has an end, so a sender that died gives its rows
//! back.

use super::PgCrm;
use super::run_postgres;
use crate::store::outbox::impl_outbox_store;

impl_outbox_store!(PgCrm, run by run_postgres);
