//! End to end over real HTTP: a server on port 0 with the crm-demo fixture, driven exactly as
//! Africa's Talking drives it. Every reply is checked against the USSD page budget.

use crate::support;

use dalal::reference::{Typed, parse_typed};
use support::{TestServer, start, start_with};

const FR_WATER: &str = "+221786452821"; // SNW100000, fr, Plateau, bill 66 860 FCFA unpaid
const WO_POWER: &str = "+221786562901"; // SNE100001, wo, Médina, open ticket RC261100001
const TWO_ACCOUNTS: &str = "+221706606044"; // SNE100002 (phone, Pikine) + SNW100003 (alt)
const SW_WATER: &str = "+254112207544"; // KEW100012, sw, Kisumu, partially paid KES bill
const EN_POWER: &str = "+254729141428"; // KEE100010, en, Westlands, paid KES bill
const NO_LANGUAGE: &str = "+221785841036"; // SNE100005, language unknown
const UNKNOWN: &str = "+221770000099"; // linked to no account

fn lines(body: &str) -> Vec<&str> {
    body[4..].lines().collect()
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    server.count(sql).await
}

#[tokio::test]
async fn known_customer_lands_on_the_main_menu_in_their_language() {
    let server = start().await;
    let mut call = server.call(FR_WATER);
    let reply = call.dial().await;
    assert!(reply.starts_with("CON "), "{reply}");
    let l = lines(&reply);
    assert_eq!(l[0], "Bienvenue. Choisissez:");
    // Eight choices do not fit one French page: the last ones follow on "98".
    assert_eq!(
        &l[1..],
        [
            "1. Ma facture",
            "2. Signaler une coupure",
            "3. Suivre une réclamation",
            "4. Faire une réclamation",
            "5. Coupures dans mon quartier",
            "6. Changer de langue",
            "98. Suite"
        ]
    );
    let more = call.press("98").await;
    assert_eq!(
        &lines(&more)[..2],
        ["7. Etre rappelé", "8. Autres services"],
        "{more}"
    );
    for (phone, first) in [
        (WO_POWER, "Dalal ak jàmm. Tànnal:"),
        (SW_WATER, "Karibu. Chagua:"),
        (EN_POWER, "Welcome. Choose:"),
    ] {
        let mut call = server.call(phone);
        let reply = call.dial().await;
        assert_eq!(lines(&reply)[0], first, "{phone}");
        // Every choice is on the first page or the next.
        let mut all = reply.clone();
        if reply.contains("\n98. ") {
            all.push('\n');
            all.push_str(&call.press("98").await[4..]);
        }
        for key in 1..=8 {
            assert!(all.contains(&format!("\n{key}. ")), "{key} in {all}");
        }
    }
}

#[tokio::test]
async fn unknown_language_asks_each_language_in_its_own_words_and_saves_it() {
    let server = start().await;
    let mut call = server.call(NO_LANGUAGE);
    let reply = call.dial().await;
    let l = lines(&reply);
    assert_eq!(
        &l[1..],
        ["1. Français", "2. Wolof", "3. Kiswahili", "4. English"]
    );
    let reply = call.press("3").await;
    assert_eq!(lines(&reply)[0], "Karibu. Chagua:");
    let saved = count(
        &server,
        "SELECT COUNT(*) FROM customers WHERE account_no = 'SNE100005' AND language = 'sw'",
    )
    .await;
    assert_eq!(saved, 1);
    // Next session: straight to the main menu, in Swahili.
    let reply = server.call(NO_LANGUAGE).dial().await;
    assert_eq!(lines(&reply)[0], "Karibu. Chagua:");
}

#[tokio::test]
async fn bill_in_french_with_xof_amounts() {
    let server = start().await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    let reply = call.press("1").await;
    assert!(reply.starts_with("END "), "{reply}");
    assert!(reply.contains("Facture 10/2026"), "{reply}");
    assert!(reply.contains("66 860 FCFA"), "{reply}");
    assert!(reply.contains("12/11/2026"), "{reply}");
    assert!(reply.contains("non payée"), "{reply}");
}

#[tokio::test]
async fn bill_in_swahili_with_kes_cents_and_balance() {
    let server = start().await;
    let mut call = server.call(SW_WATER);
    call.dial().await;
    let reply = call.press("1").await;
    assert!(reply.contains("KSh 8,968.50"), "{reply}");
    assert!(
        reply.contains("imelipwa sehemu, salio KSh 4,484.25"),
        "{reply}"
    );
}

#[tokio::test]
async fn bill_in_english_and_wolof() {
    let server = start().await;
    let mut call = server.call(EN_POWER);
    call.dial().await;
    let reply = call.press("1").await;
    assert!(reply.contains("Amount: KSh 8,780.00"), "{reply}");
    assert!(reply.contains("Status: paid"), "{reply}");
    let mut call = server.call(WO_POWER);
    call.dial().await;
    let reply = call.press("1").await;
    assert!(reply.contains("Xaalis: 75 005 FCFA"), "{reply}");
    assert!(reply.contains("feyagul"), "{reply}");
}

/// Bills as they are on 30/11/2026: every latest demo bill fell due on 12/11/2026, so an open
/// one reads overdue since then; an account with older open bills hears its total first.
/// Demo phones with older open bills: +221700049677 (SNE100014, fr: 69 860 + 26 495 FCFA unpaid; SNE100016 is prepaid: tokens, not bills),
/// WO_POWER (SNE100001, wo: 75 005 + 39 415 FCFA), SW_WATER (KEW100012, sw: KSh 4,484.25 left
/// + KSh 746.00), +254703355458 (KEE100164, en: KSh 4,087.50 + KSh 3,267.00) and EN_POWER
/// (KEE100010, en: latest paid, KSh 2,358.00 of August unpaid).
#[tokio::test]
async fn an_open_bill_past_its_due_date_reads_overdue_and_arrears_come_first() {
    let server = start().await;
    let bill = |phone: &'static str| {
        let server = &server;
        async move {
            let mut call = server.call(phone);
            call.dial().await;
            call.press("1").await
        }
    };
    // Only the latest bill open: no total, but overdue, since its due date.
    assert_eq!(
        bill(FR_WATER).await,
        "END Facture 10/2026\nMontant: 66 860 FCFA\nEN RETARD depuis le 12/11/2026\n\
         Statut: non payée"
    );
    assert_eq!(
        bill("+221700049677").await,
        "END Total à payer, toutes factures: 96 355 FCFA\nDernière facture 10/2026\n\
         Montant: 69 860 FCFA\nEN RETARD depuis le 12/11/2026\nStatut: non payée"
    );
    assert_eq!(
        bill(WO_POWER).await,
        "END Li nga war fey lépp: 114 420 FCFA\nFaktiir bu mujj 10/2026\n\
         Xaalis: 75 005 FCFA\nBisu fey weesu na: 12/11/2026\nNekkin: feyagul"
    );
    assert_eq!(
        bill(SW_WATER).await,
        "END Jumla ya deni, bili zote: KSh 5,230.25\nBili ya mwisho 10/2026\n\
         Kiasi: KSh 8,968.50\nIMECHELEWA tangu 12/11/2026\n\
         Hali: imelipwa sehemu, salio KSh 4,484.25"
    );
    assert_eq!(
        bill("+254703355458").await,
        "END Total due, all bills: KSh 7,354.50\nLatest bill 10/2026\n\
         Amount: KSh 4,087.50\nOVERDUE since 12/11/2026\nStatus: unpaid"
    );
    // The latest paid, an older bill still open: the total, and the latest is not late.
    assert_eq!(
        bill(EN_POWER).await,
        "END Total due, all bills: KSh 2,358.00\nLatest bill 10/2026\n\
         Amount: KSh 8,780.00\nDue: 12/11/2026\nStatus: paid"
    );
}

#[tokio::test]
async fn a_phone_with_two_accounts_picks_one_first() {
    let server = start().await;
    let mut call = server.call(TWO_ACCOUNTS);
    let reply = call.dial().await;
    assert!(reply.contains("1. SNE100002"), "{reply}");
    assert!(reply.contains("2. SNW100003"), "{reply}");
    let reply = call.press("9").await;
    assert!(
        reply.contains("Li nga tànn baaxul"),
        "invalid choice re-shows: {reply}"
    );
    assert!(reply.starts_with("CON "));
    let reply = call.press("1").await;
    assert_eq!(lines(&reply)[0], "Dalal ak jàmm. Tànnal:");
    let reply = call.press("1").await;
    assert!(reply.contains("24 470 FCFA"), "SNE100002's bill: {reply}");
    assert!(reply.contains("12 235 FCFA"), "balance: {reply}");
}

