//! Text that must fit a feature phone: GSM 03.38 page budgets and locale formatting; names
//! found from what a caller typed.
pub mod format;
pub mod gsm7;
pub mod names;
pub mod privacy;
