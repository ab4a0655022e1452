//! SMS at the edge: one module per SMS gateway's wire format (pure: the request that sends a
//! message, how its answer reads, delivery reports and incoming messages in), and how a text
//! is counted in segments. Nothing here touches a store or the network; `notify` does.

pub mod africastalking;
pub mod kannel;
pub mod segments;

/// The names SMS gateways' callbacks (delivery reports, incoming messages) are
/// authenticated under: `[gateways.kannel]`, `[gateways.africastalking]` (shared with USSD).
pub const CALLBACK_NAMES: &[&str] = &[kannel::NAME, africastalking::NAME];

use crate::gateway::{GatewayError, WireRequest};

/// Every SMS gateway, to decode its callbacks (whichever one sends).
pub fn callback_decoders() -> Vec<std::sync::Arc<dyn SmsGateway>> {
    vec![
        std::sync::Arc::new(kannel::Kannel::new("", "", "", None, 0)),
        std::sync::Arc::new(africastalking::AfricasTalkingSms::new(
            None,
            String::new(),
            String::new(),
            None,
        )),
    ]
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

/// Which message a delivery report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRef {
    /// The outbox id dalal gave the gateway (Kannel's `dlr-url`).
    Outbox(i64),
    /// The gateway's own id, from its answer to the send (Africa's Talking).
    Gateway(String),
}

/// Where a message stands, as a delivery report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// On the handset.
    Delivered,
    /// It will not arrive.
    Failed,
    /// Taken by the network, not yet delivered (an intermediate report).
    Pending,
}

impl Delivery {
    /// The word the outbox stores and matches on.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Delivered => "delivered",
            Delivery::Failed => "failed",
            Delivery::Pending => "pending",
        }
    }
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

/// An SMS gateway's wire format. Adding one = its file with labelled cases + one line in
/// `SMS_GATEWAYS`.
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
