//! The hop budget: instructions (not time) per in-process hop of each bench flow, counted by
//! valgrind's callgrind and compared with `tests/hop-budget.toml`. Instructions do not depend
//! on the machine's load or clock speed, so CI can fail on a 10 % regression without flaking.
//!
//! [`budget`] runs this test binary again under callgrind, executing only [`workload`]: the
//! app built as `dalal serve` builds it on the embedded backends (SQLite file, in-process
//! sessions), driven through its axum router without a socket. For each flow the workload
//! plays warm-up sessions, then calls [`dalal_hop_budget_mark`], plays the measured sessions
//! and calls it again; callgrind dumps its counters before every call of the marker, so one
//! dump holds exactly the measured sessions, every thread included (the SQLite writer's too),
//! and nothing of start-up (migrations, demo data, menus) or of the warm-up.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;

use crate::support;
use axum::extract::ConnectInfo;
use axum::http::Request;
use tower::ServiceExt;

const BUDGET_FILE: &str = "tests/hop-budget.toml";
/// A flow may cost this much more than its budget before the test fails.
const TOLERANCE: f64 = 0.10;
/// Below this fraction of its budget a flow's budget should be lowered (the test says so).
const SLACK: f64 = 0.80;
/// Sessions played before the measured ones: caches filled, the SQLite pages read once.
const WARM_UP: usize = 4;
/// Measured sessions per flow: a multiple of the 4 callers of most flows (each weighs the
/// same); the complaint filers number `WARM_UP + MEASURED`.
const MEASURED: usize = 12;
/// Set to rewrite the budget file from the measurement.
const WRITE_VAR: &str = "DALAL_HOP_BUDGET_WRITE";
/// Set by [`budget`] in the child it runs under callgrind; [`workload`] refuses to run
/// without it, so `cargo test -- --ignored` does not play it by accident.
const WORKLOAD_VAR: &str = "DALAL_HOP_BUDGET_WORKLOAD";

/// A bench caller (`../shared/bench/flows/dalal.toml`): one account, a saved language, a
/// postpaid bill; what the replies must show for them.
struct Caller {
    phone: &'static str,
    bill: &'static str,
    area: &'static str,
    /// A seeded ticket to follow up (follow-up callers only): typed as digits after `RC`.
    reference: &'static str,
}

const fn caller(phone: &'static str, bill: &'static str, area: &'static str) -> Caller {
    Caller {
        phone,
        bill,
        area,
        reference: "",
    }
}

/// One of each language (fr, wo, sw, en), as the bench mixes them.
const EVERYONE: &[Caller] = &[
    caller("+221786452821", "66 860 FCFA", "Plateau"),
    caller("+221786562901", "75 005 FCFA", "Médina"),
    caller("+254114805895", "KSh 7,016.00", "Kibera"),
    caller("+254729141428", "KSh 8,780.00", "Westlands"),
];

/// Callers of areas with no known outage, each area and service its own: every report files
/// a new outage ticket. The storm rule (20 reports of an area within 15 minutes) would attach
/// later ones to a suspected outage; the 4 areas take 80 reports to get there, far more than
/// `WARM_UP + MEASURED` per caller (the test checks every reference is new).
const OUTAGE_REPORTERS: &[Caller] = &[
    caller("+221786562901", "", "Médina"),
    caller("+254729141428", "", "Westlands"),
    caller("+254112207544", "", "Kisumu Central"),
    caller("+225012379376", "", "Cocody"),
];

/// Callers with no open ticket (the reference prompt comes without a list), each following
/// one seeded ticket.
const FOLLOWERS: &[Caller] = &[
    Caller {
        reference: "261100009",
        ..caller("+221786452821", "", "")
    },
    Caller {
        reference: "261100052",
        ..caller("+221783070362", "", "")
    },
    Caller {
        reference: "261100005",
        ..caller("+254114805895", "", "")
    },
    Caller {
        reference: "261100049",
        ..caller("+254723735997", "", "")
    },
];

/// A second complaint of a category while the caller's first is open is answered with the
/// first's reference, filing nothing: so each session is a caller of their own with no open
/// ticket (`WARM_UP + MEASURED` of them), and each files a new billing dispute.
const COMPLAINANTS: &[Caller] = &[
    caller("+254725347365", "", ""),
    caller("+221700049677", "", ""),
    caller("+221700760828", "", ""),
    caller("+254724524846", "", ""),
    caller("+221784883859", "", ""),
    caller("+221763135876", "", ""),
    caller("+225077569972", "", ""),
    caller("+221768535713", "", ""),
    caller("+221705750125", "", ""),
    caller("+254117950940", "", ""),
    caller("+254116863795", "", ""),
    caller("+221762608381", "", ""),
    caller("+221767115450", "", ""),
    caller("+225055107519", "", ""),
    caller("+225011006435", "", ""),
    caller("+254725126436", "", ""),
];

