//! Reads the CRM CSV dataset format (see demo/ and the crm-demo README).
//!
//! Five UTF-8 CSV files with a header row (RFC 4180 quoting): `areas.csv` and `customers.csv` are
//! required, `bills.csv`, `tickets.csv` and `outages.csv` may be missing (an empty table). A sixth,
//! optional, extends `areas.csv` without changing it: `area_zones.csv` (`area_code,timezone`)
//! gives an area its IANA time zone (`Africa/Lubumbashi`); an area it does not list reads its
//! country's main zone. A zone the IANA database does not know is an error. Two more optional
//! files extend the format for prepaid customers and meter reading: `vends.csv` (`vend_id,
//! account_no, meter_no, vended_at, amount_minor, currency, units, token`: the token
//! purchases of prepaid accounts, a 20-digit token each) and `meter_readings.csv`
//! (`reading_id, account_no, meter_no, read_on, reading, source`: meter indexes in whole units,
//! read by the `utility` or sent by the `customer`). Every
//! row is validated and every problem is reported as `file:line: message` (the header is line 1);
//! a dataset with any problem is rejected as a whole, so nothing half-valid is ever loaded.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use crate::contracts::{
    AccountStatus, Channel, OutageKind, OutageStatus, Service, TariffKind, TicketStatus,
};
use crate::domain::*;

/// The rows a dataset holds; kept here too so that `import::Dataset` still names it.
pub use crate::domain::Dataset;

/// One thing wrong with the dataset, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// File name, e.g. `customers.csv`.
    pub file: String,
    /// 1-based physical line (the header is line 1); 0 for a problem with the whole file.
    pub line: u64,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Every problem found in a dataset; displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", display_problems(.problems))]
pub struct ImportError {
    pub problems: Vec<Problem>,
}

fn display_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

pub const AREAS_FILE: &str = "areas.csv";
pub const CUSTOMERS_FILE: &str = "customers.csv";
pub const BILLS_FILE: &str = "bills.csv";
pub const TICKETS_FILE: &str = "tickets.csv";
pub const OUTAGES_FILE: &str = "outages.csv";
pub const AREA_ZONES_FILE: &str = "area_zones.csv";
pub const VENDS_FILE: &str = "vends.csv";
pub const METER_READINGS_FILE: &str = "meter_readings.csv";

pub const VEND_COLUMNS: [&str; 8] = [
    "vend_id",
    "account_no",
    "meter_no",
    "vended_at",
    "amount_minor",
    "currency",
    "units",
    "token",
];
pub const METER_READING_COLUMNS: [&str; 6] = [
    "reading_id",
    "account_no",
    "meter_no",
    "read_on",
    "reading",
    "source",
];
/// Digits in a prepaid token (STS tokens are 20).
pub const TOKEN_DIGITS: usize = 20;

const AREA_ZONE_COLUMNS: [&str; 2] = ["area_code", "timezone"];

const AREA_COLUMNS: [&str; 6] = [
    "area_code",
    "name",
    "region",
    "country",
    "currency",
    "languages",
];
const CUSTOMER_COLUMNS: [&str; 10] = [
    "account_no",
    "full_name",
    "phone",
    "alt_phone",
    "language",
    "service",
    "meter_no",
    "area_code",
    "tariff",
    "status",
];
const BILL_COLUMNS: [&str; 9] = [
    "bill_id",
    "account_no",
    "period",
    "issued_on",
    "due_on",
    "amount_minor",
    "currency",
    "status",
    "paid_minor",
];
const TICKET_COLUMNS: [&str; 10] = [
    "ticket_ref",
    "account_no",
    "phone",
    "category",
    "status",
    "channel",
    "created_at",
    "sla_due_at",
    "updated_at",
    "note",
];
const OUTAGE_COLUMNS: [&str; 8] = [
    "outage_id",
    "area_code",
    "service",
    "kind",
    "starts_at",
    "expected_end",
    "status",
    "cause",
];

const BILL_STATUSES: [&str; 3] = ["paid", "unpaid", "partially_paid"];

/// Reads a dataset folder. `areas.csv` and `customers.csv` are required; a missing `bills.csv`,
/// `tickets.csv` or `outages.csv` is an empty table; a missing `area_zones.csv`, no area zone.
pub fn read_dir(dir: &Path) -> Result<Dataset, ImportError> {
    let mut problems = Vec::new();
    let mut read = |name: &str, required: bool| -> Option<String> {
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Some(text),
                Err(e) => {
                    let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                    let line = 1 + valid.iter().filter(|&&b| b == b'\n').count() as u64;
                    problems.push(Problem {
                        file: name.to_string(),
                        line,
                        message: "not valid UTF-8".to_string(),
                    });
                    None
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Some(String::new()),
            Err(e) => {
                problems.push(Problem {
                    file: name.to_string(),
                    line: 0,
                    message: if e.kind() == std::io::ErrorKind::NotFound {
                        format!("required file missing from {}", dir.display())
                    } else {
                        format!("cannot read {}: {e}", path.display())
                    },
                });
                None
            }
        }
    };
    let areas = read(AREAS_FILE, true);
    let customers = read(CUSTOMERS_FILE, true);
    let bills = read(BILLS_FILE, false);
    let tickets = read(TICKETS_FILE, false);
    let outages = read(OUTAGES_FILE, false);
    let area_zones = read(AREA_ZONES_FILE, false);
    let vends = read(VENDS_FILE, false);
    let meter_readings = read(METER_READINGS_FILE, false);
    let sources = Sources {
        vends: vends.as_deref(),
        meter_readings: meter_readings.as_deref(),
        area_zones: area_zones.as_deref(),
        areas: areas.as_deref(),
        customers: customers.as_deref(),
        bills: bills.as_deref(),
        tickets: tickets.as_deref(),
        outages: outages.as_deref(),
    };
    parse_sources(&sources, problems)
}

