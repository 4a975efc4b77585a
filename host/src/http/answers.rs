//! The answers every route may give besides its own, added to the OpenAPI document in one
//! place after the routes are collected, so that the document lists every status a route
//! answers without each handler repeating them: a malformed path, query or body (400), no or
//! an expired session (401), a cookie-authenticated write from another site (403) or not in
//! JSON (415), an unknown id (404), a busy database (503), and for writes that call a plugin,
//! a tenant over its share of the plugin runtime (429). The checks that give them are in
//! `cross_site.rs`, `extract.rs` and `error.rs`.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the common answers each operation of `doc` can give and does not list yet.
pub fn add_common(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        // Writes that call a plugin may find its tenant over its share of the plugin runtime.
        let calls_plugin = path.starts_with("/api/v1/plugins/{id}/")
            || path.starts_with("/api/v1/devices/{id}/commands");
        let writes = [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in writes.into_iter().flatten() {
            add(operation, true);
            if calls_plugin {
                operation
                    .responses
                    .responses
                    .entry("429".to_string())
                    .or_insert_with(|| {
                        error_answer(
                            "Your tenant has as many plugin calls running and waiting as its \
                             share allows (`plugin_busy`); try again after `Retry-After` seconds",
                        )
                    });
            }
        }
        if let Some(operation) = &mut item.get {
            add(operation, false);
        }
    }
}

fn add(operation: &mut Operation, write: bool) {
    let signed_in = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_path_parameters = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Path);
    let takes_input = operation.parameters.as_ref().is_some_and(|p| !p.is_empty())
        || operation.request_body.is_some();
    if !signed_in && !write && !takes_input {
        return; // liveness and readiness document their own answers
    }
    let mut answers = vec![(
        "400",
        "Refused input: a malformed path, query or body (`error.field` names the field)",
    )];
    if signed_in {
        answers.push(("401", "No session, or an expired one"));
    }
    if signed_in && write {
        answers.push((
            "403",
            "Not allowed: the role lacks the permission, or a cookie-authenticated write came \
             from another site (`cross_site_request`)",
        ));
    }
    if write {
        answers.push((
            "415",
            "A cookie-authenticated write that is not `application/json` \
             (`unsupported_media_type`)",
        ));
    }
    if has_path_parameters {
        answers.push(("404", "No such object in your tenant"));
    }
    answers.push((
        "503",
        "The database is busy or unreachable (`unavailable`); try again",
    ));
    for (status, description) in answers {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_answer(description));
    }
}

fn error_answer(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}