#[tokio::test]
async fn unknown_caller_sees_a_bill_only_after_account_and_meter_digits() {
    let server = start().await;
    let mut call = server.call(UNKNOWN);
    let reply = call.dial().await;
    assert!(reply.contains("4. English"), "{reply}");
    call.press("4").await;
    let reply = call.press("1").await;
    assert!(reply.contains("account number"), "{reply}");
    // Right account, wrong meter digits: refused, and the answer says nothing of the account.
    call.press("100000").await;
    let reply = call.press("0000").await;
    assert!(reply.contains("does not match"), "{reply}");
    assert!(!reply.contains("66"), "no bill data leaks: {reply}");
    let reply = call.press("1").await;
    assert!(reply.contains("account number"), "{reply}");
    // SNW100000's meter is W717551595: last 4 digits 1595.
    call.press("100000").await;
    let reply = call.press("1595").await;
    assert!(
        reply.contains("KSh") || reply.contains("66,860 FCFA"),
        "{reply}"
    );
    assert!(reply.starts_with("END "));
}

#[tokio::test]
async fn wrong_verification_answers_lock_the_session() {
    let server = start().await;
    let mut call = server.call(UNKNOWN);
    call.dial().await;
    call.press("1").await; // French
    call.press("1").await; // bill
    for attempt in 1..=3 {
        call.press("100000").await;
        let reply = call.press("9999").await;
        if attempt < 3 {
            assert!(reply.contains("incorrect"), "{reply}");
            call.press("1").await;
        } else {
            assert!(reply.starts_with("END "), "{reply}");
            assert!(reply.contains("Trop d'essais"), "{reply}");
        }
    }
}

#[tokio::test]
async fn outage_report_attaches_to_a_known_outage() {
    let server = start().await;
    let before = server.crm.outage_report_count("OUT0001").await.unwrap();
    let mut call = server.call(TWO_ACCOUNTS);
    call.dial().await;
    call.press("1").await; // SNE100002, electricity in Pikine (OUT0001 active)
    let reply = call.press("2").await;
    assert!(reply.contains("Pikine"), "{reply}");
    let reply = call.press("1").await;
    assert!(reply.starts_with("END "), "{reply}");
    // OUT0001 was expected back 20/11/2026 13:00: a past time is never announced as to come.
    assert!(
        reply.contains("yeex na dellu, sunu ekip yi ngi ciy liggéey"),
        "restoration delayed: {reply}"
    );
    assert!(!reply.contains("20/11/2026"), "{reply}");
    let reference = reply.split("Ref: ").nth(1).expect("a reference").trim();
    assert!(
        matches!(parse_typed(reference), Typed::Reference(_)),
        "{reference}"
    );
    assert_eq!(
        server.crm.outage_report_count("OUT0001").await.unwrap(),
        before + 1
    );
    // The aggregator retries the last hop: same answer, still one report.
    let again = call.retry().await;
    assert_eq!(again, reply);
    assert_eq!(
        server.crm.outage_report_count("OUT0001").await.unwrap(),
        before + 1
    );
    let tickets = count(
        &server,
        "SELECT COUNT(*) FROM tickets WHERE origin_key IS NOT NULL",
    )
    .await;
    assert_eq!(tickets, 0, "no ticket when the outage is known");
}

/// OUT0001 (Pikine, active) was expected back 20/11/2026 13:00, long before 30/11/2026: in every
/// language the caller hears that restoration is delayed, never that past time. The phone
/// +221706606044 picks its account 1 (SNE100002, Pikine) after choosing the language.
#[tokio::test]
async fn an_outage_past_its_expected_end_is_told_delayed_in_four_languages() {
    let server = start().await;
    for (key, said) in [
        (
            "1",
            "END Coupure connue à Pikine, rétablissement retardé, nos équipes y travaillent. \
             Votre signalement est enregistré. Réf: ",
        ),
        (
            "2",
            "END Xam nañu dagg bi ci Pikine, yeex na dellu, sunu ekip yi ngi ciy liggéey. \
             Bind nañu sa yegle. Ref: ",
        ),
        (
            "3",
            "END Kukatika kunajulikana Pikine, kurudi kwa huduma kumechelewa, timu zetu \
             zinashughulikia. Ripoti yako imepokelewa. Kumb: ",
        ),
        (
            "4",
            "END Known outage in Pikine, restoration delayed, our teams are working on it. \
             Your report is recorded. Ref: ",
        ),
    ] {
        let mut call = server.call(TWO_ACCOUNTS);
        call.dial().await;
        call.press("1").await; // SNE100002
        call.press("6").await; // change language
        let reply = call.press(key).await; // then the main menu, in that language
        assert!(reply.contains("\n2. "), "{reply}");
        call.press("2").await; // report an outage
        let reply = call.press("1").await; // yes
        assert!(reply.starts_with(said), "{key}: {reply}");
        assert!(!reply.contains("20/11"), "{reply}");
    }
}

/// A resolved outage is said restored, with no expected time: OUT0001 resolved after a report.
#[tokio::test]
async fn a_report_on_a_resolved_outage_reads_restored() {
    let server = start().await;
    let mut call = server.call(TWO_ACCOUNTS);
    call.dial().await;
    call.press("1").await; // SNE100002 (wo), Pikine
    call.press("2").await;
    let reply = call.press("1").await;
    let reference = reply
        .split("Ref: ")
        .nth(1)
        .expect("a reference")
        .trim()
        .to_string();
    let mut data = dalal::import::read_dir(std::path::Path::new(support::FIXTURE)).unwrap();
    for outage in &mut data.outages {
        if outage.outage_id == "OUT0001" {
            outage.status = "resolved".into();
        }
    }
    server.crm.import(&data).await.unwrap();
    let mut call = server.call(TWO_ACCOUNTS);
    call.dial().await;
    call.press("1").await;
    let mut reply = call.press("3").await; // follow a complaint
    if !reply.contains("Bindal ref bi (nimero rekk):") {
        reply = call.press("1").await; // the open tickets first: enter a reference
    }
    assert!(reply.contains("Bindal ref bi (nimero rekk):"), "{reply}");
    let digits: String = reference.chars().filter(char::is_ascii_digit).collect();
    let reply = call.press(&digits).await;
    assert_eq!(
        reply,
        format!("END Ref {reference}: yegle dagg ci Pikine, dellu na.")
    );
}