/// What a hop's reply must be.
enum Expect {
    /// `CON`, showing this.
    Con(String),
    /// `END`, showing this.
    End(String),
    /// `END` with a ticket reference (`RC` and 11 or more digits).
    Filed,
    /// `CON` whose last line is `0. ...`: the reference prompt, without a ticket list.
    BackOnly,
}

impl Expect {
    fn holds(&self, reply: &str) -> bool {
        match self {
            Expect::Con(shows) => reply.starts_with("CON ") && reply.contains(shows.as_str()),
            Expect::End(shows) => reply.starts_with("END ") && reply.contains(shows.as_str()),
            Expect::Filed => reply.starts_with("END ") && reference_in(reply).is_some(),
            Expect::BackOnly => {
                reply.starts_with("CON ")
                    && reply
                        .rsplit('\n')
                        .next()
                        .is_some_and(|l| l.starts_with("0. "))
            }
        }
    }
}

struct Hop {
    text: String,
    expect: Expect,
}

fn hop(text: impl Into<String>, expect: Expect) -> Hop {
    Hop {
        text: text.into(),
        expect,
    }
}

/// The main menu: page 1 holds options 1..6 in every language.
fn main_menu() -> Hop {
    hop("", Expect::Con("\n5. ".into()))
}

#[derive(Clone, Copy)]
struct Flow {
    name: &'static str,
    callers: &'static [Caller],
    hops: fn(&Caller) -> Vec<Hop>,
}

/// The bench flows of `../shared/bench/flows/dalal.toml`, and the first hop alone.
const FLOWS: &[Flow] = &[
    Flow {
        name: "first_hop",
        callers: EVERYONE,
        hops: |_| vec![main_menu()],
    },
    Flow {
        name: "bill",
        callers: EVERYONE,
        hops: |c| vec![main_menu(), hop("1", Expect::End(c.bill.into()))],
    },
    Flow {
        name: "outage",
        callers: OUTAGE_REPORTERS,
        hops: |c| {
            vec![
                main_menu(),
                hop("2", Expect::Con(c.area.into())),
                hop("2*1", Expect::Filed),
            ]
        },
    },
    Flow {
        name: "complaint",
        callers: FOLLOWERS,
        hops: |c| {
            vec![
                main_menu(),
                hop("3", Expect::BackOnly),
                hop(
                    format!("3*{}", c.reference),
                    Expect::End(format!("RC{}", c.reference)),
                ),
            ]
        },
    },
    Flow {
        name: "file_complaint",
        callers: COMPLAINANTS,
        hops: |_| {
            vec![
                main_menu(),
                hop("4", Expect::Con("\n6. ".into())),
                hop("4*1", Expect::Con("\n2. ".into())),
                hop("4*1*1", Expect::Filed),
            ]
        },
    },
];

/// Callgrind dumps its counters before each call (`--dump-before`): an exported, unmangled
/// name it can match exactly, never inlined, doing nothing itself.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn dalal_hop_budget_mark() {
    std::hint::black_box(());
}

/// Callgrind's client requests (valgrind/callgrind.h), so start-up runs uninstrumented: the
/// menu check alone is billions of instructions in the test build, and instrumented it would
/// make most of the test's minute. Natively the request is a no-op.
mod callgrind {
    /// `VG_USERREQ__START_INSTRUMENTATION` (tool base `'C'`, `'T'`, request 4).
    const START_INSTRUMENTATION: usize = 0x4354_0004;

    /// From here on callgrind counts (it runs with `--instr-atstart=no`).
    pub fn start_instrumentation() {
        request(START_INSTRUMENTATION);
    }

    /// valgrind.h's `VALGRIND_DO_CLIENT_REQUEST_EXPR` for amd64: rotations of `rdi` by 128
    /// bits in all (a no-op that valgrind recognises), then `xchg rbx, rbx`; `rax` points to
    /// the request and its 5 arguments, `rdx` carries the default result.
    #[cfg(target_arch = "x86_64")]
    fn request(code: usize) {
        let block: [usize; 6] = [code, 0, 0, 0, 0, 0];
        // SAFETY: the sequence only reads `block` (valgrind, when present) and leaves every
        // register as it found it but `rdx` and `rdi`, declared here.
        unsafe {
            std::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                in("rax") block.as_ptr(),
                inout("rdx") 0usize => _,
                inout("rdi") 0usize => _,
            );
        }
    }

    /// Elsewhere the budget test passes `--instr-atstart=yes` instead: slower, same counts.
    #[cfg(not(target_arch = "x86_64"))]
    fn request(_code: usize) {}

    /// Whether instrumentation can wait for [`start_instrumentation`].
    pub const STARTS_LATE: bool = cfg!(target_arch = "x86_64");
}

