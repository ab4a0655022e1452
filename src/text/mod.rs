//! Text that must fit a feature phone: GSM 03.38 page budgets and locale formatting.
pub mod format;
pub mod gsm7;
