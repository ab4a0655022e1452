//! `dalal generate`: a deterministic scale dataset in the crm-demo CSV format.
//!
//! The same five files, headers and value formats as the canonical crm-demo dataset (see
//! [`crate::import`]), for any number of customers: areas of Senegal, Côte d'Ivoire and Kenya
//! (XOF and KES, French, Wolof, Kiswahili and English), customers with unique phones, account
//! numbers and meters (a few phones also act for a neighbour's account; a few customers never
//! chose a language), `months` bills per customer, tickets for one customer in ten, and a few
//! outages per area. Every customer's row and bills come from a generator seeded by the dataset
//! seed and the customer's index alone, so the same seed always writes the same bytes.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use crate::contracts::{
    AccountStatus, Channel, OutageKind, OutageStatus, Service, TariffKind, TicketStatus,
};
use crate::import::{AREAS_FILE, BILLS_FILE, CUSTOMERS_FILE, OUTAGES_FILE, TICKETS_FILE};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub customers: usize,
    /// Bills per customer, one per month, the latest for [`LATEST_PERIOD`].
    pub months: usize,
    pub seed: u64,
}

/// The most customers a dataset may hold: phones are drawn without repetition from 10^7
/// subscriber numbers.
pub const MAX_CUSTOMERS: usize = 9_000_000;
/// The most bills per customer.
pub const MAX_MONTHS: usize = 24;
/// The latest billing period (year, month), as in the demo dataset.
pub const LATEST_PERIOD: (i32, u32) = (2026, 10);

/// Counts of what was written (rows, headers aside).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub areas: usize,
    pub customers: usize,
    pub bills: usize,
    pub tickets: usize,
    pub outages: usize,
    pub vends: usize,
    pub meter_readings: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} areas, {} customers, {} bills, {} tickets, {} outages, {} token purchases, {} meter readings",
            self.areas,
            self.customers,
            self.bills,
            self.tickets,
            self.outages,
            self.vends,
            self.meter_readings
        )
    }
}

struct Country {
    code: &'static str,
    dial: &'static str,
    currency: &'static str,
    /// Mobile prefixes after the country code; with the 7 digits that follow, a national
    /// number of the country's length.
    mobile: &'static [&'static str],
    first_names: &'static [&'static str],
    last_names: &'static [&'static str],
}

const SN: Country = Country {
    code: "SN",
    dial: "221",
    currency: "XOF",
    mobile: &["70", "75", "76", "77", "78"],
    first_names: &[
        "Awa",
        "Mamadou",
        "Fatou",
        "Cheikh",
        "Aminata",
        "Ousmane",
        "Dieynaba",
        "Moussa",
        "Khady",
        "Ibrahima",
        "Mariama",
        "Abdoulaye",
        "Ndeye",
        "Modou",
        "Coumba",
        "Babacar",
        "Astou",
        "Serigne",
        "Adama",
        "Aïssatou",
    ],
    last_names: &[
        "Diop", "Ndiaye", "Fall", "Sène", "Cissé", "Gueye", "Niang", "Sow", "Ba", "Faye", "Diallo",
        "Mbaye", "Sarr", "Thiam", "Kane", "Seck", "Diouf", "Ndour", "Camara", "Wade",
    ],
};

const CI: Country = Country {
    code: "CI",
    dial: "225",
    currency: "XOF",
    mobile: &["010", "050", "070", "017", "057", "077"],
    first_names: &[
        "Kouassi",
        "Adjoua",
        "Konan",
        "Amenan",
        "Yao",
        "Affoué",
        "Koffi",
        "Akissi",
        "Aya",
        "Brou",
        "Mariam",
        "Seydou",
        "Awa",
        "Jean-Marc",
        "Clarisse",
        "Hervé",
    ],
    last_names: &[
        "Kouamé",
        "Koné",
        "Traoré",
        "Yao",
        "N'Guessan",
        "Ouattara",
        "Kouadio",
        "Bamba",
        "Coulibaly",
        "Touré",
        "Diabaté",
        "Aka",
        "Gnagne",
        "Koffi",
        "Brou",
        "Zadi",
    ],
};

