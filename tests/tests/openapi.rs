//! The OpenAPI document is valid OpenAPI 3 and lists exactly the routes the server serves.

use std::collections::BTreeSet;

use corral_tests::{Db, Env};

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
    ("get", "/api/v1/devices/{id}"),
    ("delete", "/api/v1/devices/{id}"),
    ("post", "/api/v1/devices/{id}/retire"),
    ("post", "/api/v1/devices/{id}/wipe"),
    ("post", "/api/v1/devices/{id}/commands"),
    ("get", "/api/v1/history"),
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
