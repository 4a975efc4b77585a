//! Tenants cannot slow each other down (issue 20, SPEC A1, H2): each tenant has a share of the
//! plugin runtime, a tenant over it is told to come back (429 with `Retry-After`) while another
//! tenant's calls go through, and the CPU deadline stops loops by the CPU they used even when
//! several share the cores. Not timed: the figures are the benchmark's.

use corral_tests::{Db, Env};
use serde_json::json;

fn kiosk() -> serde_json::Value {
    json!({"kind": "kiosk", "name": "Lobby", "body": {}})
}

/// A tenant running and queueing as many calls as its share allows gets 429 with
/// `Retry-After` for the next one, and nothing else changes; another tenant's call succeeds
/// meanwhile, and the first tenant's calls run again once its own have ended.
#[tokio::test]
async fn a_tenant_over_its_share_gets_429_while_another_tenants_call_succeeds() {
    let env = Env::new(Db::Sqlite)
        .await
        .with_env("CORRAL_PLUGIN_TENANT_CALLS", "1")
        .with_env("CORRAL_PLUGIN_TENANT_QUEUE", "1")
        .with_env("CORRAL_PLUGIN_CPU_MS", "1500")
        // A wall-clock backstop far beyond the budget: on a loaded machine the loops' threads
        // (at a lower priority) may take many seconds to use 1.5 s of CPU, and the waiting
        // call waits that long for its turn.
        .with_env("CORRAL_PLUGIN_WALL_SECS", "60")
        .with_env("CORRAL_PLUGIN_QUEUE_WAIT_MS", "60000");
    env.create_tenant("alpha").await;
    env.create_tenant("bravo").await;
    let server = env.serve().await;
    let alpha = env.signed_in_owner(&server, "alpha", "owner").await;
    let bravo = env.signed_in_owner(&server, "bravo", "owner").await;
    let (looping, _) = alpha.install_active("hostile_infinite_loop").await;
    let (good, _) = bravo.install_active("corral_example_plugin").await;
    let loop_path = format!("/api/v1/plugins/{looping}/validate");

    // Alpha: one loop runs, one waits its turn; the third is refused at once.
    let running = {
        let (alpha, path) = (alpha.clone(), loop_path.clone());
        tokio::spawn(async move { alpha.send("POST", &path, Some(kiosk())).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let waiting = {
        let (alpha, path) = (alpha.clone(), loop_path.clone());
        tokio::spawn(async move { alpha.send("POST", &path, Some(kiosk())).await })
    };
    // Until alpha's queue is full (a plugin that does not exist is not found until then, and
    // queues nothing), however slowly a loaded machine takes the two calls in.
    let nowhere = "/api/v1/plugins/00000000-0000-0000-0000-000000000000/validate";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while alpha.send("POST", nowhere, Some(kiosk())).await.status != 429 {
        assert!(
            std::time::Instant::now() < deadline,
            "alpha's queue never filled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let refused = alpha.send("POST", &loop_path, Some(kiosk())).await;
    assert_eq!(
        (refused.status, refused.error().0),
        (429, "plugin_busy"),
        "{refused:?}"
    );
    assert!(refused.headers.get("retry-after").is_some(), "{refused:?}");
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&looping) && message.contains("queue"),
        "{message}"
    );
    // Refused before any look-up: while its queue is full, alpha is told to come back even
    // for a plugin that does not exist, which bravo is told is not found.
    let r = alpha.send("POST", nowhere, Some(kiosk())).await;
    assert_eq!((r.status, r.error().0), (429, "plugin_busy"), "{r:?}");
    let r = bravo.send("POST", nowhere, Some(kiosk())).await;
    assert_eq!(r.status, 404, "{r:?}");

    // Bravo's call goes through while alpha's loops hold alpha's share.
    let r = bravo
        .send(
            "POST",
            &format!("/api/v1/plugins/{good}/validate"),
            Some(kiosk()),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!running.is_finished(), "alpha's loop still runs");

    // Alpha's running and waiting calls each end on the CPU deadline, one after the other.
    for call in [running, waiting] {
        let r = call.await.unwrap();
        assert_eq!((r.status, r.error().0), (502, "plugin_failed"), "{r:?}");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains("CPU"),
            "{r:?}"
        );
    }
    // Its share is free again.
    let r = alpha
        .send("GET", &format!("/api/v1/plugins/{looping}"), None)
        .await;
    assert_eq!(r.status, 200);
}

/// Eight loops at once, sharing the cores or parked until their tenant's long-call turn:
/// each is stopped by the CPU deadline (not the wall-clock timeout), and the server answers
/// meanwhile.
#[tokio::test]
async fn eight_loops_at_once_are_each_stopped_by_the_cpu_deadline() {
    let env = Env::new(Db::Sqlite)
        .await
        .with_env("CORRAL_PLUGIN_TENANT_CALLS", "8")
        .with_env("CORRAL_PLUGIN_CPU_MS", "300")
        .with_env("CORRAL_PLUGIN_WALL_SECS", "60");
    env.create_tenant("alpha").await;
    let server = env.serve().await;
    let alpha = env.signed_in_owner(&server, "alpha", "owner").await;
    let (looping, _) = alpha.install_active("hostile_infinite_loop").await;
    let path = format!("/api/v1/plugins/{looping}/validate");
    let loops: Vec<_> = (0..8)
        .map(|_| {
            let (alpha, path) = (alpha.clone(), path.clone());
            tokio::spawn(async move { alpha.send("POST", &path, Some(kiosk())).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(alpha.get("/api/v1/session").await.status, 200);
    for l in loops {
        let r = l.await.unwrap();
        assert_eq!((r.status, r.error().0), (502, "plugin_failed"), "{r:?}");
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("CPU deadline of 300ms"), "{message}");
    }
}
