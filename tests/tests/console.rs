//! The administrator console against the real server and real databases, driven like a
//! browser without JavaScript (cookies, forms with their hidden fields): first sign-in with the
//! authenticator set-up, the users and administrators pages, and every refusal: forms from
//! another site or without their token, controls a role may not use, forged posts for them.

use std::time::Duration;

use corral_tests::network::ldap_url;
use corral_tests::portal::{decode_qr_svg, Browser, Page};
use corral_tests::{both_backends, guest, totp_code, totp_from_uri, Db, Env, Server, SmtpSink};
use serde_json::json;
use totp_rs::TOTP;

both_backends!(
    first_sign_in_sets_up_the_authenticator_then_asks_for_codes,
    forms_from_elsewhere_or_without_their_token_change_nothing,
    an_administrator_sees_no_owner_control_and_forged_posts_get_403,
    users_are_added_searched_sorted_paged_invited_and_labelled,
    unmanaged_devices_go_off_for_good_behind_the_sentence_and_history_tells,
    devices_are_filtered_opened_acted_on_with_their_history,
    directory_is_set_up_searched_and_chosen_entries_imported,
    plugins_are_uploaded_allowed_activated_rolled_back_set_up_and_removed,
    configurations_are_made_from_the_plugins_schema_checked_by_it_previewed_and_deleted,
    apps_are_added_uploaded_set_for_unmanaged_devices_downloaded_and_removed,
    enrolment_link_settings_and_profiles_with_their_token,
    a_users_page_changes_invites_and_deletes_them,
);

const PASSWORD: &str = "console passphrase 1";

/// The error shown at `field` of form `form`, checked to be tied to its control.
fn field_error(page: &Page, form: &str, field: &str) -> Option<String> {
    let id = format!("{form}-{field}");
    let described = page.attr(&format!("#{id}"), "aria-describedby")?;
    assert!(
        described.split(' ').any(|d| d == format!("{id}-error")),
        "the error of {id} is not tied to it: {described}"
    );
    page.text(&format!("#{id}-error"))
}

/// Signs in through the pages; `code` may be empty (first sign-in).
async fn sign_in(browser: &Browser, tenant: &str, email: &str, code: &str) -> Page {
    let page = browser.get("/console/sign-in").await;
    assert_eq!(page.status, 200, "{}", page.html);
    browser
        .submit(
            &page,
            "/console/sign-in",
            &[
                ("tenant", tenant),
                ("email", email),
                ("password", PASSWORD),
                ("code", code),
            ],
        )
        .await
}

/// Creates an administrator with the CLI and signs them in on a new browser with the first
/// code of their app.
async fn signed_in(env: &Env, server: &Server, email: &str, role: &str) -> (Browser, TOTP) {
    let totp = env.create_admin("acme", email, role, PASSWORD).await;
    let browser = Browser::new(&server.url);
    let page = sign_in(&browser, "acme", email, &totp_code(&totp, 0)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.url.ends_with("/console/users"), "{}", page.url);
    (browser, totp)
}

