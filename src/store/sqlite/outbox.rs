//! Where the outbox's statements (`store/outbox.rs`) and rules (`store/rules.rs`) run on
//! SQLite: writes as units of work on the writer thread (one writer at a time is SQLite's own
//! rule, so a claim needs no further locking), reads in place on a read connection.

use super::SqliteCrm;
use super::run::run_sqlite;
use crate::store::outbox::impl_outbox_store;

impl_outbox_store!(SqliteCrm, run by run_sqlite);
