//! Reporting a danger in the street (More services, 3), end to end over HTTP as Africa's
//! Talking drives the server, in all four languages (`DALAL_TEST_BACKEND=production`: on
//! PostgreSQL + Redis): an urgent `hazard` ticket of its own with its kind and area, filed
//! once despite a resent hop, its reference told, its SMS queued once.

use crate::support;

use dalal::reference::{Typed, parse_typed};
use support::TestServer;

/// A caller reporting one kind of danger, in the account's area or one typed.
struct Case {
    phone: &'static str,
    account: &'static str,
    /// `1` the account's area, or the part of a name to type.
    area: Option<&'static str>,
    area_code: &'static str,
    kind_key: &'static str,
    kind: &'static str,
    service: &'static str,
    /// The kinds offered, as on screen.
    kinds: [&'static str; 3],
    confirm: &'static str,
    /// The screen after filing, `{ref}` for the reference.
    filed: &'static str,
    /// The ticket's category in the caller's list.
    label: &'static str,
    /// What the SMS says of it.
    sms: &'static str,
    /// How the SMS of its progress and of its delay name it (not as a complaint).
    followed: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        phone: "+221786452821",
        account: "SNW100000",
        area: None,
        area_code: "SN-DKR-PLT",
        kind_key: "3",
        kind: "water_leak",
        service: "water",
        kinds: [
            "1. Fil électrique tombé",
            "2. Fil électrique dénudé",
            "3. Fuite d'eau dans la rue",
        ],
        confirm: "Signaler une fuite d'eau à Plateau?",
        filed: "END Signalé: réf {ref}. Éloignez-vous; notre équipe arrive.",
        label: "Danger signalé",
        sms: "Signalement de danger enregistré. Réf {ref}. Éloignez-vous",
        followed: "Alerte danger {ref}: ",
    },
    Case {
        phone: "+221786562901",
        account: "SNE100001",
        area: Some("pikine"),
        area_code: "SN-DKR-PKN",
        kind_key: "1",
        kind: "power_line",
        service: "electricity",
        kinds: [
            "1. Fil kuraan bu daanu",
            "2. Fil kuraan bu ubbiku",
            "3. Ndox muy tuuru ci mbedd mi",
        ],
        confirm: "Yegle fil kuraan bu daanu ci Pikine?",
        filed: "END Yegle nga ko: Ref {ref}. Bul ko jege; sunu ekip a ngi dikk.",
        label: "Musiba",
        sms: "Bind nanu sa yegle musiba. Ref {ref}. Bul ko jege",
        followed: "Yegle musiba {ref}: ",
    },
    Case {
        phone: "+254112207544",
        account: "KEW100012",
        area: None,
        area_code: "KE-KSM-CEN",
        kind_key: "2",
        kind: "exposed_cable",
        service: "electricity",
        kinds: [
            "1. Nyaya ya umeme imeanguka",
            "2. Waya wa umeme uko wazi",
            "3. Maji yanavuja barabarani",
        ],
        confirm: "Ripoti waya wa umeme ulio wazi katika Kisumu Central?",
        filed: "END Imeripotiwa: Kumb {ref}. Kaa mbali; timu yetu inakuja.",
        label: "Hatari",
        sms: "Ripoti ya hatari imepokelewa. Kumb {ref}. Kaa mbali",
        followed: "Ripoti ya hatari {ref}: ",
    },
    Case {
        phone: "+254729141428",
        account: "KEE100010",
        // Keypad digits of "kibera".
        area: Some("542372"),
        area_code: "KE-NBO-KIB",
        kind_key: "1",
        kind: "power_line",
        service: "electricity",
        kinds: [
            "1. Fallen power line",
            "2. Exposed electric cable",
            "3. Water leak in the street",
        ],
        confirm: "Report a fallen power line in Kibera?",
        filed: "END Reported: ref {ref}. Keep away; our team is coming.",
        label: "Danger report",
        sms: "Danger report received. Ref {ref}. Keep away from it",
        followed: "Danger report {ref}: ",
    },
];

fn lines(reply: &str) -> Vec<&str> {
    reply[4..].lines().collect()
}

