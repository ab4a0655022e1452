//! Prepaid token purchases and meter readings for a dataset's customers (`vends.csv` and
//! `meter_readings.csv`, see [`crate::import`]): written by `dalal generate` with the rest of a
//! dataset, or added to an existing one (the demo) by `dalal generate --extend <dir>`. Each
//! account's rows come from a generator seeded by the seed and the account number alone, so
//! the same seed always writes the same bytes.
//!
//! Prepaid accounts get four token purchases in the weeks before the demo's "now" (late
//! November 2026); every other account gets one meter index per billing month, read on the
//! 28th like its bills are issued, rising by a usual consumption.

use std::path::Path;

use chrono::{Duration, NaiveDate};

use super::generate::{CsvFile, LATEST_PERIOD, Rng, Summary};
use crate::contracts::{Service, TariffKind};
use crate::domain::is_prepaid_tariff;
use crate::import::{
    METER_READING_COLUMNS, METER_READINGS_FILE, TOKEN_DIGITS, VEND_COLUMNS, VENDS_FILE,
};

const STREAM_VENDS: u64 = 4;
const STREAM_READINGS: u64 = 5;
/// Token purchases per prepaid account.
const VENDS_PER_ACCOUNT: usize = 4;
/// The day the newest purchase is at most ten days before.
const LATEST_VEND_DAY: (i32, u32, u32) = (2026, 11, 28);

/// What an account's usage rows need.
pub struct UsageCustomer<'a> {
    pub account_no: &'a str,
    pub meter_no: &'a str,
    pub service: &'a str,
    pub tariff: &'a str,
    pub currency: &'a str,
}

/// The two files being written.
pub struct UsageFiles {
    vends: CsvFile,
    readings: CsvFile,
}

impl UsageFiles {
    pub fn create(dir: &Path) -> anyhow::Result<UsageFiles> {
        Ok(UsageFiles {
            vends: CsvFile::create(dir, VENDS_FILE, &VEND_COLUMNS.join(","))?,
            readings: CsvFile::create(dir, METER_READINGS_FILE, &METER_READING_COLUMNS.join(","))?,
        })
    }

    /// Writes one account's rows: purchases for a prepaid account, else `months` readings.
    pub fn write(
        &mut self,
        c: &UsageCustomer<'_>,
        seed: u64,
        months: usize,
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        let stream_index = account_hash(c.account_no);
        if is_prepaid_tariff(c.tariff) {
            let mut rng = Rng::new(seed, STREAM_VENDS, stream_index);
            let (y, m, d) = LATEST_VEND_DAY;
            let mut day = NaiveDate::from_ymd_opt(y, m, d).expect("date")
                - Duration::days(rng.below(10) as i64);
            for _ in 0..VENDS_PER_ACCOUNT {
                summary.vends += 1;
                let at = day
                    .and_hms_opt(7 + rng.below(14) as u32, rng.below(60) as u32, 0)
                    .expect("time");
                let (amount, units) = purchase(&mut rng, c.currency);
                self.vends.write(&[
                    &format!("V{:07}", summary.vends),
                    c.account_no,
                    c.meter_no,
                    &at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    &amount.to_string(),
                    c.currency,
                    &units,
                    &token(&mut rng),
                ])?;
                day -= Duration::days(6 + rng.below(15) as i64);
            }
        } else {
            let mut rng = Rng::new(seed, STREAM_READINGS, stream_index);
            let usual = monthly_use(&mut rng, c.service, c.tariff);
            let mut index = 1_000 + rng.below(40_000);
            let mut rows = Vec::with_capacity(months);
            for back in (0..months).rev() {
                index += usual * (70 + rng.below(61)) / 100;
                rows.push((read_on(back), index));
            }
            for (on, index) in rows {
                summary.meter_readings += 1;
                self.readings.write(&[
                    &format!("R{:08}", summary.meter_readings),
                    c.account_no,
                    c.meter_no,
                    &on.to_string(),
                    &index.to_string(),
                    "utility",
                ])?;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<()> {
        self.vends.finish()?;
        self.readings.finish()
    }
}

/// FNV-1a of the account number: its rows depend on it alone, not on its place in the file.
fn account_hash(account_no: &str) -> u64 {
    account_no.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A purchase's amount (minor units) and the units it bought at the usual tariff.
fn purchase(rng: &mut Rng, currency: &str) -> (u64, String) {
    // KES: KSh 200 to 3 000 at about KSh 25 a kWh; XOF: 1 000 to 10 000 FCFA at about 110.
    let (amount, minor_per_unit) = if currency == "KES" {
        ((4 + rng.below(57)) * 5_000, 2_500)
    } else {
        ((2 + rng.below(19)) * 500, 110)
    };
    let tenths = amount * 10 / minor_per_unit;
    (amount, format!("{}.{}", tenths / 10, tenths % 10))
}

/// A 20-digit token.
fn token(rng: &mut Rng) -> String {
    (0..TOKEN_DIGITS)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

/// The usual monthly consumption, in the meter's unit.
fn monthly_use(rng: &mut Rng, service: &str, tariff: &str) -> u64 {
    let base = if service == Service::Water.as_str() {
        4 + rng.below(30)
    } else {
        60 + rng.below(300)
    };
    let business = [TariffKind::Commercial, TariffKind::SmallBusiness];
    if business.iter().any(|t| t.as_str() == tariff) {
        base * 3
    } else {
        base
    }
}

/// The day of the reading `back` months before the latest billing period (the 28th).
fn read_on(back: usize) -> NaiveDate {
    let (year, month) = LATEST_PERIOD;
    let index = year * 12 + month as i32 - 1 - back as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 28)
        .expect("date")
}

/// Adds `vends.csv` and `meter_readings.csv` to the dataset in `dir` (replacing any), for its
/// customers as `customers.csv` lists them.
pub fn extend(dir: &Path, seed: u64, months: usize) -> anyhow::Result<Summary> {
    let data = crate::import::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("the dataset in {} is invalid:\n{e}", dir.display()))?;
    let currency = |area_code: &str| {
        data.areas
            .iter()
            .find(|a| a.area_code == area_code)
            .map_or("XOF", |a| a.currency.as_str())
    };
    let mut files = UsageFiles::create(dir)?;
    let mut summary = Summary::default();
    for a in &data.customers {
        let customer = UsageCustomer {
            account_no: &a.account_no,
            meter_no: &a.meter_no,
            service: &a.service,
            tariff: &a.tariff,
            currency: currency(&a.area_code),
        };
        files.write(&customer, seed, months, &mut summary)?;
    }
    files.finish()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchases_buy_units_at_the_usual_tariff() {
        let mut rng = Rng::new(1, STREAM_VENDS, 7);
        for _ in 0..50 {
            let (amount, units) = purchase(&mut rng, "XOF");
            assert!((1_000..=10_000).contains(&amount) && amount % 500 == 0);
            let units: f64 = units.parse().unwrap();
            assert!(
                (units - amount as f64 / 110.0).abs() < 0.1,
                "{amount} {units}"
            );
        }
    }

    #[test]
    fn tokens_are_twenty_digits() {
        let mut rng = Rng::new(1, STREAM_VENDS, 9);
        let t = token(&mut rng);
        assert_eq!(t.len(), 20);
        assert!(t.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn readings_are_on_the_28th_going_back_from_the_latest_period() {
        assert_eq!(read_on(0), NaiveDate::from_ymd_opt(2026, 10, 28).unwrap());
        assert_eq!(read_on(10), NaiveDate::from_ymd_opt(2025, 12, 28).unwrap());
    }
}
