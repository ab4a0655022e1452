//! Production backends under failure: Redis killed mid-session, PostgreSQL refusing
//! connections, and two `dalal serve` processes sharing one Redis and one PostgreSQL.
//! Always on PostgreSQL + Redis (started by tests/run-all.sh); fails loudly if they are missing.

use crate::support;

use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use support::pg::TestDatabase;
use support::process::{self, Instance, OwnRedis, free_port};

const PHONE: &str = "+221786452821"; // French, single account

async fn status(server: &support::TestServer, path: &str) -> u16 {
    server
        .client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn redis_killed_mid_session_gets_a_polite_end_and_recovers() {
    let mut redis = OwnRedis::start(free_port());
    let url = redis.url();
    let server = support::start_production_with(|c| c.redis_url = Some(url)).await;
    let mut call = server.call(PHONE);
    call.dial().await;
    assert_eq!(status(&server, "/readyz").await, 200);

    redis.kill();
    let started = Instant::now();
    let (code, reply) = server.ussd(&call.session, PHONE, "1").await;
    assert_eq!(code, 200, "no 5xx: {reply}");
    assert!(reply.starts_with("END "), "{reply}");
    assert!(
        reply.contains("indisponible"),
        "in the caller's language: {reply}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "within the deadline"
    );
    assert_eq!(
        status(&server, "/healthz").await,
        200,
        "the server stays up"
    );
    assert_eq!(status(&server, "/readyz").await, 503);

    let redis = OwnRedis::start(redis.port);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut call = server.call(PHONE);
        let (_, reply) = server.ussd(&call.session, PHONE, "").await;
        if reply.starts_with("CON ") {
            call.inputs.clear();
            let (_, bill) = server.ussd(&call.session, PHONE, "1").await;
            assert!(bill.contains("Facture"), "the next session works: {bill}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery after Redis came back: {reply}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status(&server, "/readyz").await, 200);
    drop(redis);
}

#[tokio::test]
async fn postgres_refusing_connections_gets_a_polite_end_and_recovers() {
    let server = support::start_production_with(|_| {}).await;
    let db = server.database_url.clone();
    let name = db
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let admin_url = support::pg::postgres_admin_url();
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    let mut call = server.call(PHONE);
    call.dial().await;

    for sql in [
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    ] {
        sqlx::query(AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let started = Instant::now();
    let reply = call.press("1").await;
    assert!(reply.starts_with("END "), "{reply}");
    assert!(reply.contains("indisponible"), "{reply}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(status(&server, "/readyz").await, 503);

    let sql = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true");
    sqlx::query(AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut call = server.call(PHONE);
        // While connections come back, a call may still be told the service is unavailable.
        let menu = call.dial().await;
        let reply = match menu.starts_with("END ") {
            true => menu,
            false => call.press("1").await,
        };
        if reply.contains("Facture") {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {reply}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status(&server, "/readyz").await, 200);
}

async fn hop(client: &reqwest::Client, base: &str, session: &str, text: &str) -> String {
    let (status, reply) = process::hop(client, base, session, PHONE, text)
        .await
        .unwrap();
    assert_eq!(status, 200, "{reply}");
    reply
}

#[tokio::test]
async fn a_session_started_on_one_instance_continues_on_the_other() {
    let db = TestDatabase::create().await;
    let prefix = support::unique_prefix();
    let redis = support::redis_url();
    let client = reqwest::Client::new();
    let first = Instance::spawn(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis),
        ("DALAL_REDIS_KEY_PREFIX", &prefix),
    ]);
    first.ready(&client).await;
    let second = Instance::spawn(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis),
        ("DALAL_REDIS_KEY_PREFIX", &prefix),
    ]);
    second.ready(&client).await;

    let session = format!("ATUid_{}", support::pg::unique_name());
    let menu = hop(&client, &first.base, &session, "").await;
    assert!(menu.starts_with("CON Bienvenue"), "{menu}");
    let categories = hop(&client, &second.base, &session, "4").await;
    assert!(categories.contains("Contester une facture"), "{categories}");
    let confirm = hop(&client, &first.base, &session, "4*1").await;
    assert!(confirm.contains("Confirmer"), "{confirm}");
    let filed = hop(&client, &second.base, &session, "4*1*1").await;
    assert!(
        filed.starts_with("END ") && filed.contains("Réf: RC"),
        "{filed}"
    );
    // The aggregator retries the last hop on the other instance: same answer, one ticket.
    let again = hop(&client, &first.base, &session, "4*1*1").await;
    assert_eq!(again, filed);
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let tickets: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE origin_key IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(tickets, 1);
    pool.close().await;
}