/// A progress callback for [`crate::store::CrmStore::import_with_progress`] that prints to
/// stderr, at most once a second and once at the end: rows written out of the total, the
/// share done, and the rate since the start.
pub fn progress_printer() -> impl Fn(crate::store::ImportProgress) + Send + Sync {
    let started = std::time::Instant::now();
    let last = std::sync::Mutex::new(None::<std::time::Instant>);
    move |p| {
        let now = std::time::Instant::now();
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|at| now.duration_since(at).as_secs_f64() >= 1.0);
        if !due && p.done < p.total {
            return;
        }
        *last = Some(now);
        let seconds = now.duration_since(started).as_secs_f64().max(1e-9);
        eprintln!(
            "imported {} / {} rows ({:.0}%), {:.0} rows/s",
            p.done,
            p.total,
            100.0 * p.done as f64 / p.total.max(1) as f64,
            p.done as f64 / seconds
        );
    }
}

/// The demo dataset compiled into the binary (a copy of the canonical crm-demo fixture).
pub fn read_embedded_demo() -> Dataset {
    let sources = Sources {
        areas: Some(include_str!("../demo/areas.csv")),
        customers: Some(include_str!("../demo/customers.csv")),
        bills: Some(include_str!("../demo/bills.csv")),
        tickets: Some(include_str!("../demo/tickets.csv")),
        outages: Some(include_str!("../demo/outages.csv")),
        area_zones: Some(""),
        vends: Some(include_str!("../demo/vends.csv")),
        meter_readings: Some(include_str!("../demo/meter_readings.csv")),
    };
    match parse_sources(&sources, Vec::new()) {
        Ok(data) => data,
        Err(e) => panic!("the embedded demo dataset is invalid:\n{e}"),
    }
}

/// File contents; `None` when a file could not be read (its problem is already recorded), an
/// empty string for an absent optional file.
struct Sources<'a> {
    areas: Option<&'a str>,
    customers: Option<&'a str>,
    bills: Option<&'a str>,
    tickets: Option<&'a str>,
    outages: Option<&'a str>,
    area_zones: Option<&'a str>,
    vends: Option<&'a str>,
    meter_readings: Option<&'a str>,
}

