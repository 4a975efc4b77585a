//! The OpenAPI document is valid OpenAPI 3, lists exactly the routes the server serves, and
//! tells the truth about them: generated valid and invalid requests (schemathesis) get only
//! answers the document describes.

use std::collections::BTreeSet;

use corral_tests::{both_backends, Db, Env};
use serde_json::json;

/// Every route of the API. Adding a route means adding it here, and the test checks that the
/// document and the server agree with this list.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/session"),
    ("get", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/admins"),
    ("post", "/api/v1/admins"),
    ("get", "/api/v1/admins/{id}"),
    ("patch", "/api/v1/admins/{id}"),
    ("delete", "/api/v1/admins/{id}"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("post", "/api/v1/users/bulk"),
    ("post", "/api/v1/users/bulk-delete"),
    ("get", "/api/v1/users/{id}"),
    ("patch", "/api/v1/users/{id}"),
    ("delete", "/api/v1/users/{id}"),
    ("get", "/api/v1/directory"),
    ("put", "/api/v1/directory"),
    ("get", "/api/v1/directory/users"),
    ("post", "/api/v1/directory/imports"),
    ("get", "/api/v1/apps"),
    ("post", "/api/v1/apps"),
    ("post", "/api/v1/apps/in-house"),
    ("get", "/api/v1/apps/{id}"),
    ("patch", "/api/v1/apps/{id}"),
    ("delete", "/api/v1/apps/{id}"),
    ("get", "/api/v1/apps/{id}/file"),
    ("get", "/api/v1/unmanaged-devices"),
    ("patch", "/api/v1/unmanaged-devices"),
    ("post", "/api/v1/unmanaged-devices/enable"),
    ("post", "/api/v1/unmanaged-devices/deactivate"),
    ("post", "/api/v1/users/unmanaged"),
    ("get", "/api/v1/plugins"),
    ("post", "/api/v1/plugins"),
    ("get", "/api/v1/plugins/{id}"),
    ("delete", "/api/v1/plugins/{id}"),
    ("post", "/api/v1/plugins/{id}/activate"),
    ("post", "/api/v1/plugins/{id}/deactivate"),
    ("put", "/api/v1/plugins/{id}/grants"),
    ("delete", "/api/v1/plugins/{id}/versions/{version}"),
    ("post", "/api/v1/plugins/{id}/validate"),
    ("post", "/api/v1/plugins/{id}/render"),
    ("get", "/api/v1/plugins/{id}/vendor"),
    ("put", "/api/v1/plugins/{id}/vendor/settings"),
    ("put", "/api/v1/plugins/{id}/vendor/credential"),
    ("delete", "/api/v1/plugins/{id}/vendor/credential"),
    ("post", "/api/v1/plugins/{id}/actions/{action}"),
    ("get", "/api/v1/plugins/{id}/enrolment-profiles"),
    ("post", "/api/v1/plugins/{id}/enrolment-profiles"),
    ("get", "/api/v1/plugins/{id}/enrolment-profiles/{profile}"),
    ("patch", "/api/v1/plugins/{id}/enrolment-profiles/{profile}"),
    (
        "delete",
        "/api/v1/plugins/{id}/enrolment-profiles/{profile}",
    ),
    (
        "get",
        "/api/v1/plugins/{id}/enrolment-profiles/{profile}/qr",
    ),
    ("get", "/api/v1/plugins/{id}/configurations"),
    ("post", "/api/v1/plugins/{id}/configurations"),
    ("get", "/api/v1/plugins/{id}/configurations/{configuration}"),
    ("put", "/api/v1/plugins/{id}/configurations/{configuration}"),
    (
        "delete",
        "/api/v1/plugins/{id}/configurations/{configuration}",
    ),
    (
        "get",
        "/api/v1/plugins/{id}/devices/{device}/configurations",
    ),
    ("post", "/api/v1/plugins/{id}/devices/sync"),
    ("get", "/api/v1/settings/users"),
    ("patch", "/api/v1/settings/users"),
    ("get", "/api/v1/registration"),
    ("post", "/api/v1/registration/rotate-key"),
    ("post", "/api/v1/users/invitations"),
    ("get", "/api/v1/mail"),
    ("post", "/api/v1/device-registrations"),
    ("get", "/api/v1/devices"),
    ("get", "/api/v1/apple/certificates"),
    ("post", "/api/v1/apple/commands"),
    ("get", "/api/v1/apple/commands"),
    ("get", "/api/v1/apple/commands/{id}"),
    ("post", "/api/v1/apple/commands/{id}/cancel"),
    ("get", "/api/v1/apple/push-certificate"),
    ("put", "/api/v1/apple/push-certificate"),
    ("get", "/api/v1/devices/{id}"),
    ("delete", "/api/v1/devices/{id}"),
    ("get", "/api/v1/devices/{id}/provisioning"),
    ("get", "/api/v1/provisioning"),
    ("post", "/api/v1/devices/{id}/retire"),
    ("post", "/api/v1/devices/{id}/wipe"),
    ("post", "/api/v1/devices/{id}/commands"),
    ("put", "/api/v1/devices/{id}/owner"),
    ("get", "/api/v1/history"),
    ("get", "/api/v1/plugins/{id}/collections"),
    (
        "post",
        "/api/v1/plugins/{id}/collections/{collection}/imports/{import}",
    ),
    ("get", "/api/v1/imports"),
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/imports/{id}"),
    ("get", "/api/v1/imports/{id}/failures"),
    ("get", "/api/v1/imports/{id}/failures.csv"),
    ("get", "/api/v1/plugins/{id}/collections/{collection}/items"),
    (
        "get",
        "/api/v1/plugins/{id}/collections/{collection}/items/{item}",
    ),
    (
        "get",
        "/api/v1/plugins/{id}/collections/{collection}/forms/{action}",
    ),
    (
        "post",
        "/api/v1/plugins/{id}/collections/{collection}/actions/{action}",
    ),
];

#[tokio::test]
async fn openapi_document_is_valid_and_complete() {
    let env = Env::new(Db::Sqlite).await;
    let server = env.serve().await;
    let c = server.client();
    let r = c.get("/api/openapi.json").await;
    assert_eq!(r.status, 200);
    let text = r.body.to_string();

    let spec = oas3::from_json(&text).expect("valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3."), "{}", spec.openapi);

    let mut documented = BTreeSet::new();
    for (path, item) in spec.paths.iter().flatten() {
        for (method, op) in item.methods() {
            assert!(
                !op.responses.as_ref().is_none_or(|r| r.is_empty()),
                "{method} {path}: no responses"
            );
            documented.insert((method.as_str().to_lowercase(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected, "document and route list differ");

    // Every $ref points at a schema that exists.
    let schemas = &r.body["components"]["schemas"];
    let mut refs = Vec::new();
    collect_refs(&r.body, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .expect(&reference);
        assert!(schemas.get(name).is_some(), "dangling $ref {reference}");
    }

    // Every documented route is served (not the router's 404/405), even unauthenticated.
    for (method, path) in &expected {
        let path = path.replace("{id}", "some-id").replace("{version}", "1");
        let reply = c.send(&method.to_uppercase(), &path, None).await;
        let code = reply.error().0;
        assert!(
            !matches!(code, "route_not_found" | "method_not_allowed") && reply.status != 405,
            "{method} {path} is documented but not served: {reply:?}"
        );
    }
}

/// Issue 21: every operation of the API is done from a console page, or is listed as API-only
/// with its reason, in `docs/console-coverage.md`; each page named there is routed.
#[test]
fn every_api_operation_has_a_console_page_or_a_reason() {
    let table = include_str!("../../docs/console-coverage.md");
    let console_routes = include_str!("../../host/src/console/mod.rs");
    let mut listed = BTreeSet::new();
    for line in table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Method"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [method, path, page, reason] = cells[..] else {
            panic!("a row has four cells: {line}");
        };
        assert!(
            listed.insert((method.to_string(), path.to_string())),
            "{method} {path} is listed twice"
        );
        match (page.is_empty(), reason.is_empty()) {
            (false, true) => assert!(
                console_routes.contains(&format!("\"{page}\"")),
                "{method} {path}: the console page {page} is not routed"
            ),
            (true, false) => assert!(reason.len() > 20, "{method} {path}: say why: {reason}"),
            _ => panic!("{method} {path}: name a console page or the reason it has none"),
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = expected.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/console-coverage.md lacks {missing:?} and lists operations the API does not have: {unknown:?}"
    );
}

fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

both_backends!(generated_requests_get_the_answers_the_document_describes);

/// Issue 18: schemathesis (PyPI, installed by scripts/test.sh) calls every operation, signed in
/// as an owner, with generated valid and invalid input for a bounded time, and checks that no
/// answer is a server error, that every status, content type and body is one the document
/// describes, and that input the document calls invalid is refused. Ids in paths point at a real
/// user, app and plugin, so that the requests reach the rules behind them.
async fn generated_requests_get_the_answers_the_document_describes(db: Db) {
    let python = std::env::var("CORRAL_TEST_PYTHON").expect(
        "CORRAL_TEST_PYTHON is not set: run the suite with scripts/test.sh (it installs schemathesis)",
    );
    let schemathesis = std::path::Path::new(&python).with_file_name("schemathesis");
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    // A second sign-in of the same owner would be a TOTP replay: read the session cookie from
    // a sign-in of another owner.
    let password = "owner passphrase 1";
    let totp = env
        .create_admin("acme", "fuzz@acme.example", "owner", password)
        .await;
    let fuzz = server.client();
    let r = fuzz
        .sign_in(
            "acme",
            "fuzz@acme.example",
            password,
            &corral_tests::totp_code(&totp, 0),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let session = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("corral_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();

    let user = c
        .create_user(json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee"}))
        .await;
    let r = c
        .send(
            "POST",
            "/api/v1/apps",
            Some(json!({"kind": "store", "platform": "android",
            "name": "Example", "store_id": "com.example.app"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let app = r.body["id"].as_str().unwrap().to_string();
    let (plugin, _) = c.install_active("corral_example_plugin").await;
    // The other owner, not the one signed in here: deleting or demoting it leaves the session
    // of the run in place.
    let admins = c.get("/api/v1/admins").await.body;
    let other_owner = admins
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "owner@acme.example")
        .and_then(|a| a["id"].as_str())
        .unwrap()
        .to_string();

    // Per operation: the seeded id in its path, and a JSON content type on writes without a
    // body (the API refuses cookie-authenticated writes in any other type).
    let doc = c.get("/api/openapi.json").await.body;
    let mut config = String::from("[auth.openapi.session]\napi_key = \"${CORRAL_SESSION}\"\n");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = if path.starts_with("/api/v1/admins/{id}") {
                Some(&other_owner)
            } else if path.starts_with("/api/v1/users/{id}") {
                Some(&user)
            } else if path.starts_with("/api/v1/apps/{id}") {
                Some(&app)
            } else if path.starts_with("/api/v1/plugins/{id}") && method != "delete" {
                Some(&plugin)
            } else {
                None
            };
            let mut parameters: Vec<String> = id
                .map(|id| format!("\"path.id\" = \"{id}\""))
                .into_iter()
                .collect();
            // The history of users, which has entries (so their schema is checked too).
            if path == "/api/v1/history" {
                parameters.push("\"query.object_type\" = \"user\"".into());
            }
            let bodyless_write = method != "get" && operation.get("requestBody").is_none();
            if parameters.is_empty() && !bodyless_write {
                continue;
            }
            config.push_str(&format!(
                "\n[[operations]]\ninclude-name = \"{} {path}\"\n",
                method.to_uppercase()
            ));
            if !parameters.is_empty() {
                config.push_str(&format!("parameters = {{ {} }}\n", parameters.join(", ")));
            }
            if bodyless_write {
                config.push_str("headers = { Content-Type = \"application/json\" }\n");
            }
        }
    }
    let config_path = env.dir.path().join("schemathesis.toml");
    std::fs::write(&config_path, config).unwrap();
    let hooks = env.dir.path().join("corral_hooks.py");
    std::fs::write(
        &hooks,
        "import schemathesis\n\n\n@schemathesis.serializer(\"application/wasm\")\n\
         def wasm(ctx, value):\n    \
         return value if isinstance(value, bytes) else str(value).encode()\n",
    )
    .unwrap();

    let out = tokio::process::Command::new(&schemathesis)
        .current_dir(env.dir.path())
        .env("CORRAL_SESSION", &session)
        .env("PYTHONPATH", env.dir.path())
        .env("SCHEMATHESIS_HOOKS", "corral_hooks")
        .args(["--config-file"])
        .arg(&config_path)
        .arg("run")
        .arg(format!("{}/api/openapi.json", server.url))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,negative_data_rejection",
            // Signing out would end the session the rest of the run uses.
            "--exclude-name",
            "DELETE /api/v1/session",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "10",
            "--max-time",
            "90",
            // One worker: hypothesis parses sources with `ast.parse`, which CPython 3.11 cannot
            // run in two threads at once ("AST constructor recursion depth mismatch").
            "--workers",
            "1",
            "--no-shrink",
            "--seed",
            "18",
        ])
        .output()
        .await
        .expect("run schemathesis");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found answers the document does not describe:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The session lasted the whole run (a run that signed itself out tests only the 401s).
    let r = fuzz.get("/api/v1/session").await;
    assert_eq!(r.status, 200, "the run's session ended: {r:?}");
    // Every operation but the sign-out was called.
    let tested = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse::<usize>().ok());
    assert_eq!(tested, Some(ROUTES.len() - 1), "{report}");
}
