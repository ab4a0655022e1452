//! The CRM's vocabulary: what the utility knows about its customers, as plain data.
//! Stores return these; the engine and the gateways never see SQL rows.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::contracts::Service;

/// A service area (a neighbourhood served by one depot), with its currency and languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub area_code: String,
    pub name: String,
    pub region: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The area's IANA time zone (`area_zones.csv`); `None`: the country's main zone.
    pub timezone: Option<String>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// BCP 47 codes, the area's default first.
    pub languages: Vec<String>,
}

/// A customer account (one meter, one service), with the phones that may act for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub account_no: String,
    pub full_name: String,
    /// E.164.
    pub phone: Option<String>,
    /// E.164; a second phone that may also act for the account.
    pub alt_phone: Option<String>,
    /// Preferred language; `None` when the customer never chose one.
    pub language: Option<String>,
    /// `electricity` or `water`.
    pub service: String,
    pub meter_no: String,
    pub area_code: String,
    pub tariff: String,
    /// `active` or `suspended`.
    pub status: String,
}

impl Account {
    /// A prepaid meter: the customer buys tokens instead of receiving bills.
    pub fn is_prepaid(&self) -> bool {
        is_prepaid_tariff(&self.tariff)
    }
}

/// Tariffs whose name ends in `prepaid` (`domestic_prepaid`) are prepaid.
pub fn is_prepaid_tariff(tariff: &str) -> bool {
    tariff.ends_with("prepaid")
}

/// A prepaid token purchase (a vend): the token the customer keys into the meter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vend {
    pub vend_id: String,
    pub account_no: String,
    pub meter_no: String,
    pub vended_at: DateTime<Utc>,
    /// Integer amount in the currency's minor unit.
    pub amount_minor: i64,
    pub currency: String,
    /// Energy or water bought, a decimal in the meter's unit (kWh, m³): `45.3`.
    pub units: String,
    /// The 20-digit token (STS), digits only.
    pub token: String,
}

impl Vend {
    /// The token in groups of four digits, as it is keyed in and read out.
    pub fn grouped_token(&self) -> String {
        group_digits(&self.token, 4)
    }
}

/// `digits` in groups of `size`, separated by spaces.
pub fn group_digits(digits: &str, size: usize) -> String {
    let chars: Vec<char> = digits.chars().collect();
    chars
        .chunks(size)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Who read a meter: the utility's reader, or the customer (a self-reading).
pub const READING_SOURCES: [&str; 2] = ["utility", "customer"];

/// A meter index on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterReading {
    /// The reading's id; a customer's self-reading has its reference here.
    pub reading_id: String,
    pub account_no: String,
    pub meter_no: String,
    pub read_on: NaiveDate,
    /// The index in whole units (kWh, m³).
    pub reading: i64,
    /// One of [`READING_SOURCES`].
    pub source: String,
}

/// A self-reading a caller submits, keyed like every filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeterReading {
    pub account_no: String,
    pub meter_no: String,
    pub reading: i64,
    /// The area's local date of the reading.
    pub read_on: NaiveDate,
    pub phone: String,
    pub channel: String,
    pub at: DateTime<Utc>,
    pub origin_key: String,
}

/// A token resend the caller asked for: one SMS per request, keyed like every filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResend {
    pub account_no: String,
    pub phone: String,
    pub origin_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    pub bill_id: String,
    pub account_no: String,
    /// `YYYY-MM`.
    pub period: String,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Integer amount in the currency's minor unit (XOF has none, KES has cents).
    pub amount_minor: i64,
    pub currency: String,
    /// `paid`, `unpaid` or `partially_paid`.
    pub status: String,
    pub paid_minor: i64,
}

impl Bill {
    pub fn balance_minor(&self) -> i64 {
        (self.amount_minor - self.paid_minor).max(0)
    }

    /// Not settled yet: `unpaid` or `partially_paid`.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "unpaid" | "partially_paid")
    }

    /// Open and its due date already past on `today` (the area's local date).
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_open() && self.due_on < today
    }
}

