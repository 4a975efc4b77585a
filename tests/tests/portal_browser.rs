//! The invitation walk-through in a real browser: Debian's headless Chromium, driven by
//! playwright-core (tests/browser/walkthrough.mjs) with JavaScript disabled, at 390 x 844. The
//! script checks headings, labelled fields and error messages of every page and saves a
//! screenshot of each under `test-output/portal-browser/`. scripts/test.sh installs Chromium and
//! playwright-core.

use std::path::PathBuf;
use std::time::Duration;

use corral_tests::{link_in, pin_in, Db, Env, SmtpSink};
use serde_json::json;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Width and height of a PNG, from its header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test(flavor = "multi_thread")]
async fn walk_through_in_headless_chromium_without_javascript() {
    let script = workspace().join("tests/browser/walkthrough.mjs");
    assert!(
        workspace()
            .join("tests/browser/node_modules/playwright-core")
            .exists(),
        "playwright-core is not installed: run the suite with scripts/test.sh (it runs npm ci in \
         tests/browser and installs Chromium)"
    );
    let out_dir = workspace().join("test-output/portal-browser");
    let _ = std::fs::remove_dir_all(&out_dir);

    let sink = SmtpSink::start().await;
    let env = Env::new(Db::Sqlite).await.with_smtp(sink.port);
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let admin = env.signed_in_owner(&server, "acme", "owner").await;
    let r = admin
        .send(
            "POST",
            "/api/v1/users",
            Some(
                json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee",
                        "send_invitation": true}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mails = sink.wait_for(1, Duration::from_secs(30)).await;
    let link = link_in(&mails[0].text).expect("a link in the invitation");
    let pin = pin_in(&mails[0].text).expect("a PIN in the invitation");

    let args = json!({
        "link": link,
        "email": "ann@acme.example",
        "pin": pin,
        "password": "a phone-sized password",
        "outDir": out_dir,
        "qrPrefix": format!("{link}?device_token="),
    });
    let run = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("node")
            .arg(&script)
            .arg(args.to_string())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser walk-through finishes within 2 minutes")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "the walk-through failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log()
    );
    let report: serde_json::Value = serde_json::from_str(stdout.trim().lines().last().unwrap())
        .unwrap_or_else(|e| panic!("no report ({e}): {stdout}"));
    assert_eq!(report["ok"], true);

    let shots = report["screenshots"].as_array().unwrap();
    let names: Vec<String> = shots
        .iter()
        .map(|s| {
            PathBuf::from(s.as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "01-sign-in.png",
            "02-sign-in-error.png",
            "03-pin-error.png",
            "04-password.png",
            "05-password-error.png",
            "06-home.png",
            "07-home-fr.png",
            "08-signed-out-fr.png"
        ]
    );
    for shot in shots {
        let bytes = std::fs::read(shot.as_str().unwrap()).unwrap();
        let (width, height) = png_size(&bytes);
        assert_eq!(width, 390, "{shot}: pages are no wider than the phone");
        assert!(height >= 844, "{shot}: {height}");
    }
    // The browser's session reached the home page: the password the user chose now works.
    let r = admin.get("/api/v1/history?object_type=user").await;
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "password_set"),
        "{r:?}"
    );
}
