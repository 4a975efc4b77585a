//! The HTTP surface: axum routers per domain, assembled here with the request log and the
//! OpenAPI document. Every API route is registered through `utoipa_axum::routes!`, so the
//! document served at `/api/openapi.json` is generated from the same code that routes.

mod admins;
mod answers;
mod apple;
mod apps;
mod attempts;
mod collections;
pub(crate) mod cross_site;
mod device_registration;
mod devices;
mod directory;
mod enrolment_profiles;
mod error;
mod extract;
mod health;
mod history;
mod imports;
mod mdm;
mod plugins;
mod portal;
mod provisioning;
mod registration;
mod session;
mod unmanaged;
mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

pub use error::{ApiError, ApiResult, ErrorBody};

pub use crate::services::Services as AppState;

pub const SESSION_COOKIE: &str = "corral_session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Corral admin API",
        description = "Tenants' administrators, sessions and change history. Errors are JSON \
                       `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    modifiers(&SessionCookie),
    tags(
        (name = "session", description = "Administrator sign-in (password + TOTP)"),
        (name = "admins", description = "Administrators of the signed-in tenant"),
        (name = "users", description = "End users of the signed-in tenant"),
        (name = "directory", description = "The tenant's LDAP directory: settings, search, import"),
        (name = "apps", description = "The app catalogue: store, business and in-house apps"),
        (name = "unmanaged devices", description = "Unmanaged (MAM-only) devices and their users"),
        (name = "registration", description = "User settings, registration URL, invitations, mail status"),
        (name = "devices", description = "Devices of the signed-in tenant: list, retire, wipe, delete"),
        (name = "apple", description = "The tenant's Apple PKI: device CA and profile signing"),
        (name = "plugins", description = "The tenant's WebAssembly plugins"),
        (name = "provisioning", description = "Which provisioning service (zero-touch, Knox Mobile Enrollment...) provisions each device, and why"),
        (name = "imports", description = "Bulk imports of CSV files through a plugin, and their progress and failed rows"),
        (name = "history", description = "Change history"),
        (name = "health", description = "Liveness and readiness")
    )
)]
struct ApiDoc;

struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
    }
}

/// The API routes and their OpenAPI description, from one definition.
pub fn api(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(session::routes())
        .merge(admins::routes())
        .merge(users::routes())
        .merge(directory::routes())
        .merge(apps::routes())
        .merge(unmanaged::routes())
        .merge(registration::routes())
        .merge(device_registration::routes())
        .merge(devices::routes())
        .merge(enrolment_profiles::routes())
        .merge(apple::routes())
        .merge(plugins::routes())
        .merge(collections::routes())
        .merge(provisioning::routes())
        .merge(imports::routes())
        .merge(history::routes())
        .split_for_parts();
    let mut doc = doc;
    answers::add_common(&mut doc);
    let router = router.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        cross_site::guard,
    ));
    (router.with_state(state), doc)
}

/// The whole application: API, OpenAPI document, end-user portal, administrator console,
/// request log, JSON 404/405.
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`: the limits on guessing
/// secrets are per client address.
pub fn router(state: AppState) -> Router {
    let attempts = axum::middleware::from_fn_with_state(state.clone(), attempts::limit);
    let portal = portal::router(state.clone());
    let console = crate::console::router(state.clone());
    let mdm = mdm::routes(state.clone());
    let (api, doc) = api(state);
    let doc = Arc::new(doc);
    api.merge(portal)
        .merge(console)
        .merge(mdm)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such route")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept that method",
            )
        })
        .layer(attempts)
        .layer(axum::middleware::from_fn(
            extract::refuse_control_characters_in_path,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // The route template, never the raw path: paths may one day carry tokens.
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_else(|| "(no route)".into());
                    tracing::info_span!("http", method = %req.method(), route = %route)
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _span: &Span| {
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_us = latency.as_micros() as u64,
                        "request"
                    );
                })
                .on_failure(()),
        )
}

#[cfg(test)]
mod document_tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// Every Rust file under `dir`.
    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The OpenAPI document keeps one schema per name: two types of the same name (history's
    /// and the directory's `Entry` once) silently become one, and every answer of the other
    /// violates the document. Each type deriving `ToSchema` has a name of its own (or an
    /// `#[schema(as = ...)]` one).
    #[test]
    fn schema_names_are_unique() {
        let mut files = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                    continue;
                }
                let mut renamed = None;
                for next in &lines[i + 1..] {
                    let next = next.trim();
                    if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                        renamed = Some(rest.trim_end_matches(")]").to_string());
                    }
                    let item = next
                        .strip_prefix("pub ")
                        .or_else(|| next.strip_prefix("pub(crate) "))
                        .unwrap_or(next);
                    let named = item
                        .strip_prefix("struct ")
                        .or_else(|| item.strip_prefix("enum "));
                    if let Some(named) = named {
                        let name: String = named
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        names
                            .entry(renamed.take().unwrap_or(name))
                            .or_default()
                            .push(format!("{}:{}", file.display(), i + 1));
                        break;
                    }
                }
            }
        }
        assert!(names.len() > 50, "too few schemas found: {names:?}");
        let repeated: Vec<_> = names.iter().filter(|(_, at)| at.len() > 1).collect();
        assert!(repeated.is_empty(), "schema names used twice: {repeated:?}");
    }
}

#[cfg(test)]
mod layer_tests {
    /// Handlers parse, call one service and present its answer: no module of the HTTP layer
    /// opens a transaction, checks a permission or calls a plugin. Those belong to the
    /// services (`AsAdmin` operations, `self_service`), which the console calls too. Reads the
    /// sources, so a new handler is held to it as well.
    #[test]
    fn handlers_hold_no_rules() {
        let forbidden = [
            // transactions and raw database access
            ".scoped(",
            ".scoped_read(",
            ".reader(",
            ".commit(",
            ".pool()",
            "sqlx::",
            // permissions
            ".require(",
            "Permission::",
            // plugin calls
            ".active(",
            "Installation",
            "plugins::hook",
        ];
        // The API's handlers and the console's pages: front ends, both.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = ["src/http", "src/console"]
            .into_iter()
            .flat_map(|dir| std::fs::read_dir(root.join(dir)).unwrap())
            .map(|entry| entry.unwrap().path())
            .collect::<Vec<_>>();
        assert!(files.len() > 20, "{files:?}");
        let mut offences = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for (n, line) in code.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for pattern in forbidden {
                    // `Permission::` as a word: `ExchangePermission::` names a permission
                    // (to show it), it does not check one.
                    let found = line.match_indices(pattern).any(|(at, _)| {
                        !pattern.starts_with(char::is_alphabetic)
                            || !line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    if found {
                        let file = path.file_name().unwrap().to_string_lossy();
                        offences.push(format!("{file}:{}: {pattern} in {line:?}", n + 1));
                    }
                }
            }
        }
        assert!(
            offences.is_empty(),
            "rules in the HTTP layer (move them to a service):\n{}",
            offences.join("\n")
        );
    }
}
