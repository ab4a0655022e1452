//! `dalal generate`: the scale dataset is in the crm-demo format, parses with the same importer,
//! imports completely on SQLite and PostgreSQL (in several chunks), and is deterministic.

use crate::support;

use std::path::Path;
use std::sync::Mutex;

use dalal::import;
use dalal::store::postgres::PgCrm;
use dalal::store::sqlite::SqliteCrm;
use dalal::store::{CrmStore, IMPORT_CHUNK_ROWS, ImportProgress};
use dalal::tools::generate::{self, Options, Summary};

use support::FIXTURE;
use support::process::dalal;

const CUSTOMERS: usize = 3_000;
const FILES: [&str; 5] = [
    "areas.csv",
    "customers.csv",
    "bills.csv",
    "tickets.csv",
    "outages.csv",
];

fn generate_into(dir: &Path, customers: usize, seed: u64) -> Summary {
    generate::generate(
        &Options {
            customers,
            months: 6,
            seed,
        },
        dir,
    )
    .expect("dataset generated")
}

#[test]
fn files_have_the_crm_demo_headers_and_parse_with_the_same_importer() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate_into(dir.path(), CUSTOMERS, 1);
    for file in FILES {
        let ours = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let demo = std::fs::read_to_string(Path::new(FIXTURE).join(file)).unwrap();
        assert_eq!(ours.lines().next(), demo.lines().next(), "{file} header");
        assert!(
            ours.ends_with('\n') && !ours.contains('\r'),
            "{file} line ends"
        );
    }
    let data = import::read_dir(dir.path()).unwrap_or_else(|e| panic!("invalid:\n{e}"));
    assert_eq!(
        summary,
        Summary {
            areas: data.areas.len(),
            customers: data.customers.len(),
            bills: data.bills.len(),
            tickets: data.tickets.len(),
            outages: data.outages.len(),
            vends: data.vends.len(),
            meter_readings: data.meter_readings.len(),
        }
    );
    assert_eq!(summary.customers, CUSTOMERS);
    // Prepaid accounts have four token purchases each; the others, a reading a month.
    let prepaid = data.customers.iter().filter(|c| c.is_prepaid()).count();
    assert!(prepaid > 0);
    assert_eq!(summary.vends, prepaid * 4);
    assert_eq!(summary.meter_readings, (CUSTOMERS - prepaid) * 6);
    assert_eq!(summary.bills, CUSTOMERS * 6);
    assert!(summary.tickets > 0 && summary.outages > 0);

    // Plausible: three countries, both currencies, every language, unknown preferences, phones
    // acting for two accounts, both services, suspended accounts, every bill status, and a
    // quoted note.
    let countries: std::collections::BTreeSet<&str> =
        data.areas.iter().map(|a| a.country.as_str()).collect();
    assert_eq!(
        countries.into_iter().collect::<Vec<_>>(),
        ["CI", "KE", "SN"]
    );
    for lang in ["fr", "wo", "sw", "en"] {
        assert!(
            data.customers
                .iter()
                .any(|c| c.language.as_deref() == Some(lang)),
            "{lang}"
        );
    }
    assert!(data.customers.iter().any(|c| c.language.is_none()));
    assert!(data.customers.iter().any(|c| c.alt_phone.is_some()));
    assert!(data.customers.iter().any(|c| c.status == "suspended"));
    for service in ["electricity", "water"] {
        assert!(data.customers.iter().any(|c| c.service == service));
    }
    for status in ["paid", "unpaid", "partially_paid"] {
        assert!(data.bills.iter().any(|b| b.status == status), "{status}");
    }
    assert!(data.bills.iter().any(|b| b.currency == "KES"));
    assert!(data.tickets.iter().any(|t| t.note.is_some()));
    // Phones are unique as primary phones; the load tool follows RC261100001..RC261100060.
    let phones: std::collections::HashSet<&str> = data
        .customers
        .iter()
        .filter_map(|c| c.phone.as_deref())
        .collect();
    assert_eq!(phones.len(), CUSTOMERS);
    assert_eq!(data.tickets[0].ticket_ref, "RC261100001");
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate_into(a.path(), 500, 42);
    generate_into(b.path(), 500, 42);
    generate_into(c.path(), 500, 43);
    for file in FILES {
        let read = |dir: &Path| std::fs::read(dir.join(file)).unwrap();
        assert_eq!(
            read(a.path()),
            read(b.path()),
            "{file} differs for one seed"
        );
    }
    assert_ne!(
        std::fs::read(a.path().join("customers.csv")).unwrap(),
        std::fs::read(c.path().join("customers.csv")).unwrap(),
        "another seed, other customers"
    );
    // A bigger dataset begins with the same customers (each comes from its own index).
    let d = tempfile::tempdir().unwrap();
    generate_into(d.path(), 800, 42);
    let small = std::fs::read_to_string(a.path().join("customers.csv")).unwrap();
    let big = std::fs::read_to_string(d.path().join("customers.csv")).unwrap();
    assert!(big.starts_with(&small));
}

