//! Request extractors that fail with [`ApiError`]s naming the field: JSON bodies and query
//! strings. Request types use `#[serde(deny_unknown_fields)]`, so a misspelt field is an
//! error rather than silently ignored.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON request body (`Content-Type: application/json` required, which also keeps plain HTML
/// forms of other sites from posting to the API). Text holding a control character is refused
/// (see [`controls`]), except within a top-level `body`: a plugin configuration's document,
/// which the plugin validates and the host keeps as JSON text, whose escapes hold any character.
pub struct ApiJson<T>(pub T);

/// A JSON body that is a plugin's own document (an action's input): parsed like [`ApiJson`],
/// its text left to the plugin.
pub struct PluginJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let patch = req.method() == axum::http::Method::PATCH;
        let value = json_value(req, state).await?;
        // Every API body is an object: serde would also read a struct from an array of its
        // fields in order (`[null, null]`), which no client means.
        if !value.is_object() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "the body must be a JSON object",
            ));
        }
        // In a PATCH a field left out keeps its value; `null` would say nothing more, and a
        // client sending it most likely meant something (clearing the field) that does not
        // happen: refused, naming the field.
        if let (true, serde_json::Value::Object(map)) = (patch, &value) {
            if let Some((name, _)) = map.iter().find(|(_, v)| v.is_null()) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_field",
                    "null changes nothing here: leave the field out to keep its value",
                )
                .with_field(name.clone()));
            }
        }
        let host_text = match &value {
            serde_json::Value::Object(map) => map
                .iter()
                .filter(|(k, _)| k.as_str() != "body")
                .find_map(|(k, v)| {
                    if controls(k) {
                        Some(k.escape_default().to_string())
                    } else {
                        control_character_in(v, k)
                    }
                }),
            other => control_character_in(other, ""),
        };
        if let Some(field) = host_text {
            return Err(control_character(field));
        }
        shaped(value).map(ApiJson)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PluginJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        shaped(json_value(req, state).await?).map(PluginJson)
    }
}

/// The body as JSON: `Content-Type: application/json`, then the syntax (so that any broken JSON
/// is reported as such before its shape).
async fn json_value<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<serde_json::Value, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send a JSON body with Content-Type: application/json",
        ));
    }
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", e.body_text()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {e}"),
        )
    })
}

/// The JSON value as `T`, errors naming the field.
fn shaped<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|err| {
        let path = err.path().to_string();
        field_error(&path, &err.into_inner().to_string())
    })
}

/// The body of a write that takes none: empty, or an empty JSON object. Anything else is refused
/// like an unknown field of a JSON body, so that no route silently ignores what it was sent.
pub struct NoBody;

impl<S: Send + Sync> FromRequest<S> for NoBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", e.body_text())
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(NoBody);
        }
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(fields)) => match fields.keys().next() {
                None => Ok(NoBody),
                Some(name) => Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown_field",
                    format!("{name} is not a known field: this route takes no body"),
                )
                .with_field(name.clone())),
            },
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unexpected_body",
                "this route takes no body (send none, or {})",
            )),
        }
    }
}

/// A query string, with the same field-naming errors as [`ApiJson`].
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(k, v)| controls(k) || controls(v))
        {
            return Err(control_character(name.into_owned()));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                field_error(&path, &err.into_inner().to_string())
            })
    }
}

/// Control characters have no place in any text the API takes, and NUL cannot even be stored
/// in PostgreSQL: refused alike on both databases. Tab, line feed and carriage return are
/// ordinary text (descriptions, messages); other C0 and C1 controls and DEL are not.
fn controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The path (as the other field errors name it: `users[2].email`) of the first string or key
/// of `value` holding a control character.
fn control_character_in(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if controls(s) => Some(if path.is_empty() {
            ".".into()
        } else {
            path.to_string()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| control_character_in(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if controls(k) {
                Some(join(&k.escape_default().to_string()))
            } else {
                control_character_in(v, &join(k))
            }
        }),
        _ => None,
    }
}

fn control_character(field: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_field",
        "must not contain control characters (such as NUL)",
    )
    .with_field(field)
}

/// Middleware: a URL path holding a control character (percent-encoded, as `%00`) is refused
/// before any route sees it; path parameters are ids, tokens and slugs, none of which has one.
pub async fn refuse_control_characters_in_path(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let decoded = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
    if controls(&decoded) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "the path must not contain control characters (such as NUL)",
        )
        .into_response();
    }
    next.run(req).await
}

/// Turns a serde data error into a 400 that names the field. serde reports a missing or unknown
/// field in its message (the path then points at the parent object).
fn field_error(path: &str, message: &str) -> ApiError {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    // For a missing field the path is the parent object; for an unknown one it already ends
    // with the field.
    let join = |name: String| {
        if path == "." || path.is_empty() || path == name || path.ends_with(&format!(".{name}")) {
            if path == "." || path.is_empty() {
                name
            } else {
                path.to_string()
            }
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = quoted("missing field `") {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_field",
            format!("{name} is required"),
        )
        .with_field(join(name))
    } else if let Some(name) = quoted("unknown field `") {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unknown_field",
            format!("{name} is not a known field"),
        )
        .with_field(join(name))
    } else {
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(message)
            .to_string();
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", message).with_field(path)
    }
}

/// The language an API client asks for (`Accept-Language`), for what plugins word (their
/// collections' titles, items, field errors); English when it asks for none the host speaks.
pub struct Language(pub &'static str);

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(corral_messages::Lang::from_accept_language)
            .map_or(corral_plugin_runtime::locale::DEFAULT, |l| l.code());
        Ok(Language(lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_with_their_path() {
        let v = serde_json::json!({"users": [{"email": "a@b.c"}, {"first_name": "A\u{0}n"}]});
        assert_eq!(
            control_character_in(&v, "").as_deref(),
            Some("users[1].first_name")
        );
        let v = serde_json::json!({"description": "two\nlines\tand a tab", "n": 1});
        assert_eq!(control_character_in(&v, ""), None);
        let v = serde_json::json!({"name": "bell\u{7}", "x": "\u{9b}"});
        assert_eq!(control_character_in(&v, "").as_deref(), Some("name"));
    }

    #[test]
    fn serde_messages_become_named_fields() {
        let e = field_error(".", "missing field `email` at line 1 column 2");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("missing_field", Some("email"))
        );
        let e = field_error(
            "settings",
            "unknown field `colour`, expected one of `color`",
        );
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("unknown_field", Some("settings.colour"))
        );
        let e = field_error(
            "role",
            "unknown variant `boss`, expected `owner` or `admin` at line 1 column 9",
        );
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("invalid_field", Some("role"))
        );
        assert_eq!(
            e.message,
            "unknown variant `boss`, expected `owner` or `admin`"
        );
    }
}
