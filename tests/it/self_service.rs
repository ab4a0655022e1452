//! Prepaid customers and meter readings, end to end over HTTP as Africa's Talking drives the
//! server, in all four languages (`DALAL_TEST_BACKEND=production`: on PostgreSQL + Redis).
//! The demo's prepaid purchases and readings are `demo/vends.csv` and
//! `demo/meter_readings.csv`, imported with the canonical fixture.

use crate::support;

use dalal::reference::{Typed, parse_typed};
use support::{TestServer, start};

/// Prepaid customers of each language: phone, account, the prepaid menu's title.
const PREPAID: [(&str, &str, &str); 4] = [
    (
        "+225054572203",
        "CIE100007",
        "Compteur prépayé. Choisissez:",
    ),
    ("+221702876303", "SNE100044", "Kontoor bu prepaye. Tànnal:"),
    (
        "+254728581556",
        "KEE100023",
        "Mita ya malipo ya awali. Chagua:",
    ),
    ("+254110413812", "KEE100041", "Prepaid meter. Choose:"),
];

/// Postpaid customers of each language: phone, account, a word of the "saved" screen.
const POSTPAID: [(&str, &str, &str); 4] = [
    ("+221786452821", "SNW100000", "enregistré"),
    ("+221786562901", "SNE100001", "bind nanu ko"),
    ("+254114805895", "KEW100009", "umehifadhiwa"),
    ("+254729141428", "KEE100010", "recorded"),
];

fn text(reply: &str) -> &str {
    &reply[4..]
}

async fn scalar(server: &TestServer, sql: &str) -> String {
    server.text(sql).await
}

/// The account's purchases, newest first: (token, units).
async fn latest_tokens(server: &TestServer, account: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for n in 0..3 {
        tokens.push(
            scalar(
                server,
                &format!(
                    "SELECT token FROM vends WHERE account_no = '{account}' \
                     ORDER BY vended_at DESC LIMIT 1 OFFSET {n}"
                ),
            )
            .await,
        );
    }
    tokens
}

fn grouped(token: &str) -> String {
    dalal::domain::group_digits(token, 4)
}

#[tokio::test]
async fn a_prepaid_customer_hears_tokens_not_bills_in_four_languages() {
    let server = start().await;
    for (phone, account, title) in PREPAID {
        let mut call = server.call(phone);
        call.dial().await;
        let menu = call.press("1").await;
        assert!(menu.starts_with("CON "), "{menu}");
        assert_eq!(text(&menu).lines().next(), Some(title), "{menu}");
        assert!(
            text(&menu).contains("\n1. ") && text(&menu).contains("\n2. "),
            "{menu}"
        );
        // Never a bill for a prepaid meter.
        assert!(!menu.contains("10/2026"), "{menu}");

        // The last three purchases, newest first, tokens in groups of four.
        let mut screen = call.press("1").await;
        let mut all = text(&screen).to_string();
        while screen.starts_with("CON ") && screen.contains("98") {
            screen = call.press("98").await;
            all.push('\n');
            all.push_str(text(&screen));
        }
        let tokens = latest_tokens(&server, account).await;
        let mut at = 0;
        for token in &tokens {
            let found = all[at..]
                .find(&grouped(token))
                .unwrap_or_else(|| panic!("{account}: {token} missing or out of order in {all}"));
            at += found;
        }
        assert!(all.contains("kWh"), "{all}");
    }
}

#[tokio::test]
async fn resend_my_last_token_queues_one_sms_per_request() {
    let server = start().await;
    for (phone, account, _) in PREPAID {
        let latest = latest_tokens(&server, account).await.remove(0);
        let mut call = server.call(phone);
        call.dial().await;
        call.press("1").await;
        let sent = call.press("2").await;
        assert!(sent.starts_with("END ") && sent.contains("SMS"), "{sent}");
        // The aggregator resends the hop: the same answer, no second SMS.
        assert_eq!(call.retry().await, sent);
        let sql = format!(
            "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'token_resend' AND phone = '{phone}'"
        );
        assert_eq!(server.count(&sql).await, 1, "{phone}");
        let queued = scalar(
            &server,
            &format!(
                "SELECT detail FROM sms_outbox WHERE kind = 'token_resend' AND phone = '{phone}'"
            ),
        )
        .await;
        assert_eq!(queued, latest);

        // Asking again, in another session, is another request.
        let mut again = server.call(phone);
        again.dial().await;
        again.walk(&["1", "2"]).await;
        assert_eq!(server.count(&sql).await, 2, "{phone}");
    }
}

