//! SMS at the edge: one module per SMS gateway's wire format (pure: the request that sends a
//! message, how its answer reads, delivery reports and incoming messages in), and how a text
//! is counted in segments. Nothing here touches a store or the network; `notify` does.

pub mod segments;

use std::sync::Arc;

use crate::config::Config;
use crate::gateway::{GatewayError, WireRequest};
// The outbox stores and matches on these: they are the store's words, told by each gateway.
pub use crate::store::outbox::{Delivery, MessageRef};

/// Every SMS gateway, one line each (`<module>::<Type>`): the line declares the module and
/// registers the gateway everywhere: its callbacks (delivery reports, incoming messages,
/// authenticated under `[gateways.<name>]`), `[sms] gateway = "<name>"`, and the error
/// listing the valid names.
macro_rules! sms_gateways {
    ($($module:ident :: $gateway:ident),+ $(,)?) => {
        $(pub mod $module;)+

        /// The names SMS gateways' callbacks are authenticated under (`[gateways.<name>]`,
        /// shared with a USSD gateway of the same name).
        pub const CALLBACK_NAMES: &[&str] = &[$($module::NAME),+];

        /// Every SMS gateway, to decode its callbacks (whichever one sends).
        pub fn callback_decoders() -> Vec<Arc<dyn SmsGateway>> {
            vec![$(Arc::new(<$module::$gateway as FromSmsConfig>::for_callbacks())),+]
        }

        /// The SMS gateway `[sms] gateway` names, built from `[sms]`; `None` when unset (the
        /// outbox is queued, nothing is sent); or why it cannot be built.
        pub fn from_config(config: &Config) -> Result<Option<Arc<dyn SmsGateway>>, String> {
            let Some(name) = config.sms.gateway.as_deref() else {
                return Ok(None);
            };
            $(if name == $module::NAME {
                let gateway = <$module::$gateway as FromSmsConfig>::from_config(config)?;
                return Ok(Some(Arc::new(gateway)));
            })+
            Err(format!(
                "sms.gateway: '{name}' is not an SMS gateway ({})",
                CALLBACK_NAMES.join(", ")
            ))
        }
    };
}

sms_gateways! {
    kannel::Kannel,
    africastalking::AfricasTalkingSms,
}

/// How an SMS gateway is built: from the configuration to send, or bare to read callbacks.
pub trait FromSmsConfig: SmsGateway + Sized {
    /// From `[sms]` (and its secrets), or the setting that is missing.
    fn from_config(config: &Config) -> Result<Self, String>;
    /// Without an account: it decodes delivery reports and incoming messages, never sends.
    fn for_callbacks() -> Self;
}

/// A setting of `[sms]` a gateway cannot go without, or the error naming it.
pub fn required(value: &Option<String>, key: &str, gateway: &str) -> Result<String, String> {
    value
        .clone()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("sms.{key} is required with sms.gateway = \"{gateway}\""))
}

/// A message to send, as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The outbox row's id: delivery reports name it back.
    pub id: i64,
    /// E.164.
    pub to: String,
    pub text: String,
    /// Where the gateway reports delivery: dalal's public URL of the gateway's delivery
    /// report route, with its key (`https://sms.example.org/sms/kannel/dlr?key=...`).
    pub report_url: String,
}

/// An HTTP request to an SMS gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub content_type: Option<&'static str>,
    pub body: String,
}

/// What the gateway's answer to a send says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Taken; the gateway's own id for it, when it gives one (delivery reports may use it).
    Accepted { gateway_id: Option<String> },
    /// Refused for good (a bad number, a bad sender id): not retried.
    Refused(String),
    /// Failed for now (throttled, a server error): retried with backoff.
    Retry(String),
}

/// A delivery report, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub message: MessageRef,
    pub delivery: Delivery,
    /// The gateway's words for it (a status code, a failure reason), for the CRM.
    pub detail: Option<String>,
}

/// A message a customer sent (a survey answer, `STOP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingSms {
    /// E.164.
    pub from: String,
    pub text: String,
}

/// An SMS gateway's wire format. Adding one = its file with labelled cases (this trait and
/// `FromSmsConfig`) + one line in `sms_gateways!`.
pub trait SmsGateway: Send + Sync + 'static {
    /// The name `[sms] gateway = "..."` selects and callbacks are authenticated under
    /// (`[gateways.<name>]`).
    fn name(&self) -> &'static str;
    /// The request that sends `message`.
    fn send_request(&self, message: &Outgoing) -> SendRequest;
    /// What the gateway's answer (HTTP status and body) to a send says.
    fn read_send_answer(&self, status: u16, body: &str) -> SendOutcome;
    /// The path dalal serves delivery reports on (`/sms/<name>/dlr`).
    fn report_path(&self) -> &'static str;
    /// The path dalal serves incoming messages on (`/sms/<name>/incoming`).
    fn incoming_path(&self) -> &'static str;
    fn decode_report(&self, request: &WireRequest) -> Result<DeliveryReport, GatewayError>;
    fn decode_incoming(&self, request: &WireRequest) -> Result<IncomingSms, GatewayError>;
    /// The answer to a callback once it is recorded.
    fn acknowledge(&self) -> &'static str {
        "OK\n"
    }
}