async fn first_sign_in_sets_up_the_authenticator_then_asks_for_codes(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let (owner, _) = signed_in(&env, &server, "owner@acme.example", "owner").await;

    // The owner adds an administrator through the page; the console never shows their secret.
    let page = owner.get("/console/admins").await;
    let added = owner
        .submit(
            &page,
            "/console/admins",
            &[
                ("email", "new@acme.example"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.html);
    assert!(added.text(".notice").is_some(), "{}", added.html);
    assert!(!added.html.contains("otpauth"), "{}", added.html);

    // A page asked for before sign-in sends to the sign-in page, and back after it.
    let browser = Browser::new(&server.url);
    let page = browser.get("/console/admins").await;
    assert!(page.url.contains("/console/sign-in?next="), "{}", page.url);

    // Without a code and with the right password: the set-up page, with the QR code.
    let setup = sign_in(&browser, "acme", "new@acme.example", "").await;
    assert_eq!(setup.status, 200, "{}", setup.html);
    assert!(
        setup.url.ends_with("/console/sign-in/authenticator"),
        "{}",
        setup.url
    );
    let svg = setup
        .doc()
        .select(&scraper::Selector::parse(".qr svg").unwrap())
        .next()
        .unwrap()
        .html();
    let uri = decode_qr_svg(&svg);
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let key = setup.text(".qr code").expect("the key as text");
    assert!(uri.contains(&format!("secret={key}")), "{uri} {key}");
    let totp = totp_from_uri(&uri);

    // A wrong first code is refused at its field; the right one signs in.
    let wrong = browser
        .submit(
            &setup,
            "/console/sign-in/authenticator",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    assert!(
        field_error(&wrong, "set-up", "code").is_some(),
        "{}",
        wrong.html
    );
    // One reading of the clock for the first code and the next: a 30 s step ending between
    // them cannot turn the replay below into a fresh code.
    let first_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let first = totp.generate(first_at);
    let next = totp.generate(first_at + 30);
    let done = browser
        .submit(
            &wrong,
            "/console/sign-in/authenticator",
            &[("code", &first)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.url.ends_with("/console/users"), "{}", done.url);
    assert!(done.html.contains("new@acme.example"));

    // Once set up, a sign-in without a code is refused, and so is the same code again.
    let again = Browser::new(&server.url);
    let refused = sign_in(&again, "acme", "new@acme.example", "").await;
    assert_eq!(refused.status, 401, "{}", refused.html);
    assert!(!refused.html.contains("otpauth") && !refused.has(".qr"));
    let replay = sign_in(&again, "acme", "new@acme.example", &first).await;
    assert_eq!(replay.status, 401, "{}", replay.html);
    let ok = sign_in(&again, "acme", "new@acme.example", &next).await;
    assert_eq!(ok.status, 200, "{}", ok.html);
    assert_eq!(ok.h1(), "Users");

    // Signing out ends the session: the next page is the sign-in page again.
    let out = again.submit(&ok, "/console/sign-out", &[]).await;
    assert!(out.url.contains("/console/sign-in"), "{}", out.url);
    let after = again.get("/console/users").await;
    assert!(after.url.contains("/console/sign-in"), "{}", after.url);

    // French on request, remembered.
    let fr = browser.get("/console/users?lang=fr").await;
    assert_eq!(fr.h1(), "Utilisateurs");
    assert_eq!(fr.attr("html", "lang").as_deref(), Some("fr"));
    assert_eq!(browser.get("/console/admins").await.h1(), "Administrateurs");
}

async fn forms_from_elsewhere_or_without_their_token_change_nothing(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let (owner, _) = signed_in(&env, &server, "owner@acme.example", "owner").await;
    let page = owner.get("/console/users").await;

    // Every answer carries the security headers; the cookies are strict.
    let h = &page.headers;
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["cache-control"], "no-store");
    let login = reqwest::Client::new()
        .get(format!("{}/console/sign-in", server.url))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }

    let csrf = page.csrf();
    let add = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("email".to_string(), "forged@acme.example".to_string()),
            ("first_name".to_string(), "Forged".to_string()),
            ("last_name".to_string(), "Post".to_string()),
        ]
    };
    // No token, a wrong token, another site's page (Origin or Sec-Fetch-Site): 403, nothing
    // added.
    for (fields, headers) in [
        (add(""), vec![]),
        (add("not-the-token-not-the-token-not-the-token"), vec![]),
        (add(&csrf), vec![("origin", "https://evil.example")]),
        (add(&csrf), vec![("sec-fetch-site", "cross-site")]),
    ] {
        let mut req = owner
            .no_follow
            .post(format!("{}/console/users", server.url))
            .form(&fields);
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{fields:?} {headers:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("This form has expired"), "{html}");
    }
    let list = owner.get("/console/users?q=forged").await;
    assert!(!list.html.contains("forged@acme.example"), "{}", list.html);
    // The same post from this site with its token goes through.
    let ok = owner
        .submit(
            &page,
            "/console/users",
            &[
                ("email", "forged@acme.example"),
                ("first_name", "F"),
                ("last_name", "P"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.html);
    assert!(ok.html.contains("forged@acme.example"), "{}", ok.html);

    // The sign-in form has its own token: a post without it is refused before any check.
    let stranger = Browser::new(&server.url);
    let refused = stranger
        .post_raw(
            "/console/sign-in",
            &[
                ("tenant", "acme"),
                ("email", "owner@acme.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    // The token of one session does not work in another.
    let (other, _) = signed_in(&env, &server, "other@acme.example", "owner").await;
    let res = other
        .no_follow
        .post(format!("{}/console/users", server.url))
        .form(&add(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

async fn an_administrator_sees_no_owner_control_and_forged_posts_get_403(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let (owner, _) = signed_in(&env, &server, "owner@acme.example", "owner").await;
    let (admin, _) = signed_in(&env, &server, "admin@acme.example", "admin").await;

    // The owner has the add, edit and remove controls.
    let page = owner.get("/console/admins").await;
    assert!(page.has("form[action='/console/admins']"), "{}", page.html);
    let owner_id = {
        let href = page.attr("a[href^='/console/admins/']", "href").unwrap();
        href.rsplit('/').next().unwrap().to_string()
    };
    let detail = owner.get(&format!("/console/admins/{owner_id}")).await;
    assert!(
        detail.has("form#edit") && detail.has("form#delete"),
        "{}",
        detail.html
    );

    // The administrator reads the list, but is offered none of them.
    let page = admin.get("/console/admins").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("owner@acme.example"));
    assert!(!page.has("form[action='/console/admins']"), "{}", page.html);
    let detail = admin.get(&format!("/console/admins/{owner_id}")).await;
    assert!(
        !detail.has("form#edit") && !detail.has("form#delete"),
        "{}",
        detail.html
    );

    // Forged posts, with the administrator's own valid token: 403 and nothing changes.
    let csrf = page.csrf();
    for (path, fields) in [
        (
            "/console/admins".to_string(),
            vec![
                ("email", "sneaky@acme.example"),
                ("role", "owner"),
                ("password", PASSWORD),
            ],
        ),
        (
            format!("/console/admins/{owner_id}"),
            vec![("role", "admin")],
        ),
        (format!("/console/admins/{owner_id}/delete"), vec![]),
    ] {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields);
        let refused = admin.post_raw(&path, &all).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.html);
        assert_eq!(refused.h1(), "Not allowed");
    }
    let page = owner.get("/console/admins").await;
    assert!(!page.html.contains("sneaky@acme.example"));
    let detail = owner.get(&format!("/console/admins/{owner_id}")).await;
    assert_eq!(detail.status, 200, "the owner still exists");
    assert!(
        detail.html.contains("owner (") || detail.html.contains(">owner<"),
        "{}",
        detail.html
    );
}

async fn users_are_added_searched_sorted_paged_invited_and_labelled(db: Db) {
    let sink = SmtpSink::start().await;
    let env = Env::new(db).await.with_smtp(sink.port);
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let (owner, _) = signed_in(&env, &server, "owner@acme.example", "owner").await;

    // A field error is shown at its field, the values kept; nothing is added.
    let page = owner.get("/console/users").await;
    let refused = owner
        .submit(
            &page,
            "/console/users",
            &[("email", "not an address"), ("first_name", "Ann")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        field_error(&refused, "add", "email").is_some(),
        "{}",
        refused.html
    );
    assert_eq!(
        refused.attr("#add-first-name", "value").as_deref(),
        Some("Ann")
    );
    assert!(
        refused.has(".summary a[href='#add-email']"),
        "{}",
        refused.html
    );

    // Added, with its invitation sent at once.
    let added = owner
        .submit(
            &refused,
            "/console/users",
            &[
                ("email", "ann@acme.example"),
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("invite", "on"),
            ],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.html);
    assert!(added.html.contains("ann@acme.example"));
    let mails = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mails[0].to, "ann@acme.example");

    // 60 more through the API: the table pages by 50, sorts on the server, searches.
    let users: Vec<_> = (0..60)
        .map(|i| json!({"email": format!("u{i:02}@acme.example"), "first_name": "U", "last_name": format!("Z{:02}", 59 - i)}))
        .collect();
    let r = api
        .send("POST", "/api/v1/users/bulk", Some(json!({"users": users})))
        .await;
    assert!(r.status == 200 || r.status == 201, "{r:?}");
    let first = owner.get("/console/users").await;
    assert_eq!(first.texts("tbody tr").len(), 50);
    assert_eq!(first.text(".pager span").as_deref(), Some("1–50 of 61"));
    let next = first.attr("a[rel=next]", "href").unwrap();
    let second = owner.get(&next).await;
    assert_eq!(second.texts("tbody tr").len(), 11);
    let by_name = owner.get("/console/users?sort=name").await;
    let rows = by_name.texts("tbody tr");
    assert!(rows[0].contains("ann@acme.example"), "Lee first: {rows:?}");
    let descending = by_name.attr("th[aria-sort=ascending] a", "href").unwrap();
    let rows = owner.get(&descending).await.texts("tbody tr");
    assert!(rows[0].contains("u00@acme.example"), "Z59 first: {rows:?}");
    let search = owner.get("/console/users?q=u0").await;
    assert_eq!(search.texts("tbody tr").len(), 10);

    // Invite a selection: the check boxes belong to the bulk form.
    let ids: Vec<String> = search
        .doc()
        .select(&scraper::Selector::parse("input[form=bulk]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_string())
        .take(2)
        .collect();
    let invited = owner
        .submit(
            &search,
            "/console/users/invite",
            &[("action", "invite"), ("user", &ids[0]), ("user", &ids[1])],
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.html);
    sink.wait_for(3, Duration::from_secs(30)).await;
    let none = owner
        .submit(&search, "/console/users/invite", &[("action", "invite")])
        .await;
    assert_eq!(none.status, 422);

    // Labelling needs the feature on, then a confirmation listing the users.
    let r = api
        .send("POST", "/api/v1/unmanaged-devices/enable", None)
        .await;
    assert!(r.status < 300, "{r:?}");
    let page = owner.get("/console/users?q=u0").await;
    let confirm = owner
        .submit(
            &page,
            "/console/users/invite",
            &[("action", "label"), ("user", &ids[0])],
        )
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.html);
    assert!(
        confirm.text(".warning").unwrap().contains("u0"),
        "{}",
        confirm.html
    );
    let unchanged = api
        .send("GET", &format!("/api/v1/users/{}", ids[0]), None)
        .await;
    assert_eq!(
        unchanged.body["unmanaged"], false,
        "nothing before the confirmation"
    );
    let done = owner
        .submit(&confirm, "/console/users/unmanaged", &[])
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    let labelled = api
        .send("GET", &format!("/api/v1/users/{}", ids[0]), None)
        .await;
    assert_eq!(labelled.body["unmanaged"], true);
}

async fn unmanaged_devices_go_off_for_good_behind_the_sentence_and_history_tells(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let (owner, _) = signed_in(&env, &server, "owner@acme.example", "owner").await;

    // Off: the unmanaged check box is not offered when adding a user; the switch is.
    let users = owner.get("/console/users").await;
    assert!(!users.has("#add-unmanaged"), "{}", users.html);
    let page = owner.get("/console/unmanaged").await;
    assert!(
        page.has("form#enable") && !page.has("form#deactivate"),
        "{}",
        page.html
    );
    let on = owner.submit(&page, "/console/unmanaged/enable", &[]).await;
    assert_eq!(on.status, 200, "{}", on.html);
    assert!(
        on.has("form#deactivate") && !on.has("form#enable"),
        "{}",
        on.html
    );

    // An unmanaged user added through the page.
    let users = owner.get("/console/users").await;
    let added = owner
        .submit(
            &users,
            "/console/users",
            &[
                ("email", "mam@acme.example"),
                ("first_name", "Mam"),
                ("last_name", "User"),
                ("unmanaged", "on"),
            ],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.html);
    assert!(
        added.text("tbody tr").unwrap().contains("Unmanaged"),
        "{}",
        added.html
    );

    // What switching off will do is listed; a wrong sentence changes nothing.
    let page = owner.get("/console/unmanaged").await;
    let warning = page.text(".warning").unwrap();
    assert!(
        warning.contains("mam@acme.example") && warning.contains("1 unmanaged user"),
        "{warning}"
    );
    let wrong = owner
        .submit(
            &page,
            "/console/unmanaged/deactivate",
            &[("confirmation", "yes")],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    assert!(
        field_error(&wrong, "deactivate", "confirmation").is_some(),
        "{}",
        wrong.html
    );
    let state = api.send("GET", "/api/v1/unmanaged-devices", None).await;
    assert_eq!(state.body["state"], "on", "{state:?}");
    let sentence = "I understand that deactivating unmanaged devices is permanent";
    let off = owner
        .submit(
            &wrong,
            "/console/unmanaged/deactivate",
            &[("confirmation", sentence)],
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.html);
    assert!(
        !off.has("form#enable") && !off.has("form#deactivate"),
        "{}",
        off.html
    );
    let state = api.send("GET", "/api/v1/unmanaged-devices", None).await;
    assert_eq!(state.body["state"], "deactivated", "{state:?}");
    let users = owner.get("/console/users?q=mam").await;
    assert!(
        !users.text("tbody tr").unwrap().contains("Unmanaged"),
        "{}",
        users.html
    );

    // The history: the feature's changes, the user's (from its link), by actor, by date.
    let history = owner.get("/console/history?type=unmanaged_devices").await;
    assert_eq!(history.status, 200, "{}", history.html);
    assert!(history.texts("tbody tr").len() >= 2, "{}", history.html);
    let all = owner.get("/console/history?actor=owner%40acme").await;
    let user_link = all
        .doc()
        .select(&scraper::Selector::parse("tbody a[href*='type=user']").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("a user's changes link to its history");
    let one = owner.get(&user_link).await;
    let rows = one.texts("tbody tr");
    assert!(
        rows.iter().any(|r| r.contains("unmanaged: true → false")),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r.contains("user ")), "{rows:?}");
    let none = owner.get("/console/history?actor=api%40").await;
    assert!(
        !none.html.contains("mam@acme"),
        "the API owner did not touch the user"
    );
    let bad = owner.get("/console/history?from=04%2F12%2F2026").await;
    assert_eq!(bad.status, 422);
    assert!(
        field_error(&bad, "filter", "from").is_some(),
        "{}",
        bad.html
    );
    let future = owner.get("/console/history?from=2999-01-01").await;
    assert!(future.has("p.empty"), "{}", future.html);
    // In French too.
    let fr = owner.get("/console/unmanaged?lang=fr").await;
    assert_eq!(fr.h1(), "Appareils non gérés");
}

/// Inserts a device as an enrolment leaves it.
async fn insert_device(env: &Env, tenant_id: &str, user_id: &str, id: &str, platform: &str) {
    let n = env
        .execute_sql(&format!(
            "INSERT INTO devices (id, tenant_id, user_id, platform, os_version, hardware_id, name, \
             model, state, archived, mdm_enabled, registrations, registered_at, created_at, \
             updated_at) VALUES ('{id}', '{tenant_id}', '{user_id}', '{platform}', '14', \
             'HW-{id}', 'Device {id}', 'Model {id}', 'active', 0, 1, 1, 1, 1, 1)"
        ))
        .await;
    assert_eq!(n, 1);
}

async fn devices_are_filtered_opened_acted_on_with_their_history(db: Db) {
    let env = Env::new(db).await;
    let acme = env.create_tenant("acme").await;
    let globex = env.create_tenant("globex").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let mut owners = Vec::new();
    for email in ["pat@acme.example", "sam@acme.example"] {
        let r = api
            .send(
                "POST",
                "/api/v1/users",
                Some(json!({"email": email, "first_name": "A", "last_name": "B"})),
            )
            .await;
        owners.push(r.body["id"].as_str().unwrap().to_string());
    }
    insert_device(&env, &acme, &owners[0], "pat-ios", "ios").await;
    insert_device(&env, &acme, &owners[0], "pat-mac", "macos").await;
    insert_device(&env, &acme, &owners[1], "sam-android", "android").await;
    let other = env.signed_in_owner(&server, "globex", "api").await;
    let r = other
        .send(
            "POST",
            "/api/v1/users",
            Some(json!({"email": "kim@globex.example", "first_name": "K", "last_name": "L"})),
        )
        .await;
    let kim = r.body["id"].as_str().unwrap().to_string();
    insert_device(&env, &globex, &kim, "globex-ios", "ios").await;
    let (admin, _) = signed_in(&env, &server, "admin@acme.example", "admin").await;

    // The list: this tenant's devices only, filtered on the server.
    let all = admin.get("/console/devices").await;
    assert_eq!(all.status, 200, "{}", all.html);
    assert_eq!(all.texts("tbody tr").len(), 3, "{}", all.html);
    assert!(!all.html.contains("globex-ios"));
    let ios = admin.get("/console/devices?platform=ios").await;
    assert_eq!(ios.texts("tbody tr").len(), 1, "{}", ios.html);
    let apple = admin.get("/console/devices?source=apple").await;
    assert_eq!(apple.texts("tbody tr").len(), 2, "{}", apple.html);
    let sams = admin.get("/console/devices?owner=sam").await;
    let rows = sams.texts("tbody tr");
    assert!(
        rows.len() == 1 && rows[0].contains("sam@acme.example") && rows[0].contains("Portal"),
        "{rows:?}"
    );
    let none = admin.get("/console/devices?source=knox").await;
    assert!(none.has("p.empty"), "{}", none.html);

    // The detail page and its actions: retire; a wipe or a delete needs its box ticked.
    let page = admin.get("/console/devices/pat-ios").await;
    assert_eq!(page.h1(), "Device pat-ios");
    assert!(
        page.has("form#act-retire") && !page.has("form#act-lock"),
        "an Apple device has no plugin commands yet: {}",
        page.html
    );
    let unconfirmed = admin
        .submit(&page, "/console/devices/pat-ios/act", &[("action", "wipe")])
        .await;
    assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.html);
    assert!(
        field_error(&unconfirmed, "wipe", "confirm").is_some(),
        "{}",
        unconfirmed.html
    );
    let state = api.get("/api/v1/devices/pat-ios").await;
    assert_eq!(state.body["state"], "active");
    let wiped = admin
        .submit(
            &unconfirmed,
            "/console/devices/pat-ios/act",
            &[("action", "wipe"), ("confirm", "on")],
        )
        .await;
    assert_eq!(wiped.status, 200, "{}", wiped.html);
    assert!(wiped.has(".notice"), "{}", wiped.html);
    let state = api.get("/api/v1/devices/pat-ios").await;
    assert_eq!(state.body["state"], "wiped");
    let history = wiped.texts("section tbody tr");
    assert!(
        history
            .iter()
            .any(|r| r.contains("wiped") && r.contains("admin@acme.example")),
        "{history:?}"
    );
    let page = admin.get("/console/devices/pat-mac").await;
    let retired = admin
        .submit(
            &page,
            "/console/devices/pat-mac/act",
            &[("action", "retire")],
        )
        .await;
    assert_eq!(retired.status, 200, "{}", retired.html);
    let state = api.get("/api/v1/devices/pat-mac").await;
    assert_eq!(state.body["state"], "retired");
    let deleted = admin
        .submit(
            &retired,
            "/console/devices/pat-mac/act",
            &[("action", "delete"), ("confirm", "on")],
        )
        .await;
    assert!(
        deleted.url.ends_with("/console/devices?done=deleted"),
        "{}",
        deleted.url
    );
    assert_eq!(deleted.texts("tbody tr").len(), 2, "{}", deleted.html);
    assert_eq!(api.get("/api/v1/devices/pat-mac").await.status, 404);

    // Another tenant's device is not found; an unknown action changes nothing.
    let other = admin.get("/console/devices/globex-ios").await;
    assert_eq!(other.status, 404);
    let page = admin.get("/console/devices/sam-android").await;
    let odd = admin
        .submit(
            &page,
            "/console/devices/sam-android/act",
            &[("action", "explode")],
        )
        .await;
    assert_eq!(odd.status, 422, "{}", odd.html);
    let fr = admin.get("/console/devices?lang=fr").await;
    assert_eq!(fr.h1(), "Appareils");
}

async fn directory_is_set_up_searched_and_chosen_entries_imported(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let (admin, _) = signed_in(&env, &server, "admin@acme.example", "admin").await;
    let users = admin.get("/console/users").await;
    assert!(
        users.has("a[href='/console/users/directory']"),
        "{}",
        users.html
    );

    // Not set up: only the settings. Wrong ones are tried, refused and not kept.
    let page = admin.get("/console/users/directory").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        !page.has("form#search") && page.has("form#directory"),
        "{}",
        page.html
    );
    let url = ldap_url();
    let settings = |password: &'static str| {
        vec![
            ("url", url.clone()),
            (
                "bind_dn",
                "cn=corral-reader,ou=services,dc=corral,dc=test".to_string(),
            ),
            ("bind_password", password.to_string()),
            ("base_dn", "ou=people,dc=corral,dc=test".to_string()),
        ]
    };
    let wrong = settings("not the password");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = admin
        .submit(&page, "/console/users/directory", &wrong)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.has("form#directory .summary"), "{}", refused.html);
    assert_eq!(
        refused.attr("#directory-base-dn", "value").as_deref(),
        Some("ou=people,dc=corral,dc=test"),
        "what was typed is kept"
    );
    assert_eq!(api.get("/api/v1/directory").await.status, 404);
    let right = settings("reader password");
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = admin
        .submit(&refused, "/console/users/directory", &right)
        .await;
    assert_eq!(saved.status, 200, "{}", saved.html);
    assert!(saved.has("form#search"), "{}", saved.html);
    assert!(
        !saved.html.contains("reader password"),
        "the password is write-only"
    );

    // Search, then import the chosen entry; an empty choice changes nothing.
    let found = admin.get("/console/users/directory?q=dupr").await;
    assert_eq!(found.texts("tbody tr").len(), 1, "{}", found.html);
    let dn = found
        .attr("tbody input[type=checkbox]", "value")
        .expect("a box to choose the entry");
    let nothing = admin
        .submit(&found, "/console/users/directory/import", &[])
        .await;
    assert_eq!(nothing.status, 422, "{}", nothing.html);
    assert_eq!(api.get("/api/v1/users").await.body, json!([]));
    let imported = admin
        .submit(&found, "/console/users/directory/import", &[("dn", &dn)])
        .await;
    assert_eq!(imported.status, 200, "{}", imported.html);
    assert!(imported.has(".notice"), "{}", imported.html);
    let row = imported.text("tbody tr").unwrap();
    assert!(row.contains("chloe@corral.test"), "{row}");
    assert!(
        !imported.has("tbody input[type=checkbox]"),
        "{}",
        imported.html
    );
    let users = api.get("/api/v1/users").await.body;
    assert_eq!(users[0]["email"], "chloe@corral.test");
    assert_eq!(users[0]["source"], "ldap");
    let all = admin.get("/console/users/directory?q=").await;
    assert_eq!(all.texts("tbody tr").len(), 3, "{}", all.html);
}

async fn plugins_are_uploaded_allowed_activated_rolled_back_set_up_and_removed(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let (admin, _) = signed_in(&env, &server, "admin@acme.example", "admin").await;
    let wasm = |name: &str| ("component", "plugin.wasm", guest(name));

    // Upload: a form without a file is refused at the field; a component is stored, not active.
    let list = admin.get("/console/plugins").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert_eq!(
        list.attr("form#upload", "enctype").as_deref(),
        Some("multipart/form-data")
    );
    let empty = admin
        .upload(
            &list,
            "/console/plugins",
            &[],
            ("component", "", Vec::new()),
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.html);
    assert!(
        field_error(&empty, "upload", "component").is_some(),
        "{}",
        empty.html
    );
    let junk = admin
        .upload(
            &list,
            "/console/plugins",
            &[],
            ("component", "x.wasm", b"not wasm".to_vec()),
        )
        .await;
    assert_eq!(junk.status, 422, "{}", junk.html);
    assert!(api
        .get("/api/v1/plugins")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    let page = admin
        .upload(
            &list,
            "/console/plugins",
            &[],
            wasm("corral_example_plugin"),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.h1(), "example");
    assert!(
        page.text(".notice").unwrap().contains("#1"),
        "{}",
        page.html
    );
    let id = page
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let base = format!("/console/plugins/{id}");

    // Activation waits for the capabilities it imports; a host with a scheme is refused.
    let refused = admin.submit(&page, &format!("{base}/activate"), &[]).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.text(".notice").unwrap().contains("does not allow"),
        "{}",
        refused.html
    );
    let bad = admin
        .submit(
            &refused,
            &format!("{base}/grants"),
            &[
                ("capabilities", "logging"),
                ("http_allow_hosts", "https://x.example"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        field_error(&bad, "grants", "http-allow-hosts").is_some(),
        "{}",
        bad.html
    );
    let granted = admin
        .submit(
            &bad,
            &format!("{base}/grants"),
            &[
                ("capabilities", "logging"),
                ("capabilities", "kv"),
                ("capabilities", "clock"),
                ("http_allow_hosts", "api.example.com\n*.example.org"),
            ],
        )
        .await;
    assert_eq!(granted.status, 200, "{}", granted.html);
    let plugin = api.get(&format!("/api/v1/plugins/{id}")).await.body;
    assert_eq!(
        plugin["allowed_capabilities"],
        json!(["logging", "kv", "clock"])
    );
    assert_eq!(
        plugin["http_allow_hosts"],
        json!(["api.example.com", "*.example.org"])
    );
    let active = admin
        .submit(&granted, &format!("{base}/activate"), &[("seq", "1")])
        .await;
    assert_eq!(active.status, 200, "{}", active.html);

    // A second version, activated, then rolled back; the one left inactive is deleted.
    let v2 = admin
        .upload(
            &active,
            &format!("{base}/versions"),
            &[],
            wasm("corral_example_plugin_v2"),
        )
        .await;
    assert_eq!(v2.status, 200, "{}", v2.html);
    let on2 = admin
        .submit(&v2, &format!("{base}/activate"), &[("seq", "2")])
        .await;
    assert_eq!(on2.status, 200, "{}", on2.html);
    assert_eq!(
        api.get(&format!("/api/v1/plugins/{id}")).await.body["active_version"],
        2
    );
    let roll_back = on2
        .text("form#activate-1 button")
        .expect("version 1 offers a roll back");
    assert_eq!(roll_back, "Roll back to this one");
    let back = admin
        .submit(&on2, &format!("{base}/activate"), &[("seq", "1")])
        .await;
    assert_eq!(back.status, 200, "{}", back.html);
    assert_eq!(
        api.get(&format!("/api/v1/plugins/{id}")).await.body["active_version"],
        1
    );
    let gone = admin
        .submit(&back, &format!("{base}/versions/delete"), &[("seq", "2")])
        .await;
    assert_eq!(gone.status, 200, "{}", gone.html);
    let plugin = api.get(&format!("/api/v1/plugins/{id}")).await.body;
    assert_eq!(plugin["versions"].as_array().unwrap().len(), 1, "{plugin}");
    let history = admin
        .get(&format!("/console/history?type=plugin&id={id}"))
        .await;
    assert!(history.texts("tbody tr").len() >= 5, "{}", history.html);

    // A plugin declaring settings: its form, checked by the plugin, errors at their field;
    // the credential is write-only and a key that is not one is refused at its field.
    let list = admin.get("/console/plugins").await;
    let amapi = admin
        .upload(&list, "/console/plugins", &[], wasm("corral_amapi_plugin"))
        .await;
    assert_eq!(amapi.h1(), "amapi");
    let amapi_id = amapi
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let amapi_base = format!("/console/plugins/{amapi_id}");
    let asked = api.get(&format!("/api/v1/plugins/{amapi_id}")).await.body["versions"][0]
        ["requested_capabilities"]
        .clone();
    let mut grants: Vec<(&str, &str)> = asked
        .as_array()
        .unwrap()
        .iter()
        .map(|c| ("capabilities", c.as_str().unwrap()))
        .collect();
    grants.push(("http_allow_hosts", "androidmanagement.googleapis.com"));
    let granted = admin
        .submit(&amapi, &format!("{amapi_base}/grants"), &grants)
        .await;
    assert_eq!(granted.status, 200, "{}", granted.html);
    let on = admin
        .submit(&granted, &format!("{amapi_base}/activate"), &[("seq", "1")])
        .await;
    assert_eq!(on.status, 200, "{}", on.html);
    assert!(on.has("#settings-setting-enterprise-id"), "{}", on.html);
    let wrong = admin
        .submit(
            &on,
            &format!("{amapi_base}/settings"),
            &[("setting-enterprise-id", "enterprises/a/b")],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    let error = field_error(&wrong, "settings", "setting-enterprise-id").expect("at its field");
    assert!(error.contains("enterprise id"), "{error}");
    let right = admin
        .submit(
            &wrong,
            &format!("{amapi_base}/settings"),
            &[("setting-enterprise-id", "LC01abcdef")],
        )
        .await;
    assert_eq!(right.status, 200, "{}", right.html);
    assert_eq!(
        right
            .attr("#settings-setting-enterprise-id", "value")
            .as_deref(),
        Some("LC01abcdef")
    );
    let key = admin
        .submit(
            &right,
            &format!("{amapi_base}/credential"),
            &[("key", "{\"type\": 1}")],
        )
        .await;
    assert_eq!(key.status, 422, "{}", key.html);
    assert!(
        field_error(&key, "credential", "key").is_some(),
        "{}",
        key.html
    );
    assert!(
        key.has("form#action-create-enrollment-token"),
        "{}",
        key.html
    );

    // Removal needs its box ticked.
    let kept = admin
        .submit(&key, &format!("{amapi_base}/delete"), &[])
        .await;
    assert_eq!(kept.status, 422, "{}", kept.html);
    let removed = admin
        .submit(&kept, &format!("{amapi_base}/delete"), &[("confirm", "on")])
        .await;
    assert!(
        removed.url.ends_with("/console/plugins?done=deleted"),
        "{}",
        removed.url
    );
    assert_eq!(removed.texts("tbody tr").len(), 1, "{}", removed.html);
}

/// The path of a page's URL after `prefix`, without its query: the id of what was created.
fn id_after(page: &Page, prefix: &str) -> String {
    let rest = page.url.split(prefix).nth(1).unwrap_or_else(|| {
        panic!("{} is not under {prefix}", page.url);
    });
    rest.split(['?', '/']).next().unwrap().to_string()
}

async fn configurations_are_made_from_the_plugins_schema_checked_by_it_previewed_and_deleted(
    db: Db,
) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let (id, _) = api.install_active("corral_amapi_plugin").await;
    let (admin, _) = signed_in(&env, &server, "admin@acme.example", "admin").await;

    // The plugins offering configurations, then the plugin's (none yet) with a link per kind.
    let index = admin.get("/console/configurations").await;
    assert_eq!(index.status, 200, "{}", index.html);
    assert!(
        index
            .text("tbody")
            .unwrap()
            .contains("Dedicated device (COSU)"),
        "{}",
        index.html
    );
    let base = format!("/console/configurations/{id}");
    let list = admin.get(&base).await;
    assert_eq!(list.status, 200, "{}", list.html);
    let new_href = format!("{base}/new?kind=cosu");
    assert!(list.has(&format!("a[href='{new_href}']")), "{}", list.html);
    assert_eq!(
        admin.get(&format!("{base}/new?kind=nope")).await.status,
        404
    );

    // The form is the kind's JSON Schema: nested objects, enums as selects, the schema's
    // defaults ticked, the next free priority.
    let form = admin.get(&new_href).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(
        form.has("#configuration-body-pinnedApp-packageName"),
        "{}",
        form.html
    );
    assert!(form.has("select#configuration-body-pinnedApp-source"));
    assert!(form.has("#configuration-body-disallowSetTime[checked]"));
    assert!(!form.has("#configuration-body-disableScreenLock[checked]"));
    assert_eq!(
        form.attr("#configuration-priority", "value").as_deref(),
        Some("1")
    );
    let post = format!("{base}/new");
    let filled = |source: &'static str, priority: &'static str| {
        vec![
            ("name", "Lobby kiosk"),
            ("priority", priority),
            ("distribution", "none"),
            ("body/pinnedApp/packageName", "com.acme.kiosk"),
            ("body/pinnedApp/source", source),
            ("body/keepScreenOn", "ac"),
            ("body/disallowUnknownApps", "on"),
        ]
    };

    // The plugin's verdict lands at its field, what was typed stays, nothing is stored.
    let refused = admin.submit(&form, &post, &filled("in_house", "10")).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    let error = field_error(&refused, "configuration", "body-pinnedApp-source")
        .expect("the plugin's error at the pinned app's source");
    assert!(error.contains("in-house"), "{error}");
    assert_eq!(
        refused.attr("#configuration-name", "value").as_deref(),
        Some("Lobby kiosk")
    );
    assert!(refused.has("#configuration-body-disallowUnknownApps[checked]"));
    assert!(!refused.has("#configuration-body-disallowSetTime[checked]"));
    let stored = || async {
        api.get(&format!("/api/v1/plugins/{id}/configurations"))
            .await
            .body
    };
    assert_eq!(stored().await, json!([]));
    // The console's own reading of the form, and the host's rules, at their fields too.
    let bad = admin.submit(&form, &post, &filled("public", "ten")).await;
    assert!(
        field_error(&bad, "configuration", "priority").is_some(),
        "{}",
        bad.html
    );
    let mut unknown_device = filled("public", "10");
    unknown_device[2] = ("distribution", "custom");
    unknown_device.push(("devices", "no-such-device"));
    let bad = admin.submit(&form, &post, &unknown_device).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        field_error(&bad, "configuration", "devices")
            .unwrap()
            .contains("no such device"),
        "{}",
        bad.html
    );
    assert_eq!(stored().await, json!([]));

    // Accepted: stored as the form said (every switch explicit: ticked true, unticked false
    // even where the plugin's default is true), then shown with its delivery.
    let created = admin.submit(&form, &post, &filled("public", "10")).await;
    assert_eq!(created.status, 200, "{}", created.html);
    assert_eq!(created.h1(), "Lobby kiosk");
    assert!(created.has(".notice"), "{}", created.html);
    let config = id_after(&created, &format!("{base}/"));
    let body = &stored().await[0];
    assert_eq!(body["id"], config.as_str());
    assert_eq!(body["priority"], 10);
    assert_eq!(
        body["body"]["pinnedApp"],
        json!({"packageName": "com.acme.kiosk", "source": "public"})
    );
    assert_eq!(body["body"]["keepScreenOn"], "ac");
    assert_eq!(body["body"]["disallowSetTime"], false);
    assert_eq!(body["body"]["disallowUnknownApps"], true);
    assert_eq!(body["body"]["disableScreenLock"], false);
    assert!(
        body["body"].get("wifi").is_none(),
        "nothing typed, no object: {body}"
    );

    // The vendor document the plugin renders from it.
    let shown = format!("{base}/{config}");
    let preview = admin
        .submit(&created, &format!("{shown}/preview"), &[])
        .await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    let document = preview.html.clone();
    assert!(document.contains("androidmanagement"), "{document}");
    assert!(document.contains("com.acme.kiosk"), "{document}");

    // A change the plugin refuses keeps what is stored; an accepted one replaces it.
    let mut change = filled("web", "20");
    change.push(("kind", "cosu"));
    let refused = admin.submit(&preview, &shown, &change).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(field_error(&refused, "configuration", "body-pinnedApp-source").is_some());
    assert_eq!(stored().await[0]["priority"], 10);
    let change = filled("private", "20");
    let saved = admin.submit(&refused, &shown, &change).await;
    assert_eq!(saved.status, 200, "{}", saved.html);
    assert_eq!(stored().await[0]["priority"], 20);
    assert_eq!(stored().await[0]["body"]["pinnedApp"]["source"], "private");
    let history = admin
        .get(&format!(
            "/console/history?type=plugin_configuration&id={config}"
        ))
        .await;
    assert_eq!(history.texts("tbody tr").len(), 2, "{}", history.html);

    // Deleted once confirmed.
    let unconfirmed = admin.submit(&saved, &format!("{shown}/delete"), &[]).await;
    assert_eq!(unconfirmed.status, 422);
    assert!(field_error(&unconfirmed, "delete", "confirm").is_some());
    assert_eq!(stored().await.as_array().unwrap().len(), 1);
    let gone = admin
        .submit(&saved, &format!("{shown}/delete"), &[("confirm", "on")])
        .await;
    assert_eq!(gone.status, 200, "{}", gone.html);
    assert!(
        gone.url.ends_with(&format!("{base}?done=deleted")),
        "{}",
        gone.url
    );
    assert_eq!(stored().await, json!([]));
}

async fn apps_are_added_uploaded_set_for_unmanaged_devices_downloaded_and_removed(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let (admin, _) = signed_in(&env, &server, "admin@acme.example", "admin").await;

    // The catalogue, empty; the unmanaged option is not offered while the feature is off.
    let list = admin.get("/console/apps").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(
        list.has("form#add") && list.has("form#upload"),
        "{}",
        list.html
    );
    assert!(!list.has("#add-allow-unmanaged"), "{}", list.html);
    assert!(list.has("#add-install-on-device[checked]"));

    // A store id the platform cannot have is refused at its field, with what was typed.
    let add = |store_id: &'static str| {
        vec![
            ("kind", "store"),
            ("platform", "android"),
            ("name", "Slack"),
            ("store_id", store_id),
            ("install_on_device", "on"),
            ("silent_install", "on"),
        ]
    };
    let bad = admin
        .submit(&list, "/console/apps", &add("not a package"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        field_error(&bad, "add", "store-id").is_some(),
        "{}",
        bad.html
    );
    assert_eq!(bad.attr("#add-name", "value").as_deref(), Some("Slack"));
    assert!(bad.has("#add-silent-install[checked]"));
    let apps = || async { api.get("/api/v1/apps").await.body };
    assert_eq!(apps().await, json!([]));
    let added = admin.submit(&bad, "/console/apps", &add("com.Slack")).await;
    assert_eq!(added.status, 200, "{}", added.html);
    assert_eq!(added.h1(), "Slack");
    assert!(added.has(".notice"), "{}", added.html);
    let store = &apps().await[0];
    assert_eq!(store["store_id"], "com.Slack");
    assert_eq!(store["silent_install"], true);
    assert_eq!(store["allow_unmanaged"], false);

    // With the feature on, an in-house upload offers it; a file that is no APK is refused.
    let r = api
        .send("POST", "/api/v1/unmanaged-devices/enable", Some(json!({})))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let list = admin.get("/console/apps").await;
    assert!(list.has("#upload-allow-unmanaged"), "{}", list.html);
    let options = [
        ("platform", "android"),
        ("install_on_device", "on"),
        ("allow_unmanaged", "on"),
    ];
    let junk = admin
        .upload(
            &list,
            "/console/apps/upload",
            &options,
            ("file", "kiosk.apk", b"not a zip".to_vec()),
        )
        .await;
    assert_eq!(junk.status, 422, "{}", junk.html);
    assert!(
        field_error(&junk, "upload", "file").is_some(),
        "{}",
        junk.html
    );
    assert!(junk.has("#upload-allow-unmanaged[checked]"));
    let mut apk = b"PK\x03\x04".to_vec();
    apk.extend_from_slice(&[7u8; 3000]);
    let uploaded = admin
        .upload(
            &list,
            "/console/apps/upload",
            &options,
            ("file", "kiosk.apk", apk.clone()),
        )
        .await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.html);
    assert_eq!(uploaded.h1(), "kiosk.apk");
    let app = id_after(&uploaded, "/console/apps/");
    let stored = api.get(&format!("/api/v1/apps/{app}")).await.body;
    assert_eq!(stored["kind"], "in_house");
    assert_eq!(stored["allow_unmanaged"], true);
    assert_eq!(stored["file_size"], apk.len());

    // Its file comes back as it was sent, as an attachment.
    let file = admin.get(&format!("/console/apps/{app}/file")).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.bytes, apk);
    assert_eq!(
        file.headers["content-disposition"],
        "attachment; filename=\"kiosk.apk\""
    );

    // Its settings change; the history tells.
    let base = format!("/console/apps/{app}");
    let saved = admin
        .submit(
            &uploaded,
            &base,
            &[("name", "Kiosk"), ("allow_unmanaged", "on")],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.html);
    let stored = api.get(&format!("/api/v1/apps/{app}")).await.body;
    assert_eq!(stored["name"], "Kiosk");
    assert_eq!(stored["install_on_device"], false);
    let empty = admin.submit(&saved, &base, &[("name", " ")]).await;
    assert_eq!(empty.status, 422, "{}", empty.html);
    assert!(field_error(&empty, "settings", "name").is_some());
    let history = admin
        .get(&format!("/console/history?type=app&id={app}"))
        .await;
    assert_eq!(history.texts("tbody tr").len(), 2, "{}", history.html);

    // Removed once confirmed.
    let unconfirmed = admin.submit(&saved, &format!("{base}/delete"), &[]).await;
    assert_eq!(unconfirmed.status, 422);
    assert!(field_error(&unconfirmed, "delete", "confirm").is_some());
    let gone = admin
        .submit(&saved, &format!("{base}/delete"), &[("confirm", "on")])
        .await;
    assert!(
        gone.url.ends_with("/console/apps?done=deleted"),
        "{}",
        gone.url
    );
    assert_eq!(apps().await.as_array().unwrap().len(), 1);
}

/// The QR code of `page` (the first one), decoded.
fn qr_of(page: &Page) -> String {
    let svg = page
        .doc()
        .select(&scraper::Selector::parse(".qr svg").unwrap())
        .next()
        .unwrap_or_else(|| panic!("no QR code on {}", page.url))
        .html();
    decode_qr_svg(&svg)
}

async fn enrolment_link_settings_and_profiles_with_their_token(db: Db) {
    let s = corral_tests::amapi::setup(db).await;
    s.grant(&["localhost"]).await;
    s.configure().await;
    let owner =
        s.c.create_user(
            json!({"email": "camille@acme.example", "first_name": "Camille",
                            "last_name": "Roux"}),
        )
        .await;
    let (admin, _) = signed_in(&s.env, &s.server, "admin@acme.example", "admin").await;

    // The registration link, as text and as a QR code holding it; replaced once confirmed.
    let page = admin.get("/console/enrolment").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let url = s.c.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(qr_of(&page), url);
    assert!(page.html.contains(&url));
    let certificates = s.c.get("/api/v1/apple/certificates").await.body;
    let ca = certificates["ca_certificate"].as_str().unwrap();
    assert!(ca.lines().all(|line| page.html.contains(line)), "{ca}");
    let unconfirmed = admin.submit(&page, "/console/enrolment/rotate", &[]).await;
    assert_eq!(unconfirmed.status, 422);
    assert!(field_error(&unconfirmed, "rotate", "confirm").is_some());
    assert_eq!(
        s.c.get("/api/v1/registration").await.body["url"],
        url.as_str()
    );
    let rotated = admin
        .submit(&page, "/console/enrolment/rotate", &[("confirm", "on")])
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.html);
    let new_url = s.c.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_url, url);
    assert_eq!(qr_of(&rotated), new_url);

    // The registration settings: refused at the field, then saved.
    let settings = |hours: &'static str| {
        vec![
            ("language", "fr"),
            ("require_registration_pin", "on"),
            ("pin_validity_hours", hours),
        ]
    };
    let bad = admin
        .submit(&rotated, "/console/enrolment/settings", &settings("0"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(field_error(&bad, "settings", "pin-validity-hours").is_some());
    let saved = admin
        .submit(&bad, "/console/enrolment/settings", &settings("48"))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.html);
    assert_eq!(
        s.c.get("/api/v1/settings/users").await.body,
        json!({"language": "fr", "require_registration_pin": true, "pin_validity_hours": 48})
    );

    // An enrolment profile: refused at its fields before Google is asked, then created with
    // Google's token, whose QR code the page shows.
    let form = format!("profile-{}", s.plugin);
    let post = format!("/console/enrolment/{}", s.plugin);
    let profile = |owner: &'static str, days: &'static str, attributes: &'static str| {
        vec![
            ("name", "Lyon kiosks"),
            ("description", "Front desks"),
            ("owner", owner),
            ("validity_days", days),
            ("attributes", attributes),
        ]
    };
    for (fields, field) in [
        (profile("nobody@acme.example", "7", ""), "owner"),
        (profile("camille@acme.example", "31", ""), "validity-days"),
        (
            profile("camille@acme.example", "7", "site Lyon"),
            "attributes",
        ),
    ] {
        let refused = admin.submit(&saved, &post, &fields).await;
        assert_eq!(refused.status, 422, "{}", refused.html);
        assert!(
            field_error(&refused, &form, field).is_some(),
            "{field}: {}",
            refused.html
        );
        assert_eq!(
            refused.attr(&format!("#{form}-name"), "value").as_deref(),
            Some("Lyon kiosks")
        );
    }
    assert!(
        s.google.requests().is_empty(),
        "refused before Google is asked"
    );
    let created = admin
        .submit(
            &saved,
            &post,
            &profile("camille@acme.example", "7", "site=Lyon\nfloor = 2"),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.html);
    assert_eq!(created.h1(), "Lyon kiosks");
    let id = id_after(&created, &format!("{post}/"));
    let api = format!("/api/v1/plugins/{}/enrolment-profiles/{id}", s.plugin);
    let stored = s.c.get(&api).await.body;
    assert_eq!(stored["owner_user_id"], owner.as_str());
    assert_eq!(stored["attributes"], json!({"site": "Lyon", "floor": "2"}));
    let payload = stored["token"]["qr_payload"].as_str().unwrap().to_string();
    assert_eq!(qr_of(&created), payload);
    s.google.assert_conforms();

    // The plugin's page asks it for the vendor's devices now.
    let plugin_page = admin.get(&format!("/console/plugins/{}", s.plugin)).await;
    let synced = admin
        .submit(
            &plugin_page,
            &format!("/console/plugins/{}/sync", s.plugin),
            &[],
        )
        .await;
    assert_eq!(synced.status, 200, "{}", synced.html);
    assert!(
        synced.text(".notice").unwrap().contains(": 0"),
        "{}",
        synced.html
    );

    // A new validity replaces the token; deletion waits for the box.
    let base = format!("{post}/{id}");
    let changed = admin
        .submit(&created, &base, &[("validity_days", "14")])
        .await;
    assert_eq!(changed.status, 200, "{}", changed.html);
    let stored = s.c.get(&api).await.body;
    assert_eq!(stored["validity_days"], 14);
    assert_ne!(stored["token"]["qr_payload"], payload.as_str());
    let history = admin
        .get(&format!("/console/history?type=enrolment_profile&id={id}"))
        .await;
    assert_eq!(history.texts("tbody tr").len(), 2, "{}", history.html);
    let unconfirmed = admin.submit(&changed, &format!("{base}/delete"), &[]).await;
    assert_eq!(unconfirmed.status, 422);
    let gone = admin
        .submit(&changed, &format!("{base}/delete"), &[("confirm", "on")])
        .await;
    assert_eq!(gone.status, 200, "{}", gone.html);
    assert_eq!(s.c.get(&api).await.status, 404);
    s.google.assert_conforms();
}

