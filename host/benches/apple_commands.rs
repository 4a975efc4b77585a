//! Apple MDM commands delivered per second through the command channel (issue 25) on SQLite (a
//! real database file), from `BENCH_DEVICES` enrolled devices at once (default 64), through the
//! library call the `PUT /mdm/<tenant>/server` handler makes (`CommandChannel::handle`: the
//! device's signature checked, its answer recorded, its next command claimed and sent).
//!
//! Each device has `BENCH_PER_DEVICE` commands queued (default 100; DeviceInformation and
//! SecurityInfo in turn, so that half the answers update the device). A device polls (Idle),
//! gets its first command, answers it (Acknowledged, with its information for a
//! DeviceInformation) and gets the next with that answer, until none is left: as a real
//! device works through its queue. Bodies and signatures are made beforehand (the device's
//! work, not timed); the command UUIDs are known from the enqueue.
//!
//! Side by side in the same run, as the reference: the same devices' Idle polls with nothing
//! queued (the channel's floor: signature, look-up, an empty answer), and the enqueue itself.
//!
//! Run: `cargo bench -p corral-host --bench apple_commands`. Figures in docs/apple-bench.md.

use std::time::Instant;

use corral_host::apple::channel::CommandChannel;
use corral_host::apple::checkin::{self, CheckIns};
use corral_host::apple::commands::{self, Request};
use corral_host::apple::enrolments::{self, Download, Downloads};
use corral_host::apple::profile::Scope;
use corral_host::devices::Platform;
use corral_host::history::Actor;
use corral_host::tenants::TenantId;
use corral_tests::apple::{acknowledged, idle, security_info, PlayedDevice};
use measure::AppleBench;
use plist::{Dictionary, Value};

mod measure;

/// A signed message of `device`: (signature, body).
fn signed(device: &PlayedDevice, message: Dictionary) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    plist::to_writer_xml(&mut body, &Value::Dictionary(message)).unwrap();
    (device.signature(&body), body)
}

/// A signed report of device `i` on the command channel (its UDID besides `fields`).
fn report_of(device: &PlayedDevice, i: usize, fields: Dictionary) -> (String, Vec<u8>) {
    let mut message = fields;
    message.insert("UDID".into(), udid(i).into());
    let mut body = Vec::new();
    plist::to_writer_xml(&mut body, &Value::Dictionary(message)).unwrap();
    (device.signature(&body), body)
}

/// One device's turn on the channel: its messages in order, and the command UUID each must
/// get back (`None`: nothing left).
struct Script {
    messages: Vec<(String, Vec<u8>)>,
    expected: Vec<Option<String>>,
}