#[test]
fn generate_and_import_from_the_command_line_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    let out = data.path().join("scale");
    let (ok, stdout, stderr) = dalal(&[
        "generate",
        "--customers",
        "3000",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}{stderr}");
    let summary = import::read_dir(&out).unwrap();
    let expected = format!(
        "{} areas, {} customers, {} bills, {} tickets, {} outages",
        summary.areas.len(),
        summary.customers.len(),
        summary.bills.len(),
        summary.tickets.len(),
        summary.outages.len()
    );
    assert!(
        stdout.contains(&format!("generated {expected}")),
        "{stdout}"
    );

    let db = tempfile::tempdir().unwrap();
    let db_file = db.path().join("crm.db");
    let url = format!("sqlite:{}", db_file.display());
    for _ in 0..2 {
        let (ok, stdout, stderr) =
            dalal(&["import", out.to_str().unwrap(), "--database-url", &url]);
        assert!(ok, "{stdout}{stderr}");
        assert!(stdout.contains(&format!("imported {expected}")), "{stdout}");
        // Progress goes to stderr: rows done out of the total, and the rate.
        let total = summary.rows();
        assert!(
            stderr.contains(&format!("imported {total} / {total} rows (100%)")),
            "{stderr}"
        );
        assert!(stderr.contains("rows/s"), "{stderr}");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let crm = SqliteCrm::connect(&url).await.unwrap();
        assert_counts(&summary, |t| crm.count(t)).await;
    });
}

/// Every table holds exactly what the dataset has (a ticket has its one `created` event).
async fn assert_counts<F, Fut>(data: &import::Dataset, count: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = dalal::store::StoreResult<i64>>,
{
    let expected = [
        ("areas", data.areas.len()),
        ("customers", data.customers.len()),
        ("bills", data.bills.len()),
        ("tickets", data.tickets.len()),
        ("ticket_events", data.tickets.len()),
        ("outages", data.outages.len()),
    ];
    for (table, n) in expected {
        assert_eq!(count(table).await.unwrap(), n as i64, "{table}");
    }
}

/// Imports in several chunks, reports progress after each, and is idempotent.
async fn import_in_chunks(crm: &dyn CrmStore, data: &import::Dataset) {
    assert!(data.rows() > 2 * IMPORT_CHUNK_ROWS, "several chunks");
    for _ in 0..2 {
        let seen = Mutex::new(Vec::<ImportProgress>::new());
        let summary = crm
            .import_with_progress(data, &|p| seen.lock().unwrap().push(p))
            .await
            .unwrap();
        assert_eq!(summary.customers, data.customers.len());
        assert_eq!(summary.bills, data.bills.len());
        let seen = seen.into_inner().unwrap();
        assert!(seen.len() >= 3, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0].done < w[1].done), "{seen:?}");
        assert!(seen.iter().all(|p| p.total == data.rows()));
        assert_eq!(seen.last().unwrap().done, data.rows());
    }
}

#[tokio::test]
async fn generated_dataset_imports_completely_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    generate_into(dir.path(), CUSTOMERS, 3);
    let data = import::read_dir(dir.path()).unwrap();
    let crm = SqliteCrm::in_memory().await.unwrap();
    import_in_chunks(&crm, &data).await;
    assert_counts(&data, |t| crm.count(t)).await;
    // What was imported reads back as it was.
    let c = &data.customers[1234];
    assert_eq!(crm.account(&c.account_no).await.unwrap().as_ref(), Some(c));
    let phone = c.phone.as_deref().unwrap();
    assert!(
        crm.accounts_for_phone(phone)
            .await
            .unwrap()
            .iter()
            .any(|a| a.account_no == c.account_no)
    );
}

#[tokio::test]
async fn generated_dataset_imports_completely_on_postgres() {
    let db = support::pg::TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    generate_into(dir.path(), CUSTOMERS, 3);
    let data = import::read_dir(dir.path()).unwrap();
    let crm = PgCrm::connect(&db.url).await.unwrap();
    import_in_chunks(&crm, &data).await;
    assert_counts(&data, |t| crm.count(t)).await;
    let c = &data.customers[1234];
    assert_eq!(crm.account(&c.account_no).await.unwrap().as_ref(), Some(c));
    let bill = data
        .bills
        .iter()
        .find(|b| b.account_no == c.account_no)
        .unwrap();
    assert_eq!(
        crm.latest_bill(&c.account_no).await.unwrap().as_ref(),
        Some(bill)
    );
    let t = &data.tickets[7];
    assert_eq!(crm.ticket(&t.ticket_ref).await.unwrap().as_ref(), Some(t));
}

#[test]
fn extend_adds_the_shipped_demo_purchases_and_readings_to_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(FIXTURE).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let summary = dalal::tools::usage::extend(dir.path(), 1, 6).unwrap();
    assert_eq!((summary.vends, summary.meter_readings), (232, 1092));
    // demo/ is the fixture plus exactly these files: anyone can regenerate them.
    for file in [import::VENDS_FILE, import::METER_READINGS_FILE] {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(file)).unwrap(),
            std::fs::read_to_string(Path::new("demo").join(file)).unwrap(),
            "{file}"
        );
    }
    let data = import::read_dir(dir.path()).unwrap();
    assert!(data.vends.iter().all(|v| v.token.len() == 20));
}
