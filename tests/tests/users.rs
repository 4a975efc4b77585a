//! End users through the admin API, on SQLite and PostgreSQL.

use corral_tests::{both_backends, Db, Env};
use serde_json::json;

both_backends!(
    users_one_at_a_time_and_in_bulk,
    users_of_another_tenant_are_invisible
);

fn user(email: &str) -> serde_json::Value {
    json!({"email": email, "first_name": "Ann", "last_name": "Lee"})
}

async fn users_one_at_a_time_and_in_bulk(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;

    let r = c
        .send("POST", "/api/v1/users", Some(user("Ann@Acme.example")))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        (r.body["email"].as_str(), r.body["has_password"].as_bool()),
        (Some("ann@acme.example"), Some(false))
    );
    let ann = r.body["id"].as_str().unwrap().to_string();
    let r = c
        .send("POST", "/api/v1/users", Some(user("ann@acme.example")))
        .await;
    assert_eq!((r.status, r.error().0), (409, "email_taken"));
    let mut with_pw = user("pat@acme.example");
    with_pw["password"] = json!("short");
    let r = c.send("POST", "/api/v1/users", Some(with_pw.clone())).await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("password")))
    );
    with_pw["password"] = json!("a good long password");
    let r = c.send("POST", "/api/v1/users", Some(with_pw)).await;
    assert_eq!(
        (r.status, r.body["has_password"].as_bool()),
        (201, Some(true))
    );

    // A bulk request with one bad entry creates nothing and names the entry.
    let bad =
        json!({"users": [user("b1@acme.example"), user("not an email"), user("b3@acme.example")]});
    let r = c.send("POST", "/api/v1/users/bulk", Some(bad)).await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("users[1].email"))),
        "{r:?}"
    );
    let dup = json!({"users": [user("b1@acme.example"), user("b1@acme.example")]});
    let r = c.send("POST", "/api/v1/users/bulk", Some(dup)).await;
    assert_eq!((r.status, r.error().0), (409, "email_taken"));
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("users[1]"));
    assert_eq!(
        c.get("/api/v1/users").await.body.as_array().unwrap().len(),
        2
    );

    let good = json!({"users": [user("b1@acme.example"), user("b2@acme.example"), user("b3@acme.example")]});
    let r = c.send("POST", "/api/v1/users/bulk", Some(good)).await;
    assert_eq!(
        (r.status, r.body.as_array().map(Vec::len)),
        (201, Some(3)),
        "{r:?}"
    );
    let ids: Vec<String> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().into())
        .collect();

    // Type-ahead by prefix.
    let r = c.get("/api/v1/users?prefix=B").await;
    let emails: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["b1@acme.example", "b2@acme.example", "b3@acme.example"]
    );
    assert_eq!(
        c.get("/api/v1/users?prefix=lee")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        c.get("/api/v1/users?prefix=%25")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0,
        "% is literal"
    );

    let r = c
        .send(
            "PATCH",
            &format!("/api/v1/users/{ann}"),
            Some(json!({"first_name": "Anna"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["first_name"].as_str()),
        (200, Some("Anna"))
    );
    let r = c
        .send(
            "PATCH",
            &format!("/api/v1/users/{ann}"),
            Some(json!({"last_name": ""})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("last_name")))
    );

    // Bulk delete is all or none too.
    let r = c
        .send(
            "POST",
            "/api/v1/users/bulk-delete",
            Some(json!({"ids": [ids[0], "nope"]})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("ids[1]")))
    );
    assert_eq!(
        c.get(&format!("/api/v1/users/{}", ids[0])).await.status,
        200
    );
    let r = c
        .send(
            "POST",
            "/api/v1/users/bulk-delete",
            Some(json!({"ids": ids})),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        c.send("DELETE", &format!("/api/v1/users/{ann}"), None)
            .await
            .status,
        204
    );
    assert_eq!(c.get(&format!("/api/v1/users/{ann}")).await.status, 404);
    assert_eq!(
        c.get("/api/v1/users").await.body.as_array().unwrap().len(),
        1
    );

    let h = c
        .get(&format!("/api/v1/history?object_type=user&object_id={ann}"))
        .await;
    let actions: Vec<&str> = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deleted", "updated", "created"]);
    assert_eq!(h.body[1]["before"]["first_name"], "Ann");
    assert_eq!(h.body[1]["after"]["first_name"], "Anna");
}

async fn users_of_another_tenant_are_invisible(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("alpha").await;
    env.create_tenant("bravo").await;
    let server = env.serve().await;
    let alpha = env.signed_in_owner(&server, "alpha", "owner").await;
    let bravo = env.signed_in_owner(&server, "bravo", "owner").await;
    let r = bravo
        .send("POST", "/api/v1/users", Some(user("bob@bravo.example")))
        .await;
    let bob = r.body["id"].as_str().unwrap().to_string();

    assert_eq!(alpha.get("/api/v1/users").await.body, json!([]));
    let path = format!("/api/v1/users/{bob}");
    assert_eq!(alpha.get(&path).await.status, 404);
    assert_eq!(
        alpha
            .send("PATCH", &path, Some(json!({"first_name": "X"})))
            .await
            .status,
        404
    );
    assert_eq!(alpha.send("DELETE", &path, None).await.status, 404);
    let r = alpha
        .send(
            "POST",
            "/api/v1/users/bulk-delete",
            Some(json!({"ids": [bob]})),
        )
        .await;
    assert_eq!(r.status, 400);
    // The same e-mail is free in another tenant.
    assert_eq!(
        alpha
            .send("POST", "/api/v1/users", Some(user("bob@bravo.example")))
            .await
            .status,
        201
    );
    assert_eq!(bravo.get(&path).await.body["first_name"], "Ann");
}