fn parse_sources(
    sources: &Sources<'_>,
    mut problems: Vec<Problem>,
) -> Result<Dataset, ImportError> {
    let areas_rows = sources
        .areas
        .and_then(|t| read_rows(AREAS_FILE, t, &AREA_COLUMNS, true, &mut problems));
    let customer_rows = sources
        .customers
        .and_then(|t| read_rows(CUSTOMERS_FILE, t, &CUSTOMER_COLUMNS, true, &mut problems));
    let bill_rows = sources
        .bills
        .and_then(|t| read_rows(BILLS_FILE, t, &BILL_COLUMNS, false, &mut problems));
    let ticket_rows = sources
        .tickets
        .and_then(|t| read_rows(TICKETS_FILE, t, &TICKET_COLUMNS, false, &mut problems));
    let outage_rows = sources
        .outages
        .and_then(|t| read_rows(OUTAGES_FILE, t, &OUTAGE_COLUMNS, false, &mut problems));
    let area_zone_rows = sources
        .area_zones
        .and_then(|t| read_rows(AREA_ZONES_FILE, t, &AREA_ZONE_COLUMNS, false, &mut problems));

    let vend_rows = sources
        .vends
        .and_then(|t| read_rows(VENDS_FILE, t, &VEND_COLUMNS, false, &mut problems));
    let reading_rows = sources.meter_readings.and_then(|t| {
        read_rows(
            METER_READINGS_FILE,
            t,
            &METER_READING_COLUMNS,
            false,
            &mut problems,
        )
    });

    // Keys are collected from every row, valid or not, so that one bad area does not also make
    // every customer of that area an error.
    let area_keys = keys(areas_rows.as_ref());
    let account_keys = keys(customer_rows.as_ref());

    // Currencies by area and areas by account, also from every row, for the bill checks.
    let area_currency: HashMap<&str, &str> = areas_rows
        .iter()
        .flatten()
        .map(|r| (r.fields[0].as_str(), r.fields[4].as_str()))
        .collect();
    let account_area: HashMap<&str, &str> = customer_rows
        .iter()
        .flatten()
        .map(|r| (r.fields[0].as_str(), r.fields[7].as_str()))
        .collect();

    // Zones by area, from `area_zones.csv`'s valid rows.
    let mut area_zones: HashMap<String, String> = HashMap::new();
    if let Some(rows) = &area_zone_rows {
        let mut seen = HashMap::new();
        for row in rows {
            let mut c = Checker::new(AREA_ZONES_FILE, row, &mut problems);
            let area_code = c.id("area_code", 0);
            c.unique(&mut seen, &area_code, "area_code");
            c.known(area_keys.as_ref(), &area_code, "area_code");
            let timezone = c.required("timezone", 1);
            if !timezone.is_empty() && crate::text::format::parse_zone(&timezone).is_none() {
                c.error(format!(
                    "timezone `{timezone}` is not a zone of the IANA time zone database"
                ));
            }
            if c.ok() {
                area_zones.insert(area_code, timezone);
            }
        }
    }

    let mut data = Dataset::default();

    if let Some(rows) = &areas_rows {
        let mut seen = HashMap::new();
        for row in rows {
            let mut c = Checker::new(AREAS_FILE, row, &mut problems);
            let area_code = c.id("area_code", 0);
            c.unique(&mut seen, &area_code, "area_code");
            let name = c.required("name", 1);
            let region = c.required("region", 2);
            let country = c.required("country", 3);
            if !country.is_empty() && !is_upper_letters(&country, 2) {
                c.error(format!(
                    "country `{country}` is not an ISO 3166-1 alpha-2 code"
                ));
            }
            let currency = c.currency("currency", 4);
            let languages_raw = c.required("languages", 5);
            let languages: Vec<String> = languages_raw
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let mut seen_lang = HashSet::new();
            for lang in &languages {
                if !is_language(lang) {
                    c.error(format!("language `{lang}` is not a lowercase BCP 47 code"));
                } else if !seen_lang.insert(lang.as_str()) {
                    c.error(format!("language `{lang}` is listed twice"));
                }
            }
            if c.ok() {
                data.areas.push(Area {
                    timezone: area_zones.remove(&area_code),
                    area_code,
                    name,
                    region,
                    country,
                    currency,
                    languages,
                });
            }
        }
    }

    if let Some(rows) = &customer_rows {
        let mut seen = HashMap::new();
        for row in rows {
            let mut c = Checker::new(CUSTOMERS_FILE, row, &mut problems);
            let account_no = c.id("account_no", 0);
            c.unique(&mut seen, &account_no, "account_no");
            let full_name = c.required("full_name", 1);
            let phone = c.phone("phone", 2);
            let alt_phone = c.phone("alt_phone", 3);
            let language = c.optional(4);
            if let Some(lang) = &language
                && !is_language(lang)
            {
                c.error(format!("language `{lang}` is not a lowercase BCP 47 code"));
            }
            let service = c.one_of("service", 5, Service::NAMES);
            let meter_no = c.id("meter_no", 6);
            let area_code = c.required("area_code", 7);
            c.known(area_keys.as_ref(), &area_code, "area_code");
            let tariff = c.one_of("tariff", 8, TariffKind::NAMES);
            let status = c.one_of("status", 9, AccountStatus::NAMES);
            if c.ok() {
                data.customers.push(Account {
                    account_no,
                    full_name,
                    phone,
                    alt_phone,
                    language,
                    service,
                    meter_no,
                    area_code,
                    tariff,
                    status,
                });
            }
        }
    }

    // Bill rows are the bulk of a big dataset: each is dropped once checked, so the rows and
    // the bills they become are not all in memory at once.
    if let Some(rows) = bill_rows {
        let mut seen = HashMap::with_capacity(rows.len());
        data.bills.reserve(rows.len());
        for row in rows {
            let mut c = Checker::new(BILLS_FILE, &row, &mut problems);
            let bill_id = c.id("bill_id", 0);
            c.unique(&mut seen, &bill_id, "bill_id");
            let account_no = c.required("account_no", 1);
            c.known(account_keys.as_ref(), &account_no, "account_no");
            let period = c.required("period", 2);
            if !period.is_empty() && !is_period(&period) {
                c.error(format!("period `{period}` is not YYYY-MM"));
            }
            let issued_on = c.date("issued_on", 3);
            let due_on = c.date("due_on", 4);
            let amount_minor = c.amount("amount_minor", 5);
            let currency = c.currency("currency", 6);
            if !currency.is_empty() && is_upper_letters(&currency, 3) {
                let expected = account_area
                    .get(account_no.as_str())
                    .and_then(|area| area_currency.get(area));
                match expected {
                    Some(expected) if is_upper_letters(expected, 3) && *expected != currency => {
                        c.error(format!(
                            "currency `{currency}` differs from the account's area currency `{expected}`"
                        ))
                    }
                    Some(_) => {}
                    None if areas_rows.is_some()
                        && !area_currency.values().any(|&known| known == currency) =>
                    {
                        c.error(format!("currency `{currency}` is used by no area"))
                    }
                    None => {}
                }
            }
            let status = c.one_of("status", 7, &BILL_STATUSES);
            let paid_minor = c.amount("paid_minor", 8);
            if let (Some(amount), Some(paid)) = (amount_minor, paid_minor)
                && paid > amount
            {
                c.error(format!(
                    "paid_minor {paid} is more than amount_minor {amount}"
                ));
            }
            if c.ok() {
                data.bills.push(Bill {
                    bill_id,
                    account_no,
                    period,
                    issued_on: issued_on.expect("checked"),
                    due_on: due_on.expect("checked"),
                    amount_minor: amount_minor.expect("checked"),
                    currency,
                    status,
                    paid_minor: paid_minor.expect("checked"),
                });
            }
        }
    }

    if let Some(rows) = &ticket_rows {
        let mut seen = HashMap::new();
        for row in rows {
            let mut c = Checker::new(TICKETS_FILE, row, &mut problems);
            let ticket_ref = c.id("ticket_ref", 0);
            if !ticket_ref.is_empty() {
                match crate::reference::parse_typed(&ticket_ref) {
                    crate::reference::Typed::Reference(r) if r == ticket_ref => {}
                    _ => c.error(format!(
                        "ticket_ref `{ticket_ref}` is not a reference a caller can type (RC + 9 or 11 digits)"
                    )),
                }
            }
            c.unique(&mut seen, &ticket_ref, "ticket_ref");
            let account_no = c.optional(1);
            if let Some(account_no) = &account_no {
                c.known(account_keys.as_ref(), account_no, "account_no");
            }
            let phone = c.phone("phone", 2);
            let category = c.one_of("category", 3, &TICKET_CATEGORIES);
            let status = c.one_of("status", 4, TicketStatus::NAMES);
            let channel = c.one_of("channel", 5, Channel::NAMES);
            let created_at = c.timestamp("created_at", 6, true);
            let sla_due_at = c.timestamp("sla_due_at", 7, false);
            let updated_at = c.timestamp("updated_at", 8, true);
            let note = c.optional(9);
            if c.ok() {
                data.tickets.push(Ticket {
                    ticket_ref,
                    account_no,
                    phone,
                    category,
                    status,
                    channel,
                    created_at: created_at.expect("checked"),
                    sla_due_at,
                    updated_at: updated_at.expect("checked"),
                    note,
                });
            }
        }
    }

    if let Some(rows) = &outage_rows {
        let mut seen = HashMap::new();
        for row in rows {
            let mut c = Checker::new(OUTAGES_FILE, row, &mut problems);
            let outage_id = c.id("outage_id", 0);
            c.unique(&mut seen, &outage_id, "outage_id");
            let area_code = c.required("area_code", 1);
            c.known(area_keys.as_ref(), &area_code, "area_code");
            let service = c.one_of("service", 2, Service::NAMES);
            let kind = c.one_of("kind", 3, OutageKind::NAMES);
            let starts_at = c.timestamp("starts_at", 4, true);
            let expected_end = c.timestamp("expected_end", 5, false);
            let status = c.one_of("status", 6, OutageStatus::IMPORTED);
            let cause = c.optional(7);
            if c.ok() {
                data.outages.push(Outage {
                    outage_id,
                    area_code,
                    service,
                    kind,
                    starts_at: starts_at.expect("checked"),
                    expected_end,
                    status,
                    cause,
                });
            }
        }
    }

    let accounts: HashMap<&str, &Account> = data
        .customers
        .iter()
        .map(|a| (a.account_no.as_str(), a))
        .collect();
    let mut vends = Vec::new();
    if let Some(rows) = &vend_rows {
        let mut seen = HashMap::new();
        for row in rows {
            let mut c = Checker::new(VENDS_FILE, row, &mut problems);
            let vend_id = c.id("vend_id", 0);
            c.unique(&mut seen, &vend_id, "vend_id");
            let account_no = c.required("account_no", 1);
            c.known(account_keys.as_ref(), &account_no, "account_no");
            let meter_no = c.id("meter_no", 2);
            let account = accounts.get(account_no.as_str()).copied();
            c.same_meter(account, &meter_no);
            if let Some(account) = account
                && !account.is_prepaid()
            {
                c.error(format!(
                    "account `{account_no}` has tariff `{}`, not a prepaid one",
                    account.tariff
                ));
            }
            let vended_at = c.timestamp("vended_at", 3, true);
            let amount_minor = c.amount("amount_minor", 4);
            let currency = c.currency("currency", 5);
            c.area_currency(
                account.map(|a| a.area_code.as_str()),
                &area_currency,
                &currency,
            );
            let units = c.required("units", 6);
            if !units.is_empty() && !is_decimal(&units) {
                c.error(format!("units `{units}` is not a decimal number like 45.3"));
            }
            let token = c.required("token", 7);
            let token_ok = token.len() == TOKEN_DIGITS && token.bytes().all(|b| b.is_ascii_digit());
            if !token.is_empty() && !token_ok {
                c.error(format!("token `{token}` is not {TOKEN_DIGITS} digits"));
            }
            if c.ok() {
                vends.push(Vend {
                    vend_id,
                    account_no,
                    meter_no,
                    vended_at: vended_at.expect("checked"),
                    amount_minor: amount_minor.expect("checked"),
                    currency,
                    units,
                    token,
                });
            }
        }
    }
    let mut readings = Vec::new();
    if let Some(rows) = &reading_rows {
        let mut seen = HashMap::new();
        for row in rows {
            let mut c = Checker::new(METER_READINGS_FILE, row, &mut problems);
            let reading_id = c.id("reading_id", 0);
            c.unique(&mut seen, &reading_id, "reading_id");
            let account_no = c.required("account_no", 1);
            c.known(account_keys.as_ref(), &account_no, "account_no");
            let meter_no = c.id("meter_no", 2);
            c.same_meter(accounts.get(account_no.as_str()).copied(), &meter_no);
            let read_on = c.date("read_on", 3);
            let reading = c.amount("reading", 4);
            let source = c.one_of("source", 5, &READING_SOURCES);
            if c.ok() {
                readings.push(MeterReading {
                    reading_id,
                    account_no,
                    meter_no,
                    read_on: read_on.expect("checked"),
                    reading: reading.expect("checked"),
                    source,
                });
            }
        }
    }
    data.vends = vends;
    data.meter_readings = readings;

    if problems.is_empty() {
        Ok(data)
    } else {
        Err(ImportError { problems })
    }
}