const KE: Country = Country {
    code: "KE",
    dial: "254",
    currency: "KES",
    mobile: &["70", "71", "72", "74", "79", "11"],
    first_names: &[
        "Kiprop", "Wanjiru", "Otieno", "Achieng", "Mwangi", "Njeri", "Kamau", "Akinyi", "Mutua",
        "Chebet", "Omondi", "Wambui", "Kiptoo", "Nafula", "Jane", "Peter", "Grace", "David",
    ],
    last_names: &[
        "Kipchumba",
        "Wanjiku",
        "Ochieng",
        "Mwangi",
        "Kariuki",
        "Odhiambo",
        "Njoroge",
        "Mutai",
        "Wafula",
        "Kamau",
        "Onyango",
        "Cheruiyot",
        "Muthoni",
        "Barasa",
        "Korir",
        "Kimani",
    ],
};

struct AreaDef {
    code: &'static str,
    name: &'static str,
    region: &'static str,
    country: &'static Country,
    languages: &'static str,
}

const fn area(
    code: &'static str,
    name: &'static str,
    region: &'static str,
    country: &'static Country,
    languages: &'static str,
) -> AreaDef {
    AreaDef {
        code,
        name,
        region,
        country,
        languages,
    }
}

/// The service areas: the demo's fourteen, and more of the same countries.
const AREAS: &[AreaDef] = &[
    area("SN-DKR-PLT", "Plateau", "Dakar", &SN, "fr wo"),
    area("SN-DKR-MED", "Médina", "Dakar", &SN, "wo fr"),
    area("SN-DKR-PKN", "Pikine", "Dakar", &SN, "wo fr"),
    area("SN-THS-CEN", "Thiès Centre", "Thiès", &SN, "wo fr"),
    area("SN-STL-NDR", "Ndar", "Saint-Louis", &SN, "wo fr"),
    area("SN-ZIG-BOU", "Boucotte", "Ziguinchor", &SN, "fr wo"),
    area("CI-ABJ-YOP", "Yopougon", "Abidjan", &CI, "fr"),
    area("CI-ABJ-CCY", "Cocody", "Abidjan", &CI, "fr"),
    area("CI-BKE-CEN", "Bouaké Centre", "Bouaké", &CI, "fr"),
    area("KE-NBO-KIB", "Kibera", "Nairobi", &KE, "sw en"),
    area("KE-NBO-WES", "Westlands", "Nairobi", &KE, "en sw"),
    area("KE-MSA-OLD", "Old Town", "Mombasa", &KE, "sw en"),
    area("KE-KSM-CEN", "Kisumu Central", "Kisumu", &KE, "sw en"),
    area("KE-NKR-CEN", "Nakuru Central", "Nakuru", &KE, "sw en"),
    area("SN-DKR-GDW", "Guédiawaye", "Dakar", &SN, "wo fr"),
    area("SN-DKR-PAS", "Parcelles Assainies", "Dakar", &SN, "wo fr"),
    area("SN-DKR-RUF", "Rufisque", "Dakar", &SN, "wo fr"),
    area("SN-DKR-OKM", "Ouakam", "Dakar", &SN, "fr wo"),
    area("SN-THS-MBR", "Mbour", "Thiès", &SN, "wo fr"),
    area("SN-KLK-CEN", "Kaolack Centre", "Kaolack", &SN, "wo fr"),
    area("SN-DBL-TBA", "Touba", "Diourbel", &SN, "wo fr"),
    area("CI-ABJ-ABO", "Abobo", "Abidjan", &CI, "fr"),
    area("CI-ABJ-TRV", "Treichville", "Abidjan", &CI, "fr"),
    area("CI-ABJ-MCY", "Marcory", "Abidjan", &CI, "fr"),
    area("CI-ABJ-PLT", "Le Plateau", "Abidjan", &CI, "fr"),
    area(
        "CI-YAM-CEN",
        "Yamoussoukro Centre",
        "Yamoussoukro",
        &CI,
        "fr",
    ),
    area("CI-SPD-CEN", "San-Pédro Centre", "San-Pédro", &CI, "fr"),
    area("CI-KRG-CEN", "Korhogo Centre", "Korhogo", &CI, "fr"),
    area("KE-NBO-EST", "Eastleigh", "Nairobi", &KE, "sw en"),
    area("KE-NBO-KSR", "Kasarani", "Nairobi", &KE, "sw en"),
    area("KE-NBO-EMB", "Embakasi", "Nairobi", &KE, "sw en"),
    area("KE-NBO-LNG", "Lang'ata", "Nairobi", &KE, "en sw"),
    area("KE-MSA-NYL", "Nyali", "Mombasa", &KE, "en sw"),
    area("KE-MSA-LKN", "Likoni", "Mombasa", &KE, "sw en"),
    area("KE-UGS-ELD", "Eldoret Town", "Uasin Gishu", &KE, "sw en"),
    area("KE-KBU-THK", "Thika Town", "Kiambu", &KE, "sw en"),
];