#[tokio::test]
async fn outage_report_without_known_outage_opens_a_ticket() {
    let server = start().await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    let reply = call.press("2").await;
    assert!(reply.contains("coupure d'eau à Plateau"), "{reply}");
    let reply = call.press("1").await;
    let reference = reply
        .split("Réf: ")
        .nth(1)
        .expect("a reference")
        .trim()
        .to_string();
    assert!(matches!(parse_typed(&reference), Typed::Reference(_)));
    let ticket = server
        .crm
        .ticket(&reference)
        .await
        .unwrap()
        .expect("committed");
    assert_eq!(ticket.category, "outage");
    assert_eq!(ticket.account_no.as_deref(), Some("SNW100000"));
    assert_eq!(ticket.channel, "ussd");
    call.retry().await;
    let n = count(
        &server,
        "SELECT COUNT(*) FROM tickets WHERE origin_key IS NOT NULL",
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn unknown_caller_reports_an_outage_by_meter_number() {
    let server = start().await;
    let mut call = server.call(UNKNOWN);
    call.dial().await;
    call.press("1").await;
    let reply = call.press("2").await;
    assert!(reply.contains("compteur"), "{reply}");
    let reply = call.press("12345678").await;
    assert!(reply.contains("introuvable"), "{reply}");
    call.press("1").await;
    // SNE100002's meter M284238577, typed as digits: Pikine, where OUT0001 is active.
    let reply = call.press("284238577").await;
    assert!(reply.contains("Pikine"), "{reply}");
    let reply = call.press("1").await;
    assert!(reply.contains("Réf: RC"), "{reply}");
    assert!(
        !reply.contains("Gueye"),
        "no customer data to an unverified caller"
    );
}

#[tokio::test]
async fn file_a_complaint_and_follow_it() {
    let server = start().await;
    let mut call = server.call(EN_POWER);
    call.dial().await;
    let reply = call.press("4").await;
    assert!(
        reply.contains("1. Billing dispute") && reply.contains("6. Other"),
        "{reply}"
    );
    let reply = call.press("2").await;
    assert!(reply.contains("Meter fault"), "{reply}");
    let reply = call.press("1").await;
    assert!(reply.starts_with("END "), "{reply}");
    let reference = reply
        .split("Ref: ")
        .nth(1)
        .and_then(|r| r.split('.').next())
        .expect("reference")
        .to_string();
    let ticket = server
        .crm
        .ticket(&reference)
        .await
        .unwrap()
        .expect("ticket");
    assert_eq!(ticket.category, "meter_fault");
    assert_eq!(ticket.status, "open");
    let sla_hours = (ticket.sla_due_at.unwrap() - ticket.created_at).num_hours();
    assert_eq!(sla_hours, 72, "meter fault SLA");

    // Follow: the open ticket is listed, and typing its reference (digits only) finds it.
    let mut follow = server.call(EN_POWER);
    follow.dial().await;
    let reply = follow.press("3").await;
    assert!(reply.contains(&reference), "{reply}");
    let reply = follow.press("1").await;
    assert!(reply.contains("reference"), "{reply}");
    let reply = follow.press(&reference[2..]).await;
    assert!(reply.contains("Meter fault: open"), "{reply}");
}

#[tokio::test]
async fn references_typo_malformed_and_legacy() {
    let server = start().await;
    let mut call = server.call(UNKNOWN);
    call.dial().await;
    call.press("4").await;
    let reply = call.press("3").await;
    assert!(reply.contains("Enter the reference"), "{reply}");
    // A reference with a check digit, one digit mistyped.
    let reply = call.press("26110000179").await;
    let reply = if reply.contains("typing mistake") {
        reply
    } else {
        // 26110000179 might be valid by chance; flip the last digit to be sure.
        call.press("1").await;
        call.press("26110000178").await
    };
    assert!(reply.contains("typing mistake"), "{reply}");
    call.press("1").await;
    let reply = call.press("1' OR '1'='1").await;
    assert!(reply.starts_with("CON "), "{reply}");
    assert!(reply.contains("type the digits only"), "{reply}");
    call.press("1").await;
    // An imported (legacy) reference, digits only.
    let reply = call.press("261100001").await;
    assert!(reply.contains("Ref RC261100001"), "{reply}");
    assert!(reply.contains("Outage: open"), "{reply}");
}

/// The outage list, truthfully: OUT0001 (Pikine, active) was expected back 20/11/2026 13:00,
/// long before 30/11/2026, so in every language the list says since when and that restoration
/// is delayed, never that past time as its end.
#[tokio::test]
async fn an_outage_past_its_expected_end_is_listed_delayed_in_four_languages() {
    let server = start().await;
    for (key, said) in [
        (
            "1",
            "END Coupures dans votre quartier:\nElectricité en cours: \
             depuis le 20/11/2026 06:00, rétablissement retardé",
        ),
        (
            "2",
            "END Dagg yi ci sa gox:\nKuraan dagg: dale ci 20/11/2026 06:00, yeex na dellu",
        ),
        (
            "3",
            "END Kukatika katika eneo lako:\nUmeme umekatika: \
             tangu 20/11/2026 06:00, kurudi kwa huduma kumechelewa",
        ),
        (
            "4",
            "END Outages in your area:\nPower outage: since 20/11/2026 06:00, restoration delayed",
        ),
    ] {
        let mut call = server.call(TWO_ACCOUNTS);
        call.dial().await;
        call.press("1").await; // SNE100002, Pikine
        call.press("6").await; // change language
        let reply = call.press(key).await; // then the main menu, in that language
        assert!(reply.contains("\n5. "), "{reply}");
        let reply = call.press("5").await; // outages in my area
        assert_eq!(reply, said, "{key}");
        assert!(!reply.contains("13:00"), "{reply}");
    }
}

#[tokio::test]
async fn outages_in_my_area() {
    let server = start().await;
    let mut call = server.call(TWO_ACCOUNTS);
    call.dial().await;
    call.press("1").await;
    let reply = call.press("5").await;
    assert!(reply.starts_with("END "), "{reply}");
    assert!(reply.contains("yeex na dellu"), "{reply}");
    let mut call = server.call(EN_POWER);
    call.dial().await;
    let reply = call.press("5").await;
    assert!(reply.contains("No current or planned outage"), "{reply}");
}

#[tokio::test]
async fn call_back_request_creates_a_task_with_number_and_language() {
    let server = start().await;
    let mut call = server.call(SW_WATER);
    call.dial().await;
    let reply = call.press("7").await;
    assert!(reply.contains(SW_WATER), "{reply}");
    let reply = call.press("1").await;
    assert!(reply.starts_with("END "), "{reply}");
    let n = count(
        &server,
        "SELECT COUNT(*) FROM callback_tasks WHERE phone = '+254112207544' AND language = 'sw' AND account_no = 'KEW100012'",
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn change_language_back_and_home() {
    let server = start().await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    let reply = call.press("6").await;
    assert!(reply.contains("4. English"), "{reply}");
    let reply = call.press("4").await;
    assert_eq!(lines(&reply)[0], "Welcome. Choose:");
    let reply = call.press("4").await;
    assert!(reply.contains("Billing dispute"), "{reply}");
    let reply = call.press("1").await;
    assert!(reply.contains("Confirm complaint"), "{reply}");
    let reply = call.press("0").await;
    assert!(
        reply.contains("Billing dispute"),
        "0 goes back one screen: {reply}"
    );
    let reply = call.press("00").await;
    assert_eq!(lines(&reply)[0], "Welcome. Choose:");
    let reply = call.press("0").await;
    assert!(
        reply.contains("Invalid choice"),
        "nothing before the main menu: {reply}"
    );
}

#[tokio::test]
async fn long_screens_page_with_98_and_0() {
    let server = start().await;
    // Six complaints from one phone make a ticket list longer than one page.
    for category in ["1", "2", "3", "4", "5", "6"] {
        let mut call = server.call(FR_WATER);
        call.dial().await;
        // 3, a new connection: water, in the account's area, confirmed.
        let walk: &[&str] = match category {
            "3" => &["4", "3", "2", "1", "1"],
            _ => &["4", category, "1"],
        };
        call.walk(walk).await;
    }
    let mut call = server.call(FR_WATER);
    call.dial().await;
    let first = call.press("3").await;
    assert!(first.contains("98. Suite"), "{first}");
    let second = call.press("98").await;
    assert_ne!(first, second);
    assert!(second.contains("0. Retour"), "{second}");
    let back = call.press("0").await;
    assert_eq!(back, first);
    let mut seen = std::collections::BTreeSet::new();
    let mut page = first.clone();
    loop {
        for line in lines(&page) {
            if line.starts_with("RC") {
                seen.insert(line.to_string());
            }
        }
        if !page.contains("98. Suite") {
            break;
        }
        page = call.press("98").await;
    }
    assert_eq!(seen.len(), 6, "every ticket shown once, whole: {seen:?}");
}

#[tokio::test]
async fn bad_requests_get_400_and_write_nothing() {
    let server = start().await;
    let before = count(&server, "SELECT COUNT(*) FROM interactions").await;
    let cases: &[(&str, &[u8])] = &[
        (
            "missing sessionId",
            b"serviceCode=*123%23&phoneNumber=%2B221786452821&text=",
        ),
        (
            "missing phoneNumber",
            b"sessionId=x1&serviceCode=*123%23&text=",
        ),
        (
            "missing text",
            b"sessionId=x2&serviceCode=*123%23&phoneNumber=%2B221786452821",
        ),
        (
            "not E.164",
            b"sessionId=x3&serviceCode=*123%23&phoneNumber=0771234567&text=",
        ),
        (
            "letters in phone",
            b"sessionId=x4&serviceCode=*123%23&phoneNumber=%2B2217abc&text=",
        ),
        (
            "non-UTF-8",
            b"sessionId=x5&serviceCode=*123%23&phoneNumber=%2B221786452821&text=%FF",
        ),
        ("empty body", b""),
        ("JSON body", b"{\"sessionId\":\"x6\"}"),
    ];
    for (label, body) in cases {
        let (status, reply) = server.post("/ussd/africastalking", body.to_vec()).await;
        assert_eq!(status, 400, "{label}: {reply}");
        assert_eq!(
            reply.trim().lines().count(),
            1,
            "{label}: one-line reason: {reply}"
        );
    }
    let (status, _) = server
        .post("/ussd/africastalking", vec![b'a'; 64 * 1024])
        .await;
    assert_eq!(status, 413);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM interactions").await,
        before
    );
}

#[tokio::test]
async fn unknown_session_and_overlong_input_get_polite_answers() {
    let server = start().await;
    let (status, reply) = server.ussd("never-started", FR_WATER, "1*2").await;
    assert_eq!(status, 200);
    assert!(reply.starts_with("END "), "{reply}");
    assert!(reply.contains("expirée"), "{reply}");

    let mut call = server.call(FR_WATER);
    call.dial().await;
    let long = "1".repeat(500);
    let reply = call.press(&long).await;
    assert!(reply.starts_with("CON "), "{reply}");
    assert!(reply.contains("Saisie trop longue"), "{reply}");
    let reply = call.press("1").await;
    assert!(reply.contains("Facture"), "the session goes on: {reply}");
}

#[tokio::test]
async fn a_session_is_recorded_once_when_it_ends_not_at_every_hop() {
    let server = start().await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    let menu = call.press("4").await;
    assert!(menu.starts_with("CON "), "{menu}");
    assert!(
        server
            .crm
            .interaction("africastalking", &call.session)
            .await
            .unwrap()
            .is_none(),
        "a menu hop writes nothing to the CRM"
    );
    // The caller walks away; the gateway's end notification closes the record, with the
    // screen they left on.
    let body = format!(
        "sessionId={}&status=Incomplete&durationInMillis=20000&hopsCount=2&input=4&phoneNumber=%2B221786452821&serviceCode=*123%23&networkCode=60801",
        call.session
    );
    let (status, _) = server.post("/ussd/africastalking/events", body).await;
    assert_eq!(status, 200);
    let row = server
        .crm
        .interaction("africastalking", &call.session)
        .await
        .unwrap()
        .expect("recorded at the end notification");
    assert_eq!(row.hops, 2);
    assert!(!row.ended, "left mid-menu");
    assert!(row.path.ends_with("complaint_category"), "{}", row.path);
    assert_eq!(row.account_no.as_deref(), Some("SNW100000"));
}

#[tokio::test]
async fn an_abandoned_session_is_recorded_when_it_expires() {
    let server = start_with(|c| {
        c.session_ttl_secs = 1;
        c.expiry_sweep_secs = 1;
    })
    .await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    call.press("3").await;
    assert!(
        server
            .crm
            .interaction("africastalking", &call.session)
            .await
            .unwrap()
            .is_none()
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let row = loop {
        if let Some(row) = server
            .crm
            .interaction("africastalking", &call.session)
            .await
            .unwrap()
        {
            break row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the expired session was never recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(row.hops, 2);
    assert!(!row.ended);
    assert!(row.path.ends_with("ref_prompt"), "{}", row.path);
    // Taken once: a later hop finds no session, and no second row appears.
    let (_, reply) = server.ussd(&call.session, FR_WATER, "3*1").await;
    assert!(reply.starts_with("END "), "{reply}");
    assert_eq!(
        count(
            &server,
            &format!(
                "SELECT COUNT(*) FROM interactions WHERE session_id = '{}'",
                call.session
            )
        )
        .await,
        1
    );
}

#[tokio::test]
async fn interactions_are_logged_and_end_notifications_recorded() {
    let server = start().await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    call.press("1").await;
    let interaction = server
        .crm
        .written_interaction("africastalking", &call.session)
        .await;
    assert_eq!(interaction.channel, "ussd");
    assert_eq!(interaction.phone, FR_WATER);
    assert_eq!(interaction.account_no.as_deref(), Some("SNW100000"));
    assert_eq!(interaction.hops, 2);
    assert!(interaction.ended);
    assert!(
        interaction.path.contains("bill_details"),
        "{}",
        interaction.path
    );
    assert_eq!(interaction.outcome.as_deref(), Some("latest_bill:found"));

    let body = format!(
        "sessionId={}&status=Success&durationInMillis=8400&hopsCount=2&input=1%2A100000%2A1595&lastAppResponse=END+Facture&errorMessage=&cost=XOF+10&date=2026-11-22+10%3A00%3A00&serviceCode=*123%23&networkCode=60801&phoneNumber=%2B221786452821",
        call.session
    );
    let (status, _) = server.post("/ussd/africastalking/events", body).await;
    assert_eq!(status, 200);
    let recorded = count(
        &server,
        &format!(
            "SELECT COUNT(*) FROM interactions WHERE session_id = '{}' AND end_status = 'Success' AND end_duration_ms = 8400 \
             AND end_input = '1*xxxxxx*xxxx'",
            call.session
        ),
    )
    .await;
    assert_eq!(recorded, 1);
    let (status, _) = server
        .post("/ussd/africastalking/events", "sessionId=x&status=Bogus")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn health_and_readiness() {
    let server = start().await;
    let get = |path: &str| {
        let url = format!("{}{path}", server.base);
        let client = server.client.clone();
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/healthz").await, 200);
    assert_eq!(get("/readyz").await, 200);
}

/// Message ids as they appear in the translation files; none may reach a caller's screen.
fn message_ids() -> Vec<String> {
    let ftl = std::fs::read_to_string("locales/en/main.ftl").unwrap();
    ftl.lines()
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_string()))
        .filter(|id| id.contains('-') && !id.starts_with('#'))
        .collect()
}

#[tokio::test]
async fn every_branch_in_every_language_fits_the_page_budget() {
    // Each phone dials again for every branch, most left mid-menu: every dial is to start at
    // the main menu (the resume offer's pages have their own test).
    let server = start_with(|c| c.resume_secs = 0).await;
    let ids = message_ids();
    let languages = [
        ("1", FR_WATER),
        ("2", WO_POWER),
        ("3", SW_WATER),
        ("4", EN_POWER),
    ];
    let branches: &[&[&str]] = &[
        &["1"],
        &["2", "2", "2", "1"],
        &["3", "1", "261100002"],
        &["3", "1", "26110000099"],
        &["4", "1", "2", "2", "1"],
        &["4", "3", "1", "1", "1"],
        &["4", "4", "1"],
        &["4", "5", "1"],
        &["4", "6", "1"],
        &["5"],
        &["6", "LANG", "9", "00", "7", "2", "7", "1"],
        &["8", "2", "2", "2", "zzq", "1", "centr", "1", "1"],
        &["8", "2", "1", "2", "medina", "1"],
    ];
    for (lang_key, phone) in languages {
        for branch in branches {
            let mut call = server.call(phone);
            let mut replies = vec![call.dial().await];
            for input in *branch {
                let input = if *input == "LANG" { lang_key } else { input };
                // A ticket list comes before the reference prompt for callers with tickets.
                let last = replies.last().unwrap().clone();
                if last.starts_with("END ") {
                    break;
                }
                replies.push(call.press(input).await);
            }
            for reply in &replies {
                for id in &ids {
                    assert!(
                        !reply.contains(id.as_str()),
                        "raw message id {id} shown: {reply}"
                    );
                }
            }
            let last = replies.last().unwrap();
            assert!(!last.contains("error-"), "{last}");
        }
    }
}

#[tokio::test]
async fn verification_cannot_be_brute_forced_by_redialling() {
    // Each redial starts afresh here (no offer to continue the session left on the error).
    let server = start_with(|c| c.resume_secs = 0).await;
    // Six wrong answers over three sessions (the per-phone hourly limit)...
    for session in 0..3 {
        let mut call = server.call(UNKNOWN);
        call.dial().await;
        if session == 0 {
            call.press("4").await; // English, saved for the phone
        }
        call.walk(&["1", "100000", "9999", "1", "100000"]).await;
        let reply = call.press("8888").await;
        assert!(
            reply.contains("does not match") || reply.starts_with("END "),
            "{reply}"
        );
    }
    // ...then even the right answer is refused from this phone, with no hint either way.
    let mut call = server.call(UNKNOWN);
    call.dial().await;
    call.walk(&["1", "100000"]).await;
    let reply = call.press("1595").await;
    assert!(reply.starts_with("END "), "{reply}");
    assert!(reply.contains("Too many attempts"), "{reply}");
    assert!(!reply.contains("66"), "no bill data: {reply}");
    // Another phone is not affected.
    let mut other = server.call("+221770000098");
    other.dial().await;
    other.walk(&["4", "1", "100000"]).await;
    let reply = other.press("1595").await;
    assert!(reply.contains("66,860 FCFA"), "{reply}");
    assert!(reply.starts_with("END "));
}

#[tokio::test]
async fn retries_and_duplicate_starts_answer_the_same_and_file_once() {
    let server = start().await;
    let mut call = server.call(FR_WATER);
    let menu = call.dial().await;
    // A duplicate session start (Safaricom sends some twice): same screen, one interaction.
    assert_eq!(call.retry().await, menu);
    call.press("4").await;
    call.press("2").await;
    let tickets_before = count(&server, "SELECT COUNT(*) FROM tickets").await;

    // The confirming hop arrives four times at once (aggregator retries racing each other).
    call.inputs.push("1".into());
    let text = call.inputs.join("*");
    let session = call.session.clone();
    let hop = || server.ussd(&session, FR_WATER, &text);
    let (a, b, c, d) = tokio::join!(hop(), hop(), hop(), hop());
    let answers = [a, b, c, d];
    for (status, reply) in &answers {
        assert_eq!(*status, 200);
        assert_eq!(reply, &answers[0].1, "every retry gets the same answer");
    }
    assert!(answers[0].1.starts_with("END ") && answers[0].1.contains("Réf: RC"));
    server
        .crm
        .written_interaction("africastalking", &session)
        .await;
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM tickets").await,
        tickets_before + 1,
        "one ticket"
    );
    assert_eq!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM interactions WHERE session_id = '{session}'")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_unknown_account_and_wrong_meter_digits_get_the_same_answer() {
    let server = start().await;
    let mut answers = Vec::new();
    // No such account; then a real account (SNW100000) with wrong meter digits.
    for (phone, account) in [("+221770000098", "999999"), ("+221770000097", "100000")] {
        let mut call = server.call(phone);
        call.dial().await;
        call.walk(&["4", "1", account]).await;
        answers.push(call.press("0000").await);
    }
    assert_eq!(answers[0], answers[1], "no account enumeration");
    assert!(answers[0].contains("does not match"), "{}", answers[0]);
}

#[tokio::test]
async fn a_dropped_session_is_offered_to_continue_where_it_left_off() {
    // On by default (resume_secs = 120).
    let server = start().await;
    // A complaint half-way: the category list, then the network drops (no END sent).
    let mut dropped = server.call(EN_POWER);
    dropped.dial().await;
    let categories = dropped.press("4").await;
    assert!(categories.contains("Billing dispute"), "{categories}");
    // Africa's Talking says the session ended incomplete: it is recorded, and still resumable.
    let notice = format!(
        "sessionId={}&status=Incomplete&phoneNumber=%2B254729141428&serviceCode=*123%23",
        dropped.session
    );
    let (status, _) = server.post("/ussd/africastalking/events", notice).await;
    assert_eq!(status, 200);
    // Dialling again: the offer, in the caller's language.
    let mut again = server.call(EN_POWER);
    let offer = again.dial().await;
    assert_eq!(
        offer,
        "CON Your last session was cut off.\n1. Continue where you left off\n2. Start over"
    );
    let resumed = again.press("1").await;
    assert_eq!(resumed, categories, "back on the screen it left");
    let filed = again.press("2").await;
    let confirm_or_filed = if filed.contains("Confirm") {
        again.press("1").await
    } else {
        filed
    };
    assert!(confirm_or_filed.contains("Ref: RC"), "{confirm_or_filed}");
    // The dropped session was recorded as left mid-menu; the resumed one has the whole path.
    let row = server
        .crm
        .written_interaction("africastalking", &again.session)
        .await;
    assert!(row.path.contains("complaint_category"), "{}", row.path);
    let left = server
        .crm
        .written_interaction("africastalking", &dropped.session)
        .await;
    assert!(!left.ended, "the dropped session ended mid-menu");

    // Starting over, in Swahili: the main menu.
    let mut dropped = server.call(SW_WATER);
    dropped.dial().await;
    dropped.press("4").await;
    let mut again = server.call(SW_WATER);
    let offer = again.dial().await;
    assert!(
        offer.starts_with("CON Kipindi chako cha mwisho kilikatika."),
        "{offer}"
    );
    let menu = again.press("2").await;
    assert!(menu.starts_with("CON Karibu. Chagua:"), "{menu}");
    // A finished session offers nothing.
    let mut done = server.call(FR_WATER);
    done.dial().await;
    done.press("1").await;
    let menu = server.call(FR_WATER).dial().await;
    assert!(menu.starts_with("CON Bienvenue"), "{menu}");

    // French and Wolof; a wrong answer asks again (the Wolof offer is a UCS-2 page: no room
    // for the error line too, and every page fits, as `Call` checks).
    for (phone, first_line, error) in [
        (
            FR_WATER,
            "CON Votre dernière session a été coupée.",
            "Choix invalide.",
        ),
        (WO_POWER, "CON Sa jokkoo bu mujj dagg na.", ""),
    ] {
        let mut dropped = server.call(phone);
        dropped.dial().await;
        let categories = dropped.press("4").await;
        let mut again = server.call(phone);
        let offer = again.dial().await;
        assert!(offer.starts_with(first_line), "{offer}");
        let asked = again.press("7").await;
        if error.is_empty() {
            assert_eq!(asked, offer, "asked again");
        } else {
            assert!(asked.starts_with(&format!("CON {error}\n")), "{asked}");
            assert!(asked.ends_with(&offer["CON ".len()..]), "{asked}");
        }
        assert_eq!(again.press("1").await, categories, "back where it was");
    }
    // Left on the main menu: nothing to continue, no offer.
    let mut idle = server.call(EN_POWER);
    idle.dial().await;
    let invalid = idle.press("77").await;
    assert!(invalid.starts_with("CON Invalid choice."), "{invalid}");
    let menu = server.call(EN_POWER).dial().await;
    assert!(menu.starts_with("CON Welcome"), "{menu}");

    // Left on the offer itself (Africa's Talking says so): the next dial is offered again.
    let mut dropped = server.call(SW_WATER);
    dropped.dial().await;
    let categories = dropped.press("4").await;
    let mut left = server.call(SW_WATER);
    assert!(left.dial().await.starts_with("CON Kipindi chako"));
    let notice = format!(
        "sessionId={}&status=Incomplete&phoneNumber=%2B254112207544&serviceCode=*123%23",
        left.session
    );
    assert_eq!(
        server.post("/ussd/africastalking/events", notice).await.0,
        200
    );
    let mut again = server.call(SW_WATER);
    let offer = again.dial().await;
    assert!(offer.starts_with("CON Kipindi chako"), "{offer}");
    assert_eq!(again.press("1").await, categories);
}

#[tokio::test]
async fn the_resume_offer_ends_after_resume_secs_and_never_comes_with_zero() {
    let server = start_with(|c| c.resume_secs = 1).await;
    let mut dropped = server.call(EN_POWER);
    dropped.dial().await;
    dropped.press("4").await;
    assert!(
        server
            .call(EN_POWER)
            .dial()
            .await
            .starts_with("CON Your last session")
    );
    let mut dropped = server.call(SW_WATER);
    dropped.dial().await;
    dropped.press("4").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let menu = server.call(SW_WATER).dial().await;
    assert!(menu.starts_with("CON Karibu"), "past the window: {menu}");

    let server = start_with(|c| c.resume_secs = 0).await;
    let mut dropped = server.call(FR_WATER);
    dropped.dial().await;
    dropped.press("4").await;
    let menu = server.call(FR_WATER).dial().await;
    assert!(menu.starts_with("CON Bienvenue"), "never offered: {menu}");
}

/// Follows a reference from the main menu, past the caller's ticket list if there is one.
async fn follow_reference(call: &mut support::Call<'_>, digits: &str) -> String {
    let reply = call.press("3").await;
    if !reply.contains("RC") {
        return call.press(digits).await;
    }
    call.press("1").await;
    call.press(digits).await
}

/// A server whose notifier does not run: no escalation is written behind a test's back.
async fn start_quiet() -> TestServer {
    start_with(|c| c.sms.in_serve = false).await
}

#[tokio::test]
async fn a_ticket_past_its_sla_reads_late_with_its_due_date_in_every_language() {
    let server = start_quiet().await;
    // RC261100001 (SNE100001, Wolof): open, due 05/11/2026, filed 04/11/2026.
    let mut call = server.call(WO_POWER);
    call.dial().await;
    let reply = call.press("3").await;
    assert_eq!(
        lines(&reply),
        [
            "Sa plent yi ubbeeku:",
            "RC261100001 Dagg: dafa yéex, ba 05/11/2026",
            "1. Bindal ab ref",
            "0. Dellu",
        ]
    );
    call.press("1").await;
    let reply = call.press("261100001").await;
    assert_eq!(
        reply,
        "END Ref RC261100001\nDagg: ubbeeku\nDafa yéex: waroon na jeex ba 05/11/2026\n\
         Li mujj: bind nañu ko ci 04/11/2026"
    );
    let expected = [
        (
            FR_WATER,
            "END Réf RC261100001\nCoupure: ouverte\nEn retard: délai dépassé (05/11/2026)\n\
             Dernier suivi: déposée le 04/11/2026",
        ),
        (
            SW_WATER,
            "END Kumb RC261100001\nKukatika: wazi\nYamechelewa: yalipaswa hadi 05/11/2026\n\
             Mwisho: yamewasilishwa tarehe 04/11/2026",
        ),
        (
            EN_POWER,
            "END Ref RC261100001\nOutage: open\nLate: was due 05/11/2026\n\
             Last: filed on 04/11/2026",
        ),
    ];
    for (phone, screen) in expected {
        let mut call = server.call(phone);
        call.dial().await;
        assert_eq!(follow_reference(&mut call, "261100001").await, screen);
    }
}

#[tokio::test]
async fn the_ticket_list_names_each_category_in_every_language() {
    let server = start_quiet().await;
    // A new connection (3) is a request of its own: its service, its area, then confirmed.
    let cases: [(&str, &[&str], &str); 4] = [
        (
            FR_WATER,
            &["4", "2", "1"],
            "Compteur en panne: ouverte, délai ",
        ),
        (WO_POWER, &["4", "2", "1"], "Kontoor yaqu na: ubbeeku, ba "),
        (
            SW_WATER,
            &["4", "3", "2", "1", "1"],
            "Muunganisho mpya: wazi, hadi ",
        ),
        (EN_POWER, &["4", "1", "1"], "Billing dispute: open, due "),
    ];
    for (phone, walk, item) in cases {
        let mut call = server.call(phone);
        call.dial().await;
        let filed = call.walk(walk).await;
        let reference = filed
            .split(": ")
            .nth(1)
            .and_then(|r| r.split('.').next())
            .expect("reference")
            .to_string();
        let mut follow = server.call(phone);
        follow.dial().await;
        let reply = follow.press("3").await;
        let line = lines(&reply)
            .into_iter()
            .find(|l| l.starts_with(&reference))
            .unwrap_or_else(|| panic!("{reference} listed: {reply}"))
            .to_string();
        assert!(line.starts_with(&format!("{reference} {item}")), "{line}");
    }
}

#[tokio::test]
async fn ticket_details_show_the_latest_event_in_every_language() {
    let server = start_quiet().await;
    let add_event = |event: &'static str, detail: &'static str, at: &'static str| {
        let server = &server;
        async move {
            server
                .count(&format!(
                    "INSERT INTO ticket_events (ticket_ref, at, event, detail) \
                     VALUES ('RC261100001', '{at}', '{event}', '{detail}') RETURNING id"
                ))
                .await
        }
    };
    let last_line = |reply: String| reply.lines().last().unwrap().to_string();
    let phones = [FR_WATER, WO_POWER, SW_WATER, EN_POWER];
    let mut screens = Vec::new();
    for (event, detail, at) in [
        ("status", "in_progress", "2026-11-20T09:00:00Z"),
        ("escalated", "2", "2026-11-21T09:00:00Z"),
        ("customer_called_again", "", "2026-11-22T09:00:00Z"),
        ("note", "meter replaced", "2026-11-23T09:00:00Z"),
        ("sms_bounced", "x", "2026-11-24T09:00:00Z"),
    ] {
        add_event(event, detail, at).await;
        for phone in phones {
            let mut call = server.call(phone);
            call.dial().await;
            screens.push(last_line(follow_reference(&mut call, "261100001").await));
        }
    }
    assert_eq!(
        screens,
        [
            "Dernier suivi: statut en traitement le 20/11/2026",
            "Li mujj: ñu ngi ci ci 20/11/2026",
            "Mwisho: hali: yanashughulikiwa tarehe 20/11/2026",
            "Last: status: in progress on 20/11/2026",
            "Dernier suivi: escaladée (niveau 2) le 21/11/2026",
            "Li mujj: yéegal nañu ko (tolluwaay 2) ci 21/11/2026",
            "Mwisho: yamepandishwa (ngazi 2) tarehe 21/11/2026",
            "Last: escalated (level 2) on 21/11/2026",
            "Dernier suivi: vous avez rappelé le 22/11/2026",
            "Li mujj: woowaat nga ci 22/11/2026",
            "Mwisho: umepiga tena tarehe 22/11/2026",
            "Last: you called again on 22/11/2026",
            "Dernier suivi: note de nos agents le 23/11/2026",
            "Li mujj: sunu liggeeykat bind na ci ci 23/11/2026",
            "Mwisho: maelezo ya mhudumu tarehe 23/11/2026",
            "Last: note by our staff on 23/11/2026",
            "Dernier suivi: mise à jour le 24/11/2026",
            "Li mujj: yeesal nañu ko ci 24/11/2026",
            "Mwisho: yamesasishwa tarehe 24/11/2026",
            "Last: update on 24/11/2026",
        ]
    );
}

#[tokio::test]
async fn a_complaint_and_a_call_back_carry_the_account_the_caller_was_located_by() {
    let server = start_quiet().await;
    let mut call = server.call(UNKNOWN);
    call.dial().await;
    call.press("1").await;
    call.press("2").await;
    // SNE100002's meter M284238577, typed as digits; then "no" to the outage, back home.
    let reply = call.walk(&["284238577", "2"]).await;
    assert!(reply.contains("1. "), "{reply}");
    let reply = call.walk(&["4", "2", "1"]).await;
    assert!(
        reply.starts_with("END ") && reply.contains("Réf: RC"),
        "{reply}"
    );
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM tickets WHERE phone = '+221770000099' \
             AND category = 'meter_fault' AND account_no = 'SNE100002'"
        )
        .await,
        1
    );
    let mut call = server.call(UNKNOWN);
    call.dial().await;
    call.walk(&["2", "284238577", "2", "7"]).await;
    let reply = call.press("1").await;
    assert!(reply.starts_with("END "), "{reply}");
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM callback_tasks WHERE phone = '+221770000099' \
             AND account_no = 'SNE100002'"
        )
        .await,
        1
    );
}