/// The measured program: run by [`budget`] under callgrind, not on its own.
#[test]
#[ignore = "run under callgrind by hop_budget::budget"]
fn workload() {
    assert!(
        std::env::var_os(WORKLOAD_VAR).is_some(),
        "hop_budget::workload is run by hop_budget::budget under callgrind"
    );
    // One thread for the hops: what else runs (the SQLite threads) runs in the same order
    // every time.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(play_all());
}

async fn play_all() {
    let dir = tempfile::tempdir().unwrap();
    let router = app_router(dir.path()).await;
    callgrind::start_instrumentation();
    for flow in FLOWS {
        let mut references = Vec::new();
        for n in 0..WARM_UP {
            play_session(&router, flow, n, &mut references).await;
        }
        dalal_hop_budget_mark();
        for n in WARM_UP..WARM_UP + MEASURED {
            play_session(&router, flow, n, &mut references).await;
        }
        dalal_hop_budget_mark();
        let distinct: std::collections::HashSet<_> = references.iter().collect();
        assert_eq!(
            distinct.len(),
            references.len(),
            "{}: a filing was answered with an earlier reference, not filed anew",
            flow.name
        );
    }
}

/// The app as `dalal serve` builds it on the embedded backends, its demo CRM loaded.
async fn app_router(dir: &Path) -> axum::Router {
    let config = dalal::config::Config {
        database_url: format!("sqlite:{}", dir.join("crm.db").display()),
        // The workload plays many sessions from few phones; the limit has its own test.
        rate_limit_per_minute: 0,
        // Background work on a timer would be counted by how long valgrind makes the run
        // last, not by the hops: the SMS sender, the expiry sweep and the outage cache's
        // expiry are pushed past the run's end.
        expiry_sweep_secs: 3600,
        area_cache_secs: 3600,
        ..dalal::config::Config::default()
    };
    let mut config = config;
    config.sms.in_serve = false;
    // An empty database gets the embedded demo data: crm-demo and its prepaid and readings
    // files, the data `support::fixture_with_usage` gives the other tests.
    let app = dalal::server::build_app(config).await.expect("app builds");
    dalal::http::router(app)
}

/// One session of `flow`, its `n`th: a new session id, the flow's callers in turn.
async fn play_session(router: &axum::Router, flow: &Flow, n: usize, references: &mut Vec<String>) {
    let caller = &flow.callers[n % flow.callers.len()];
    let session = format!("ATUid_budget_{}_{n:04}", flow.name);
    for hop in (flow.hops)(caller) {
        let reply = send(router, &session, caller.phone, &hop.text).await;
        check(flow.name, &hop, &reply);
        if matches!(hop.expect, Expect::Filed) {
            references.push(reference_in(&reply).expect("checked").to_string());
        }
    }
}

/// One Africa's Talking hop through the router, as from a loopback peer.
async fn send(router: &axum::Router, session: &str, phone: &str, text: &str) -> String {
    let body = support::at_hop_form(session, phone, text, "99999");
    let mut request = Request::post("/ussd/africastalking")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    let reply = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        status.is_success(),
        "hop {text:?} answered {status}: {reply}"
    );
    reply
}

/// Fails unless the reply is what the hop expects: the workload never measures error pages.
fn check(flow: &str, hop: &Hop, reply: &str) {
    assert!(
        hop.expect.holds(reply),
        "{flow}: hop {:?} answered {reply:?}",
        hop.text
    );
}

/// The first ticket reference in a reply: `RC` and 11 or more digits.
fn reference_in(reply: &str) -> Option<&str> {
    reply.match_indices("RC").find_map(|(at, _)| {
        let digits = reply[at + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        (digits >= 11).then(|| &reply[at..at + 2 + digits])
    })
}

/// Runs the workload under callgrind and compares each flow's instructions per hop with the
/// budget file; with `DALAL_HOP_BUDGET_WRITE=1`, rewrites the file from the measurement.
#[test]
fn budget() {
    let measured = measure();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BUDGET_FILE);
    if std::env::var_os(WRITE_VAR).is_some() {
        write_budget(&path, &measured);
        return;
    }
    let budget = read_budget(&path);
    let verdicts: Vec<Verdict> = measured
        .iter()
        .map(|(flow, per_hop)| judge(flow, *per_hop, &budget))
        .collect();
    for verdict in &verdicts {
        println!("{}", verdict.line);
    }
    let failed: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.failed)
        .map(|v| v.line.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "hop budget exceeded by more than {:.0} %:\n{}\nIf the cost is intended, run \
         `{WRITE_VAR}=1 cargo test --test it hop_budget::budget` and give the reason in the \
         commit message.",
        TOLERANCE * 100.0,
        failed.join("\n")
    );
}

