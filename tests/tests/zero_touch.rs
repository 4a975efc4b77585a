//! The zero-touch plugin (SPEC F1, F2, F5; issue 22) through the admin API's collections
//! (`corral:plugin@0.5.0`), against the HTTPS stand-in of Google's zero-touch customer API,
//! which checks every request against the discovery document (methods, paths, query
//! parameters, bodies, enums) and the rules it states in prose (`corral_tests::provisioning`):
//! - the customer account is found with `customers.list` and shown; terms of service not
//!   accepted are an error naming them;
//! - configurations are created, changed (`configurations.patch` with the `updateMask` of the
//!   changed fields), made the default (one at a time) and deleted at Google; bad input is
//!   refused field by field with nothing sent; deleting one devices still have is refused,
//!   saying how many; every change is in the history;
//! - devices are listed over several pages, found by IMEI or serial number, shown with their
//!   configuration; one device gets a configuration, loses it ("None") and is unregistered; a
//!   look-up by the higher IMEI of a dual-SIM device says to use the lower one;
//! - an administrator (not only the owner) does all of it (SPEC A2).

use corral_tests::zero_touch::{setup, Setup, CUSTOMER};
use corral_tests::Db;
use serde_json::{json, Value};

fn values(item: &Value) -> Vec<(String, String)> {
    item["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().into(),
                v["value"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn value(item: &Value, name: &str) -> String {
    values(item)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

async fn configurations_reach_google_and_the_history(db: Db) {
    let s = setup(db).await;
    let c = &s.c;

    // The customer account, found with customers.list.
    let r = s.items(c, "customer", "").await;
    assert_eq!(r.status, 200, "{r:?}");
    let customer = &r.body["items"][0];
    assert_eq!(value(customer, "id"), CUSTOMER);
    assert_eq!(value(customer, "terms"), "TERMS_STATUS_ACCEPTED");
    let described = c
        .get(&format!("/api/v1/plugins/{}/collections", s.plugin))
        .await;
    let names: Vec<&str> = described
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["customer", "configurations", "devices"]);

    // The form offers the customer's DPCs (customers.dpcs.list).
    let form = s.form(c, "configurations", "create", None).await;
    assert_eq!(form.status, 200, "{form:?}");
    assert_eq!(
        form.body["properties"]["dpcResourcePath"]["enum"],
        json!([format!("customers/{CUSTOMER}/dpcs/corral")])
    );

    // Bad input: every field named, nothing sent to Google.
    let before = s.google.requests().len();
    let mut bad = Setup::configuration("Sales");
    bad["contactPhone"] = json!("call 555");
    bad["contactEmail"] = json!("help at acme");
    bad["dpcExtras"] = json!("[1]");
    let r = s.act(c, "configurations", "create", None, bad).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (422, Some("invalid_input")),
        "{r:?}"
    );
    assert_eq!(r.body["error"]["field"], "input/dpcExtras", "{r:?}");
    let message = r.body["error"]["message"].as_str().unwrap();
    for field in ["/contactEmail", "/contactPhone", "/dpcExtras"] {
        assert!(message.contains(field), "{message}");
    }
    assert!(s.google.requests()[before..]
        .iter()
        .all(|r| !r.method.ends_with(".create")));

    // Created; the second default takes over from the first.
    let sales = s.create_configuration("Sales", true).await;
    let kiosk = s.create_configuration("Kiosk", true).await;
    let listed = s.items(c, "configurations", "").await;
    let defaults: Vec<(String, String)> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (value(i, "id"), value(i, "default")))
        .collect();
    assert_eq!(
        defaults,
        [(sales.clone(), "no".into()), (kiosk.clone(), "yes".into())]
    );

    // Changed: only the changed field is patched.
    let mut changed = Setup::configuration("Sales");
    changed["companyName"] = json!("Acme SA");
    let r = s
        .act(c, "configurations", "edit", Some(&sales), changed)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let patch = s
        .google
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method.ends_with("configurations.patch"))
        .unwrap();
    assert_eq!(
        patch.query,
        [("updateMask".to_string(), "companyName".to_string())]
    );
    assert_eq!(patch.body, json!({"companyName": "Acme SA"}));
    let edit_form = s.form(c, "configurations", "edit", Some(&sales)).await;
    assert_eq!(
        edit_form.body["properties"]["companyName"]["default"],
        "Acme SA"
    );

    // Applied to a device: deleting is refused, saying how many; then it goes.
    let device = s.google.zero_touch().add_device(
        CUSTOMER,
        json!({"imei": "490154203237518", "manufacturer": "Google"}),
    );
    let r = s
        .act(
            c,
            "devices",
            "apply-configuration",
            Some(&device),
            json!({"configuration": sales}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .act(c, "configurations", "delete", Some(&sales), json!({}))
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("applied to 1 device"),
        "{r:?}"
    );
    let r = s
        .act(
            c,
            "devices",
            "remove-configuration",
            Some(&device),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .act(c, "configurations", "delete", Some(&sales), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.google.zero_touch().configurations().len(), 1);
    assert_eq!(s.item(c, "configurations", &sales).await.status, 404);

    // Every change in the history, with what was asked.
    let h = c.get("/api/v1/history?object_type=vendor_object").await;
    let actions: Vec<&str> = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "create",
            "create",
            "edit",
            "apply-configuration",
            "remove-configuration",
            "delete"
        ],
        "{h:?}"
    );
    s.google.assert_conforms();
}