/// A reference in a screen: `RC` and digits.
fn reference_in(text: &str) -> String {
    let start = text
        .find("RC")
        .unwrap_or_else(|| panic!("no reference in {text:?}"));
    text[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// Walks a case to the filed screen: More services, danger, kind, area, confirm.
async fn report(server: &TestServer, case: &Case) -> String {
    let mut call = server.call(case.phone);
    call.dial().await;
    let more = call.press("8").await;
    assert!(
        lines(&more)[3].starts_with("3. "),
        "a third service offered: {more}"
    );
    let kinds = call.press("3").await;
    assert_eq!(&lines(&kinds)[1..4], case.kinds, "{kinds}");
    let place = call.press(case.kind_key).await;
    let confirm = match case.area {
        None => call.press("1").await,
        Some(typed) => {
            let prompt = call.press("2").await;
            assert!(prompt.starts_with("CON "), "{prompt}");
            assert!(!place.contains("RC"), "{place}");
            call.press(typed).await
        }
    };
    assert_eq!(lines(&confirm)[0], case.confirm, "{confirm}");
    let filed = call.press("1").await;
    let reference = reference_in(&filed);
    assert_eq!(filed, case.filed.replace("{ref}", &reference));
    // The aggregator resends the confirming hop: the same answer, nothing filed twice.
    assert_eq!(call.retry().await, filed);
    reference
}

#[tokio::test]
async fn a_danger_is_reported_as_an_urgent_ticket_with_its_kind_and_area_in_four_languages() {
    let server = support::start().await;
    for case in &CASES {
        let hazards = "SELECT COUNT(*) FROM tickets WHERE category = 'hazard'";
        let before = server.count(hazards).await;
        let reference = report(&server, case).await;
        assert!(matches!(parse_typed(&reference), Typed::Reference(_)));
        assert_eq!(server.count(hazards).await, before + 1, "{}", case.account);

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
                ticket.channel.as_str(),
                ticket.note.as_deref(),
            ),
            (
                "hazard",
                "open",
                Some(case.account),
                Some(case.phone),
                "ussd",
                Some(case.kind)
            )
        );
        assert_eq!(
            (ticket.sla_due_at.unwrap() - ticket.created_at).num_hours(),
            4,
            "a danger's short SLA"
        );
        let place = format!(
            "SELECT COUNT(*) FROM tickets WHERE ticket_ref = '{reference}' \
             AND area_code = '{}' AND service = '{}'",
            case.area_code, case.service
        );
        assert_eq!(server.count(&place).await, 1, "{}", case.account);

        // Its SMS confirmation is queued once, and says what it is in the caller's language.
        let sms = format!(
            "SELECT COUNT(*) FROM sms_outbox WHERE kind = 'ticket_filed' \
             AND ticket_ref = '{reference}' AND phone = '{}'",
            case.phone
        );
        assert_eq!(server.count(&sms).await, 1, "{}", case.account);
        let text = sms_text(&server, "ticket_filed", &reference, case.account).await;
        assert!(
            text.starts_with(&case.sms.replace("{ref}", &reference)),
            "{text}"
        );
        let counted = dalal::sms::segments::count(&text);
        assert_eq!(counted.segments, 1, "{text}");
        for kind in ["ticket_status", "ticket_late"] {
            let text = sms_text(&server, kind, &reference, case.account).await;
            let named = case.followed.replace("{ref}", &reference);
            assert!(text.starts_with(&named), "{kind}: {text}");
            assert_eq!(dalal::sms::segments::count(&text).segments, 1, "{text}");
        }

        // Followed like any ticket: listed under its own category.
        let mut follow = server.call(case.phone);
        follow.dial().await;
        let list = follow.press("3").await;
        let line = lines(&list)
            .into_iter()
            .find(|l| l.starts_with(&reference))
            .unwrap_or_else(|| panic!("{reference} listed: {list}"))
            .to_string();
        assert!(line.contains(case.label), "{line}");
    }
}

/// The text an SMS of a ticket (`kind`) says, rendered as the sender would (its row, its subject).
async fn sms_text(server: &TestServer, kind: &str, reference: &str, account: &str) -> String {
    let ticket = server.crm.ticket(reference).await.unwrap();
    let subject = dalal::notify::messages::Subject {
        ticket,
        account: server.crm.account(account).await.unwrap(),
        ..Default::default()
    };
    let row = dalal::store::outbox::OutboxRow {
        id: 0,
        kind: kind.into(),
        phone: String::new(),
        account_no: Some(account.to_string()),
        ticket_ref: Some(reference.to_string()),
        outage_id: None,
        reference: Some(reference.to_string()),
        detail: None,
        attempts: 0,
    };
    let (id, args) = dalal::notify::messages::message(&row, &subject).expect("a message");
    let catalog =
        dalal::i18n::Catalog::load(std::path::Path::new("locales"), "fr", Default::default())
            .expect("catalog");
    let language = subject.language(&|lang| catalog.languages.iter().any(|l| l == lang), "fr");
    catalog.text(&language, id, &args)
}