/// A data row and the physical line it starts on.
struct Row {
    line: u64,
    fields: Vec<String>,
}

/// Splits a file into rows, checking the header and the field count. Rows with the wrong number
/// of fields are reported and dropped. An empty optional file is an empty table.
fn read_rows(
    file: &str,
    text: &str,
    columns: &[&str],
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Row>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let problem = |line: u64, message: String| Problem {
        file: file.to_string(),
        line,
        message,
    };
    if text.trim().is_empty() {
        if required {
            problems.push(problem(1, "empty file: the header row is missing".into()));
            return None;
        }
        return Some(Vec::new());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let expected = columns.join(",");
    match records.next() {
        Some(Ok(header)) => {
            let found: Vec<&str> = header.iter().collect();
            if found != columns {
                problems.push(problem(
                    1,
                    format!("expected header `{expected}`, found `{}`", found.join(",")),
                ));
                return None;
            }
        }
        Some(Err(e)) => {
            problems.push(problem(1, format!("unreadable header: {e}")));
            return None;
        }
        None => {
            problems.push(problem(1, format!("missing header `{expected}`")));
            return None;
        }
    }
    let mut rows = Vec::new();
    for record in records {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                if record.len() != columns.len() {
                    problems.push(problem(
                        line,
                        format!("expected {} fields, found {}", columns.len(), record.len()),
                    ));
                    continue;
                }
                rows.push(Row {
                    line,
                    fields: record.iter().map(str::to_string).collect(),
                });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let fatal = !matches!(e.kind(), csv::ErrorKind::Utf8 { .. });
                problems.push(problem(line, format!("unreadable row: {e}")));
                if fatal {
                    break;
                }
            }
        }
    }
    Some(rows)
}

/// The primary keys of a table, or `None` when the table itself could not be read (then its
/// problem is already reported, and references to it are not checked).
fn keys(rows: Option<&Vec<Row>>) -> Option<HashSet<&str>> {
    rows.map(|rows| {
        rows.iter()
            .map(|r| r.fields[0].as_str())
            .filter(|k| !k.is_empty())
            .collect()
    })
}

