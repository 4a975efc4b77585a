//! The self-service portal against the real server, a real SMTP sink and real databases: the
//! invitation walk-through from the e-mail to the QR code, and every refusal on the way.

use std::time::Duration;

use corral_tests::portal::{Browser, Page};
use corral_tests::{both_backends, link_in, pin_in, Client, Db, Env, Server, SmtpSink};
use serde_json::json;

both_backends!(
    invitation_walk_through_ends_with_a_registration_qr_code,
    sixth_wrong_pin_is_refused_even_when_right,
    expired_pin_is_refused,
    rotated_registration_url_explains_itself,
    forms_without_the_csrf_token_are_refused,
    users_of_one_tenant_cannot_sign_in_on_another,
    required_pin_comes_after_the_password_once,
);

struct Portal {
    sink: SmtpSink,
    env: Env,
    server: Server,
    admin: Client,
}

impl Portal {
    async fn start(db: Db) -> Portal {
        let sink = SmtpSink::start().await;
        let env = Env::new(db).await.with_smtp(sink.port);
        env.create_tenant("acme").await;
        let server = env.serve().await;
        let admin = env.signed_in_owner(&server, "acme", "owner").await;
        Portal {
            sink,
            env,
            server,
            admin,
        }
    }

    /// Adds a user with "send invitation"; returns the user id, the link and the PIN of the
    /// delivered e-mail (the `n`th mail of the test).
    async fn invite(&self, email: &str, n: usize) -> (String, String, String) {
        let r = self
            .admin
            .send(
                "POST",
                "/api/v1/users",
                Some(
                    json!({"email": email, "first_name": "Ann", "last_name": "Lee",
                            "send_invitation": true}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        let id = r.body["id"].as_str().unwrap().to_string();
        let mails = self.sink.wait_for(n, Duration::from_secs(30)).await;
        let mail = mails.get(n - 1).expect("the invitation arrives");
        assert_eq!(mail.to, email);
        let link = link_in(&mail.text).expect("a link in the invitation");
        let pin = pin_in(&mail.text).expect("a PIN in the invitation");
        (id, link, pin)
    }

    async fn user_with_password(&self, email: &str, password: &str) -> String {
        let r = self
            .admin
            .send(
                "POST",
                "/api/v1/users",
                Some(
                    json!({"email": email, "first_name": "Pat", "last_name": "Roe",
                            "password": password}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn registration_url(&self) -> String {
        let r = self.admin.get("/api/v1/registration").await;
        r.body["url"].as_str().unwrap().to_string()
    }

    fn browser(&self) -> Browser {
        Browser::new(&self.server.url)
    }
}

/// Opens the invitation link, goes to the PIN page and enters the PIN.
async fn enter_pin(b: &Browser, link: &str, email: &str, pin: &str) -> Page {
    let page = b.get(link).await;
    assert_eq!(
        (page.status, page.h1().as_str()),
        (200, "Sign in"),
        "{page:?}"
    );
    let pin_path = page
        .attr("a[href$='/pin']", "href")
        .expect("a link to the PIN page");
    let page = b.get(&pin_path).await;
    assert_eq!(page.h1(), "One-time PIN");
    b.submit(&page, "/pin", &[("email", email), ("pin", pin)])
        .await
}

async fn invitation_walk_through_ends_with_a_registration_qr_code(db: Db) {
    let p = Portal::start(db).await;
    let (_, link, pin) = p.invite("ann@acme.example", 1).await;
    let registration = p.registration_url().await;
    assert_eq!(
        link, registration,
        "the mail carries the tenant's registration URL"
    );

    let b = p.browser();
    let page = enter_pin(&b, &link, "ann@acme.example", &pin).await;
    assert!(page.url.ends_with("/password"), "{page:?}");
    assert_eq!(page.h1(), "Choose your password");
    assert!(page.has("label[for=password]") && page.has("label[for=confirm]"));

    // Too short, then two different passwords: errors next to the field, nothing saved.
    let again = b
        .submit(
            &page,
            "/password",
            &[("password", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(
        again.error("password").as_deref(),
        Some("Too short: use at least 12 characters.")
    );
    let again = b
        .submit(
            &again,
            "/password",
            &[
                ("password", "aaaaaaaaaaaaaaaa"),
                ("confirm", "aaaaaaaaaaaaaaaa"),
            ],
        )
        .await;
    assert_eq!(
        again.error("password").as_deref(),
        Some("Too simple: use more different characters.")
    );
    let again = b
        .submit(
            &again,
            "/password",
            &[
                ("password", "correct horse battery"),
                ("confirm", "correct horse batterY"),
            ],
        )
        .await;
    assert_eq!(
        again.error("confirm").as_deref(),
        Some("The two passwords are different.")
    );
    // Skipping the step is not possible.
    let skipped = b.get(&format!("{}/home", again.base_path())).await;
    assert!(skipped.url.ends_with("/password"), "{skipped:?}");

    let home = b
        .submit(
            &again,
            "/password",
            &[
                ("password", "correct horse battery"),
                ("confirm", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(
        (home.status, home.h1().as_str()),
        (200, "Your devices"),
        "{home:?}"
    );
    assert!(home.url.ends_with("/home"));
    assert!(home.html.contains("No device is registered yet."));
    assert!(home.html.contains("Hello Ann Lee,"));

    // The QR code decodes to the tenant's registration URL with a one-time device token,
    // also shown as text.
    let content = home.qr_content().expect("a QR code on the home page");
    let prefix = format!("{registration}?device_token=");
    assert!(content.starts_with(&prefix), "{content}");
    assert!(content.len() > prefix.len() + 30, "{content}");
    assert_eq!(
        home.text("#registration-url").as_deref(),
        Some(content.as_str())
    );
    // The device app redeems it once.
    let (reg_token, device_token) = content
        .strip_prefix(&format!("{}/r/", p.server.url))
        .and_then(|rest| rest.split_once("?device_token="))
        .unwrap();
    let app = p.server.client();
    let redeem = json!({"registration_token": reg_token, "device_token": device_token});
    let r = app
        .send("POST", "/api/v1/device-registrations", Some(redeem.clone()))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (r.body["tenant"].as_str(), r.body["email"].as_str()),
        (Some("acme"), Some("ann@acme.example"))
    );
    let r = app
        .send("POST", "/api/v1/device-registrations", Some(redeem))
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (410, "device_token_refused"),
        "{r:?}"
    );
    // A new page, a new token.
    let home2 = b.get(&format!("{}/home", home.base_path())).await;
    let content2 = home2.qr_content().unwrap();
    assert_ne!(content2, content);
    // Expired, it is refused too.
    let expired = p
        .env
        .execute_sql("UPDATE device_registration_tokens SET expires_at = 1 WHERE used_at IS NULL")
        .await;
    assert!(expired >= 1);
    let (_, device_token2) = content2.split_once("?device_token=").unwrap();
    let r = app
        .send(
            "POST",
            "/api/v1/device-registrations",
            Some(json!({"registration_token": reg_token, "device_token": device_token2})),
        )
        .await;
    assert_eq!(r.status, 410, "{r:?}");

    let profile = b
        .get(&home.attr("a[href$='/profile']", "href").unwrap())
        .await;
    assert_eq!(
        (profile.status, profile.h1().as_str()),
        (200, "Mac, iPhone or iPad")
    );
    // This server has no https MDM address: no profile is offered, and the page says so.
    assert!(
        profile
            .html
            .contains("Profile downloads are not available on this server yet."),
        "{profile:?}"
    );
    assert!(!profile.has("input[name=kind]"));

    // The lost-invitation rule: the same URL and <url>/go lead back to the same place.
    let go = b.get(&format!("{link}/go")).await;
    assert!(go.url.ends_with("/home"), "{go:?}");

    // Sign out, sign in again with the new password: no PIN asked.
    let out = b.submit(&home2, "/sign-out", &[]).await;
    assert_eq!(out.h1(), "Sign in");
    assert!(b
        .get(&format!("{}/home", home.base_path()))
        .await
        .url
        .ends_with(&home.base_path()));
    let wrong = b
        .submit(
            &out,
            "/sign-in",
            &[
                ("email", "ann@acme.example"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.error("password").as_deref(),
        Some("The e-mail address or the password is wrong.")
    );
    assert_eq!(
        wrong.attr("input[name=email]", "value").as_deref(),
        Some("ann@acme.example")
    );
    let back = b
        .submit(
            &wrong,
            "/sign-in",
            &[
                ("email", "ANN@acme.example"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert!(back.url.ends_with("/home"), "{back:?}");

    // The used PIN no longer works.
    let b2 = p.browser();
    let used = enter_pin(&b2, &link, "ann@acme.example", &pin).await;
    assert_eq!(used.status, 401);
    assert!(
        used.error("pin")
            .unwrap()
            .starts_with("This e-mail address and PIN do not match a valid invitation"),
        "{used:?}"
    );

    // The history names the user for the password they set.
    let r = p.admin.get("/api/v1/history?object_type=user").await;
    let set = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "password_set")
        .unwrap_or_else(|| panic!("no password_set entry: {r:?}"))
        .clone();
    assert_eq!(
        (set["actor_type"].as_str(), set["actor_label"].as_str()),
        (Some("user"), Some("ann@acme.example"))
    );
    // No secret in the server log.
    let log = p.server.log();
    for secret in [
        pin.as_str(),
        "correct horse battery",
        &content[prefix.len()..],
    ] {
        assert!(!log.contains(secret), "the log shows a secret");
    }
}

async fn sixth_wrong_pin_is_refused_even_when_right(db: Db) {
    let p = Portal::start(db).await;
    let (_, link, pin) = p.invite("ann@acme.example", 1).await;
    let wrong_pin = if pin == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    // PIN-first sign-in answers every refusal alike (it does not tell who is invited).
    let not_accepted = "This e-mail address and PIN do not match a valid invitation. A PIN works \
                        once, expires, and stops working after 5 wrong tries: if yours did, ask \
                        your administrator for a new invitation.";
    let b = p.browser();
    let mut page = enter_pin(&b, &link, "ann@acme.example", wrong_pin).await;
    for tries in 1..=5 {
        assert_eq!(page.status, 401);
        assert_eq!(page.error("pin").as_deref(), Some(not_accepted), "{page:?}");
        if tries < 5 {
            page = b
                .submit(
                    &page,
                    "/pin",
                    &[("email", "ann@acme.example"), ("pin", wrong_pin)],
                )
                .await;
        }
    }
    // Five failures in a row lock the address for a while, the right PIN included.
    let sixth = b
        .submit(
            &page,
            "/pin",
            &[("email", "ann@acme.example"), ("pin", &pin)],
        )
        .await;
    assert_eq!(sixth.status, 429);
    assert!(
        sixth
            .error("pin")
            .unwrap()
            .starts_with("Too many failed attempts for this address."),
        "{sixth:?}"
    );
    let home = b.get(&format!("{}/home", sixth.base_path())).await;
    assert_eq!(home.h1(), "Sign in", "no session after a locked PIN");

    // The admin issues a new one (a new invitation): it works.
    let r = p.admin.get("/api/v1/users?prefix=ann").await;
    let id = r.body[0]["id"].as_str().unwrap().to_string();
    let r = p
        .admin
        .send(
            "POST",
            "/api/v1/users/invitations",
            Some(json!({"user_ids": [id]})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let mails = p.sink.wait_for(2, Duration::from_secs(30)).await;
    let new_pin = pin_in(&mails[1].text).unwrap();
    let page = enter_pin(&b, &link, "ann@acme.example", &new_pin).await;
    assert!(page.url.ends_with("/password"), "{page:?}");
}

async fn expired_pin_is_refused(db: Db) {
    let p = Portal::start(db).await;
    let (id, link, pin) = p.invite("ann@acme.example", 1).await;
    let changed = p
        .env
        .execute_sql(&format!(
            "UPDATE registration_pins SET expires_at = 1 WHERE user_id = '{id}'"
        ))
        .await;
    assert_eq!(changed, 1);
    let page = enter_pin(&p.browser(), &link, "ann@acme.example", &pin).await;
    assert_eq!(page.status, 401);
    assert!(
        page.error("pin")
            .unwrap()
            .starts_with("This e-mail address and PIN do not match a valid invitation"),
        "{page:?}"
    );
}

async fn rotated_registration_url_explains_itself(db: Db) {
    let p = Portal::start(db).await;
    let old = p.registration_url().await;
    let r = p
        .admin
        .send("POST", "/api/v1/registration/rotate-key", None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let new = r.body["url"].as_str().unwrap().to_string();
    assert_ne!(old, new);

    let b = p.browser();
    for url in [old.clone(), format!("{old}/go"), format!("{old}/pin")] {
        let page = b.get(&url).await;
        assert_eq!(page.status, 410, "{url}: {page:?}");
        assert_eq!(page.h1(), "This link has expired");
        assert!(page
            .html
            .contains("Ask your administrator for a new invitation."));
        assert!(!page.has("form"), "no form on a dead link");
    }
    let fr = b
        .get_with(&old, &[("accept-language", "fr-FR,fr;q=0.9")])
        .await;
    assert_eq!((fr.status, fr.h1().as_str()), (410, "Ce lien a expiré"));
    // A posted form on the old URL changes nothing either.
    let posted = b
        .post_raw(
            &format!("{old}/sign-in"),
            &[("email", "a@b.c"), ("password", "x")],
        )
        .await;
    assert_eq!(posted.status, 410);

    let page = b.get(&new).await;
    assert_eq!((page.status, page.h1().as_str()), (200, "Sign in"));
    let forged = b.get(&format!("{}x", new)).await;
    assert_eq!((forged.status, forged.h1().as_str()), (404, "Unknown link"));
    let unknown = b.get("/r/nobody.1.AAAA").await;
    assert_eq!(unknown.status, 404);
}

async fn forms_without_the_csrf_token_are_refused(db: Db) {
    let p = Portal::start(db).await;
    p.user_with_password("pat@acme.example", "pat's long password")
        .await;
    let url = p.registration_url().await;
    let b = p.browser();
    let page = b.get(&url).await;
    let action = format!("{}/sign-in", page.base_path());
    let fields = [
        ("email", "pat@acme.example"),
        ("password", "pat's long password"),
    ];

    let missing = b.post_raw(&action, &fields).await;
    assert_eq!(
        (missing.status, missing.h1().as_str()),
        (403, "Please try again")
    );
    let mut forged = vec![("csrf", "A".repeat(43))];
    forged.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let forged: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong = b.post_raw(&action, &forged).await;
    assert_eq!(wrong.status, 403);
    // Another browser's token does not work either (the cookie decides).
    let other = p.browser().get(&url).await;
    let mut theirs = vec![("csrf", other.csrf())];
    theirs.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let theirs: Vec<(&str, &str)> = theirs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post_raw(&action, &theirs).await.status, 403);
    // None of these signed in.
    let home = b.get(&format!("{}/home", page.base_path())).await;
    assert_eq!(home.h1(), "Sign in");

    let ok = b.submit(&page, "/sign-in", &fields).await;
    assert!(ok.url.ends_with("/home"), "{ok:?}");
    // Signing out is a form too.
    let refused = b
        .post_raw(&format!("{}/sign-out", page.base_path()), &[])
        .await;
    assert_eq!(refused.status, 403);
    assert!(b
        .get(&format!("{}/home", page.base_path()))
        .await
        .url
        .ends_with("/home"));
}

async fn users_of_one_tenant_cannot_sign_in_on_another(db: Db) {
    let p = Portal::start(db).await;
    p.user_with_password("pat@acme.example", "pat's long password")
        .await;
    let acme_url = p.registration_url().await;
    p.env.create_tenant("globex").await;
    let globex_admin = p.env.signed_in_owner(&p.server, "globex", "owner").await;
    let r = globex_admin.get("/api/v1/registration").await;
    let globex_url = r.body["url"].as_str().unwrap().to_string();
    assert!(globex_url.contains("/r/globex."), "{globex_url}");

    let fields = [
        ("email", "pat@acme.example"),
        ("password", "pat's long password"),
    ];
    let b = p.browser();
    let page = b.get(&globex_url).await;
    let refused = b.submit(&page, "/sign-in", &fields).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.error("password").as_deref(),
        Some("The e-mail address or the password is wrong.")
    );
    // Signed in on acme, the session does not open globex's portal.
    let page = b.get(&acme_url).await;
    let home = b.submit(&page, "/sign-in", &fields).await;
    assert!(home.url.ends_with("/home"), "{home:?}");
    let there = b.get(&format!("{}/home", refused.base_path())).await;
    assert_eq!(there.h1(), "Sign in", "{there:?}");
    assert!(there.url.contains("/r/globex."));
}

async fn required_pin_comes_after_the_password_once(db: Db) {
    let p = Portal::start(db).await;
    let r = p
        .admin
        .send(
            "PATCH",
            "/api/v1/settings/users",
            Some(json!({"require_registration_pin": true, "language": "fr"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let id = p
        .user_with_password("pat@acme.example", "pat's long password")
        .await;
    let r = p
        .admin
        .send(
            "POST",
            "/api/v1/users/invitations",
            Some(json!({"user_ids": [id]})),
        )
        .await;
    assert_eq!(r.body[0]["pin_issued"], true, "{r:?}");
    let mails = p.sink.wait_for(1, Duration::from_secs(30)).await;
    let pin = pin_in(&mails[0].text).unwrap();
    let link = link_in(&mails[0].text).unwrap();

    // The tenant speaks French; the browser says nothing.
    let b = p.browser();
    let page = b.get(&link).await;
    assert_eq!(
        (page.h1().as_str(), page.attr("html", "lang").as_deref()),
        ("Connexion", Some("fr"))
    );
    let fields = [
        ("email", "pat@acme.example"),
        ("password", "pat's long password"),
    ];
    let pin_page = b.submit(&page, "/sign-in", &fields).await;
    assert!(pin_page.url.ends_with("/pin"), "{pin_page:?}");
    assert_eq!(pin_page.h1(), "Code PIN à usage unique");
    assert!(
        !pin_page.has("input[name=email]"),
        "the session knows the user"
    );
    // The PIN step cannot be skipped.
    let skipped = b.get(&format!("{}/home", page.base_path())).await;
    assert!(skipped.url.ends_with("/pin"), "{skipped:?}");
    let home = b.submit(&pin_page, "/pin", &[("pin", &pin)]).await;
    assert_eq!(home.h1(), "Vos appareils", "{home:?}");

    // Switched to English, remembered over the browser's French.
    let en = b
        .get_with(
            &format!("{}/home?lang=en", page.base_path()),
            &[("accept-language", "fr")],
        )
        .await;
    assert_eq!(en.h1(), "Your devices");
    let still = b
        .get_with(
            &format!("{}/home", page.base_path()),
            &[("accept-language", "fr")],
        )
        .await;
    assert_eq!(still.h1(), "Your devices");

    // Registered once with the PIN: the next sign-in needs only the password.
    let out = b.submit(&still, "/sign-out", &[]).await;
    let again = b.submit(&out, "/sign-in", &fields).await;
    assert!(again.url.ends_with("/home"), "{again:?}");
}
