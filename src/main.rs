//! The `dalal` binary: subcommands only wire the library together.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use dalal::config::Config;

#[derive(Parser)]
#[command(
    name = "dalal",
    version,
    about = "Self-service USSD server for public utilities"
)]
struct Cli {
    /// TOML configuration file (optional: the embedded defaults need none).
    #[arg(long, global = true, env = "DALAL_CONFIG")]
    config: Option<PathBuf>,
    /// Log lines as text (default) or as JSON objects, one a line, for log pipelines.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "DALAL_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (SQLite + in-process sessions by default; demo data on an empty database).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Database URL, e.g. sqlite:dalal.db.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Import a CRM dataset folder (areas.csv, customers.csv, bills.csv, tickets.csv, outages.csv).
    Import {
        dir: PathBuf,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Write a deterministic scale dataset in the crm-demo CSV format (for `import` and `load`).
    Generate {
        /// Number of customers.
        #[arg(long, default_value_t = 1_000_000)]
        customers: usize,
        /// Bills per customer (one per month).
        #[arg(long, default_value_t = 6)]
        months: usize,
        /// The same seed always writes the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Folder to write areas.csv, customers.csv, bills.csv, tickets.csv, outages.csv,
        /// vends.csv and meter_readings.csv into.
        #[arg(long)]
        out: PathBuf,
        /// Only add vends.csv (prepaid token purchases) and meter_readings.csv to the dataset
        /// already in --out, for its customers (how demo/ got them).
        #[arg(long)]
        extend: bool,
    },
    /// Validate menus and translations; prints file:line problems and fails if any.
    Check,
    /// Voice prompts: coverage report (default), recording script, or placeholder synthesis.
    Prompts {
        #[command(subcommand)]
        action: Option<PromptsAction>,
    },
    /// Load test: virtual subscribers running whole sessions against a running server.
    Load {
        /// Server base URL (loopback only unless --allow-remote).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        #[arg(long, value_enum, default_value = "normal")]
        mix: dalal::tools::load::Mix,
        /// Areas the storm mix concentrates on.
        #[arg(long, default_value_t = 3)]
        storm_areas: usize,
        /// Dataset folder whose customers.csv gives the phones (default: the demo dataset).
        #[arg(long)]
        dataset: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long)]
        allow_remote: bool,
        /// The aggregator whose protocol the subscribers speak (africastalking, hubtel, nalo,
        /// arkesel, infobip, safaricom, mtn).
        #[arg(long, default_value = "africastalking")]
        gateway: String,
        /// Where an asynchronous gateway's (mtn) screens are received: the server's
        /// `[gateways.mtn] outbound_url` must point here.
        #[arg(long, default_value = "127.0.0.1:9099")]
        inbox: std::net::SocketAddr,
    },
    /// SMS to customers as a worker of its own: sends the outbox and runs the schedules
    /// (with `[sms] in_serve = false` on the servers), or acts on planned-outage notices.
    Notify {
        #[command(subcommand)]
        action: Option<NotifyAction>,
    },
    /// A phone simulator: dial the short code against a running server over HTTP.
    Dial {
        /// The caller's phone number in E.164, e.g. +221786452821.
        phone: String,
        /// Server base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value = "*123#")]
        service_code: String,
        /// The aggregator whose protocol to speak (africastalking, hubtel, nalo, arkesel,
        /// infobip, safaricom, mtn).
        #[arg(long, default_value = "africastalking")]
        gateway: String,
        /// Where an asynchronous gateway's (mtn) screens are received: the server's
        /// `[gateways.mtn] outbound_url` must point here.
        #[arg(long, default_value = "127.0.0.1:9099")]
        inbox: std::net::SocketAddr,
    },
    /// Ask a running server to read its menus, translations and prompts again (as SIGHUP
    /// does); the admin key comes from DALAL_ADMIN_KEY. Fails, listing the problems, when the
    /// new files fail the checks (the server keeps the menus it serves).
    Reload {
        /// Server base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// The KPI report over the CRM tables: sessions and calls, the funnel, first-contact
    /// resolution, SLA compliance, call-backs, outage reports, satisfaction.
    Report {
        /// First day, YYYY-MM-DD (UTC).
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (UTC), included.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
        /// Write to this file instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Text,
    Csv,
    Html,
}

#[derive(Subcommand)]
enum NotifyAction {
    /// Queue the notices of planned outages due now (`--dry-run`: only say how many customers
    /// and SMS segments each would cost).
    Outages {
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum PromptsAction {
    /// Which prompts are recorded, synthetic or missing per language, and their fallbacks.
    Report,
    /// The recording script for voice talent: prompt id and text to read.
    Script {
        lang: String,
        /// Every prompt, not only those without a real recording.
        #[arg(long)]
        all: bool,
    },
    /// Placeholder prompts with espeak-ng + sox for languages it speaks (fr, sw, en).
    Synth {
        /// Languages (default: all espeak-ng speaks).
        #[arg(long, value_delimiter = ',')]
        lang: Vec<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs to standard error. The fields are the same in both formats (phones already masked
/// where they are logged).
fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
}

/// mimalloc instead of the system allocator: a hop allocates and frees many small buffers
/// across threads (requests, session JSON, SQLite's page cache), where glibc's malloc spent a
/// fifth of the server's CPU (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve {
            listen,
            database_url,
        } => {
            init_tracing(cli.log_format);
            let mut config = config;
            config.listen = listen.unwrap_or(config.listen);
            config.database_url = database_url.unwrap_or(config.database_url);
            serve(config).await
        }
        Command::Import { dir, database_url } => {
            let mut config = config;
            config.database_url = database_url.unwrap_or(config.database_url);
            import(config, dir).await
        }
        Command::Generate {
            months,
            seed,
            out,
            extend: true,
            ..
        } => dalal::tools::usage::extend(&out, seed, months).map(|s| {
            println!(
                "added {} token purchases, {} meter readings in {}",
                s.vends,
                s.meter_readings,
                out.display()
            )
        }),
        Command::Generate {
            customers,
            months,
            seed,
            out,
            extend: false,
        } => {
            let options = dalal::tools::generate::Options {
                customers,
                months,
                seed,
            };
            dalal::tools::generate::generate(&options, &out)
                .map(|summary| println!("generated {summary} in {}", out.display()))
        }
        Command::Check => return check(&config),
        Command::Prompts { action } => prompts(&config, action),
        Command::Notify { action } => notify(config, action).await,
        Command::Load {
            url,
            concurrency,
            duration,
            mix,
            storm_areas,
            dataset,
            json,
            allow_remote,
            gateway,
            inbox,
        } => {
            let options = LoadArgs {
                url,
                concurrency,
                duration,
                mix,
                storm_areas,
                dataset,
                json,
                allow_remote,
                gateway,
                inbox,
            };
            load(&config, options).await
        }
        Command::Dial {
            phone,
            url,
            service_code,
            gateway,
            inbox,
        } => {
            let options = dalal::tools::dial::Options {
                base_url: url,
                phone,
                service_code,
                gateway,
                inbox,
            };
            dalal::tools::dial::run(&config, options).await
        }
        Command::Report {
            from,
            to,
            format,
            out,
            database_url,
        } => {
            let mut config = config;
            config.database_url = database_url.unwrap_or(config.database_url);
            report(&config, &from, &to, format, out).await
        }
        Command::Reload { url } => dalal::tools::reload::run(&url, config.admin_key.as_deref())
            .await
            .map(|answer| println!("reloaded: {answer}"))
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    let address = listener.local_addr()?;
    let app = dalal::server::build_app(config).await?;
    // No phone number here, even a demo one: logs never hold a full number.
    tracing::info!(%address, "dalal listening; phone simulator: dalal dial <phone> --url http://{address}");
    dalal::server::serve(app, listener).await
}

async fn import(config: Config, dir: PathBuf) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let dataset = dalal::import::read_dir(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "read and checked {} rows in {:.1} s",
        dataset.rows(),
        started.elapsed().as_secs_f64()
    );
    let crm = dalal::server::connect_crm(&config).await?;
    let summary = crm
        .import_with_progress(&dataset, &dalal::import::progress_printer())
        .await?;
    println!(
        "imported {} areas, {} customers, {} bills, {} tickets, {} outages, {} token purchases, {} meter readings",
        summary.areas,
        summary.customers,
        summary.bills,
        summary.tickets,
        summary.outages,
        summary.vends,
        summary.meter_readings
    );
    Ok(())
}

struct LoadArgs {
    url: String,
    concurrency: usize,
    duration: u64,
    mix: dalal::tools::load::Mix,
    storm_areas: usize,
    dataset: Option<PathBuf>,
    json: Option<PathBuf>,
    allow_remote: bool,
    gateway: String,
    inbox: std::net::SocketAddr,
}

async fn load(config: &Config, args: LoadArgs) -> anyhow::Result<()> {
    dalal::tools::load::check_target(&args.url, args.allow_remote)?;
    let subscribers = match &args.dataset {
        Some(dir) => dalal::tools::load::subscribers_from(dir)?,
        None => dalal::tools::load::demo_subscribers(),
    };
    // Replies that begin with one of the server's error messages count as errors.
    let (_, catalog) = dalal::server::load_menus(config)
        .map_err(|p| anyhow::anyhow!("menus invalid: {}", p.join("; ")))?;
    let error_texts = catalog.error_texts();
    let resume_offers = catalog.texts_of(dalal::runner::RESUME_OFFER);
    let report = dalal::tools::load::run(
        config,
        dalal::tools::load::Options {
            url: args.url.trim_end_matches('/').to_string(),
            gateway: args.gateway,
            inbox: args.inbox,
            concurrency: args.concurrency.max(1),
            duration: std::time::Duration::from_secs(args.duration),
            mix: args.mix,
            storm_areas: args.storm_areas,
            subscribers,
            resume_offers,
        },
        error_texts,
    )
    .await?;
    println!("{report}");
    if let Some(path) = args.json {
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

async fn notify(config: Config, action: Option<NotifyAction>) -> anyhow::Result<()> {
    let (_, catalog) = dalal::server::load_menus(&config)
        .map_err(|p| anyhow::anyhow!("menus invalid: {}", p.join("; ")))?;
    let (crm, outbox) = dalal::server::connect_database(&config).await?;
    let notifier = dalal::notify::Notifier::new(crm, outbox, Arc::new(catalog), Arc::new(config))
        .map_err(|e| anyhow::anyhow!(e))?;
    let now = chrono::Utc::now();
    match action {
        None => {
            let notifier = Arc::new(notifier);
            notifier.spawn();
            tracing::info!("sending SMS and running the schedules; Ctrl-C stops");
            tokio::signal::ctrl_c().await?;
        }
        Some(NotifyAction::Outages { dry_run: true }) => {
            let previews = notifier.planned_notice_preview(now).await?;
            if previews.is_empty() {
                println!("no planned-outage notice due");
            }
            for p in previews {
                println!(
                    "{}: {} customers, {} SMS segments",
                    p.outage_id, p.customers, p.segments
                );
            }
        }
        Some(NotifyAction::Outages { dry_run: false }) => {
            let queued = notifier.run_schedules(now).await?;
            println!("queued {} planned-outage notices", queued.planned_notices);
        }
    }
    Ok(())
}

fn prompts(config: &Config, action: Option<PromptsAction>) -> anyhow::Result<()> {
    let prompts = dalal::tools::prompts::Prompts::load(config)?;
    match action.unwrap_or(PromptsAction::Report) {
        PromptsAction::Report => print!("{}", dalal::tools::prompts::report(config, &prompts)),
        PromptsAction::Script { lang, all } => {
            print!(
                "{}",
                dalal::tools::prompts::script(config, &prompts, &lang, all)?
            )
        }
        PromptsAction::Synth { lang } => {
            print!("{}", dalal::tools::prompts::synth(config, &prompts, &lang)?)
        }
    }
    Ok(())
}

fn check(config: &Config) -> ExitCode {
    let loaded = dalal::server::load_menus(config).and_then(|(menu, catalog)| {
        let mut problems: Vec<String> = dalal::check::check_voice(&menu)
            .iter()
            .chain(&dalal::tools::prompts::check(config, &menu, &catalog))
            .chain(&dalal::check::glossary(&config.locales_dir))
            .map(ToString::to_string)
            .collect();
        problems.sort();
        // The gateway settings too: `serve` would refuse to start on them.
        problems.extend(dalal::gateway::check_settings(
            config,
            dalal::sms::CALLBACK_NAMES,
        ));
        problems.extend(config.voice.problems());
        if problems.is_empty() {
            Ok((menu, catalog))
        } else {
            Err(problems)
        }
    });
    match loaded {
        Ok((menu, catalog)) => {
            println!(
                "ok: {} nodes, {} languages ({})",
                menu.nodes.len(),
                catalog.languages.len(),
                catalog.languages.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            eprintln!("{} problem(s) found", problems.len());
            ExitCode::FAILURE
        }
    }
}

async fn report(
    config: &Config,
    from: &str,
    to: &str,
    format: ReportFormat,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    // Dates first: a typo is told before any database is opened.
    let range = dalal::report::Range::parse(from, to)?;
    let (_, _, store) = dalal::server::connect_stores(config).await?;
    let kpis =
        dalal::store::report::kpis(&*store, range, config.report.fcr_days, chrono::Utc::now())
            .await?;
    let written = match format {
        ReportFormat::Text => dalal::report::render::text(&kpis),
        ReportFormat::Csv => dalal::report::render::csv(&kpis),
        ReportFormat::Html => dalal::report::render::html(&kpis),
    };
    match out {
        Some(path) => {
            std::fs::write(&path, written)?;
            if kpis.empty {
                eprintln!("{}", dalal::report::render::empty_sentence(&kpis));
            }
        }
        None => print!("{written}"),
    }
    Ok(())
}
