//! Whether the time of a refused secret tells that the account exists (issue 18): wrong
//! secrets for an existing account and for an address that is nobody's, alternated in one run
//! on the release binary, for the three forms that take one: administrators' sign-in (password
//! and TOTP, JSON API), the portal's password sign-in and its PIN-first sign-in (forms). Both
//! must cost the same hash check; the report gives each side's median and 90th percentile and
//! the ratio of the medians (1.00 is the same time).
//!
//! Lockouts and the per-address limit are raised for the run, so every attempt reaches the
//! check (a locked account answers at once whether or not it exists, which the tests show).
//!
//! Run: `cargo bench -p corral-host --bench guessing` (`BENCH_ROUNDS`, default 60). Figures are
//! kept in docs/guessing-bench.md.

use std::time::Instant;

use corral_tests::portal::Browser;
use corral_tests::{Db, Env};
use serde_json::json;

fn median_and_p90(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[(((p / 100.0) * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(50.0), at(90.0))
}

fn report(name: &str, known: Vec<f64>, unknown: Vec<f64>) {
    let (k50, k90) = median_and_p90(known);
    let (u50, u90) = median_and_p90(unknown);
    println!(
        "{name:<26} existing: p50 {k50:6.1} ms p90 {k90:6.1} ms | nobody's: p50 {u50:6.1} ms \
         p90 {u90:6.1} ms | ratio of medians {:.2}",
        k50 / u50
    );
}

#[tokio::main]
async fn main() {
    std::env::set_var("CORRAL_BIN", env!("CARGO_BIN_EXE_corral"));
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let env = Env::new(Db::Sqlite)
        .await
        .with_env("CORRAL_MAX_FAILED_SIGN_INS", "100000")
        .with_env("CORRAL_ATTEMPTS_PER_MINUTE", "100000");
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    c.create_user(
        json!({"email": "pat@acme.example", "first_name": "Pat", "last_name": "Roe",
        "password": "pat's long password"}),
    )
    .await;
    c.create_user(
        json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee",
        "send_invitation": true}),
    )
    .await;
    let link = c.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    println!("release binary, SQLite file, {rounds} rounds, existing and nobody's alternated");

    let admin = server.client();
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for (email, out) in order(
            round,
            "owner@acme.example",
            "ghost@acme.example",
            &mut known,
            &mut unknown,
        ) {
            let start = Instant::now();
            let r = admin
                .sign_in("acme", email, "a wrong passphrase", "000000")
                .await;
            out.push(start.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(r.status, 401, "{r:?}");
        }
    }
    report("administrator sign-in", known, unknown);

    for (form, field, secret) in [
        ("/sign-in", "password", "wrong password 1"),
        ("/pin", "pin", "12345678"),
    ] {
        let (existing, start_path) = match form {
            "/sign-in" => ("pat@acme.example", link.clone()),
            _ => ("ann@acme.example", format!("{link}/pin")),
        };
        let browser = Browser::new(&server.url);
        let page = browser.get(&start_path).await;
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for (email, out) in order(
                round,
                existing,
                "nobody@acme.example",
                &mut known,
                &mut unknown,
            ) {
                let start = Instant::now();
                let answer = browser
                    .submit(&page, form, &[("email", email), (field, secret)])
                    .await;
                out.push(start.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(answer.status, 401, "{form}");
            }
        }
        let name = if form == "/pin" {
            "portal PIN-first sign-in"
        } else {
            "portal password sign-in"
        };
        report(name, known, unknown);
    }
}

/// The two accounts of a round, in alternating order, with where each one's time goes.
fn order<'a>(
    round: usize,
    existing: &'a str,
    nobody: &'a str,
    known: &'a mut Vec<f64>,
    unknown: &'a mut Vec<f64>,
) -> Vec<(&'a str, &'a mut Vec<f64>)> {
    if round.is_multiple_of(2) {
        vec![(existing, known), (nobody, unknown)]
    } else {
        vec![(nobody, unknown), (existing, known)]
    }
}