/// The reference of a "filed" or "already registered" screen (`...: RC...`).
fn screen_reference(reply: &str) -> String {
    let at = reply.find("RC").expect("a reference");
    reply[at..]
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_repeat_complaint_is_told_its_reference_and_files_no_second_ticket() {
    let server = start_quiet().await;
    let cases = [
        (
            FR_WATER,
            "SNW100000",
            "END Cette réclamation est déjà enregistrée. Réf: {ref}. Nous avons noté votre appel.",
        ),
        (
            WO_POWER,
            "SNE100001",
            "END Sa plent bii bind nañu ko ba noppi. Ref: {ref}. Bind nañu ni woowaat nga.",
        ),
        (
            SW_WATER,
            "KEW100012",
            "END Malalamiko haya yameshasajiliwa. Kumb: {ref}. Tumeandika simu yako.",
        ),
        (
            EN_POWER,
            "KEE100010",
            "END This complaint is already registered. Ref: {ref}. We have noted your call.",
        ),
    ];
    for (phone, account, already) in cases {
        let mut first = server.call(phone);
        first.dial().await;
        let filed = first.walk(&["4", "1", "1"]).await;
        let reference = screen_reference(&filed);
        let mut again = server.call(phone);
        again.dial().await;
        let reply = again.walk(&["4", "1", "1"]).await;
        assert_eq!(reply, already.replace("{ref}", &reference));
        // The aggregator resends the confirming hop: the same answer, nothing written.
        assert_eq!(again.retry().await, reply);
        let tickets = format!(
            "SELECT COUNT(*) FROM tickets WHERE account_no = '{account}' \
             AND category = 'billing_dispute'"
        );
        assert_eq!(count(&server, &tickets).await, 1, "{account}: one ticket");
        let events = format!(
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_ref = '{reference}' \
             AND event = 'customer_called_again'"
        );
        assert_eq!(count(&server, &events).await, 1, "{account}: one event");
        // Another category is another ticket.
        let mut other = server.call(phone);
        other.dial().await;
        let reply = other.walk(&["4", "2", "1"]).await;
        assert_ne!(screen_reference(&reply), reference, "{reply}");
    }
}

#[tokio::test]
async fn a_report_during_planned_works_attaches_to_them() {
    let server = start().await;
    let at = |hours: i64| {
        (chrono::Utc::now() + chrono::Duration::hours(hours))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let (starts, ends) = (at(-1), at(2));
    let insert = if server.database_url.starts_with("sqlite:") {
        format!(
            "INSERT INTO outages (outage_id, area_code, service, kind, starts_at, expected_end, status, cause) VALUES ('OUT8001', 'SN-DKR-PLT', 'water', 'planned', '{starts}', '{ends}', 'scheduled', 'works') RETURNING CAST(1 AS BIGINT)"
        )
    } else {
        format!(
            "INSERT INTO outages (outage_id, area_code, service, kind, starts_at, expected_end, status, cause) VALUES ('OUT8001', 'SN-DKR-PLT', 'water', 'planned', '{starts}'::timestamptz, '{ends}'::timestamptz, 'scheduled', 'works') RETURNING CAST(1 AS BIGINT)"
        )
    };
    server.count(&insert).await;
    let tickets_before = count(&server, "SELECT COUNT(*) FROM tickets").await;
    let mut call = server.call(FR_WATER);
    call.dial().await;
    call.press("2").await;
    let reply = call.press("1").await;
    assert!(reply.starts_with("END "), "{reply}");
    assert_eq!(
        server.crm.outage_report_count("OUT8001").await.unwrap(),
        1,
        "attached to the planned works: {reply}"
    );
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM tickets").await,
        tickets_before,
        "no new ticket"
    );
}

// --- New connection requests -------------------------------------------------------------------

/// A known caller asks for a new connection where the account is (main menu 8, more services, 2): the account's
/// area is offered first, the request is filed once whatever the aggregator resends, followed
/// like any ticket (listed with its category, found by its reference), and asked again it is
/// told the same reference.
#[tokio::test]
async fn a_known_caller_asks_for_a_connection_in_the_accounts_area_in_four_languages() {
    let server = start_quiet().await;
    struct Case {
        phone: &'static str,
        account: &'static str,
        area_code: &'static str,
        service_key: &'static str,
        service: &'static str,
        services: [&'static str; 2],
        mine: &'static str,
        confirm: &'static str,
        filed: &'static str,
        label: &'static str,
        already: &'static str,
    }
    let cases = [
        Case {
            phone: FR_WATER,
            account: "SNW100000",
            area_code: "SN-DKR-PLT",
            service_key: "2",
            service: "water",
            services: ["1. Électricité", "2. Eau"],
            mine: "1. Plateau (quartier de votre compte)",
            confirm: "Demander un branchement d'eau à Plateau?",
            filed: "END Demande de branchement enregistrée. Réf: {ref}. Réponse avant le ",
            label: "Nouveau branchement",
            already: "END Vous avez déjà une demande en cours pour ce branchement. Réf: {ref}. \
                      Nous avons noté votre appel.",
        },
        Case {
            phone: WO_POWER,
            account: "SNE100001",
            area_code: "SN-DKR-MED",
            service_key: "1",
            service: "electricity",
            services: ["1. Kuraan", "2. Ndox"],
            mine: "1. Médina (gox u sa kont)",
            confirm: "Laaj bransmaa kuraan bu bees ci Médina?",
            filed: "END Bind nañu sa laaj bransmaa. Ref: {ref}. Tontu ba ",
            label: "Bransmaa bu bees",
            already: "END Am nga laaj bransmaa bu ñu jeexalagul ci lii. Ref: {ref}. \
                      Bind nañu ni woowaat nga.",
        },
        Case {
            phone: SW_WATER,
            account: "KEW100012",
            area_code: "KE-KSM-CEN",
            service_key: "2",
            service: "water",
            services: ["1. Umeme", "2. Maji"],
            mine: "1. Kisumu Central (eneo la akaunti yako)",
            confirm: "Omba muunganisho mpya wa maji katika Kisumu Central?",
            filed: "END Ombi la muunganisho mpya limepokelewa. Kumb: {ref}. Jibu kabla ya ",
            label: "Muunganisho mpya",
            already: "END Tayari una ombi linalosubiri kwa hili. Kumb: {ref}. \
                      Tumeandika simu yako.",
        },
        Case {
            phone: EN_POWER,
            account: "KEE100010",
            area_code: "KE-NBO-WES",
            service_key: "1",
            service: "electricity",
            services: ["1. Electricity", "2. Water"],
            mine: "1. Westlands (your account's area)",
            confirm: "Request a new electricity connection in Westlands?",
            filed: "END New connection request recorded. Ref: {ref}. Answer by ",
            label: "New connection",
            already: "END You already have a pending request for this. Ref: {ref}. \
                      We have noted your call.",
        },
    ];
    for (n, case) in cases.iter().enumerate() {
        let mut call = server.call(case.phone);
        call.dial().await;
        let reply = call.walk(&["8", "2"]).await;
        assert_eq!(&lines(&reply)[1..3], case.services, "{reply}");
        let reply = call.press(case.service_key).await;
        assert_eq!(lines(&reply)[1], case.mine, "{reply}");
        let reply = call.press("1").await;
        assert_eq!(lines(&reply)[0], case.confirm, "{reply}");
        let filed = call.press("1").await;
        let reference = screen_reference(&filed);
        assert!(
            filed.starts_with(&case.filed.replace("{ref}", &reference)),
            "{filed}"
        );
        // The aggregator resends the last hop: the same answer, nothing more written.
        assert_eq!(call.retry().await, filed);
        let ticket = server
            .crm
            .ticket(&reference)
            .await
            .unwrap()
            .expect("ticket");
        assert_eq!(
            (
                ticket.category.as_str(),
                ticket.status.as_str(),
                ticket.account_no.as_deref(),
                ticket.phone.as_deref(),
                ticket.channel.as_str()
            ),
            (
                "new_connection",
                "open",
                Some(case.account),
                Some(case.phone),
                "ussd"
            )
        );
        assert_eq!(
            (ticket.sla_due_at.unwrap() - ticket.created_at).num_hours(),
            360,
            "new connection SLA"
        );
        let details = format!(
            "SELECT COUNT(*) FROM connection_requests WHERE ticket_ref = '{reference}' \
             AND service = '{}' AND area_code = '{}' AND account_no = '{}'",
            case.service, case.area_code, case.account
        );
        assert_eq!(count(&server, &details).await, 1, "{}", case.account);
        assert_eq!(
            count(&server, "SELECT COUNT(*) FROM connection_requests").await,
            n as i64 + 1
        );
        // Its SMS confirmation is queued like any ticket's, once.
        let sms = format!(
            "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'ticket_filed' \
             AND ticket_ref = '{reference}' AND phone = '{}'",
            case.phone
        );
        assert_eq!(count(&server, &sms).await, 1, "{}", case.account);

        // Followed like any ticket: listed with its category, found by its reference.
        let mut follow = server.call(case.phone);
        follow.dial().await;
        let list = follow.press("3").await;
        let line = lines(&list)
            .into_iter()
            .find(|l| l.starts_with(&reference))
            .unwrap_or_else(|| panic!("{reference} listed: {list}"))
            .to_string();
        assert!(
            line.starts_with(&format!("{reference} {}: ", case.label)),
            "{line}"
        );
        follow.press("1").await;
        let details = follow.press(&reference[2..]).await;
        let first_line = lines(&details)[0];
        assert!(
            details.starts_with("END ") && first_line.ends_with(&format!(" {reference}")),
            "{details}"
        );
        assert!(details.contains(case.label), "{details}");

        // Asked again while it is pending: the same reference, no second ticket.
        let mut again = server.call(case.phone);
        again.dial().await;
        let reply = again.walk(&["8", "2", case.service_key, "1", "1"]).await;
        assert_eq!(reply, case.already.replace("{ref}", &reference));
        assert_eq!(again.retry().await, reply);
        let tickets = format!(
            "SELECT COUNT(*) FROM tickets WHERE account_no = '{}' \
             AND category = 'new_connection'",
            case.account
        );
        assert_eq!(count(&server, &tickets).await, 1, "{}", case.account);
        let events = format!(
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_ref = '{reference}' \
             AND event = 'customer_called_again'"
        );
        assert_eq!(count(&server, &events).await, 1, "{}", case.account);
    }
}

/// A phone linked to no account types (part of) its area's name: case and accents aside, or
/// as keypad digits; several matches are listed to pick from, none is said so and asked
/// again. The request is filed once for the phone, which is told its reference again later.
#[tokio::test]
async fn an_unknown_phone_types_its_area_in_four_languages() {
    let server = start_quiet().await;
    struct Case {
        phone: &'static str,
        lang_key: &'static str,
        prompt: &'static str,
        not_found: &'static str,
        typed: &'static str,
        area: &'static str,
        area_code: &'static str,
        several: &'static str,
    }
    let cases = [
        Case {
            phone: "+221770000099",
            lang_key: "1",
            prompt: "Tapez une partie du nom du quartier",
            not_found: "Aucun quartier ne porte ce nom. Vérifiez-le et réessayez.",
            typed: "medina",
            area: "Médina",
            area_code: "SN-DKR-MED",
            several: "Plusieurs quartiers correspondent. Choisissez:",
        },
        Case {
            phone: "+221770000098",
            lang_key: "2",
            prompt: "Bindal benn pàcc ci turu gox bi",
            not_found: "Amul benn gox ak tur wii. Seetal ko te jéemaat.",
            typed: "MÉDINA",
            area: "Médina",
            area_code: "SN-DKR-MED",
            several: "Ay gox yu bare ñoo ko am. Tànnal sa gox:",
        },
        Case {
            phone: "+254700000097",
            lang_key: "3",
            prompt: "Andika sehemu ya jina la eneo",
            not_found: "Hakuna eneo lenye jina hili. Hakikisha na ujaribu tena.",
            typed: "thies",
            area: "Thiès Centre",
            area_code: "SN-THS-CEN",
            several: "Maeneo kadhaa yanalingana. Chagua lako:",
        },
        Case {
            phone: "+254700000096",
            lang_key: "4",
            // The keypad digits of MEDINA.
            prompt: "Type part of the area name",
            not_found: "No area has this name. Check it and try again.",
            typed: "633462",
            area: "Médina",
            area_code: "SN-DKR-MED",
            several: "Several areas match. Choose yours:",
        },
    ];
    for case in &cases {
        // Electricity, typed: none matches, then the area.
        let mut call = server.call(case.phone);
        call.dial().await;
        call.press(case.lang_key).await;
        call.walk(&["8", "2"]).await;
        let prompt = call.press("1").await;
        assert!(
            prompt.starts_with(&format!("CON {}", case.prompt)),
            "straight to the prompt: {prompt}"
        );
        let reply = call.press("zzq").await;
        assert_eq!(lines(&reply)[0], case.not_found, "{reply}");
        assert_eq!(call.press("1").await, prompt, "try again: the prompt");
        let confirm = call.press(case.typed).await;
        assert!(lines(&confirm)[0].contains(case.area), "{confirm}");
        let filed = call.press("1").await;
        let first = screen_reference(&filed);
        let details = format!(
            "SELECT COUNT(*) FROM connection_requests c JOIN tickets t \
             ON t.ticket_ref = c.ticket_ref WHERE c.ticket_ref = '{first}' \
             AND c.service = 'electricity' AND c.area_code = '{}' \
             AND c.account_no IS NULL AND t.account_no IS NULL AND t.phone = '{}'",
            case.area_code, case.phone
        );
        assert_eq!(count(&server, &details).await, 1, "{filed}");

        // Water, typed `centr`: four areas listed; the second is picked.
        let mut call = server.call(case.phone);
        call.dial().await;
        let list = call.walk(&["8", "2", "2", "CENTR"]).await;
        assert_eq!(
            lines(&list)[..5],
            [
                case.several,
                "1. Bouaké Centre (Bouaké)",
                "2. Kisumu Central (Kisumu)",
                "3. Nakuru Central (Nakuru)",
                "4. Thiès Centre (Thiès)"
            ],
            "{list}"
        );
        let confirm = call.press("2").await;
        assert!(lines(&confirm)[0].contains("Kisumu Central"), "{confirm}");
        let filed = call.press("1").await;
        let second = screen_reference(&filed);
        assert_ne!(second, first, "another service and area: another request");
        assert_eq!(call.retry().await, filed);
        let details = format!(
            "SELECT COUNT(*) FROM connection_requests WHERE ticket_ref = '{second}' \
             AND service = 'water' AND area_code = 'KE-KSM-CEN'"
        );
        assert_eq!(count(&server, &details).await, 1, "{filed}");

        // The same phone asks for water in Kisumu Central again: the same reference.
        let mut again = server.call(case.phone);
        again.dial().await;
        let reply = again.walk(&["8", "2", "2", "kisumu", "1"]).await;
        assert_eq!(screen_reference(&reply), second, "{reply}");
        let tickets = format!(
            "SELECT COUNT(*) FROM tickets WHERE phone = '{}' AND category = 'new_connection'",
            case.phone
        );
        assert_eq!(count(&server, &tickets).await, 2, "{reply}");

        // Followed by its reference like any ticket.
        let mut follow = server.call(case.phone);
        follow.dial().await;
        let details = follow_reference(&mut follow, &second[2..]).await;
        assert!(
            details.starts_with("END ") && lines(&details)[0].ends_with(&format!(" {second}")),
            "{details}"
        );
    }
}

/// The complaint category "new connection" (3) leads to the same request as main menu 8 (more services), 2; a
/// known caller may ask for another area than the account's; too many matches ask for more
/// of the name.
#[tokio::test]
async fn complaint_category_3_and_more_services_2_both_ask_for_a_connection() {
    // Two sessions of one phone side by side: no resume offer between them.
    let server = start_with(|c| {
        c.sms.in_serve = false;
        c.resume_secs = 0;
    })
    .await;
    let mut call = server.call(EN_POWER);
    let main = call.dial().await;
    assert_eq!(lines(&main).last(), Some(&"8. More services"), "{main}");
    let categories = call.press("4").await;
    assert!(categories.contains("3. New connection"), "{categories}");
    let from_category = call.press("3").await;
    let mut other = server.call(EN_POWER);
    other.dial().await;
    let from_main = other.walk(&["8", "2"]).await;
    assert_eq!(from_category, from_main);
    assert_eq!(
        from_main,
        "CON New connection. Which service?\n1. Electricity\n2. Water\n0. Back"
    );

    // Another area than the account's (Westlands): typed, filed there.
    let reply = call.walk(&["2", "2"]).await;
    assert!(
        reply.starts_with("CON Type part of the area name"),
        "{reply}"
    );
    let confirm = call.press("kib").await;
    assert_eq!(
        lines(&confirm)[0],
        "Request a new water connection in Kibera?"
    );
    let filed = call.press("1").await;
    let reference = screen_reference(&filed);
    let row = format!(
        "SELECT COUNT(*) FROM connection_requests WHERE ticket_ref = '{reference}' \
         AND service = 'water' AND area_code = 'KE-NBO-KIB' AND account_no = 'KEE100010'"
    );
    assert_eq!(count(&server, &row).await, 1, "{filed}");

    // Nine areas share a name's start: more of it must be typed; the whole name finds one.
    let parcelles: Vec<dalal::domain::Area> = (1..=9)
        .map(|n| dalal::domain::Area {
            area_code: format!("SN-DKR-PA{n}"),
            name: format!("Parcelles Unité {n}"),
            region: "Dakar".into(),
            country: "SN".into(),
            timezone: None,
            currency: "XOF".into(),
            languages: vec!["wo".into(), "fr".into()],
        })
        .collect();
    server
        .crm
        .import(&dalal::domain::Dataset {
            areas: parcelles,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut call = server.call(EN_POWER);
    call.dial().await;
    let reply = call.walk(&["8", "2", "1", "2", "parcelles"]).await;
    assert_eq!(
        reply,
        "CON Too many areas match. Type more of the name.\n1. Try again\n0. Back"
    );
    call.press("1").await;
    let confirm = call.press("Parcelles unite 7").await;
    assert_eq!(
        lines(&confirm)[0],
        "Request a new electricity connection in Parcelles Unité 7?"
    );
    // No: back to the main menu, nothing filed.
    let main = call.press("2").await;
    assert_eq!(lines(&main)[0], "Welcome. Choose:");
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM connection_requests WHERE area_code = 'SN-DKR-PA7'"
        )
        .await,
        0
    );
}