struct Verdict {
    line: String,
    failed: bool,
}

/// One flow's figure against its budget, as a line for the log.
fn judge(flow: &str, per_hop: u64, budget: &BTreeMap<String, u64>) -> Verdict {
    let Some(&allowed) = budget.get(flow) else {
        return Verdict {
            line: format!("{flow}: {per_hop} instructions per hop, but no budget in {BUDGET_FILE}"),
            failed: true,
        };
    };
    let ratio = per_hop as f64 / allowed as f64;
    let change = (ratio - 1.0) * 100.0;
    let mut line =
        format!("{flow}: {per_hop} instructions per hop, budget {allowed} ({change:+.1} %)");
    let failed = ratio > 1.0 + TOLERANCE;
    if failed {
        line.push_str(&format!(", over the {:.0} % tolerance", TOLERANCE * 100.0));
    } else if ratio < SLACK {
        line.push_str(&format!(
            ", under {:.0} % of its budget: lower it ({WRITE_VAR}=1)",
            SLACK * 100.0
        ));
    }
    Verdict { line, failed }
}

/// Instructions per hop of each flow, in [`FLOWS`] order.
fn measure() -> Vec<(String, u64)> {
    let dir = tempfile::tempdir().unwrap();
    run_workload(&dir.path().join("callgrind.out"));
    let dumps = read_dumps(dir.path());
    // Two dumps per flow, before each mark: the first holds what ran since the previous mark
    // (start-up or the previous flow, and this flow's warm-up), the second the measured
    // sessions. The last dump, at exit, holds the shutdown.
    assert_eq!(
        dumps.len(),
        2 * FLOWS.len() + 1,
        "callgrind wrote {} dumps, expected two per flow and one at exit",
        dumps.len()
    );
    FLOWS
        .iter()
        .enumerate()
        .map(|(i, flow)| {
            let instructions = dumps[2 * i + 1];
            let hops = (MEASURED * (flow.hops)(&flow.callers[0]).len()) as u64;
            println!(
                "{}: {} instructions per session of {} hops",
                flow.name,
                instructions / MEASURED as u64,
                hops / MEASURED as u64
            );
            (flow.name.to_string(), instructions / hops)
        })
        .collect()
}

/// This test binary again, running only [`workload`], under callgrind.
fn run_workload(out: &Path) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--dump-before=dalal_hop_budget_mark")
        .arg(format!(
            "--instr-atstart={}",
            if callgrind::STARTS_LATE { "no" } else { "yes" }
        ))
        .arg(&exe)
        .args([
            "--exact",
            "hop_budget::workload",
            "--ignored",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(WORKLOAD_VAR, "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run valgrind ({e}): the hop budget needs it; install it with \
                 `apt-get install valgrind` (tests/services.sh start does)"
            )
        });
    assert!(
        output.status.success(),
        "the workload failed under callgrind ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The total instructions (`Ir`) of each dump callgrind wrote in `dir`, in order.
fn read_dumps(dir: &Path) -> Vec<u64> {
    let mut dumps: Vec<(u64, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("callgrind.out")
        })
        .map(|path| read_dump(&path))
        .collect();
    dumps.sort();
    dumps.into_iter().map(|(_, total)| total).collect()
}

/// A dump's part number and its total instructions (`summary:` or `totals:` line).
fn read_dump(path: &PathBuf) -> (u64, u64) {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok())
    };
    let part = field("part:").unwrap_or(0);
    let total = field("summary:")
        .or_else(|| field("totals:"))
        .unwrap_or_else(|| panic!("{}: no summary or totals line", path.display()));
    (part, total)
}

/// The budget file: `flow = instructions per hop`, comments kept for people.
fn read_budget(path: &Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Replaces each flow's figure in the budget file (adding the flows it lacks), keeping every
/// other line, and prints old -> new.
fn write_budget(path: &Path, measured: &[(String, u64)]) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (flow, per_hop) in measured {
        let new = format!("{flow} = {per_hop}  # instructions per hop, test build");
        let at = lines
            .iter()
            .position(|l| l.split('=').next().map(str::trim) == Some(flow));
        match at {
            Some(at) => {
                println!("{flow}: {} -> {new}", lines[at]);
                lines[at] = new;
            }
            None => {
                println!("{flow}: (none) -> {new}");
                lines.push(new);
            }
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}