#[tokio::test]
async fn configurations_reach_google_and_the_history_sqlite() {
    configurations_reach_google_and_the_history(Db::Sqlite).await;
}

#[tokio::test]
async fn configurations_reach_google_and_the_history_postgres() {
    configurations_reach_google_and_the_history(Db::Postgres).await;
}

#[tokio::test]
async fn devices_are_listed_found_and_acted_on_by_an_administrator() {
    let s = setup(Db::Sqlite).await;
    let totp = s
        .env
        .create_admin("acme", "ann@acme.example", "admin", "admin passphrase 1")
        .await;
    let ann = s.server.client();
    let r = ann
        .sign_in(
            "acme",
            "ann@acme.example",
            "admin passphrase 1",
            &corral_tests::totp_code(&totp, 0),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let sales = s.create_configuration("Sales", false).await;
    let zt = |identifier: Value| s.google.zero_touch().add_device(CUSTOMER, identifier);
    let dual = zt(
        json!({"imei": "356938035643809", "imei2": "490154203237518", "manufacturer": "Google", "model": "Pixel 8"}),
    );
    let serial =
        zt(json!({"serialNumber": "R58M12AB", "model": "SM-G991B", "manufacturer": "samsung"}));
    let third = zt(json!({"imei": "352099001761481", "manufacturer": "Google"}));

    // Three devices over two pages of the stand-in (pages of two), shown page by page.
    let first = s.items(&ann, "devices", "").await;
    assert_eq!(first.status, 200, "{first:?}");
    let token = first.body["next_page_token"].as_str().unwrap().to_string();
    let second = s
        .items(&ann, "devices", &format!("?page_token={token}"))
        .await;
    let ids: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|p| {
            p.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(ids, [dual.clone(), serial.clone(), third.clone()]);
    assert!(second.body["next_page_token"].is_null());

    // Found by IMEI or serial number; the dual-SIM device by its lower IMEI only.
    let found = s.items(&ann, "devices", "?search=352099001761481").await;
    assert_eq!(found.body["items"][0]["id"], third.as_str(), "{found:?}");
    let found = s.items(&ann, "devices", "?search=r58m12ab").await;
    assert_eq!(found.body["items"][0]["id"], serial.as_str(), "{found:?}");
    let advice = s.items(&ann, "devices", "?search=490154203237518").await;
    assert_eq!(advice.status, 422, "{advice:?}");
    assert!(
        advice.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("use 356938035643809"),
        "{advice:?}"
    );

    // Apply, shown with the device; None; unregister.
    let r = s
        .act(
            &ann,
            "devices",
            "apply-configuration",
            Some(&serial),
            json!({"configuration": sales}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let shown = s.item(&ann, "devices", &serial).await;
    assert_eq!(value(&shown.body, "configuration"), "Sales", "{shown:?}");
    let r = s
        .act(
            &ann,
            "devices",
            "remove-configuration",
            Some(&serial),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        value(
            &s.item(&ann, "devices", &serial).await.body,
            "configuration"
        ),
        "None"
    );
    let r = s
        .act(&ann, "devices", "unregister", Some(&third), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.item(&ann, "devices", &third).await.status, 404);
    let done: Vec<String> = s
        .google
        .zero_touch()
        .done()
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    assert_eq!(
        done,
        ["applyConfiguration", "removeConfiguration", "unclaim"]
    );

    // Mistakes named: an action on no item, an unknown action, an unknown collection.
    let r = s.act(&ann, "devices", "unregister", None, json!({})).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("item")),
        "{r:?}"
    );
    assert_eq!(
        s.act(&ann, "devices", "explode", Some(&serial), json!({}))
            .await
            .status,
        404
    );
    assert_eq!(s.items(&ann, "gadgets", "").await.status, 404);
    let r = s.items(&ann, "configurations", "?search=x").await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("search")),
        "{r:?}"
    );
    s.google.assert_conforms();
}

