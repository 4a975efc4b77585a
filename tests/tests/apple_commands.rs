//! MDM commands to Apple devices (issue 25, first part): the queue in the database, delivered
//! one per poll of the command channel to a played device, checked against Apple's command
//! schemas (`fixtures/apple/commands/`), its answers kept (Acknowledged with the device's
//! information updating the device, Error with its chain, NotNow kept for a later poll but
//! never the answer to that NotNow), priorities, cancellation, and concurrent polls through
//! two server processes on one database that never get the same command twice (a command
//! enqueued through one is delivered through the other, once); on SQLite and PostgreSQL.

use corral_tests::apple::{acknowledged, answer, checked_command, idle, AppleTenant};
use corral_tests::{both_backends, Db};
use plist::{Dictionary, Value};
use serde_json::json;

both_backends!(commands_reach_the_device_and_its_answers_are_kept);
both_backends!(concurrent_polls_never_get_the_same_command);

async fn enqueue(apple: &AppleTenant, body: serde_json::Value) -> corral_tests::Reply {
    apple
        .admin
        .send("POST", "/api/v1/apple/commands", Some(body))
        .await
}

async fn commands_reach_the_device_and_its_answers_are_kept(db: Db) {
    let apple = AppleTenant::start(db).await;
    let (device, id) = apple.enrolled("ios", "00008110-000A1B2C3D4E5F6G").await;
    let url = &apple.server.url;

    // Nothing queued: nothing to do.
    assert_eq!(device.send(url, idle()).await, (200, None));
    // Refused, naming the field, nothing queued.
    let r = enqueue(
        &apple,
        json!({"device_ids": ["nope"], "command": {"request_type": "DeviceInformation"}}),
    )
    .await;
    assert_eq!(
        (r.status, r.error().1),
        (400, Some("device_ids[0]")),
        "{r:?}"
    );
    let r = enqueue(
        &apple,
        json!({"device_ids": [id], "command": {"request_type": "EraseDevice", "pin": "123456"}}),
    )
    .await;
    assert_eq!((r.status, r.error().1), (400, Some("pin")), "{r:?}");
    let r = enqueue(
        &apple,
        json!({"device_ids": [id], "command": {"request_type": "Shutdown"}}),
    )
    .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(device.send(url, idle()).await, (200, None));

    // DeviceInformation: sent, NotNow (not the answer to it), sent again, answered.
    let r = enqueue(
        &apple,
        json!({"device_ids": [id], "command": {"request_type": "DeviceInformation"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let uuid = r.body[0]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body[0]["status"], "pending");
    let (status, command) = device.send(url, idle()).await;
    assert_eq!(status, 200);
    assert_eq!(
        checked_command("information.device", &command.unwrap()),
        uuid
    );
    let (status, next) = device.send(url, answer(&uuid, "NotNow", &[])).await;
    assert_eq!(
        (status, next),
        (200, None),
        "never the answer to its own NotNow"
    );
    let one = apple
        .admin
        .get(&format!("/api/v1/apple/commands/{uuid}"))
        .await;
    assert_eq!(one.body["status"], "not_now", "{one:?}");
    let (_, again) = device.send(url, idle()).await;
    assert_eq!(
        again.unwrap()["CommandUUID"].as_string(),
        Some(uuid.as_str())
    );
    let mut info = Dictionary::new();
    info.insert("DeviceName".into(), "Pat's new iPhone".into());
    info.insert("OSVersion".into(), "17.5".into());
    info.insert("ProductName".into(), "iPhone16,1".into());
    info.insert("SerialNumber".into(), "F2LXK0ABCD".into());
    let reply = acknowledged(
        "information.device",
        &uuid,
        &[("QueryResponses", Value::Dictionary(info))],
    );
    assert_eq!(device.send(url, reply).await, (200, None));
    let d = apple.admin.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(
        (
            d.body["name"].as_str(),
            d.body["os_version"].as_str(),
            d.body["model"].as_str()
        ),
        (Some("Pat's new iPhone"), Some("17.5"), Some("iPhone16,1")),
        "{d:?}"
    );
    let one = apple
        .admin
        .get(&format!("/api/v1/apple/commands/{uuid}"))
        .await;
    assert_eq!(
        (one.body["status"].as_str(), one.body["sends"].as_i64()),
        (Some("acknowledged"), Some(2))
    );
    assert!(
        one.body["result"]
            .as_str()
            .unwrap()
            .contains("Pat&apos;s new iPhone")
            || one.body["result"]
                .as_str()
                .unwrap()
                .contains("Pat's new iPhone")
    );
    // A second answer to an answered command changes nothing.
    assert_eq!(device.send(url, answer(&uuid, "Error", &[])).await.0, 200);
    let one = apple
        .admin
        .get(&format!("/api/v1/apple/commands/{uuid}"))
        .await;
    assert_eq!(one.body["status"], "acknowledged");

    // Priorities: the higher first, then the older; a cancelled one is never sent.
    let queue = |request: &str, priority: i64| json!({"device_ids": [id], "priority": priority, "command": {"request_type": request}});
    let low = enqueue(&apple, queue("ProfileList", 0)).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let high = enqueue(&apple, queue("RestartDevice", 5)).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let gone = enqueue(&apple, queue("SecurityInfo", 9)).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = apple
        .admin
        .send(
            "POST",
            &format!("/api/v1/apple/commands/{gone}/cancel"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("cancelled")),
        "{r:?}"
    );
    let r = apple
        .admin
        .send(
            "POST",
            &format!("/api/v1/apple/commands/{uuid}/cancel"),
            None,
        )
        .await;
    assert_eq!(r.status, 409, "an answered command is not cancelled: {r:?}");
    let (_, first) = device.send(url, idle()).await;
    assert_eq!(checked_command("device.restart", &first.unwrap()), high);
    // An error, with its chain; the next command comes with the answer.
    let chain = Value::Array(vec![Value::Dictionary({
        let mut e = Dictionary::new();
        e.insert("ErrorCode".into(), Value::Integer(12021.into()));
        e.insert("ErrorDomain".into(), "MCMDMErrorDomain".into());
        e.insert("LocalizedDescription".into(), "Restart refused".into());
        e.insert("USEnglishDescription".into(), "Restart refused".into());
        e
    })]);
    let (_, next) = device
        .send(url, answer(&high, "Error", &[("ErrorChain", chain)]))
        .await;
    assert_eq!(checked_command("profile.list", &next.unwrap()), low);
    let failed = apple
        .admin
        .get(&format!("/api/v1/apple/commands/{high}"))
        .await;
    assert_eq!(failed.body["status"], "error");
    assert_eq!(failed.body["error_chain"][0]["code"], 12021);
    assert_eq!(failed.body["error_chain"][0]["domain"], "MCMDMErrorDomain");
    assert_eq!(
        device
            .send(
                url,
                acknowledged(
                    "profile.list",
                    &low,
                    &[("ProfileList", Value::Array(vec![]))]
                )
            )
            .await,
        (200, None)
    );

    // The lists: per device and per status; the history names who asked.
    let all = apple
        .admin
        .get(&format!("/api/v1/apple/commands?device_id={id}"))
        .await;
    assert_eq!(all.body.as_array().unwrap().len(), 4, "{all:?}");
    let cancelled = apple
        .admin
        .get("/api/v1/apple/commands?status=cancelled")
        .await;
    assert_eq!(cancelled.body.as_array().unwrap().len(), 1);
    let h = apple
        .admin
        .get(&format!(
            "/api/v1/history?object_type=device&object_id={id}"
        ))
        .await;
    let text = h.body.to_string();
    assert!(
        text.contains("apple_command") && text.contains("owner@acme.example"),
        "{text}"
    );
}

async fn concurrent_polls_never_get_the_same_command(db: Db) {
    let apple = AppleTenant::start(db).await;
    let (device, id) = apple.enrolled("ios", "00008110-000A1B2C3D4E5F6G").await;
    let url = apple.server.url.clone();
    // A second process on the same database: commands enqueued through the first are
    // delivered through either, once.
    let second = apple.env.serve_behind(&apple.server).await;
    let other = second.url.clone();
    for _ in 0..3 {
        let r = enqueue(
            &apple,
            json!({"device_ids": [id], "command": {"request_type": "SecurityInfo"}}),
        )
        .await;
        assert_eq!(r.status, 201, "{r:?}");
    }
    // Twelve polls at once, half through each process: each of the three commands goes to
    // exactly one of them.
    let device = std::sync::Arc::new(device);
    let polls: Vec<_> = (0..12)
        .map(|i| {
            let url = if i % 2 == 0 {
                url.clone()
            } else {
                other.clone()
            };
            let device = device.clone();
            tokio::spawn(async move { device.send(&url, idle()).await })
        })
        .collect();
    let mut got = Vec::new();
    for poll in polls {
        let (status, command) = poll.await.unwrap();
        assert_eq!(status, 200);
        if let Some(c) = command {
            got.push(c["CommandUUID"].as_string().unwrap().to_string());
        }
    }
    got.sort();
    let before = got.len();
    got.dedup();
    assert_eq!((before, got.len()), (3, 3), "{got:?}");

    // Enqueued through the first process, delivered through the second, and only once.
    let r = enqueue(
        &apple,
        json!({"device_ids": [id], "command": {"request_type": "ProfileList"}}),
    )
    .await;
    let uuid = r.body[0]["id"].as_str().unwrap().to_string();
    let (_, command) = device.send(&other, idle()).await;
    assert_eq!(
        command.map(|c| c["CommandUUID"].as_string().unwrap().to_string()),
        Some(uuid)
    );
    assert_eq!(device.send(&url, idle()).await, (200, None));
    assert_eq!(device.send(&other, idle()).await, (200, None));
}