/// Validates the fields of one row, recording every problem against its line.
struct Checker<'a> {
    file: &'static str,
    row: &'a Row,
    problems: &'a mut Vec<Problem>,
    failed: bool,
}

impl<'a> Checker<'a> {
    fn new(file: &'static str, row: &'a Row, problems: &'a mut Vec<Problem>) -> Self {
        Checker {
            file,
            row,
            problems,
            failed: false,
        }
    }

    fn ok(&self) -> bool {
        !self.failed
    }

    fn error(&mut self, message: String) {
        self.failed = true;
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: self.row.line,
            message,
        });
    }

    fn raw(&self, index: usize) -> &'a str {
        self.row.fields[index].as_str()
    }

    fn required(&mut self, name: &str, index: usize) -> String {
        let value = self.raw(index);
        if value.trim().is_empty() {
            self.error(format!("{name} is required"));
        }
        value.to_string()
    }

    fn optional(&self, index: usize) -> Option<String> {
        let value = self.raw(index);
        (!value.is_empty()).then(|| value.to_string())
    }

    /// A required identifier: no spaces or control characters.
    fn id(&mut self, name: &str, index: usize) -> String {
        let value = self.required(name, index);
        if !value.is_empty()
            && value
                .chars()
                .any(|ch| ch.is_whitespace() || ch.is_control())
        {
            self.error(format!(
                "{name} `{value}` contains spaces or control characters"
            ));
        }
        value
    }

    fn unique(&mut self, seen: &mut HashMap<String, u64>, key: &str, name: &str) {
        if key.is_empty() {
            return;
        }
        if let Some(first) = seen.get(key) {
            self.error(format!("duplicate {name} `{key}` (first on line {first})"));
        } else {
            seen.insert(key.to_string(), self.row.line);
        }
    }

    fn known(&mut self, keys: Option<&HashSet<&str>>, key: &str, name: &str) {
        if let Some(keys) = keys
            && !key.is_empty()
            && !keys.contains(key)
        {
            self.error(format!("unknown {name} `{key}`"));
        }
    }

    fn one_of(&mut self, name: &str, index: usize, allowed: &[&str]) -> String {
        let value = self.required(name, index);
        if !value.is_empty() && !allowed.contains(&value.as_str()) {
            self.error(format!(
                "{name} `{value}` is not one of {}",
                allowed.join(", ")
            ));
        }
        value
    }

    fn phone(&mut self, name: &str, index: usize) -> Option<String> {
        let value = self.optional(index)?;
        if !is_e164(&value) {
            self.error(format!(
                "{name} `{value}` is not an E.164 number (+ and 8-15 digits)"
            ));
        }
        Some(value)
    }

    fn currency(&mut self, name: &str, index: usize) -> String {
        let value = self.required(name, index);
        if !value.is_empty() && !is_upper_letters(&value, 3) {
            self.error(format!("{name} `{value}` is not an ISO 4217 code"));
        }
        value
    }

    fn amount(&mut self, name: &str, index: usize) -> Option<i64> {
        let value = self.required(name, index);
        if value.is_empty() {
            return None;
        }
        let parsed = if value.bytes().all(|b| b.is_ascii_digit()) {
            value.parse::<i64>().ok()
        } else {
            None
        };
        if parsed.is_none() {
            self.error(format!(
                "{name} `{value}` is not a whole non-negative amount"
            ));
        }
        parsed
    }

    /// A meter number must be the account's own (when the account is known).
    fn same_meter(&mut self, account: Option<&Account>, meter_no: &str) {
        if let Some(account) = account
            && !meter_no.is_empty()
            && account.meter_no != meter_no
        {
            self.error(format!(
                "meter_no `{meter_no}` is not the meter of account `{}` ({})",
                account.account_no, account.meter_no
            ));
        }
    }

    /// A currency must be the one of the account's area.
    fn area_currency(
        &mut self,
        area_code: Option<&str>,
        area_currency: &HashMap<&str, &str>,
        currency: &str,
    ) {
        if let Some(expected) = area_code.and_then(|a| area_currency.get(a))
            && is_upper_letters(currency, 3)
            && *expected != currency
        {
            self.error(format!(
                "currency `{currency}` differs from the account's area currency `{expected}`"
            ));
        }
    }

    fn date(&mut self, name: &str, index: usize) -> Option<NaiveDate> {
        let value = self.required(name, index);
        if value.is_empty() {
            return None;
        }
        let parsed = parse_date(&value);
        if parsed.is_none() {
            self.error(format!("{name} `{value}` is not a date YYYY-MM-DD"));
        }
        parsed
    }

    fn timestamp(&mut self, name: &str, index: usize, required: bool) -> Option<DateTime<Utc>> {
        let value = if required {
            self.required(name, index)
        } else {
            self.optional(index).unwrap_or_default()
        };
        if value.is_empty() {
            return None;
        }
        let parsed = parse_timestamp(&value);
        if parsed.is_none() {
            self.error(format!(
                "{name} `{value}` is not an RFC 3339 UTC timestamp (e.g. 2026-11-20T06:00:00Z)"
            ));
        }
        parsed
    }
}

/// Digits, optionally a point and up to three decimals: `45`, `45.3`, `0.125`.
fn is_decimal(value: &str) -> bool {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !whole.is_empty()
        && digits(whole)
        && digits(fraction)
        && fraction.len() <= 3
        && (fraction.is_empty() != value.contains('.'))
}

fn is_upper_letters(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_uppercase())
}

/// A BCP 47 primary language subtag in lowercase: 2 or 3 letters.
fn is_language(value: &str) -> bool {
    (2..=3).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_lowercase())
}

/// `+`, then 8 to 15 digits, the first not 0 (country codes never start with 0).
fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn is_period(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(value[5..].parse::<u8>(), Ok(1..=12))
}

fn parse_date(value: &str) -> Option<NaiveDate> {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    // All digits where digits belong: the numbers parse; the calendar decides the rest.
    let number = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10))
}

