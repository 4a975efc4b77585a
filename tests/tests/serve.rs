//! Starting the server: defaults on a fresh machine, readiness, several processes, keys.

use std::process::Stdio;
use std::time::Duration;

use corral_tests::{both_backends, corral_bin, totp_code, Db, Env};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

both_backends!(health_and_readiness, secret_key_must_match_the_database);

async fn health_and_readiness(db: Db) {
    let env = Env::new(db).await;
    let server = env.serve().await;
    let c = server.client();
    assert_eq!(c.get("/healthz").await.body, json!({"status": "ok"}));
    assert_eq!(c.get("/readyz").await.body, json!({"status": "ok"}));
    if db == Db::Postgres {
        // The database goes away: still alive, no longer ready.
        corral_tests::drop_postgres_database(&env.database_url).await;
        assert_eq!(c.get("/healthz").await.status, 200);
        let r = c.get("/readyz").await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (503, Some("unavailable")),
            "{r:?}"
        );
    }
}

async fn secret_key_must_match_the_database(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await; // creates the key file and records its fingerprint
    let other = env.sharing_database();
    let out = other.cli(&["migrate"], "").await;
    assert!(
        !out.status.success(),
        "a process with another key must refuse to start"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("secret key") && stderr.contains("CORRAL_SECRET_KEY"),
        "{stderr}"
    );
    // The right key, given through the environment, is accepted.
    let key = std::fs::read_to_string(env.data_dir().join("secret.key")).unwrap();
    let same = env
        .sharing_database()
        .with_env("CORRAL_SECRET_KEY", key.trim());
    same.cli_ok(&["tenant", "list"], "").await;
}

/// `corral serve` with no arguments: SQLite in ./corral-data, migrated, serving. The listen
/// address comes from the environment only to avoid a fixed port in tests; the default
/// (127.0.0.1:8080) is checked through --help.
#[tokio::test]
async fn serve_without_arguments_creates_a_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(corral_bin())
        .arg("serve")
        .env_clear()
        .env("CORRAL_LISTEN", "127.0.0.1:0")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = line.strip_prefix("corral listening on ").unwrap();
    let ready = reqwest::get(format!("{url}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(dir.path().join("corral-data/corral.db").exists());
    assert!(dir.path().join("corral-data/secret.key").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("corral-data/secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "secret key readable by others: {mode:o}");
    }
    child.kill().await.unwrap();

    let help = std::process::Command::new(corral_bin())
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("[default: 127.0.0.1:8080]") && help.contains("CORRAL_LISTEN"),
        "{help}"
    );
}

#[tokio::test]
async fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["tenant", "create", "--help"],
        vec!["admin", "create", "--help"],
    ] {
        let out = std::process::Command::new(corral_bin())
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: corral"),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn cli_refuses_bad_input_and_changes_nothing() {
    let env = Env::new(Db::Sqlite).await;
    let out = env
        .cli(
            &["tenant", "create", "--slug", "Not A Slug", "--name", "x"],
            "",
        )
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("slug"));
    env.create_tenant("acme").await;
    let out = env
        .cli(
            &["tenant", "create", "--slug", "acme", "--name", "again"],
            "",
        )
        .await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = env
        .cli(
            &[
                "admin",
                "create",
                "--tenant",
                "acme",
                "--email",
                "a@acme.example",
            ],
            "short\n",
        )
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    let out = env
        .cli(
            &[
                "admin",
                "create",
                "--tenant",
                "nope",
                "--email",
                "a@acme.example",
            ],
            "long enough pass\n",
        )
        .await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("tenant not found"));
    assert_eq!(env.cli_ok(&["tenant", "list"], "").await.lines().count(), 1);
}

/// Two `corral serve` processes on one PostgreSQL database act as one service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_postgres() {
    let env = Env::new(Db::Postgres).await;
    env.create_tenant("acme").await;
    let totp = env
        .create_admin("acme", "owner@acme.example", "owner", "owner passphrase 1")
        .await;
    let (one, two) = tokio::join!(env.serve(), env.serve());

    let owner = one.client();
    let r = owner
        .sign_in(
            "acme",
            "owner@acme.example",
            "owner passphrase 1",
            &totp_code(&totp, 0),
        )
        .await;
    assert_eq!(r.status, 200);
    // The session made by process one is valid on process two.
    assert_eq!(owner.against(&two).get("/api/v1/session").await.status, 200);
    // An admin created through one signs in through two.
    let r = owner
        .send(
            "POST",
            "/api/v1/admins",
            Some(json!({
                "email": "ann@acme.example", "role": "admin", "password": "admin passphrase 2"
            })),
        )
        .await;
    assert_eq!(r.status, 201);
    let ann_totp = corral_tests::totp_from_uri(r.body["totp_uri"].as_str().unwrap());
    let code = totp_code(&ann_totp, 0);
    let ann = two.client();
    let r = ann
        .sign_in("acme", "ann@acme.example", "admin passphrase 2", &code)
        .await;
    assert_eq!(
        (r.status, r.body["admin"]["role"].as_str()),
        (200, Some("admin")),
        "{r:?}"
    );
    // A code used on two is refused on one: the replay guard is in the database.
    let r = one
        .client()
        .sign_in("acme", "ann@acme.example", "admin passphrase 2", &code)
        .await;
    assert_eq!(r.status, 401);
    // Both processes list the same administrators.
    let list_one = owner.get("/api/v1/admins").await.body;
    assert_eq!(
        owner.against(&two).get("/api/v1/admins").await.body,
        list_one
    );
}