/// Every device works through its script at once, one message after the other's answer;
/// reports the rate of `count(script)` items.
async fn run(
    what: &str,
    channel: &CommandChannel,
    tenant: &TenantId,
    scripts: Vec<Script>,
    counted: usize,
) -> f64 {
    let (started, cpu) = (Instant::now(), measure::cpu_secs());
    let mut handles = Vec::new();
    for script in scripts {
        let (channel, tenant) = (channel.clone(), tenant.clone());
        handles.push(tokio::spawn(async move {
            for ((sig, body), expected) in script.messages.iter().zip(&script.expected) {
                let sent = channel
                    .handle(&tenant, Some(sig), body)
                    .await
                    .unwrap()
                    .expect("the device's message is taken");
                match (sent, expected) {
                    (None, None) => {}
                    (Some(plist), Some(uuid)) => assert!(plist.contains(uuid.as_str())),
                    (sent, expected) => panic!("sent {sent:?}, expected {expected:?}"),
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    measure::report(what, counted, started, cpu)
}

fn udid(i: usize) -> String {
    format!("UDID-{i:08}")
}

fn information() -> Value {
    let mut info = Dictionary::new();
    info.insert("DeviceName".into(), "Bench iPhone".into());
    info.insert("OSVersion".into(), "18.2".into());
    info.insert("ProductName".into(), "iPhone17,1".into());
    info.insert("SerialNumber".into(), "F2LBENCH0001".into());
    Value::Dictionary(info)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let devices = measure::env_usize("BENCH_DEVICES", 64);
    let per_device = measure::env_usize("BENCH_PER_DEVICE", 100);
    let dir = tempfile::tempdir().unwrap();
    let AppleBench {
        url,
        store,
        secrets,
        settings,
        tenant,
        user_id,
    } = AppleBench::start(&dir.path().join("bench.db")).await;

    // The devices enrol (not timed).
    let downloads = Downloads::new(store.clone(), secrets.clone(), settings.clone());
    let check_ins = CheckIns::new(store.clone());
    let mut played = Vec::with_capacity(devices);
    let mut ids = Vec::with_capacity(devices);
    for i in 0..devices {
        let mut tx = store.scoped(&tenant.id).await.unwrap();
        let link =
            enrolments::create_link(&mut tx, &settings, &user_id, Platform::Ios, Scope::System)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        let Download::Profile { bytes, .. } =
            downloads.fetch(&tenant.id, &link.token).await.unwrap()
        else {
            panic!("a fresh link downloads");
        };
        let device = PlayedDevice::install(&bytes, &udid(i));
        let (sig, body) = signed(&device, device.message("Authenticate"));
        let outcome = check_ins
            .handle(&tenant.id, Some(&sig), &body)
            .await
            .unwrap();
        assert!(outcome.is_ok(), "the device authenticates");
        let (sig, body) = signed(&device, device.message("TokenUpdate"));
        let outcome = check_ins
            .handle(&tenant.id, Some(&sig), &body)
            .await
            .unwrap();
        let Ok(checkin::Outcome::Active { device_id }) = outcome else {
            panic!("the device enrols");
        };
        played.push(device);
        ids.push(device_id);
    }
    let total = devices * per_device;
    let channel = CommandChannel::new(store.clone(), secrets.clone());
    println!(
        "SQLite file, {devices} devices at once, {per_device} commands each ({total} commands)"
    );

    // The reference: Idle polls with nothing queued, three per device... as many as commands.
    let polls: Vec<Script> = played
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (sig, body) = report_of(d, i, idle());
            Script {
                messages: vec![(sig, body); per_device],
                expected: vec![None; per_device],
            }
        })
        .collect();
    let floor = run(
        "reference: Idle polls, nothing queued",
        &channel,
        &tenant.id,
        polls,
        total,
    )
    .await;

    // The queue: one enqueue per round names every device (timed as a second reference);
    // each round a millisecond later, so that a device's commands go out in round order.
    let base = corral_host::store::now_ms();
    let mut uuids: Vec<Vec<(String, &'static str)>> = vec![Vec::new(); devices];
    let (started, cpu) = (Instant::now(), measure::cpu_secs());
    for round in 0..per_device {
        let request = if round % 2 == 0 {
            Request::DeviceInformation
        } else {
            Request::SecurityInfo
        };
        let mut tx = store.scoped(&tenant.id).await.unwrap();
        let queued = commands::enqueue(
            &mut tx,
            &secrets,
            &Actor::Operator,
            &ids,
            &request,
            0,
            base + round as i64,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        for q in queued {
            let at = ids.iter().position(|id| *id == q.device_id).unwrap();
            uuids[at].push((q.id, request.request_type()));
        }
    }
    measure::report(
        &format!("enqueued ({devices} devices per transaction)"),
        total,
        started,
        cpu,
    );

    // What each device will send: Idle, then the answer to each command in turn.
    let scripts: Vec<Script> = played
        .iter()
        .zip(&uuids)
        .enumerate()
        .map(|(i, (device, queue))| {
            let mut messages = vec![report_of(device, i, idle())];
            let mut expected = Vec::with_capacity(queue.len() + 1);
            for (uuid, kind) in queue {
                expected.push(Some(uuid.clone()));
                let reply = if *kind == "DeviceInformation" {
                    acknowledged(
                        "information.device",
                        uuid,
                        &[("QueryResponses", information())],
                    )
                } else {
                    acknowledged(
                        "information.security",
                        uuid,
                        &[("SecurityInfo", security_info())],
                    )
                };
                messages.push(report_of(device, i, reply));
            }
            expected.push(None);
            Script { messages, expected }
        })
        .collect();
    let delivered = run(
        "commands delivered and answered",
        &channel,
        &tenant.id,
        scripts,
        total,
    )
    .await;
    println!(
        "ratio: a delivered command costs {:.2}x an empty poll",
        floor / delivered
    );

    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let acknowledged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM apple_commands WHERE status = 'acknowledged' AND sends = 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        acknowledged as usize, total,
        "every command sent and answered once"
    );
    println!(
        "target (issue 25): at least 3,000 commands/s: {}",
        if delivered >= 3000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