#[tokio::test]
async fn a_self_reading_is_checked_then_stored_with_a_reference_in_four_languages() {
    let server = start().await;
    for (phone, account, saved_word) in POSTPAID {
        let last: i64 = scalar(
            &server,
            &format!(
                "SELECT CAST(reading AS TEXT) FROM meter_readings WHERE account_no = '{account}' \
                 ORDER BY read_on DESC LIMIT 1"
            ),
        )
        .await
        .parse()
        .unwrap();
        let mut call = server.call(phone);
        call.dial().await;
        let prompt = call.walk(&["8", "1"]).await;
        assert!(prompt.starts_with("CON "), "{prompt}");
        assert!(
            prompt.contains(&last.to_string()),
            "the last index shown: {prompt}"
        );
        assert!(prompt.contains("28/10/2026"), "{prompt}");

        // Lower than the last reading: refused, nothing stored.
        let lower = call.press(&(last - 1).to_string()).await;
        assert!(lower.starts_with("CON "), "{lower}");
        assert!(lower.contains(&last.to_string()), "{lower}");
        call.press("1").await;
        // Implausibly high (an extra digit): refused.
        let high = call.press(&format!("{last}0")).await;
        assert!(high.starts_with("CON "), "{high}");
        assert!(!high.contains("RC"), "{high}");
        call.press("1").await;
        let sql = format!(
            "SELECT COUNT(*) FROM meter_readings WHERE account_no = '{account}' AND source = 'customer'"
        );
        assert_eq!(server.count(&sql).await, 0);

        // A plausible index: stored once, with a reference the caller hears.
        let typed = last + 5;
        let saved = call.press(&typed.to_string()).await;
        assert!(saved.starts_with("END "), "{saved}");
        assert!(saved.contains(saved_word), "{saved}");
        assert!(saved.contains(&typed.to_string()), "{saved}");
        assert_eq!(call.retry().await, saved, "a resent hop: the same answer");
        assert_eq!(server.count(&sql).await, 1);
        let reference = scalar(
            &server,
            &format!(
                "SELECT reading_id FROM meter_readings WHERE account_no = '{account}' \
                 AND source = 'customer'"
            ),
        )
        .await;
        assert!(saved.contains(&reference), "{saved} / {reference}");
        assert!(matches!(parse_typed(&reference), Typed::Reference(_)));
        let stored = scalar(
            &server,
            &format!(
                "SELECT CAST(reading AS TEXT) || ' ' || phone || ' ' || channel FROM meter_readings \
                 WHERE reading_id = '{reference}'"
            ),
        )
        .await;
        assert_eq!(stored, format!("{typed} {phone} ussd"));
    }
}

#[tokio::test]
async fn a_reading_takes_digits_only() {
    let server = start().await;
    let mut call = server.call(POSTPAID[0].0);
    call.dial().await;
    call.walk(&["8", "1"]).await;
    let refused = call.press("12a45").await;
    assert!(refused.starts_with("CON "), "{refused}");
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM meter_readings WHERE source = 'customer'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_unknown_phone_reads_by_meter_number_and_a_prepaid_meter_needs_no_reading() {
    let server = start().await;
    let mut call = server.call("+221770000099");
    call.dial().await;
    call.press("1").await; // Français
    let ask = call.walk(&["8", "1"]).await;
    assert!(ask.starts_with("CON "), "{ask}");
    let prompt = call.press("W717551595").await;
    assert!(prompt.contains("20640"), "{prompt}");
    let saved = call.press("20650").await;
    assert!(saved.starts_with("END ") && saved.contains("RC"), "{saved}");
    let by = scalar(
        &server,
        "SELECT account_no || ' ' || phone FROM meter_readings WHERE source = 'customer'",
    )
    .await;
    assert_eq!(by, "SNW100000 +221770000099");

    let mut call = server.call(PREPAID[0].0);
    call.dial().await;
    let refused = call.walk(&["8", "1"]).await;
    assert!(refused.starts_with("END "), "{refused}");
    assert!(refused.contains("prépayé"), "{refused}");
}