async fn a_users_page_changes_invites_and_deletes_them(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let id = api
        .create_user(
            json!({"email": "camille@acme.example", "first_name": "Camille",
                            "last_name": "Roux"}),
        )
        .await;
    api.create_user(json!({"email": "taken@acme.example", "first_name": "T", "last_name": "K"}))
        .await;
    let (admin, _) = signed_in(&env, &server, "admin@acme.example", "admin").await;

    // From the list to the user's page.
    let list = admin.get("/console/users").await;
    let href = format!("/console/users/{id}");
    assert!(list.has(&format!("a[href='{href}']")), "{}", list.html);
    let page = admin.get(&href).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.h1(), "camille@acme.example");
    assert!(
        page.has(&format!("a[href='/console/devices?owner={id}']")),
        "{}",
        page.html
    );

    // Details: an e-mail another user has is refused, what was typed stays; then saved.
    let details = |email: &'static str| {
        vec![
            ("email", email),
            ("first_name", "Camille"),
            ("last_name", "Roux-Martin"),
        ]
    };
    let taken = admin
        .submit(&page, &href, &details("taken@acme.example"))
        .await;
    assert_eq!(taken.status, 422, "{}", taken.html);
    assert_eq!(
        taken.attr("#details-last-name", "value").as_deref(),
        Some("Roux-Martin")
    );
    assert_eq!(
        api.get(&format!("/api/v1/users/{id}")).await.body["last_name"],
        "Roux"
    );
    let saved = admin
        .submit(&taken, &href, &details("c.roux@acme.example"))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.html);
    let user = api.get(&format!("/api/v1/users/{id}")).await.body;
    assert_eq!(user["email"], "c.roux@acme.example");
    assert_eq!(user["last_name"], "Roux-Martin");

    // An invitation, queued for the user.
    let invited = admin.submit(&saved, &format!("{href}/invite"), &[]).await;
    assert_eq!(invited.status, 200, "{}", invited.html);
    assert!(invited.has(".notice"));
    let mail = api.get(&format!("/api/v1/mail?object_id={id}")).await.body;
    assert_eq!(mail.as_array().unwrap().len(), 1, "{mail}");

    // Deleted once confirmed.
    let unconfirmed = admin.submit(&invited, &format!("{href}/delete"), &[]).await;
    assert_eq!(unconfirmed.status, 422);
    assert!(field_error(&unconfirmed, "delete", "confirm").is_some());
    let gone = admin
        .submit(&invited, &format!("{href}/delete"), &[("confirm", "on")])
        .await;
    assert!(
        gone.url.ends_with("/console/users?done=deleted"),
        "{}",
        gone.url
    );
    assert_eq!(api.get(&format!("/api/v1/users/{id}")).await.status, 404);
}
