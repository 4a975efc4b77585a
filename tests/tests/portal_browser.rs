//! The invitation walk-through in a real browser: Debian's headless Chromium, driven by
//! playwright-core (tests/browser/walkthrough.mjs) with JavaScript disabled, at 390 x 844. The
//! script checks headings, labelled fields and error messages of every page and saves a
//! screenshot of each under `test-output/portal-browser/`. scripts/test.sh installs Chromium and
//! playwright-core.

use std::path::PathBuf;
use std::time::Duration;

use corral_tests::walkthrough::{self, png_size, workspace};
use corral_tests::{link_in, pin_in, Db, Env, SmtpSink};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn walk_through_in_headless_chromium_without_javascript() {
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
    let report =
        walkthrough::run("walkthrough.mjs", &args, Duration::from_secs(120), &server).await;

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
