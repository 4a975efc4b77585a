//! The Knox Mobile Enrollment plugin (SPEC F6, F7) end to end: the real component next to the
//! zero-touch one, the KME and Google stand-ins over HTTPS, the admin API.
//!
//! - who provisions a device, through the admin API, in the four cases (KME only, zero-touch
//!   only, both with a KME profile, both without), a dual-SIM device matched by its second
//!   IMEI and a device matched by serial number; the filters; "let zero-touch provision this
//!   device" changing the winner, in the history;
//! - a tenant's decisions never see another tenant's registrations;
//! - resellers (enable, disable: flagged uploads), uploads approved by hand or at once;
//! - the partial success of `unassignProfile` reported row by row; the stand-in refusing an
//!   unknown field, path, method or parameter; the credential's secret never returned.

use corral_tests::knox::{setup, KnoxStandIn, CLIENT_ID, CLIENT_SECRET};
use corral_tests::zero_touch::imei;
use corral_tests::Db;
use serde_json::{json, Value};

/// Adds a zero-touch device with the configuration `configuration` (or None) applied.
async fn zero_touch_device(
    s: &corral_tests::knox::Setup,
    identifier: Value,
    configuration: Option<&str>,
) -> String {
    let id =
        s.zt.google
            .zero_touch()
            .add_device(corral_tests::zero_touch::CUSTOMER, identifier);
    if let Some(configuration) = configuration {
        let r =
            s.zt.act(
                &s.zt.c,
                "devices",
                "apply-configuration",
                Some(&id),
                json!({"configuration": configuration}),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    id
}

fn kme_device(kme: &KnoxStandIn, mei: &str, serial: &str, profile: Option<&str>) -> String {
    let id = kme.add_device(json!({"mei": mei, "serialNumber": serial, "model": "SM-G991B"}));
    kme.set_profile(&id, profile);
    id
}

/// The value `name` of a collection item.
fn value_of(item: &Value, name: &str) -> String {
    item["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .and_then(|v| v["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn codes(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

async fn who_provisions_which_device(db: Db) {
    let s = setup(db).await;
    let warehouse = s.kme.add_profile("Warehouse");
    let retail = s.zt.create_configuration("Retail", false).await;
    // KME only, with a profile.
    kme_device(&s.kme, &imei(1), "R58KME0001", Some(&warehouse));
    // Zero-touch only.
    zero_touch_device(
        &s,
        json!({"imei": imei(2), "manufacturer": "samsung"}),
        Some(&retail),
    )
    .await;
    // Both, with a KME profile.
    let both = kme_device(&s.kme, &imei(3), "R58BOTH003", Some(&warehouse));
    zero_touch_device(
        &s,
        json!({"imei": imei(3), "manufacturer": "samsung"}),
        Some(&retail),
    )
    .await;
    // Both, without a KME profile.
    kme_device(&s.kme, &imei(4), "R58BOTH004", None);
    zero_touch_device(
        &s,
        json!({"imei": imei(4), "manufacturer": "samsung"}),
        Some(&retail),
    )
    .await;
    // Dual-SIM: zero-touch knows both IMEIs, KME lists the second one.
    kme_device(&s.kme, &imei(51), "", Some(&warehouse));
    zero_touch_device(
        &s,
        json!({"imei": imei(50), "imei2": imei(51), "manufacturer": "samsung"}),
        Some(&retail),
    )
    .await;
    // By serial number only.
    kme_device(&s.kme, "", "R58SERIAL6", None);
    zero_touch_device(
        &s,
        json!({"serialNumber": "R58SERIAL6", "model": "SM-A546B", "manufacturer": "samsung"}),
        Some(&retail),
    )
    .await;
    // Zero-touch "None", and no KME profile: neither.
    kme_device(&s.kme, &imei(7), "R58NONE007", None);
    zero_touch_device(
        &s,
        json!({"imei": imei(7), "manufacturer": "samsung"}),
        None,
    )
    .await;
    s.sync().await;

    let kme_only = s.decision(&imei(1)).await;
    assert_eq!(
        kme_only["provisioned_by"], "knox-mobile-enrollment",
        "{kme_only}"
    );
    assert_eq!(kme_only["configuration"]["title"], "Warehouse");
    assert_eq!(kme_only["decided_by"], "knox-mobile-enrollment");
    assert_eq!(codes(&kme_only), ["kme-profile-assigned"]);

    let zt_only = s.decision(&imei(2)).await;
    assert_eq!(zt_only["provisioned_by"], "zero-touch", "{zt_only}");
    assert_eq!(zt_only["configuration"]["title"], "Retail");
    assert_eq!(codes(&zt_only), ["zero-touch-only"]);

    let with_profile = s.decision(&imei(3)).await;
    assert_eq!(
        with_profile["provisioned_by"], "knox-mobile-enrollment",
        "{with_profile}"
    );
    assert_eq!(
        with_profile["reasons"][0]["message"],
        "KME profile 'Warehouse' is assigned, so KME provisions this device; unassign it in KME \
         to use zero-touch configuration 'Retail'"
    );
    assert_eq!(
        codes(&with_profile),
        ["kme-profile-assigned", "kme-takes-precedence"]
    );
    assert_eq!(
        with_profile["device_ids"].as_array().unwrap().len(),
        2,
        "{with_profile}"
    );
    assert_eq!(with_profile["registrations"].as_array().unwrap().len(), 2);

    let without_profile = s.decision(&imei(4)).await;
    assert_eq!(
        without_profile["provisioned_by"], "zero-touch",
        "{without_profile}"
    );
    assert_eq!(codes(&without_profile), ["kme-without-profile"]);

    let dual_sim = s.decision(&imei(51)).await;
    assert_eq!(
        dual_sim["provisioned_by"], "knox-mobile-enrollment",
        "{dual_sim}"
    );
    assert_eq!(dual_sim["imeis"], json!([imei(50), imei(51)]));
    assert_eq!(s.decision(&imei(50)).await, dual_sim);

    let by_serial = s.decision("r58serial6").await;
    assert_eq!(by_serial["provisioned_by"], "zero-touch", "{by_serial}");
    assert_eq!(codes(&by_serial), ["kme-without-profile"]);
    assert_eq!(by_serial["device_ids"].as_array().unwrap().len(), 2);

    let neither = s.decision(&imei(7)).await;
    assert_eq!(neither["provisioned_by"], "none", "{neither}");
    assert_eq!(codes(&neither), ["no-configuration"]);

    // The filters.
    let c = &s.zt.c;
    let listed = |query: &'static str| async move {
        let r = c.get(&format!("/api/v1/provisioning{query}")).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    };
    assert_eq!(listed("").await["total"], 7);
    assert_eq!(
        listed("?provisioned_by=knox-mobile-enrollment").await["total"],
        3
    );
    assert_eq!(listed("?provisioned_by=zero-touch").await["total"], 3);
    assert_eq!(listed("?reason=kme-without-profile").await["total"], 2);
    let page = listed("?limit=2&offset=2").await;
    assert_eq!(page["decisions"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_offset"], 4);
    for bad in ["?provisioned_by=fax", "?limit=0", "?colour=red"] {
        let r = c.get(&format!("/api/v1/provisioning{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }

    // One device, by any of its entries.
    for id in with_profile["device_ids"].as_array().unwrap() {
        let r = c
            .get(&format!(
                "/api/v1/devices/{}/provisioning",
                id.as_str().unwrap()
            ))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body, with_profile);
    }
    let r = c.get("/api/v1/devices/nope/provisioning").await;
    assert_eq!(r.status, 404, "{r:?}");
    // One device's read decides that device only (kept answers of the others stay).
    let kept = "SELECT COUNT(*) FROM provisioning_decisions";
    let before = s.zt.env.number_sql(kept).await;
    assert!(before > 1, "{before} decisions kept");
    s.zt.env
        .execute_sql("DELETE FROM provisioning_decisions")
        .await;
    let one = with_profile["device_ids"][0].as_str().unwrap();
    let r = c.get(&format!("/api/v1/devices/{one}/provisioning")).await;
    assert_eq!(r.body, with_profile, "{r:?}");
    assert_eq!(s.zt.env.number_sql(kept).await, 1);
    listed("").await;
    assert_eq!(s.zt.env.number_sql(kept).await, before);

    // "Let zero-touch provision this device": the remedy the decision offers.
    let remedy = &with_profile["remedies"][0];
    assert_eq!(remedy["plugin_id"], s.plugin.as_str());
    assert_eq!(remedy["collection"], "devices");
    assert_eq!(remedy["item"], both.as_str());
    assert_eq!(remedy["title"], "Let zero-touch provision this device");
    let r = s
        .act(
            "devices",
            remedy["action"].as_str().unwrap(),
            Some(&both),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(s.kme.device(&both).get("profileId").is_none());
    let after = s.decision(&imei(3)).await;
    assert_eq!(after["provisioned_by"], "zero-touch", "{after}");
    assert_eq!(after["configuration"]["title"], "Retail");
    assert_eq!(codes(&after), ["kme-without-profile"]);
    let h = c.get("/api/v1/history?object_type=vendor_object").await;
    assert!(
        h.body
            .to_string()
            .contains(&format!("{}/devices/{both}", s.plugin))
            && h.body.to_string().contains("let-zero-touch-provision"),
        "{h:?}"
    );
    s.kme.assert_conforms();
    s.zt.google.assert_conforms();
}

#[tokio::test]
async fn who_provisions_which_device_sqlite() {
    who_provisions_which_device(Db::Sqlite).await;
}

#[tokio::test]
async fn who_provisions_which_device_postgres() {
    who_provisions_which_device(Db::Postgres).await;
}

/// Tenant `globex` runs the Knox plugin too, on the same KME account, without zero-touch: its
/// decisions see only its own registrations, and acme's see only acme's.
#[tokio::test]
async fn decisions_never_see_another_tenants_devices() {
    let s = setup(Db::Sqlite).await;
    let warehouse = s.kme.add_profile("Warehouse");
    let retail = s.zt.create_configuration("Retail", false).await;
    kme_device(&s.kme, &imei(3), "R58BOTH003", Some(&warehouse));
    zero_touch_device(
        &s,
        json!({"imei": imei(3), "manufacturer": "samsung"}),
        Some(&retail),
    )
    .await;
    s.sync().await;
    s.zt.env.create_tenant("globex").await;
    let g =
        s.zt.env
            .signed_in_owner(&s.zt.server, "globex", "owner")
            .await;
    let knox = corral_tests::knox::install(&g, &s.kme).await;
    let r = g
        .send(
            "POST",
            &format!("/api/v1/plugins/{knox}/devices/sync"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    let acme = s.decision(&imei(3)).await;
    assert_eq!(acme["registrations"].as_array().unwrap().len(), 2, "{acme}");
    let r = g.get("/api/v1/provisioning").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["total"], 1, "{r:?}");
    let theirs = &r.body["decisions"][0];
    assert_eq!(
        theirs["registrations"].as_array().unwrap().len(),
        1,
        "{theirs}"
    );
    assert_eq!(
        theirs["registrations"][0]["channel"],
        "knox-mobile-enrollment"
    );
    assert!(
        theirs["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("it is not registered for zero-touch"),
        "{theirs}"
    );
    for id in acme["device_ids"].as_array().unwrap() {
        assert!(!theirs["device_ids"].as_array().unwrap().contains(id));
        let r = g
            .get(&format!(
                "/api/v1/devices/{}/provisioning",
                id.as_str().unwrap()
            ))
            .await;
        assert_eq!(r.status, 404, "{r:?}");
    }
    s.kme.assert_conforms();
}

#[tokio::test]
async fn resellers_and_uploads_pending_approval() {
    let s = setup(Db::Sqlite).await;
    let warehouse = s.kme.add_profile("Warehouse");
    let r = s
        .act(
            "resellers",
            "create",
            None,
            json!({"id": "R-100", "name": "Acme Phones", "enabled": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .act(
            "resellers",
            "create",
            None,
            json!({"id": "R-666", "name": "Shady Phones", "enabled": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    // A reseller id is listed once; a default profile is one of KME's.
    let r = s
        .act(
            "resellers",
            "create",
            None,
            json!({"id": "R-100", "name": "Again"}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.body["error"]["field"], "input/id", "{r:?}");
    let r = s
        .act(
            "resellers",
            "edit",
            Some("R-100"),
            json!({"name": "Acme Phones", "defaultProfile": "999"}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");

    let upload = |serial: &str, reseller: (&str, &str), upload: &str, status: &str| {
        s.kme.add_device(
            json!({"mei": "", "serialNumber": serial, "model": "SM-G991B",
            "resellerId": reseller.0, "resellerName": reseller.1, "uploadId": upload,
            "approvalStatus": status}),
        )
    };
    let first = upload("R58UPL0001", ("R-100", "Acme Phones"), "U1", "PENDING");
    let second = upload("R58UPL0002", ("R-100", "Acme Phones"), "U1", "PENDING");
    let shady = upload("R58SHADY01", ("R-666", "Shady Phones"), "U9", "APPROVED");

    let base = format!("/api/v1/plugins/{}/collections", s.plugin);
    let c = &s.zt.c;
    let uploads = c.get(&format!("{base}/uploads/items")).await;
    assert_eq!(uploads.status, 200, "{uploads:?}");
    let items = uploads.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{uploads:?}");
    assert_eq!(items[0]["id"], "U1");
    let devices = c.get(&format!("{base}/devices/items")).await;
    let flagged: Vec<&Value> = devices.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !value_of(d, "flag").is_empty())
        .collect();
    assert_eq!(flagged.len(), 1, "{devices:?}");
    assert_eq!(flagged[0]["id"], shady.as_str());
    assert_eq!(
        value_of(flagged[0], "flag"),
        "uploaded by disabled reseller Shady Phones"
    );

    // Approved by hand, with a profile: both devices, row by row.
    let r = s
        .act(
            "uploads",
            "approve",
            Some("U1"),
            json!({"profile": warehouse}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    for id in [&first, &second] {
        let d = s.kme.device(id);
        assert_eq!(
            (d["approvalStatus"].as_str(), d["profileId"].as_str()),
            (Some("APPROVED"), Some(warehouse.as_str()))
        );
    }
    let uploads = c.get(&format!("{base}/uploads/items")).await;
    assert!(
        uploads.body["items"].as_array().unwrap().is_empty(),
        "{uploads:?}"
    );

    // Approved at once, with the reseller's default profile, at the next sync.
    let r = s
        .act(
            "resellers",
            "edit",
            Some("R-100"),
            json!({"name": "Acme Phones", "enabled": true, "autoApprove": true, "defaultProfile": warehouse}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let later = upload("R58UPL0003", ("R-100", "Acme Phones"), "U2", "PENDING");
    s.sync().await;
    let d = s.kme.device(&later);
    assert_eq!(d["approvalStatus"], "APPROVED", "{d}");
    assert_eq!(d["profileId"], warehouse.as_str());
    let decision = s.decision("R58UPL0003").await;
    assert_eq!(
        decision["provisioned_by"], "knox-mobile-enrollment",
        "{decision}"
    );

    // Disabled: its uploads wait, flagged, and are not provisioned by KME.
    let r = s
        .act(
            "resellers",
            "edit",
            Some("R-100"),
            json!({"name": "Acme Phones", "enabled": false, "autoApprove": true, "defaultProfile": warehouse}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let waiting = upload("R58UPL0004", ("R-100", "Acme Phones"), "U3", "PENDING");
    s.kme.set_profile(&waiting, Some(&warehouse));
    s.sync().await;
    assert_eq!(s.kme.device(&waiting)["approvalStatus"], "PENDING");
    let uploads = c.get(&format!("{base}/uploads/items")).await;
    assert_eq!(
        value_of(&uploads.body["items"][0], "flag"),
        "uploaded by disabled reseller Acme Phones",
        "{uploads:?}"
    );
    let decision = s.decision("R58UPL0004").await;
    assert_eq!(decision["provisioned_by"], "none", "{decision}");
    s.kme.assert_conforms();
}

#[tokio::test]
async fn partial_success_row_by_row_and_the_contract() {
    let s = setup(Db::Sqlite).await;
    let warehouse = s.kme.add_profile("Warehouse");
    let one = kme_device(&s.kme, &imei(11), "R58PART011", Some(&warehouse));
    let two = kme_device(&s.kme, &imei(12), "R58PART012", Some(&warehouse));
    s.sync().await;
    // One call for a list: each row says what KME did.
    let r = s
        .act(
            "devices",
            "let-zero-touch-provision-many",
            None,
            json!({"devices": format!("{one}\n{}\n{}\nnot an id!", imei(12), imei(99))}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let rows: Vec<(String, String)> = r.body["item"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 4, "{r:?}");
    let said = |id: &str| {
        rows.iter()
            .find(|(n, _)| n == id)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert!(said(&one).starts_with("profile unassigned"), "{rows:?}");
    assert!(
        said(&imei(12)).starts_with("profile unassigned"),
        "{rows:?}"
    );
    assert_eq!(said(&imei(99)), "not found in Knox Mobile Enrollment");
    assert!(said("not an id!").starts_with("refused"), "{rows:?}");
    for id in [&one, &two] {
        assert!(s.kme.device(id).get("profileId").is_none());
    }
    // The same for one device that KME does not have: an error naming it.
    let r = s
        .act(
            "devices",
            "let-zero-touch-provision",
            Some("d999999"),
            json!({}),
        )
        .await;
    assert!(r.status == 400 || r.status == 422, "{r:?}");
    assert!(r.body.to_string().contains("d999999"), "{r:?}");

    // Profiles: the plugin checks KME's rules first, naming the field.
    let r = s
        .act(
            "profiles",
            "create",
            None,
            json!({"profileName": "Kiosk", "doEnabled": true}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.body["error"]["field"], "input/skipSetupWizard", "{r:?}");
    let r = s
        .act(
            "profiles",
            "create",
            None,
            json!({"profileName": "Kiosk", "doEnabled": true, "skipSetupWizard": true,
                   "supportedMDM": "Corral", "mdmApkUrl": "https://mdm.example.com/a.apk"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let kiosk = r.body["item"]["id"].as_str().unwrap().to_string();
    assert!(s.kme.profiles().iter().any(|p| p["profileName"] == "Kiosk"));
    let r = s.act("profiles", "delete", Some(&kiosk), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    // A profile devices have is not deleted: KME's refusal is shown.
    s.kme.set_profile(&one, Some(&warehouse));
    let r = s
        .act("profiles", "delete", Some(&warehouse), json!({}))
        .await;
    assert!(r.status >= 400, "{r:?}");
    assert!(
        r.body.to_string().contains("assigned to 1 devices"),
        "{r:?}"
    );
    s.kme.assert_conforms();

    // The credential: its client id shown, its secret never.
    let access =
        s.zt.c
            .get(&format!("/api/v1/plugins/{}/vendor", s.plugin))
            .await;
    assert_eq!(access.status, 200, "{access:?}");
    assert_eq!(access.body["credential"]["type"], "client_credentials");
    assert_eq!(access.body["credential"]["client_id"], CLIENT_ID);
    assert!(
        !access.body.to_string().contains(CLIENT_SECRET),
        "{access:?}"
    );

    // The customer information: the KME customer id (zero-touch's is its plugin's `customer`).
    let customer =
        s.zt.c
            .get(&format!(
                "/api/v1/plugins/{}/collections/customer/items",
                s.plugin
            ))
            .await;
    assert_eq!(customer.status, 200, "{customer:?}");
    assert_eq!(
        value_of(&customer.body["items"][0], "kme-customer-id"),
        "KME-4711"
    );
    let zt_customer = s.zt.items(&s.zt.c, "customer", "").await;
    assert_eq!(
        value_of(&zt_customer.body["items"][0], "id"),
        corral_tests::zero_touch::CUSTOMER
    );
    assert_eq!(value_of(&zt_customer.body["items"][0], "name"), "Acme");

    // The stand-in refuses what KME does not take.
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(s.kme.ca_file()).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let token: Value = client
        .post(s.kme.token_uri())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", "kme.devices:write kme.devices:read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let base = &s.kme.base_url;
    let unknown_field = client
        .post(format!("{base}/kcs/v2/kme/devices/unassignProfile"))
        .header("authorization", &bearer)
        .json(&json!({"deviceIds": [one], "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_field.status(), 400);
    assert!(
        s.kme.device(&one).get("profileId").is_some(),
        "nothing changed"
    );
    let unknown_parameter = client
        .get(format!(
            "{base}/kcs/v1/kme/devices/list?pageNum=0&colour=red"
        ))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_parameter.status(), 400);
    let unknown_method = client
        .delete(format!("{base}/kcs/v1/kme/devices/list"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_method.status(), 405);
    let unknown_path = client
        .get(format!("{base}/kcs/v1/kme/devices/everything"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_path.status(), 404);
    let no_token = client
        .get(format!("{base}/kcs/v1/kme/devices/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(s.kme.violations().len(), 5, "{:#?}", s.kme.violations());
    s.kme.clear_violations();

    // A client credential is checked field by field; a wrong secret is Knox's refusal, named.
    let credential = format!("/api/v1/plugins/{}/vendor/credential", s.plugin);
    let mut bad = s.kme.credential();
    bad["client_id"] = json!(" ");
    let r = s.zt.c.send("PUT", &credential, Some(bad)).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body["error"]["field"], "credential.client_id", "{r:?}");
    let mut wrong = s.kme.credential();
    wrong["client_secret"] = json!("not the secret");
    let r = s.zt.c.send("PUT", &credential, Some(wrong)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r =
        s.zt.c
            .send(
                "POST",
                &format!("/api/v1/plugins/{}/devices/sync", s.plugin),
                None,
            )
            .await;
    assert!(r.status >= 400, "{r:?}");
    let message = r.body.to_string();
    assert!(
        message.contains("token endpoint refused") && message.contains("invalid_client"),
        "{r:?}"
    );
    assert!(!message.contains("not the secret"), "{r:?}");
}
