//! The web phone simulator (`/simulator`) in real headless Chromium, driven through WebDriver
//! (Debian's `chromium-driver`, spoken to over its W3C HTTP protocol), against a real server on
//! port 0 with the demo fixture: a bill checked over USSD with the screen's count shown, a call
//! whose recorded prompts load, and `dalal serve` refusing the simulator on a public address
//! with the gateways open.

use crate::support;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use support::browser::{Browser, Driver};

/// Chromium's window, and no sound from the prompts played.
fn session_args() -> Vec<String> {
    vec!["--window-size=1100,900".into(), "--mute-audio".into()]
}

/// Presses keys on the simulator's keypad, then Send.
async fn answer(browser: &Browser<'_>, keys: &str) {
    for key in keys.chars() {
        browser
            .click(&format!("#keys button[data-key='{key}']"))
            .await;
    }
    browser.click("#send").await;
}

#[tokio::test]
async fn a_bill_checked_over_ussd_in_the_browser() {
    // A gateway secret set: the page never has it, the relay presents it.
    let server = support::start_with(|c| {
        c.simulator = Some(true);
        c.gateways
            .entry("africastalking".into())
            .or_default()
            .secret = Some("sim-key".into());
    })
    .await;
    let (status, _) = server.ussd("direct-1", "+221786452821", "").await;
    assert_eq!(status, 403, "the endpoint itself wants the key");

    let driver = Driver::start().await;
    let browser = driver.session(&session_args()).await;
    browser.open(&format!("{}/simulator", server.base)).await;
    browser
        .wait_for(
            "the phone list",
            "return document.body.dataset.ready === 'true'",
        )
        .await;
    let page = browser
        .run("return document.documentElement.outerHTML")
        .await;
    assert!(
        !page.as_str().unwrap().contains("sim-key"),
        "the key stays on the server"
    );
    let first = browser.text("#phone-choice option").await;
    assert!(first.starts_with("Dieynaba Sène (fr, "), "{first}");
    assert!(
        !first.contains("786452821"),
        "the number is masked: {first}"
    );
    let gateway = browser
        .run("return document.getElementById('gateway').value")
        .await;
    assert_eq!(gateway, json!("africastalking"));

    browser.click("#dial").await;
    browser
        .wait_for(
            "the main menu",
            "return document.getElementById('screen').textContent.includes('1')",
        )
        .await;
    let menu = browser.text("#screen").await;
    assert!(
        menu.contains("Facture") || menu.contains("facture"),
        "{menu}"
    );
    answer(&browser, "1").await;
    let bill = browser
        .wait_for(
            "the bill screen",
            "const t = document.getElementById('screen').textContent; return t.includes('Facture 10/2026') && t",
        )
        .await;
    let bill = bill.as_str().unwrap().to_string();
    assert!(bill.contains("66 860"), "{bill}");
    // The screen's count, as the server's own GSM 03.38 rule makes it.
    let budget = browser.text("#budget").await;
    let (encoding, units) = dalal::text::gsm7::cost(&bill);
    let expected = match encoding {
        dalal::text::gsm7::Encoding::Gsm7 => format!("{units}/182 septets (GSM-7)"),
        dalal::text::gsm7::Encoding::Ucs2 => format!("{units}/80 UCS-2 characters (UCS-2)"),
    };
    assert!(budget.contains(&expected), "{budget} lacks {expected}");
    assert!(
        budget.contains(&format!("{} characters", bill.chars().count())),
        "{budget}"
    );

    // The hops reached the real Africa's Talking endpoint: the interaction is the customer's.
    let session = browser.run("return state.session").await;
    let interaction = server
        .crm
        .written_interaction("africastalking", session.as_str().unwrap())
        .await;
    assert_eq!(interaction.account_no.as_deref(), Some("SNW100000"));
    assert_eq!(interaction.outcome.as_deref(), Some("latest_bill:found"));
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn a_call_plays_the_recorded_prompts_and_takes_keys() {
    let server = support::start_with(|c| c.simulator = Some(true)).await;
    let driver = Driver::start().await;
    let browser = driver.session(&session_args()).await;
    browser.open(&format!("{}/simulator", server.base)).await;
    browser
        .wait_for(
            "the phone list",
            "return document.body.dataset.ready === 'true'",
        )
        .await;
    browser
        .run("const m = document.getElementById('mode'); m.value = 'voice'; m.dispatchEvent(new Event('change'));")
        .await;
    browser.click("#dial").await;
    let sources = browser
        .wait_for(
            "the prompts",
            "const a = [...document.querySelectorAll('#prompts audio')]; return a.length > 0 && a.map(x => x.src)",
        )
        .await;
    let sources: Vec<String> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    for src in &sources {
        assert!(
            src.starts_with(&format!("{}/audio/fr/", server.base)),
            "{src}"
        );
    }
    // Every prompt loads in the browser: data decoded, no media error.
    browser
        .wait_for(
            "the audio loaded",
            "const a = [...document.querySelectorAll('#prompts audio')]; return a.every(x => x.readyState >= 2 && !x.error)",
        )
        .await;
    // And each was fetched with a 200.
    let statuses = browser
        .run("return performance.getEntriesByType('resource').filter(e => e.name.includes('/audio/')).map(e => [e.name, e.responseStatus])")
        .await;
    for src in &sources {
        let fetched = statuses
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e[0] == json!(src) && e[1] == json!(200));
        assert!(fetched, "{src} not fetched with 200: {statuses}");
    }
    let state = browser.text("#voice-state").await;
    assert!(state.contains("press"), "keys awaited: {state}");

    // A key on the keypad: the next turn's prompts replace the first ones and load too.
    answer(&browser, "1").await;
    browser
        .wait_for(
            "the next turn",
            &format!(
                "const a = [...document.querySelectorAll('#prompts audio')].map(x => x.src); return a.length > 0 && JSON.stringify(a) !== {:?}",
                serde_json::to_string(&sources).unwrap()
            ),
        )
        .await;
    browser
        .wait_for(
            "the next turn's audio loaded",
            "const a = [...document.querySelectorAll('#prompts audio')]; return a.every(x => x.readyState >= 2 && !x.error)",
        )
        .await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

/// The relay speaks the other gateways' wire formats too, and only for the listed phones.
#[tokio::test]
async fn other_gateways_and_bad_requests() {
    let server = support::start_with(|c| c.simulator = Some(true)).await;
    let post = |body: Value| {
        let client = server.client.clone();
        let url = format!("{}/simulator/ussd", server.base);
        async move {
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                serde_json::from_str::<Value>(&response.text().await.unwrap()).unwrap(),
            )
        }
    };
    let directory: Value = serde_json::from_str(
        &server
            .client
            .get(format!("{}/simulator/phones", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let gateways = directory["gateways"].as_array().unwrap();
    assert!(gateways.contains(&json!("hubtel")), "{directory}");
    assert!(
        !gateways.contains(&json!("mtn")),
        "pushed screens are not offered: {directory}"
    );
    assert!(
        !directory.to_string().contains("+221786452821"),
        "{directory}"
    );

    for gateway in ["hubtel", "infobip", "nalo", "arkesel"] {
        if !gateways.contains(&json!(gateway)) {
            continue;
        }
        let session = format!("sim-{gateway}-1");
        let (status, first) =
            post(json!({"gateway": gateway, "phone": 0, "session": session})).await;
        assert_eq!(status, 200, "{gateway}: {first}");
        let (status, bill) =
            post(json!({"gateway": gateway, "phone": 0, "session": session, "inputs": ["1"]}))
                .await;
        assert_eq!(status, 200, "{gateway}: {bill}");
        assert!(
            bill["text"].as_str().unwrap().contains("Facture 10/2026"),
            "{gateway}: {bill}"
        );
        assert_eq!(bill["encoding"], json!("GSM-7"), "{gateway}: {bill}");
    }
    let (status, body) =
        post(json!({"gateway": "africastalking", "phone": 999, "session": "s1"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(json!({"gateway": "nope", "phone": 0, "session": "s1"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        post(json!({"gateway": "africastalking", "phone": 0, "session": "bad session!"})).await;
    assert_eq!(status, 400, "{body}");
}

#[test]
fn serve_refuses_the_simulator_on_a_public_address_with_open_gateways() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env("DALAL_SIMULATOR", "true")
        .env(
            "DATABASE_URL",
            format!("sqlite:{}", dir.path().join("crm.db").display()),
        )
        .env_remove("DALAL_AFRICASTALKING_KEY")
        .env_remove("DALAL_AFRICASTALKING_VOICE_KEY")
        .env_remove("REDIS_URL")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("dalal runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started: {stderr}");
    assert!(
        stderr.contains("simulator: refused on the non-loopback address 0.0.0.0:0")
            && stderr.contains("gateways.africastalking.secret"),
        "{stderr}"
    );

    // The shipped deployment config keeps it off.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = dalal::config::Config::load(Some(&root.join("deploy/dalal.toml"))).unwrap();
    assert_eq!(config.simulator, Some(false));
    assert!(!dalal::simulator::enabled(&config));
}
