//! `dalal dial`: a feature phone in the terminal. It speaks the real Africa's Talking protocol
//! to a running server, so what you see is what a customer's handset would show.

use std::io::Write;

use tokio::io::{AsyncBufReadExt, BufReader};

fn session_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("dial-{}-{nanos}", std::process::id())
}

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub async fn run(base_url: &str, phone: &str, service_code: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let url = format!("{}/ussd/africastalking", base_url.trim_end_matches('/'));
    let session = session_id();
    let mut inputs: Vec<String> = Vec::new();
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    println!("Dialling {service_code} from {phone} (type a choice and Enter; Ctrl-D hangs up)");
    loop {
        let text = inputs.join("*");
        let body = format!(
            "sessionId={}&serviceCode={}&phoneNumber={}&networkCode=99999&text={}",
            encode(&session),
            encode(service_code),
            encode(phone),
            encode(&text)
        );
        let response = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let reply = response.text().await?;
        if !status.is_success() {
            anyhow::bail!("server answered {status}: {}", reply.trim());
        }
        let (end, screen) = match reply.split_once(' ') {
            Some(("END", rest)) => (true, rest),
            Some(("CON", rest)) => (false, rest),
            _ => anyhow::bail!("reply without CON/END prefix: {reply:?}"),
        };
        println!("+--------------------------------");
        for line in screen.lines() {
            println!("| {line}");
        }
        println!("+--------------------------------");
        if end {
            println!("(session ended)");
            return Ok(());
        }
        print!("> ");
        std::io::stdout().flush()?;
        match stdin.next_line().await? {
            Some(line) => inputs.push(line.trim().to_string()),
            None => {
                println!("(hung up)");
                return Ok(());
            }
        }
    }
}