#[tokio::test]
async fn terms_of_service_not_accepted_are_named() {
    let s = setup(Db::Sqlite).await;
    s.google
        .zero_touch()
        .set_terms(CUSTOMER, "TERMS_STATUS_STALE");
    let r = s.items(&s.c, "configurations", "").await;
    assert_eq!(r.status, 422, "{r:?}");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("terms of service") && message.contains("TERMS_STATUS_STALE"),
        "{message}"
    );
    // The customer id set, so no customers.list: Google's 403 TosError is read the same way.
    let r =
        s.c.send(
            "PUT",
            &format!("/api/v1/plugins/{}/vendor/settings", s.plugin),
            Some(json!({"settings": {"api-base-url": s.google.base_url, "customer-id": CUSTOMER}})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.items(&s.c, "configurations", "").await;
    assert_eq!(r.status, 422, "{r:?}");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("TosError") && message.contains("terms of service"),
        "{message}"
    );
    s.google.assert_conforms();
}

/// The inventory sync reports zero-touch devices to the host, which lists them as awaiting
/// enrolment next to the enrolled ones (found by either IMEI of a dual-SIM device), and
/// forgets them once Google no longer lists them.
async fn registered_devices_await_enrolment_in_the_inventory(db: Db) {
    let s = setup(db).await;
    let zt = |identifier: Value| s.google.zero_touch().add_device(CUSTOMER, identifier);
    let pixel = zt(
        json!({"imei": "356938035643809", "imei2": "490154203237518", "manufacturer": "Google", "model": "Pixel 8"}),
    );
    let retail = s.create_configuration("Retail", false).await;
    let r = s
        .act(
            &s.c,
            "devices",
            "apply-configuration",
            Some(&pixel),
            json!({"configuration": retail}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let serial =
        zt(json!({"serialNumber": "R58M12AB", "model": "SM-G991B", "manufacturer": "samsung"}));
    zt(
        json!({"serialNumber": "CB1", "model": "Chromebook", "manufacturer": "Acer", "deviceType": "DEVICE_TYPE_CHROME_OS"}),
    );
    let sync = format!("/api/v1/plugins/{}/devices/sync", s.plugin);
    let r = s.c.send("POST", &sync, None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let awaiting =
        s.c.get("/api/v1/devices?state=awaiting&source=zero-touch")
            .await;
    assert_eq!(awaiting.status, 200, "{awaiting:?}");
    let listed = awaiting.body.as_array().unwrap();
    let mut models: Vec<&str> = listed
        .iter()
        .map(|d| d["model"].as_str().unwrap())
        .collect();
    models.sort();
    assert_eq!(models, ["Pixel 8", "SM-G991B"], "{awaiting:?}");
    assert!(listed
        .iter()
        .all(|d| d["state"] == "awaiting" && d["user_id"].is_null()));
    // Each with its registration: the channel and the configuration, by id and name.
    let registration = |model: &str| {
        let id = listed.iter().find(|d| d["model"] == model).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let c = &s.c;
        async move { c.get(&format!("/api/v1/devices/{id}")).await.body["registration"].clone() }
    };
    let pixel_registration = registration("Pixel 8").await;
    assert_eq!(pixel_registration["plugin"], "zero-touch");
    assert_eq!(pixel_registration["channel"], "zero-touch");
    assert_eq!(
        pixel_registration["configuration"],
        json!({"id": format!("customers/{CUSTOMER}/configurations/{retail}"), "title": "Retail"})
    );
    assert!(registration("SM-G991B").await["configuration"].is_null());
    // A second sync records nothing twice.
    assert_eq!(s.c.send("POST", &sync, None).await.status, 200);
    let again = s.c.get("/api/v1/devices?state=awaiting").await;
    assert_eq!(again.body.as_array().unwrap().len(), 2, "{again:?}");

    // Unregistered at Google: forgotten at the next sync, with its history.
    let r = s
        .act(&s.c, "devices", "unregister", Some(&serial), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.c.send("POST", &sync, None).await.status, 200);
    let left = s.c.get("/api/v1/devices?state=awaiting").await;
    let left = left.body.as_array().unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["model"], "Pixel 8");
    // Its configuration removed ("None") at Google: so at the next sync.
    let r = s
        .act(
            &s.c,
            "devices",
            "remove-configuration",
            Some(&pixel),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.c.send("POST", &sync, None).await.status, 200);
    let pixel_entry = format!("/api/v1/devices/{}", left[0]["id"].as_str().unwrap());
    let now = s.c.get(&pixel_entry).await.body["registration"].clone();
    assert_eq!(now["channel"], "zero-touch");
    assert!(now["configuration"].is_null(), "{now}");
    let h = s.c.get("/api/v1/history?object_type=device").await;
    let actions: Vec<&str> = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deleted", "created", "created"], "{h:?}");
    s.google.assert_conforms();
}

#[tokio::test]
async fn registered_devices_await_enrolment_in_the_inventory_sqlite() {
    registered_devices_await_enrolment_in_the_inventory(Db::Sqlite).await;
}

#[tokio::test]
async fn registered_devices_await_enrolment_in_the_inventory_postgres() {
    registered_devices_await_enrolment_in_the_inventory(Db::Postgres).await;
}