const ELECTRICITY_TARIFFS: [&str; 4] = [
    TariffKind::DomesticPrepaid.as_str(),
    TariffKind::DomesticPostpaid.as_str(),
    TariffKind::SmallBusiness.as_str(),
    TariffKind::Commercial.as_str(),
];
const WATER_TARIFFS: [&str; 3] = [
    TariffKind::Domestic.as_str(),
    TariffKind::Standpipe.as_str(),
    TariffKind::Commercial.as_str(),
];
/// Ticket categories with their SLA in hours (as in the demo dataset).
const TICKET_KINDS: [(&str, i64); 7] = [
    ("outage", 24),
    ("billing_dispute", 240),
    ("meter_fault", 72),
    ("new_connection", 360),
    ("quality_of_service", 120),
    ("reconnection", 24),
    ("other", 168),
];
const CHANNELS: [&str; 4] = [
    Channel::Web.as_str(),
    Channel::CallCentre.as_str(),
    Channel::Agency.as_str(),
    Channel::Ussd.as_str(),
];
const TICKET_NOTES: [&str; 3] = [
    "meter reading disputed, photo sent",
    "caller says \"no supply since Monday\"",
    "second visit requested",
];
const OUTAGE_CAUSES: [(OutageKind, &str); 6] = [
    (OutageKind::Unplanned, "transformer fault"),
    (OutageKind::Unplanned, "cable theft"),
    (OutageKind::Unplanned, "pipe burst"),
    (OutageKind::Planned, "line maintenance"),
    (OutageKind::Planned, "substation upgrade"),
    (OutageKind::Planned, "reservoir cleaning"),
];
/// Tickets of one month: legacy references are `RC` + YYMM + 5 digits.
const TICKETS_PER_MONTH: usize = 99_999;

/// SplitMix64: tiny, fast, and the same sequence everywhere for a seed.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.0 ^= rng
            .next()
            .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with this probability, in percent.
    pub(super) fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
}

const STREAM_CUSTOMER: u64 = 1;
const STREAM_TICKET: u64 = 2;
const STREAM_OUTAGE: u64 = 3;

/// A bijection of `0..10^digits` (the multiplier is prime to 10), to draw numbers that look
/// random yet never repeat.
fn scatter(i: u64, digits: u32, multiplier: u64, offset: u64) -> u64 {
    let modulus = 10u64.pow(digits);
    ((i % modulus) * multiplier + offset) % modulus
}

/// The digits of `x` (`digits` of them, leading zeros included) in reverse order: a
/// bijection that moves the fast-changing low digits to the front.
fn reverse_digits(mut x: u64, digits: u32) -> u64 {
    let mut out = 0;
    for _ in 0..digits {
        out = out * 10 + x % 10;
        x /= 10;
    }
    out
}

/// A bijection of `0..10^digits` that looks random (neighbours land far apart).
fn shuffle(i: u64, digits: u32, seed: u64) -> u64 {
    let x = scatter(i, digits, 7_654_321, 1_234_567 + seed % 1_000_003);
    scatter(reverse_digits(x, digits), digits, 3_141_593, 2_718_281)
}

/// Customer `i`'s primary phone: unique in the dataset.
fn phone(i: usize, country: &Country) -> String {
    let prefix = country.mobile[i % country.mobile.len()];
    let subscriber = shuffle(i as u64, 7, 0);
    format!("+{}{prefix}{subscriber:07}", country.dial)
}

fn area_of(seed: u64, i: usize) -> &'static AreaDef {
    let mut rng = Rng::new(seed, STREAM_CUSTOMER, i as u64);
    rng.pick(AREAS)
}

/// One customer row (CSV fields), and what its bills need.
struct Customer {
    account_no: String,
    full_name: String,
    phone: String,
    alt_phone: Option<String>,
    language: &'static str,
    service: &'static str,
    meter_no: String,
    area: &'static AreaDef,
    tariff: &'static str,
    suspended: bool,
}

