//! The integration tests: ONE test binary (`cargo test --test it`), one module per feature,
//! sharing `support/` (a server on port 0, both CRM backends with `on_both!`, `dalal serve`
//! processes, Redis and PostgreSQL of a test's own, the WebDriver client and Chromium, the
//! test Kannel). One binary links once: 26 of them made most of CI's build time.
//!
//! To add a test module: put `tests/it/<feature>.rs` here, declare it below (`mod <feature>;`,
//! alphabetical), and reach the helpers with `use crate::support;`. Every test of the crate
//! runs in this one process, in parallel threads, so a test must not change what other tests
//! see: no `std::env::set_var`, no `set_current_dir`, no fixed port, no global recorder or
//! subscriber; pass configuration explicitly (`support::start_with`), and kill or restart only
//! servers of the test's own (`support::process::OwnRedis`, `OwnPostgres`, `Instance`). A test
//! of an end-to-end module also runs on PostgreSQL + Redis when its module is listed in the
//! production run of `tests/run-all.sh`.

#[macro_use]
mod support;

mod architecture;
mod cli;
mod crm_store;
mod empty_folder;
mod engine;
mod faults;
mod gateways;
mod generate;
mod hazard;
mod hop_budget;
mod kannel;
mod kannel_notify;
mod menu_check;
mod metrics;
mod mtn_push;
mod notifications;
mod production;
mod properties;
mod redis_sessions;
mod reload;
mod report;
mod security;
mod self_service;
mod simulator;
mod storm;
mod studio;
mod tools;
mod ussd_http;
mod voice;
