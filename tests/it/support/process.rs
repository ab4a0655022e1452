//! Real processes for the failure tests: `dalal serve` itself, and Redis and PostgreSQL servers
//! of a test's own, so that killing or restarting them disturbs no other test.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn redis_server_binary() -> String {
    std::env::var("DALAL_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string())
}

/// A Redis server of the test's own (no persistence, like a cache that lost its memory).
pub struct OwnRedis {
    pub port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    pub fn start(port: u16) -> OwnRedis {
        let child = Command::new(redis_server_binary())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (tests/run-all.sh installs it)");
        wait_for_port(port, "redis-server");
        OwnRedis {
            port,
            child: Some(child),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Newest PostgreSQL server binaries (Debian layout), or a loud failure.
fn pg_bindir() -> PathBuf {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql (tests/run-all.sh installs it)")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
        .1
}

/// A PostgreSQL cluster of the test's own, on a free loopback port, removed on drop.
pub struct OwnPostgres {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs a PostgreSQL tool as `postgres` when we are root (PostgreSQL refuses root).
fn pg_command(program: &Path) -> Command {
    let root = std::env::var("USER").is_ok_and(|u| u == "root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl OwnPostgres {
    pub fn start() -> OwnPostgres {
        let bin = pg_bindir();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("pg");
        let port = free_port();
        // The cluster belongs to `postgres` when we are root.
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .ok();
        run(
            pg_command(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "--encoding=UTF8"])
                .arg("--locale=C.UTF-8"),
            "initdb",
        );
        // Durable commits: the test restarts this server and counts what survived.
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             max_connections = 60\n",
            dir.path().display()
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(&mut file, conf.as_bytes()).unwrap();
        let pg = OwnPostgres {
            port,
            bin,
            data,
            _dir: dir,
        };
        pg.ctl(&["start"]);
        run(
            pg_command(&pg.bin.join("createdb"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
                .arg("dalal"),
            "createdb",
        );
        pg
    }

    fn ctl(&self, args: &[&str]) {
        let log = self.data.with_file_name("postgres.log");
        run(
            pg_command(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(log)
                .args(["-w", "-t", "60"])
                .args(args),
            &format!("pg_ctl {args:?}"),
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/dalal", self.port)
    }

    /// Stops (fast: sessions are cut, committed data is checkpointed) and starts again.
    pub fn restart(&self) {
        self.ctl(&["-m", "fast", "restart"]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A `dalal serve` process, configured by environment variables.
pub struct Instance {
    child: Child,
    pub base: String,
}

impl Instance {
    pub fn spawn(envs: &[(&str, &str)]) -> Instance {
        Self::spawn_logging_to(envs, None)
    }

    /// Like `spawn`, with the server's log (stdout and stderr) written to `log`.
    pub fn spawn_logging_to(envs: &[(&str, &str)], log: Option<&Path>) -> Instance {
        Self::spawn_on(free_port(), envs, log)
    }

    /// Like `spawn_logging_to`, listening on `port` (where a gateway was told to call).
    pub fn spawn_on(port: u16, envs: &[(&str, &str)], log: Option<&Path>) -> Instance {
        let output = || match log {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap(),
            ),
            None => Stdio::null(),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_dalal"));
        command
            .arg("serve")
            .env("DALAL_LISTEN", format!("127.0.0.1:{port}"))
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .stdout(output())
            .stderr(output());
        for (key, value) in envs {
            command.env(key, value);
        }
        Instance {
            child: command.spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "instance at {} never ready",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {}", self.pid());
    }

    /// Waits for the process to exit, at most `limit`.
    pub async fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "dalal did not exit within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// One Africa's Talking hop; `Err` when the server is unreachable or cut the connection.
pub async fn hop(
    client: &reqwest::Client,
    base: &str,
    session: &str,
    phone: &str,
    text: &str,
) -> Result<(u16, String), reqwest::Error> {
    let body = super::at_hop_form(session, phone, text, "60801");
    let response = client
        .post(format!("{base}/ussd/africastalking"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

/// The reference in a final "filed" reply (`Réf: RC2611000123`), if any.
pub fn reference_in(reply: &str) -> Option<String> {
    let start = reply.find("RC")?;
    let reference: String = reply[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (reference.len() > 4).then_some(reference)
}

/// Runs the `dalal` binary to completion: success, stdout, stderr.
pub fn dalal(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(args)
        .output()
        .expect("dalal runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