/// An account's latest bill, with what the account owes across all its open bills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillStatement {
    pub latest: Bill,
    /// Sum of the balances of the account's `unpaid` and `partially_paid` bills (the latest
    /// included when it is open), in the latest bill's currency's minor unit.
    pub total_due_minor: i64,
    /// How many of the account's bills are `unpaid` or `partially_paid`.
    pub open_bills: i64,
}

impl BillStatement {
    /// Open bills older than the latest: the account is in arrears beyond its latest bill.
    pub fn older_open_bills(&self) -> i64 {
        self.open_bills - i64::from(self.latest.is_open())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outage {
    pub outage_id: String,
    pub area_code: String,
    pub service: String,
    /// `planned` or `unplanned`.
    pub kind: String,
    pub starts_at: DateTime<Utc>,
    pub expected_end: Option<DateTime<Utc>>,
    /// `scheduled`, `active` or `resolved` (from the CRM), or `suspected` (opened by the store
    /// when many callers of one area report an outage it did not know of).
    pub status: String,
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_ref: String,
    pub account_no: Option<String>,
    pub phone: Option<String>,
    /// outage, billing_dispute, meter_fault, new_connection, quality_of_service, reconnection,
    /// hazard, other.
    pub category: String,
    /// A [`crate::contracts::TicketStatus`].
    pub status: String,
    /// Where it was filed: a [`crate::contracts::Channel`].
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub note: Option<String>,
}

pub const TICKET_CATEGORIES: [&str; 8] = [
    "outage",
    "billing_dispute",
    "meter_fault",
    "new_connection",
    "quality_of_service",
    "reconnection",
    HAZARD,
    "other",
];

/// A ticket to be filed. `origin_key` makes filing idempotent: a second call with the same key
/// returns the ticket the first one created (a gateway retry never creates a second ticket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub origin_key: String,
    pub account_no: Option<String>,
    pub phone: Option<String>,
    pub category: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// Where the ticket is about, when the filing says (kept in `tickets.area_code`/`service`).
    pub place: Option<TicketPlace>,
}

/// The area and service a ticket is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketPlace {
    pub area_code: String,
    /// A [`crate::contracts::Service`].
    pub service: String,
}

/// What filing a complaint (or a connection request) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplaintFiling {
    /// A new ticket.
    New(Ticket),
    /// The account already had a pending ticket of this category (a connection request: the
    /// phone or account, one pending for the same service and area): a
    /// `customer_called_again` event was added to it, and no ticket filed.
    Repeat(Ticket),
}

/// The ticket category of a new connection request.
pub const NEW_CONNECTION: &str = "new_connection";

/// The ticket category of a danger in the street reported by phone (urgent: a short SLA).
pub const HAZARD: &str = "hazard";

/// The dangers a caller may report (the ticket's note), each with the service it concerns.
pub const HAZARD_KINDS: [(&str, Service); 3] = [
    ("power_line", Service::Electricity),
    ("exposed_cable", Service::Electricity),
    ("water_leak", Service::Water),
];

/// A request for a new supply connection, before it is filed: a `new_connection` ticket
/// (followed up like any ticket) with the service and area asked for, kept in
/// `connection_requests`. `origin_key` makes filing idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnectionRequest {
    pub origin_key: String,
    /// The caller's account, when the session knows one.
    pub account_no: Option<String>,
    pub phone: Option<String>,
    /// `electricity` or `water`.
    pub service: String,
    pub area_code: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: Option<DateTime<Utc>>,
}

impl NewConnectionRequest {
    /// The ticket it files.
    pub fn ticket(&self) -> NewTicket {
        NewTicket {
            origin_key: self.origin_key.clone(),
            account_no: self.account_no.clone(),
            phone: self.phone.clone(),
            category: NEW_CONNECTION.to_string(),
            channel: self.channel.clone(),
            created_at: self.created_at,
            sla_due_at: self.sla_due_at,
            note: None,
            place: None,
        }
    }
}