fn customer(seed: u64, i: usize) -> Customer {
    let mut rng = Rng::new(seed, STREAM_CUSTOMER, i as u64);
    let area = rng.pick(AREAS);
    let country = area.country;
    let electricity = rng.percent(65);
    let (service, letter, tariff) = if electricity {
        (
            Service::Electricity.as_str(),
            'E',
            *rng.pick(&ELECTRICITY_TARIFFS),
        )
    } else {
        (Service::Water.as_str(), 'W', *rng.pick(&WATER_TARIFFS))
    };
    let full_name = format!(
        "{} {}",
        rng.pick(country.first_names),
        rng.pick(country.last_names)
    );
    let languages: Vec<&'static str> = area.languages.split(' ').collect();
    let language = if rng.percent(4) {
        ""
    } else if languages.len() > 1 && rng.percent(30) {
        languages[1]
    } else {
        languages[0]
    };
    // One customer in fifty lets the previous customer's phone (a relative, a landlord) act
    // for the account too: that phone then reaches two accounts.
    let alt_phone = (i > 0 && rng.percent(2)).then(|| phone(i - 1, area_of(seed, i - 1).country));
    let meter = shuffle(i as u64, 9, seed);
    Customer {
        account_no: format!("{}{letter}{}", country.code, 100_000 + i),
        full_name,
        phone: phone(i, country),
        alt_phone,
        language,
        service,
        meter_no: format!("{}{meter:09}", if electricity { 'M' } else { 'W' }),
        area,
        tariff,
        suspended: rng.percent(3),
    }
}

/// `(year, month)` `back` months before the latest period.
fn period(back: usize) -> (i32, u32) {
    let (year, month) = LATEST_PERIOD;
    let index = year * 12 + month as i32 - 1 - back as i32;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid day")
}

fn timestamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Quotes a field as RFC 4180 requires (only when it holds a comma, a quote or a line end).
fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn row(out: &mut String, fields: &[&str]) {
    for (n, value) in fields.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        field(out, value);
    }
    out.push('\n');
}

pub(super) struct CsvFile {
    writer: BufWriter<std::fs::File>,
    line: String,
    name: &'static str,
}

impl CsvFile {
    pub(super) fn create(dir: &Path, name: &'static str, header: &str) -> anyhow::Result<CsvFile> {
        let path = dir.join(name);
        let file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        writer.write_all(header.as_bytes())?;
        writer.write_all(b"\n")?;
        Ok(CsvFile {
            writer,
            line: String::with_capacity(256),
            name,
        })
    }

    pub(super) fn write(&mut self, fields: &[&str]) -> anyhow::Result<()> {
        self.line.clear();
        row(&mut self.line, fields);
        self.writer
            .write_all(self.line.as_bytes())
            .with_context(|| format!("writing {}", self.name))
    }

    pub(super) fn finish(mut self) -> anyhow::Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("writing {}", self.name))
    }
}

/// How many tickets a dataset of `customers` customers holds (one customer in ten).
pub fn ticket_count(customers: usize) -> usize {
    if customers == 0 {
        0
    } else {
        customers / 10 + 1
    }
}

