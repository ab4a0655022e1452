//! `dalal dial`: a feature phone in the terminal. It speaks a real aggregator's protocol
//! (Africa's Talking unless `--gateway` names another) to a running server, so what you see
//! is what a customer's handset would show through that aggregator.

use std::io::Write;
use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::aggregator::Aggregator;
use crate::config::Config;
use crate::gateway::simulate::SimHop;

fn session_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("dial-{}-{nanos}", std::process::id())
}

pub struct Options {
    pub base_url: String,
    pub phone: String,
    pub service_code: String,
    pub gateway: String,
    /// Where an asynchronous gateway's screens are received.
    pub inbox: SocketAddr,
}

pub async fn run(config: &Config, options: Options) -> anyhow::Result<()> {
    let phone = crate::gateway::normalize_msisdn(&options.phone, None).ok_or_else(|| {
        anyhow::anyhow!("{}: not a phone number in E.164 (+221...)", options.phone)
    })?;
    let aggregator = Aggregator::new(
        &options.gateway,
        config,
        &options.base_url,
        options.inbox,
        1,
    )
    .await?;
    if let Some(url) = aggregator.inbox_url() {
        println!(
            "Screens of {} are pushed: the server's [gateways.{}] outbound_url must be {url}",
            options.gateway, options.gateway
        );
    }
    let session = session_id();
    let mut inputs: Vec<String> = Vec::new();
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    println!(
        "Dialling {} from {phone} through {} (type a choice and Enter; Ctrl-D hangs up)",
        options.service_code, options.gateway
    );
    loop {
        let hop = SimHop {
            session_id: &session,
            phone: &phone,
            service_code: &options.service_code,
            inputs: &inputs,
        };
        let answer = aggregator
            .hop(&hop)
            .await
            .map_err(|e| anyhow::anyhow!("no screen: {e}"))?;
        println!("+--------------------------------");
        for line in answer.screen.text.lines() {
            println!("| {line}");
        }
        println!("+--------------------------------");
        if answer.screen.end {
            println!("(session ended)");
            return Ok(());
        }
        print!("> ");
        std::io::stdout().flush()?;
        match stdin.next_line().await? {
            Some(line) => inputs.push(line.trim().to_string()),
            None => {
                let _ = aggregator.hang_up(&hop).await;
                println!("(hung up)");
                return Ok(());
            }
        }
    }
}