/// What a filed connection request asked for (its ticket holds the rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRequest {
    pub ticket_ref: String,
    pub service: String,
    pub area_code: String,
    pub account_no: Option<String>,
}

/// A customer's report that attaches to an outage the utility already knows about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutageReport {
    pub origin_key: String,
    pub outage_id: String,
    pub account_no: Option<String>,
    pub phone: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageReport {
    pub reference: String,
    pub outage_id: String,
    pub account_no: Option<String>,
    pub phone: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

/// A caller's outage report, before the store decides where it goes: attached to a known (or
/// suspected) outage of the area and service, or filed as an `outage` ticket. `origin_key` makes
/// filing idempotent, whichever way the first filing went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutageFiling {
    pub origin_key: String,
    pub account_no: Option<String>,
    pub phone: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub area_code: String,
    /// `electricity` or `water`.
    pub service: String,
    /// For the ticket, when one is filed.
    pub sla_due_at: Option<DateTime<Utc>>,
    /// For the ticket, when one is filed.
    pub note: Option<String>,
}

/// When reports with no known outage become a suspected incident: once the unlinked outage
/// tickets of one area and service filed in the last `window`, plus the report being filed,
/// number `threshold`. A threshold of 0 or less never opens one (detection off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StormPolicy {
    pub threshold: i64,
    pub window: chrono::Duration,
}

/// Where an outage report went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutageFiling {
    /// Attached to an active or suspected outage (possibly one this very report opened).
    Attached {
        report: OutageReport,
        outage: Outage,
    },
    /// No outage known (nor suspected yet): an `outage` ticket.
    Ticket(Ticket),
}

/// A request for an agent to call the customer back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallback {
    pub origin_key: String,
    pub phone: String,
    pub account_no: Option<String>,
    pub language: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

/// One row of the interactions log: a whole USSD session or call, updated hop by hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// `ussd` or `voice`.
    pub channel: String,
    /// Gateway name, e.g. `africastalking`.
    pub gateway: String,
    pub session_id: String,
    pub phone: String,
    pub account_no: Option<String>,
    pub language: Option<String>,
    /// Node ids visited, in order, joined by `>`.
    pub path: String,
    /// Last notable outcome (e.g. `bill_shown`, `ticket_created:RC...`), if any.
    pub outcome: Option<String>,
    pub hops: i64,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// True once the session ended on our side (an `END` reply).
    pub ended: bool,
}

/// The gateway's own end-of-session notification (Africa's Talking `events` callback).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionEnd {
    pub gateway: String,
    pub session_id: String,
    /// `Success`, `Incomplete` or `Failed`.
    pub status: String,
    pub duration_ms: Option<i64>,
    pub hops_count: Option<i64>,
    pub input: Option<String>,
    pub last_app_response: Option<String>,
    pub error_message: Option<String>,
    pub cost: Option<String>,
    pub phone: Option<String>,
    pub service_code: Option<String>,
    pub network_code: Option<String>,
    pub date: Option<String>,
}

/// A whole CRM dataset as plain rows: what `import` parses and the stores write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dataset {
    pub areas: Vec<Area>,
    pub customers: Vec<Account>,
    pub bills: Vec<Bill>,
    pub tickets: Vec<Ticket>,
    pub outages: Vec<Outage>,
    /// Prepaid token purchases (`vends.csv`, optional).
    pub vends: Vec<Vend>,
    /// Meter indexes (`meter_readings.csv`, optional).
    pub meter_readings: Vec<MeterReading>,
}

impl Dataset {
    /// Rows in every table together (what an import writes, ticket events aside).
    pub fn rows(&self) -> usize {
        self.areas.len()
            + self.customers.len()
            + self.bills.len()
            + self.tickets.len()
            + self.outages.len()
            + self.vends.len()
            + self.meter_readings.len()
    }
}
