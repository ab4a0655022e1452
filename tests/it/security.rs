//! Gateway authentication and per-phone rate limiting, over real HTTP.

use crate::support;

use dalal::config::GatewaySettings;

const PHONE: &str = "+221786452821";

fn hop(session: &str, phone: &str) -> String {
    format!(
        "sessionId={session}&serviceCode=%2A123%23&phoneNumber={}&networkCode=63902&text=",
        phone.replace('+', "%2B")
    )
}

#[tokio::test]
async fn a_configured_secret_is_required_as_query_or_header() {
    let server = support::start_with(|c| {
        c.gateways.insert(
            "africastalking".into(),
            GatewaySettings {
                secret: Some("s3cret".into()),
                allow_ips: vec![],
                ..Default::default()
            },
        );
    })
    .await;
    let (status, body) = server.post("/ussd/africastalking", hop("a1", PHONE)).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = server
        .post("/ussd/africastalking?key=wrong", hop("a2", PHONE))
        .await;
    assert_eq!(status, 403);
    let (status, body) = server
        .post("/ussd/africastalking?key=s3cret", hop("a3", PHONE))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("CON "));
    let response = server
        .client
        .post(format!("{}/ussd/africastalking", server.base))
        .header("x-dalal-key", "s3cret")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(hop("a4", PHONE))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (status, _) = server
        .post("/ussd/africastalking/events", "sessionId=a3&status=Success")
        .await;
    assert_eq!(status, 403, "the events callback is guarded too");
    // Refused requests write nothing.
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM interactions WHERE session_id IN ('a1','a2')")
            .await,
        0
    );
}

#[tokio::test]
async fn an_ip_allowlist_refuses_other_addresses() {
    let open = support::start_with(|c| {
        c.gateways.insert(
            "africastalking".into(),
            GatewaySettings {
                secret: None,
                allow_ips: vec!["127.0.0.0/8".into()],
                ..Default::default()
            },
        );
    })
    .await;
    let (status, _) = open.post("/ussd/africastalking", hop("b1", PHONE)).await;
    assert_eq!(status, 200);
    let closed = support::start_with(|c| {
        c.gateways.insert(
            "africastalking".into(),
            GatewaySettings {
                secret: None,
                allow_ips: vec!["10.0.0.0/8".into()],
                ..Default::default()
            },
        );
    })
    .await;
    let (status, body) = closed.post("/ussd/africastalking", hop("b2", PHONE)).await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn hops_are_limited_per_phone_not_per_address() {
    let server = support::start_with(|c| c.rate_limit_per_minute = 5).await;
    for n in 0..5 {
        let (status, body) = server.ussd(&format!("r{n}"), PHONE, "").await;
        assert_eq!(status, 200);
        assert!(body.starts_with("CON "), "{body}");
    }
    let (status, body) = server.ussd("r6", PHONE, "").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("END "), "{body}");
    assert!(
        body.contains("Trop de demandes"),
        "in the caller's language: {body}"
    );
    // Same aggregator address, another phone: served.
    let (_, body) = server.ussd("r7", "+254729141428", "").await;
    assert!(body.starts_with("CON Welcome"), "{body}");
}

/// The server's own log, at debug level, over whole sessions including a bill verification:
/// phone numbers appear only masked, verification digits never.
#[tokio::test]
async fn logs_mask_phone_numbers_and_never_hold_verification_digits() {
    use support::process::{Instance, hop};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dalal.log");
    let database_url = format!("sqlite:{}", dir.path().join("crm.db").display());
    let mut server = Instance::spawn_logging_to(
        &[("DATABASE_URL", &database_url), ("RUST_LOG", "debug")],
        Some(&log),
    );
    let client = reqwest::Client::new();
    server.ready(&client).await;
    let unknown = "+221770004321";
    // An unknown caller proves the account with the meter's last digits (SNW100000, 1595).
    for text in ["", "4", "4*1", "4*1*100000", "4*1*100000*1595"] {
        let (status, reply) = hop(&client, &server.base, "ATUid_log_1", unknown, text)
            .await
            .unwrap();
        assert_eq!(status, 200, "{reply}");
        if text.ends_with("1595") {
            assert!(reply.contains("66,860"), "the bill was shown: {reply}");
        }
    }
    for text in ["", "4", "4*1", "4*1*1"] {
        hop(&client, &server.base, "ATUid_log_2", PHONE, text)
            .await
            .unwrap();
    }
    server.signal("TERM");
    server.exit_within(std::time::Duration::from_secs(10)).await;

    let written = std::fs::read_to_string(&log).unwrap();
    assert!(
        written.contains("+221******21"),
        "hops are logged, with the phone masked:\n{written}"
    );
    // Phones by their full digits (a bare national number is preceded by its country code).
    for secret in [
        "221770004321",
        "221786452821",
        "770004321",
        "1595",
        "100000*",
    ] {
        assert!(
            !contains_number(&written, secret),
            "{secret:?} is in the log:\n{written}"
        );
    }
}

/// Whether `needle` occurs in `log` as a number of its own: not inside a longer run of digits,
/// such as a timestamp (`12:34:55.159521`) or a timing, which would match by chance.
fn contains_number(log: &str, needle: &str) -> bool {
    log.match_indices(needle).any(|(at, _)| {
        let before = log[..at].chars().next_back();
        let after = log[at + needle.len()..].chars().next();
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        // Only a digit at the needle's own edge can run on into a neighbouring number.
        let (first, last) = (needle.chars().next(), needle.chars().next_back());
        let runs_on = (digit(first) && digit(before)) || (digit(last) && digit(after));
        !runs_on
    })
}

#[test]
fn a_number_inside_a_longer_one_is_not_a_leak() {
    assert!(contains_number("text=4*1*100000*1595 end", "1595"));
    assert!(contains_number("1595", "1595"));
    assert!(contains_number("phone=+221770004321 ", "221770004321"));
    assert!(contains_number("phone 770004321", "770004321"));
    assert!(!contains_number("12:34:55.159521Z", "1595"));
    assert!(contains_number("input 100000*1595", "100000*"));
}
