//! The command-line tools beside the server: `dalal generate` (a scale dataset), `dalal load`
//! (a load test), `dalal prompts` (audio coverage, recording scripts, placeholder synthesis)
//! and `dalal dial` (a phone simulator); `aggregator` plays any USSD gateway's side for the
//! last two. None of them is on the path of a hop: the server never
//! imports this module.

pub mod aggregator;
pub mod dial;
pub mod generate;
pub mod load;
pub mod prompts;
pub mod reload;
pub mod usage;
