//! dalal: a self-service USSD and voice server for public utilities.
//!
//! Data flows one way: request -> `http` -> `gateway` (decode into a `channel::Inbound`) ->
//! `runner` (session, pure step by `engine` and `voice::policy`, effects by `actions` on the
//! `store`s) -> `gateway` (render) -> response. ARCHITECTURE.md walks one hop through the files.

pub mod actions;
pub mod channel;
pub mod check;
pub mod config;
pub mod contracts;
pub mod domain;
pub mod engine;
pub mod gateway;
pub mod http;
pub mod i18n;
pub mod import;
pub mod menu;
pub mod metrics;
pub mod notify;
pub mod push;
pub mod reference;
pub mod report;
pub mod runner;
pub mod security;
pub mod server;
pub mod simulator;
pub mod sms;
pub mod store;
pub mod text;
pub mod tools;
pub mod value;
pub mod voice;
