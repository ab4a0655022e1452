//! Debian's Chromium for the browser tests: run headless on a page (`run_headless`), or driven
//! through chromium-driver over the W3C WebDriver protocol (`Driver`, `Browser`). Both paths
//! come from the env `tests/services.sh start` writes; a browser test fails (never skips)
//! without them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::process::free_port;

/// The key of an element reference in W3C WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A variable `tests/services.sh` writes.
fn required(name: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("{name} is not set: run `bash tests/services.sh start` and source target/test-services/env (it installs chromium and chromium-driver)")
    })
}

/// Debian's chromium.
pub fn chromium() -> String {
    required("DALAL_TEST_CHROMIUM")
}

/// Runs headless Chromium on a local file with `args`; returns its stdout and the console
/// messages it logged (every `CONSOLE` line of its log).
pub fn run_headless(page: &Path, profile: &Path, args: &[&str]) -> (String, Vec<String>) {
    let output = Command::new(chromium())
        .args([
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let console = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
    )
}

/// chromium-driver on a port of its own, stopped when dropped.
pub struct Driver {
    child: Child,
    url: String,
    client: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start() -> Driver {
        let port = free_port();
        let child = Command::new(required("DALAL_TEST_CHROMEDRIVER"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = driver
                .client
                .get(format!("{}/status", driver.url))
                .send()
                .await;
            if let Ok(response) = ready {
                let body: Value =
                    serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null);
                if body["value"]["ready"] == json!(true) {
                    return driver;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not get ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A session of headless Chromium with `extra_args` on its command line; its console log
    /// is kept for [`Browser::console_errors`].
    pub async fn session(&self, extra_args: &[String]) -> Browser<'_> {
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--autoplay-policy=no-user-gesture-required",
        ]
        .map(String::from)
        .to_vec();
        args.extend_from_slice(extra_args);
        let capabilities = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium(), "args": args},
                "goog:loggingPrefs": {"browser": "ALL"}
            }}
        });
        let value = command(
            &self.client,
            "POST",
            &format!("{}/session", self.url),
            capabilities,
        )
        .await;
        let id = value["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        Browser {
            client: &self.client,
            base: format!("{}/session/{id}", self.url),
        }
    }
}

/// One WebDriver command; its `value`, or a failure with what the driver said.
async fn command(client: &reqwest::Client, method: &str, url: &str, body: Value) -> Value {
    let request = match method {
        "GET" => client.get(url),
        "DELETE" => client.delete(url),
        _ => client
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string()),
    };
    let response = request.send().await.expect("WebDriver answers");
    let status = response.status();
    let text = response.text().await.unwrap();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert!(
        status.is_success(),
        "WebDriver {method} {url}: {status} {text}"
    );
    value["value"].clone()
}

/// One WebDriver session of headless Chromium.
pub struct Browser<'d> {
    client: &'d reqwest::Client,
    base: String,
}

impl Browser<'_> {
    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        command(self.client, method, &format!("{}{path}", self.base), body).await
    }

    pub async fn open(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    /// Runs `script` in the page; what it returns.
    pub async fn run(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }

    /// The text of `css` as rendered (WebDriver's element text: visible text only).
    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        let text = self
            .call("GET", &format!("/element/{id}/text"), json!({}))
            .await;
        text.as_str().unwrap_or_default().to_string()
    }

    /// The `textContent` of `css`, hidden parts included; empty when there is no such element.
    pub async fn text_content(&self, css: &str) -> String {
        let css = serde_json::to_string(css).unwrap();
        self.run(&format!(
            "const e = document.querySelector({css}); return e ? e.textContent : null;"
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Waits until the text content of `css` contains `want`; fails with what it showed.
    pub async fn wait_text(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text_content(css).await;
            if text.contains(want) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {want:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `script` returns a truthy value; that value. On failure, tells what the
    /// simulator's `#screen` and `#status` showed.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self.run(script).await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                let status = self.text("#status").await;
                let screen = self.text("#screen").await;
                panic!("{what}: not seen within 20 s (screen: {screen:?}, status: {status:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Console errors the page logged.
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self
            .call("POST", "/se/log", json!({"type": "browser"}))
            .await;
        logs.as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["level"] == json!("SEVERE"))
            .map(|l| l["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A screenshot of the page, kept as a test artefact at `path`.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let png = self.call("GET", "/screenshot", Value::Null).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 PNG"))
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub async fn close(self) {
        self.call("DELETE", "", Value::Null).await;
    }
}
