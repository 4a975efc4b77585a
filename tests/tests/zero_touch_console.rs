//! The zero-touch pages of the administrator console (issue 22), driven like a browser without
//! JavaScript (cookies, forms with their hidden fields) against the customer API's stand-in,
//! by an administrator (not the owner: SPEC A2 lets admins import and apply configurations):
//! the plugin's page links to its collections; a configuration made from the plugin's form
//! after a field error; the devices searched by IMEI, one opened and a configuration applied to
//! it; a CSV file uploaded, its job's page with progress bars (reloading while it runs), its
//! failed rows as a page and as CSV, the imports page with the notification; French pages; an
//! upload from another site refused.

use std::time::Duration;

use corral_tests::portal::{Browser, Page};
use corral_tests::walkthrough;
use corral_tests::zero_touch::{setup_with, CUSTOMER};
use corral_tests::{totp_code, Db};
use serde_json::json;

const PASSWORD: &str = "console passphrase 1";

/// The error shown at `field` of form `form`.
fn field_error(page: &Page, form: &str, field: &str) -> Option<String> {
    page.text(&format!("#{form}-{}-error", field.replace('/', "-")))
}

#[tokio::test]
async fn zero_touch_is_run_from_the_console_pages() {
    let s = setup_with(
        Db::Sqlite,
        &[
            ("CORRAL_IMPORT_ROWS_PER_SECOND", "0"),
            ("CORRAL_IMPORT_BATCH_ROWS", "4"),
        ],
    )
    .await;
    let device = s.google.zero_touch().add_device(
        CUSTOMER,
        json!({"imei": "490154203237518", "manufacturer": "Google"}),
    );
    let totp = s
        .env
        .create_admin("acme", "zt@acme.example", "admin", PASSWORD)
        .await;
    let b = Browser::new(&s.server.url);
    let page = b.get("/console/sign-in").await;
    let signed_in = b
        .submit(
            &page,
            "/console/sign-in",
            &[
                ("tenant", "acme"),
                ("email", "zt@acme.example"),
                ("password", PASSWORD),
                ("code", &totp_code(&totp, 0)),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.html);

    // The plugin's page links to its collections.
    let base = format!("/console/plugins/{}/collections", s.plugin);
    let plugin = b.get(&format!("/console/plugins/{}", s.plugin)).await;
    for collection in ["customer", "configurations", "devices"] {
        assert!(
            plugin.has(&format!("a[href='{base}/{collection}']")),
            "{collection}: {}",
            plugin.html
        );
    }

    // A configuration from the plugin's form: a bad e-mail is refused at its field, nothing
    // made; then made, and listed.
    let create = format!("{base}/configurations/actions/create");
    let form = b.get(&create).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let fields = |email: &'static str| {
        vec![
            ("body/configurationName", "Sales"),
            ("body/dpcResourcePath", "customers/1234567/dpcs/corral"),
            ("body/companyName", "Acme"),
            ("body/contactEmail", email),
            ("body/contactPhone", "+33 (1) 23 45 67 89"),
            ("body/customMessage", "Set up by Acme IT."),
        ]
    };
    let refused = b.submit(&form, &create, &fields("not an e-mail")).await;
    assert!(
        field_error(&refused, "action", "body/contactEmail").is_some(),
        "{}",
        refused.html
    );
    assert!(s.google.zero_touch().configurations().is_empty());
    let made = b
        .submit(&refused, &create, &fields("help@acme.example"))
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    assert!(made.url.contains("/configurations/items/"), "{}", made.url);
    assert!(made.text(".notice").is_some(), "{}", made.html);
    let profile = made
        .url
        .split("/items/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let list = b.get(&format!("{base}/configurations")).await;
    assert!(list.html.contains("Sales"), "{}", list.html);

    // The devices, searched by IMEI; one opened and a configuration applied to it.
    let found = b
        .get(&format!("{base}/devices?search=490154203237518"))
        .await;
    let href = found
        .attr("table a[href*='/devices/items/']", "href")
        .unwrap_or_else(|| panic!("{}", found.html));
    let item = b.get(&href).await;
    assert!(item.html.contains("490154203237518"), "{}", item.html);
    let apply_href = item
        .attr("a[href*='/actions/apply-configuration']", "href")
        .unwrap_or_else(|| panic!("{}", item.html));
    let apply = b.get(&apply_href).await;
    let applied = b
        .submit(
            &apply,
            "/actions/apply-configuration",
            &[("body/configuration", profile.as_str())],
        )
        .await;
    assert_eq!(applied.status, 200, "{}", applied.html);
    assert!(applied.text(".notice").is_some(), "{}", applied.html);
    let at_google = s
        .google
        .zero_touch()
        .devices()
        .into_iter()
        .find(|d| d["deviceId"] == device.as_str())
        .unwrap();
    assert!(
        at_google["configuration"]
            .as_str()
            .unwrap_or_default()
            .ends_with(&format!("/configurations/{profile}")),
        "{at_google}"
    );

    // A CSV file: its job's page, then its failed rows.
    let devices = b.get(&format!("{base}/devices")).await;
    let upload_action = "/imports/zero-touch-apply";
    let csv = format!(
        "modemtype,modemid,serial,model,manufacturer,profiletype,profileid\n\
         IMEI,490154203237518,,,Google,ZERO_TOUCH,{profile}\n\
         IMEI,490154203237519,,,Google,ZERO_TOUCH,{profile}\n"
    );
    let job = b
        .upload(
            &devices,
            upload_action,
            &[],
            ("file", "devices.csv", csv.clone().into_bytes()),
        )
        .await;
    assert_eq!(job.status, 200, "{}", job.html);
    assert!(job.url.contains("/console/imports/"), "{}", job.url);
    assert!(job.has("progress"), "{}", job.html);
    let mut job = job;
    for _ in 0..200 {
        if !job.has("meta[http-equiv='refresh']") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        job = b.get(&job.url.clone()).await;
    }
    assert!(
        !job.has("meta[http-equiv='refresh']"),
        "still running: {}",
        job.html
    );
    assert_eq!(
        job.attr("progress", "value").as_deref(),
        Some("2"),
        "{}",
        job.html
    );
    let failures_href = job
        .attr("a[href$='/failures']", "href")
        .unwrap_or_else(|| panic!("{}", job.html));
    let failures = b.get(&failures_href).await;
    let cells = failures.texts("table tbody td");
    assert_eq!(
        cells.first().map(String::as_str),
        Some("3"),
        "{}",
        failures.html
    );
    assert!(cells.iter().any(|c| c.contains("Luhn")), "{cells:?}");
    let csv_href = failures
        .attr("a[href$='/failures.csv']", "href")
        .unwrap_or_else(|| panic!("{}", failures.html));
    let csv_out = b.get(&csv_href).await;
    assert_eq!(csv_out.status, 200);
    assert!(
        csv_out.html.starts_with("line,modemtype"),
        "{}",
        csv_out.html
    );

    // The imports page: the job and the notification of its end. In French too.
    let imports = b.get("/console/imports").await;
    assert!(imports.html.contains("devices.csv"), "{}", imports.html);
    assert!(
        imports.has(&format!(
            "a[href='{}']",
            job.url.trim_start_matches(&s.server.url)
        )),
        "{}",
        imports.html
    );
    let french = b.get(&format!("{}?lang=fr", job.url)).await;
    assert!(french.html.contains("Lignes vérifiées"), "{}", french.html);

    // An upload without the session's token (as another site would post it) changes nothing.
    let before = b
        .get("/console/imports")
        .await
        .texts("table tbody tr")
        .len();
    let mut forged = devices.clone();
    forged.html = forged.html.replace(&devices.csrf(), "forged");
    let refused = b
        .upload(
            &forged,
            upload_action,
            &[],
            ("file", "x.csv", csv.into_bytes()),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert_eq!(
        b.get("/console/imports")
            .await
            .texts("table tbody tr")
            .len(),
        before
    );
    s.google.assert_conforms();
}

/// The same pages in a real browser (tests/browser/zero-touch-walkthrough.mjs), JavaScript
/// off, at a desktop and a phone size, each against a fresh server; screenshots in
/// `test-output/console-browser/zero-touch/`.
async fn walk_through(width: u32, height: u32) {
    let s = setup_with(Db::Sqlite, &[("CORRAL_IMPORT_ROWS_PER_SECOND", "0")]).await;
    s.google.zero_touch().add_device(
        CUSTOMER,
        json!({"imei": "490154203237518", "manufacturer": "Google"}),
    );
    let totp = s
        .env
        .create_admin("acme", "zt@acme.example", "admin", PASSWORD)
        .await;
    let out_dir = walkthrough::workspace().join("test-output/console-browser/zero-touch");
    let args = json!({
        "base": s.server.url,
        "tenant": "acme",
        "email": "zt@acme.example",
        "password": PASSWORD,
        "totpSecret": totp.get_secret_base32(),
        "width": width,
        "height": height,
        "outDir": out_dir,
        "plugin": s.plugin,
        "customer": CUSTOMER,
        "imei": "490154203237518",
        "csv": "modemtype,modemid,serial,model,manufacturer,profiletype,profileid\n\
                IMEI,490154203237518,,,Google,ZERO_TOUCH,{profile}\n\
                IMEI,490154203237519,,,Google,ZERO_TOUCH,{profile}\n",
    });
    let limit = Duration::from_secs(180);
    let report = walkthrough::run("zero-touch-walkthrough.mjs", &args, limit, &s.server).await;
    walkthrough::assert_screenshots(&report, 10, width, height);
    // What the pages did is what the vendor holds.
    let configured = s.google.zero_touch().devices()[0]["configuration"].clone();
    assert!(configured.as_str().is_some(), "{configured}");
    s.google.assert_conforms();
}

#[tokio::test]
async fn zero_touch_pages_in_a_browser_at_desktop_size() {
    walk_through(1280, 800).await;
}

#[tokio::test]
async fn zero_touch_pages_in_a_browser_at_phone_size() {
    walk_through(390, 844).await;
}