/// Writes the dataset's five files into `dir` (created if missing; files there are replaced).
pub fn generate(options: &Options, dir: &Path) -> anyhow::Result<Summary> {
    anyhow::ensure!(
        (1..=MAX_CUSTOMERS).contains(&options.customers),
        "--customers must be between 1 and {MAX_CUSTOMERS}"
    );
    anyhow::ensure!(
        (1..=MAX_MONTHS).contains(&options.months),
        "--months must be between 1 and {MAX_MONTHS}"
    );
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let seed = options.seed;
    let mut summary = Summary::default();

    let mut areas = CsvFile::create(
        dir,
        AREAS_FILE,
        "area_code,name,region,country,currency,languages",
    )?;
    for a in AREAS {
        areas.write(&[
            a.code,
            a.name,
            a.region,
            a.country.code,
            a.country.currency,
            a.languages,
        ])?;
        summary.areas += 1;
    }
    areas.finish()?;

    let mut customers = CsvFile::create(
        dir,
        CUSTOMERS_FILE,
        "account_no,full_name,phone,alt_phone,language,service,meter_no,area_code,tariff,status",
    )?;
    let mut bills = CsvFile::create(
        dir,
        BILLS_FILE,
        "bill_id,account_no,period,issued_on,due_on,amount_minor,currency,status,paid_minor",
    )?;
    let mut usage = super::usage::UsageFiles::create(dir)?;
    let total_bills = options.customers * options.months;
    let bill_width = total_bills.to_string().len().max(7);
    let (mut bill_id, mut period_text, mut issued, mut due, mut amount, mut paid) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    for i in 0..options.customers {
        let c = customer(seed, i);
        customers.write(&[
            &c.account_no,
            &c.full_name,
            &c.phone,
            c.alt_phone.as_deref().unwrap_or(""),
            c.language,
            c.service,
            &c.meter_no,
            c.area.code,
            c.tariff,
            if c.suspended {
                AccountStatus::Suspended
            } else {
                AccountStatus::Active
            }
            .as_str(),
        ])?;
        summary.customers += 1;
        usage.write(
            &super::usage::UsageCustomer {
                account_no: &c.account_no,
                meter_no: &c.meter_no,
                service: c.service,
                tariff: c.tariff,
                currency: c.area.country.currency,
            },
            seed,
            options.months,
            &mut summary,
        )?;

        // Bills: the latest first; each customer has a usual consumption.
        let mut rng = Rng::new(seed, STREAM_CUSTOMER ^ 0xB111, i as u64);
        let kes = c.area.country.currency == "KES";
        let usual = if kes {
            50_000 + rng.below(850_000)
        } else {
            5_000 + rng.below(95_000)
        };
        for back in 0..options.months {
            let (year, month) = period(back);
            let issued_on = date(year, month, 28);
            let due_on = issued_on + Duration::days(15);
            let step = if kes { 50 } else { 5 };
            let varied = usual * (80 + rng.below(41)) / 100;
            let amount_minor = (varied / step).max(1) * step;
            let roll = rng.below(100);
            let (status, paid_minor) = match (back, c.suspended) {
                (0, true) | (1, true) if roll < 70 => ("unpaid", 0),
                (0, _) if roll < 25 => ("unpaid", 0),
                (0, _) if roll < 35 => ("partially_paid", amount_minor * (20 + roll) / 100),
                (_, _) if roll < 4 => ("unpaid", 0),
                (_, _) if roll < 9 => ("partially_paid", amount_minor * (40 + roll) / 100),
                _ => ("paid", amount_minor),
            };
            summary.bills += 1;
            bill_id.clear();
            write!(bill_id, "B{:0bill_width$}", summary.bills)?;
            period_text.clear();
            write!(period_text, "{year:04}-{month:02}")?;
            issued.clear();
            write!(issued, "{issued_on}")?;
            due.clear();
            write!(due, "{due_on}")?;
            amount.clear();
            write!(amount, "{amount_minor}")?;
            paid.clear();
            write!(paid, "{paid_minor}")?;
            bills.write(&[
                &bill_id,
                &c.account_no,
                &period_text,
                &issued,
                &due,
                &amount,
                c.area.country.currency,
                status,
                &paid,
            ])?;
        }
    }
    customers.finish()?;
    bills.finish()?;
    usage.finish()?;

    // Tickets: references RC + YYMM + 5 digits, November 2026 first (RC261100001 onwards,
    // the references the load tool follows), then the months before.
    let mut tickets = CsvFile::create(
        dir,
        TICKETS_FILE,
        "ticket_ref,account_no,phone,category,status,channel,created_at,sla_due_at,updated_at,note",
    )?;
    for j in 0..ticket_count(options.customers) {
        let mut rng = Rng::new(seed, STREAM_TICKET, j as u64);
        let owner = rng.below(options.customers as u64) as usize;
        let c = customer(seed, owner);
        let month_back = j / TICKETS_PER_MONTH;
        let index = year_month_index(2026, 11) - month_back as i32;
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        let reference = format!(
            "RC{:02}{month:02}{:05}",
            year % 100,
            j % TICKETS_PER_MONTH + 1
        );
        // November tickets were filed before the 21st (the demo's "now" is late November).
        let days = if month_back == 0 {
            20
        } else {
            date(year, month, 1)
                .checked_add_months(chrono::Months::new(1))
                .expect("date")
                .pred_opt()
                .expect("date")
                .day()
        };
        let created = date(year, month, 1 + rng.below(u64::from(days)) as u32)
            .and_hms_opt(rng.below(24) as u32, 0, 0)
            .expect("time");
        let (category, sla_hours) = *rng.pick(&TICKET_KINDS);
        let status = match (month_back, rng.below(100)) {
            (0, r) if r < 40 => TicketStatus::Open,
            (0, r) if r < 65 => TicketStatus::InProgress,
            (0, r) if r < 85 => TicketStatus::Resolved,
            (_, r) if r < 5 => TicketStatus::InProgress,
            (_, r) if r < 50 => TicketStatus::Resolved,
            _ => TicketStatus::Closed,
        }
        .as_str();
        let sla_due = created + Duration::hours(sla_hours);
        let updated = created + Duration::hours(1 + rng.below(48) as i64);
        let note = if rng.percent(3) {
            *rng.pick(&TICKET_NOTES)
        } else {
            ""
        };
        let phone = if rng.percent(95) {
            c.phone.as_str()
        } else {
            ""
        };
        tickets.write(&[
            &reference,
            &c.account_no,
            phone,
            category,
            status,
            *rng.pick(&CHANNELS),
            &timestamp(created),
            &timestamp(sla_due),
            &timestamp(updated),
            note,
        ])?;
        summary.tickets += 1;
    }
    tickets.finish()?;

    // Outages: two per area, of either service, planned or not.
    let mut outages = CsvFile::create(
        dir,
        OUTAGES_FILE,
        "outage_id,area_code,service,kind,starts_at,expected_end,status,cause",
    )?;
    for (n, a) in AREAS.iter().flat_map(|a| [a, a]).enumerate() {
        let mut rng = Rng::new(seed, STREAM_OUTAGE, n as u64);
        let (kind, cause) = *rng.pick(&OUTAGE_CAUSES);
        let service = if cause == "pipe burst" || cause == "reservoir cleaning" {
            Service::Water.as_str()
        } else {
            Service::Electricity.as_str()
        };
        let status = *rng.pick(&[
            OutageStatus::Scheduled,
            OutageStatus::Active,
            OutageStatus::Resolved,
        ]);
        let day = match status {
            OutageStatus::Scheduled => 22 + rng.below(7) as u32,
            OutageStatus::Active => 19 + rng.below(3) as u32,
            _ => 1 + rng.below(18) as u32,
        };
        let starts = date(2026, 11, day)
            .and_hms_opt(
                if kind == OutageKind::Planned {
                    9
                } else {
                    rng.below(24) as u32
                },
                0,
                0,
            )
            .expect("time");
        let expected_end = starts + Duration::hours(4 + rng.below(36) as i64);
        let expected_end = if kind == OutageKind::Unplanned && rng.percent(20) {
            String::new()
        } else {
            timestamp(expected_end)
        };
        outages.write(&[
            &format!("OUT{:04}", n + 1),
            a.code,
            service,
            kind.as_str(),
            &timestamp(starts),
            &expected_end,
            status.as_str(),
            cause,
        ])?;
        summary.outages += 1;
    }
    outages.finish()?;
    Ok(summary)
}

fn year_month_index(year: i32, month: u32) -> i32 {
    year * 12 + month as i32 - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_is_a_bijection() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000 {
            assert!(seen.insert(scatter(i, 4, 7_654_321, 1_234_567)));
        }
    }

    #[test]
    fn shuffle_is_a_bijection() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000 {
            assert!(seen.insert(shuffle(i, 5, 3)));
        }
        assert_eq!(reverse_digits(120, 4), 210);
    }

    #[test]
    fn periods_go_back_across_years() {
        assert_eq!(period(0), (2026, 10));
        assert_eq!(period(9), (2026, 1));
        assert_eq!(period(10), (2025, 12));
        assert_eq!(period(22), (2024, 12));
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let mut out = String::new();
        row(&mut out, &["a", "b,c", "say \"hi\"", ""]);
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\n");
    }

    #[test]
    fn phones_are_unique_and_e164_shaped() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            let c = customer(7, i);
            assert!(seen.insert(c.phone.clone()), "{}", c.phone);
            let digits = &c.phone[1..];
            let national = digits.len() - 3;
            let expected = if c.area.country.code == "CI" { 10 } else { 9 };
            assert_eq!(national, expected, "{}", c.phone);
        }
    }
}