fn parse_timestamp(value: &str) -> Option<DateTime<Utc>> {
    if !value.ends_with('Z') {
        return None;
    }
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREAS: &str = "area_code,name,region,country,currency,languages\n\
        SN-DKR-PLT,Plateau,Dakar,SN,XOF,fr wo\n\
        KE-NBO-KIB,Kibera,Nairobi,KE,KES,sw en\n";
    const CUSTOMERS: &str = "account_no,full_name,phone,alt_phone,language,service,meter_no,area_code,tariff,status\n\
        SNE1,\"Ndiaye, Awa\",+221786562901,,wo,electricity,M1,SN-DKR-PLT,domestic,active\n\
        KEW2,Jane Wanjiru,+254114805895,+221786562901,,water,W2,KE-NBO-KIB,domestic,suspended\n";

    fn sources<'a>(
        areas: &'a str,
        customers: &'a str,
        bills: &'a str,
        tickets: &'a str,
        outages: &'a str,
    ) -> Sources<'a> {
        Sources {
            areas: Some(areas),
            customers: Some(customers),
            bills: Some(bills),
            tickets: Some(tickets),
            outages: Some(outages),
            area_zones: Some(""),
            vends: Some(""),
            meter_readings: Some(""),
        }
    }

    #[test]
    fn vends_and_meter_readings_are_checked_row_by_row() {
        let customers = format!(
            "{CUSTOMERS}SNE3,Awa Diop,+221700000003,,fr,electricity,M3,SN-DKR-PLT,domestic_prepaid,active\n"
        );
        let vends = "vend_id,account_no,meter_no,vended_at,amount_minor,currency,units,token\n\
            V1,SNE3,M3,2026-11-25T19:25:00Z,8500,XOF,77.2,69428912193719576317\n\
            V2,SNE1,M1,2026-11-25T19:25:00Z,8500,XOF,77.2,69428912193719576317\n\
            V3,SNE3,M9,2026-11-25T19:25:00Z,8500,KES,77.2.1,1234\n\
            V1,SNE3,M3,2026-11-25,x,XOF,,69428912193719576317\n";
        let readings = "reading_id,account_no,meter_no,read_on,reading,source\n\
            R1,SNE1,M1,2026-10-28,20552,utility\n\
            R2,SNE1,M1,2026-10-28,-4,guess\n\
            R3,NOPE,M1,2026-13-01,4,customer\n";
        let mut s = sources(AREAS, &customers, "", "", "");
        s.vends = Some(vends);
        s.meter_readings = Some(readings);
        let problems: Vec<String> = parse_sources(&s, Vec::new())
            .unwrap_err()
            .problems
            .iter()
            .map(Problem::to_string)
            .collect();
        for expected in [
            "vends.csv:3: account `SNE1` has tariff `domestic`, not a prepaid one",
            "vends.csv:4: meter_no `M9` is not the meter of account `SNE3` (M3)",
            "vends.csv:4: currency `KES` differs from the account's area currency `XOF`",
            "vends.csv:4: units `77.2.1` is not a decimal number like 45.3",
            "vends.csv:4: token `1234` is not 20 digits",
            "vends.csv:5: duplicate vend_id `V1` (first on line 2)",
            "vends.csv:5: vended_at `2026-11-25` is not an RFC 3339 UTC timestamp (e.g. 2026-11-20T06:00:00Z)",
            "vends.csv:5: amount_minor `x` is not a whole non-negative amount",
            "vends.csv:5: units is required",
            "meter_readings.csv:3: reading `-4` is not a whole non-negative amount",
            "meter_readings.csv:3: source `guess` is not one of utility, customer",
            "meter_readings.csv:4: unknown account_no `NOPE`",
            "meter_readings.csv:4: read_on `2026-13-01` is not a date YYYY-MM-DD",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}\n{problems:#?}"
            );
        }
        assert_eq!(problems.len(), 13, "{problems:#?}");

        // The valid rows alone are read as written.
        let mut s = sources(AREAS, &customers, "", "", "");
        let vends = "vend_id,account_no,meter_no,vended_at,amount_minor,currency,units,token\n\
            V1,SNE3,M3,2026-11-25T19:25:00Z,8500,XOF,77.2,69428912193719576317\n";
        s.vends = Some(vends);
        s.meter_readings = Some(
            "reading_id,account_no,meter_no,read_on,reading,source\nR1,SNE1,M1,2026-10-28,20552,utility\n",
        );
        let data = parse_sources(&s, Vec::new()).unwrap();
        assert_eq!(data.vends[0].grouped_token(), "6942 8912 1937 1957 6317");
        assert_eq!(data.meter_readings[0].reading, 20552);
    }

    #[test]
    fn area_zones_give_areas_their_zone_and_unknown_zones_are_errors() {
        let areas = format!("{AREAS}CD-LUB-KAM,Kampemba,Lubumbashi,CD,CDF,fr sw\n");
        let zones = "area_code,timezone\nCD-LUB-KAM,Africa/Lubumbashi\n";
        let mut s = sources(&areas, CUSTOMERS, "", "", "");
        s.area_zones = Some(zones);
        let data = parse_sources(&s, Vec::new()).unwrap();
        let zone = |code: &str| {
            data.areas
                .iter()
                .find(|a| a.area_code == code)
                .unwrap()
                .timezone
                .clone()
        };
        assert_eq!(zone("CD-LUB-KAM").as_deref(), Some("Africa/Lubumbashi"));
        assert_eq!(zone("SN-DKR-PLT"), None, "not listed: the country's zone");

        let bad = "area_code,timezone\n\
            SN-DKR-PLT,Africa/Atlantis\n\
            SN-XXX,Africa/Dakar\n\
            KE-NBO-KIB,\n\
            KE-NBO-KIB,Africa/Nairobi\n";
        let mut s = sources(AREAS, CUSTOMERS, "", "", "");
        s.area_zones = Some(bad);
        assert_eq!(
            messages(parse_sources(&s, Vec::new())),
            vec![
                "area_zones.csv:2: timezone `Africa/Atlantis` is not a zone of the IANA time zone database",
                "area_zones.csv:3: unknown area_code `SN-XXX`",
                "area_zones.csv:4: timezone is required",
                "area_zones.csv:5: duplicate area_code `KE-NBO-KIB` (first on line 4)",
            ]
        );
    }

    fn messages(result: Result<Dataset, ImportError>) -> Vec<String> {
        match result {
            Ok(_) => panic!("expected errors"),
            Err(e) => e.problems.iter().map(Problem::to_string).collect(),
        }
    }

    #[test]
    fn embedded_demo_parses() {
        let data = read_embedded_demo();
        assert_eq!(data.areas.len(), 14);
        assert_eq!(data.customers.len(), 240);
        assert_eq!(data.bills.len(), 1440);
        assert_eq!(data.tickets.len(), 60);
        assert_eq!(data.outages.len(), 5);
        let plateau = &data.areas[0];
        assert_eq!(plateau.area_code, "SN-DKR-PLT");
        assert_eq!(plateau.languages, vec!["fr", "wo"]);
        assert!(data.customers.iter().any(|c| c.language.is_none()));
        assert!(data.customers.iter().any(|c| c.alt_phone.is_some()));
    }

    #[test]
    fn valid_small_dataset_with_quotes_and_missing_optional_files() {
        let data = parse_sources(&sources(AREAS, CUSTOMERS, "", "", ""), Vec::new()).unwrap();
        assert_eq!(data.customers[0].full_name, "Ndiaye, Awa");
        assert_eq!(data.customers[1].language, None);
        assert_eq!(
            data.customers[1].alt_phone.as_deref(),
            Some("+221786562901")
        );
        assert!(data.bills.is_empty() && data.tickets.is_empty() && data.outages.is_empty());
    }

    #[test]
    fn bad_rows_are_reported_with_file_and_line() {
        let customers = format!(
            "{CUSTOMERS}\
             SNE3,Bad Phone,0786562901,,FR,gas,M3,SN-XXX,domestic,closed\n\
             SNE1,Dup,+221786562902,,fr,water,M4,SN-DKR-PLT,domestic,active\n\
             SNE5,,+221786562903,,fr,water,M5,SN-DKR-PLT,domestic\n"
        );
        let bills = "bill_id,account_no,period,issued_on,due_on,amount_minor,currency,status,paid_minor\n\
            B1,SNE1,2026-10,2026-10-28,2026-11-12,1000,XOF,paid,1000\n\
            B2,NOPE,2026-13,2026-02-30,2026-11-12,-5,xof,late,10\n\
            B3,SNE1,2026-10,2026-10-28,2026-11-12,1000,XOF,partially_paid,2000\n\
            B4,SNE1,2026-10,2026-10-28,2026-11-12,1000,KES,paid,1000\n";
        let tickets = "ticket_ref,account_no,phone,category,status,channel,created_at,sla_due_at,updated_at,note\n\
            RC261100001,SNE1,+221786562901,outage,open,web,2026-11-04T05:00:00Z,,2026-11-06T01:00:00Z,\n\
            RC261100002,,,theft,open,,2026-11-04 05:00:00,2026-11-04T05:00:00+01:00,,\"multi\nline\"\n\
            RC261100003,SNE1,,other,closed,web,2026-11-04T05:00:00Z,,2026-11-04T05:00:00Z,\n";
        let outages = "outage_id,area_code,service,kind,starts_at,expected_end,status,cause\n\
            OUT1,SN-DKR-PLT,electricity,planned,2026-11-20T06:00:00Z,,active,\n\
            OUT1,SN-NOPE,gas,sudden,2026-11-20T06:00:00Z,,over,\n";
        let errors = messages(parse_sources(
            &sources(AREAS, &customers, bills, tickets, outages),
            Vec::new(),
        ));
        let expected = [
            "customers.csv:4: phone `0786562901` is not an E.164 number (+ and 8-15 digits)",
            "customers.csv:4: language `FR` is not a lowercase BCP 47 code",
            "customers.csv:4: service `gas` is not one of electricity, water",
            "customers.csv:4: unknown area_code `SN-XXX`",
            "customers.csv:4: status `closed` is not one of active, suspended",
            "customers.csv:5: duplicate account_no `SNE1` (first on line 2)",
            "customers.csv:6: expected 10 fields, found 9",
            "bills.csv:3: unknown account_no `NOPE`",
            "bills.csv:3: period `2026-13` is not YYYY-MM",
            "bills.csv:3: issued_on `2026-02-30` is not a date YYYY-MM-DD",
            "bills.csv:3: amount_minor `-5` is not a whole non-negative amount",
            "bills.csv:3: currency `xof` is not an ISO 4217 code",
            "bills.csv:3: status `late` is not one of paid, unpaid, partially_paid",
            "bills.csv:4: paid_minor 2000 is more than amount_minor 1000",
            "bills.csv:5: currency `KES` differs from the account's area currency `XOF`",
            "tickets.csv:3: category `theft` is not one of outage, billing_dispute, meter_fault, new_connection, quality_of_service, reconnection, hazard, other",
            "tickets.csv:3: channel is required",
            "tickets.csv:3: created_at `2026-11-04 05:00:00` is not an RFC 3339 UTC timestamp (e.g. 2026-11-20T06:00:00Z)",
            "tickets.csv:3: sla_due_at `2026-11-04T05:00:00+01:00` is not an RFC 3339 UTC timestamp (e.g. 2026-11-20T06:00:00Z)",
            "tickets.csv:3: updated_at is required",
            "outages.csv:3: duplicate outage_id `OUT1` (first on line 2)",
            "outages.csv:3: unknown area_code `SN-NOPE`",
            "outages.csv:3: service `gas` is not one of electricity, water",
            "outages.csv:3: kind `sudden` is not one of planned, unplanned",
            "outages.csv:3: status `over` is not one of scheduled, active, resolved",
        ];
        for e in &expected {
            assert!(
                errors.contains(&e.to_string()),
                "missing {e}\nin:\n{errors:#?}"
            );
        }
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        // The quoted multi-line note moves the next record's physical line on.
        assert!(!errors.iter().any(|e| e.starts_with("tickets.csv:4")));
        assert!(!errors.iter().any(|e| e.starts_with("tickets.csv:5")));
    }

    #[test]
    fn tariffs_and_channels_are_checked_against_their_types() {
        let customers = format!(
            "{CUSTOMERS}SNE3,Gold,+221786562903,,fr,electricity,M3,SN-DKR-PLT,gold,active\n"
        );
        let tickets = "ticket_ref,account_no,phone,category,status,channel,created_at,sla_due_at,updated_at,note\n\
            RC261100001,SNE1,,outage,pending,fax,2026-11-04T05:00:00Z,,2026-11-06T01:00:00Z,\n";
        let errors = messages(parse_sources(
            &sources(AREAS, &customers, "", tickets, ""),
            Vec::new(),
        ));
        assert_eq!(
            errors,
            vec![
                "customers.csv:4: tariff `gold` is not one of domestic_prepaid, domestic_postpaid, small_business, commercial, domestic, standpipe",
                "tickets.csv:2: status `pending` is not one of open, in_progress, resolved, closed",
                "tickets.csv:2: channel `fax` is not one of ussd, voice, web, call_centre, agency",
            ]
        );
    }

    #[test]
    fn line_numbers_count_physical_lines_after_multiline_fields() {
        let tickets = "ticket_ref,account_no,phone,category,status,channel,created_at,sla_due_at,updated_at,note\n\
            RC261100001,SNE1,,outage,open,web,2026-11-04T05:00:00Z,,2026-11-06T01:00:00Z,\"two\nlines\"\n\
            RC261100002,SNE1,,outage,open,web,2026-11-04T05:00:00Z,,bad,\n";
        let errors = messages(parse_sources(
            &sources(AREAS, CUSTOMERS, "", tickets, ""),
            Vec::new(),
        ));
        assert_eq!(
            errors,
            vec![
                "tickets.csv:4: updated_at `bad` is not an RFC 3339 UTC timestamp (e.g. 2026-11-20T06:00:00Z)"
            ]
        );
    }

    #[test]
    fn wrong_header_is_an_error_at_line_1() {
        let areas = "area_code,name,region,country,currency\nSN-DKR-PLT,Plateau,Dakar,SN,XOF\n";
        let errors = messages(parse_sources(
            &sources(areas, CUSTOMERS, "", "", ""),
            Vec::new(),
        ));
        assert_eq!(
            errors[0],
            "areas.csv:1: expected header `area_code,name,region,country,currency,languages`, found `area_code,name,region,country,currency`"
        );
        // An unreadable table does not make every reference to it an error too.
        assert_eq!(errors.len(), 1, "{errors:#?}");

        let errors = messages(parse_sources(&sources(AREAS, "", "", "", ""), Vec::new()));
        assert_eq!(
            errors,
            vec!["customers.csv:1: empty file: the header row is missing"]
        );
    }

    #[test]
    fn bad_area_rows_do_not_cascade_to_customers() {
        let areas = "area_code,name,region,country,currency,languages\n\
            SN-DKR-PLT,Plateau,Dakar,Senegal,XOF,fr wo\n\
            KE-NBO-KIB,Kibera,Nairobi,KE,KES,sw English\n";
        let errors = messages(parse_sources(
            &sources(areas, CUSTOMERS, "", "", ""),
            Vec::new(),
        ));
        assert_eq!(
            errors,
            vec![
                "areas.csv:2: country `Senegal` is not an ISO 3166-1 alpha-2 code",
                "areas.csv:3: language `English` is not a lowercase BCP 47 code",
            ]
        );
    }

    #[test]
    fn read_dir_reads_files_and_reports_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(AREAS_FILE), AREAS).unwrap();
        let err = read_dir(dir.path()).unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert!(
            err.to_string()
                .starts_with("customers.csv: required file missing"),
            "{err}"
        );

        std::fs::write(dir.path().join(CUSTOMERS_FILE), CUSTOMERS).unwrap();
        let data = read_dir(dir.path()).unwrap();
        assert_eq!((data.areas.len(), data.customers.len()), (2, 2));

        std::fs::write(
            dir.path().join(OUTAGES_FILE),
            "outage_id,area_code,service,kind,starts_at,expected_end,status,cause\n\
             OUT1,SN-DKR-PLT,electricity,planned,2026-11-20T06:00:00Z,,active,\n\
             OUT2,SN-DKR-PLT,electricity,planned,yesterday,,active,\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(BILLS_FILE), b"bill_id\n\xff\xfe\n").unwrap();
        let err = read_dir(dir.path()).unwrap_err();
        let text = err.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "bills.csv:2: not valid UTF-8",
                "outages.csv:3: starts_at `yesterday` is not an RFC 3339 UTC timestamp (e.g. 2026-11-20T06:00:00Z)",
            ]
        );
    }

    #[test]
    fn validators() {
        assert!(is_e164("+221786562901"));
        assert!(is_e164("+12345678"));
        assert!(!is_e164("+1234567"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("221786562901"));
        assert!(!is_e164("+22178656290a"));
        assert!(!is_e164("+0786562901"));
        assert!(is_language("fr") && is_language("fil"));
        assert!(!is_language("f") && !is_language("fra-") && !is_language("Fr"));
        assert!(is_period("2026-10") && !is_period("2026-00") && !is_period("2026-1"));
        assert!(parse_date("2026-02-28").is_some());
        assert!(parse_date("2026-2-28").is_none() && parse_date("+2026-02-28").is_none());
        assert!(parse_timestamp("2026-11-20T06:00:00Z").is_some());
        assert!(parse_timestamp("2026-11-20T06:00:00+00:00").is_none());
    }
}
