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
/// forms of other sites from posting to the API).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
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
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", e.body_text())
        })?;
        // Syntax first, so that any broken JSON is reported as such, then the shape.
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        serde_path_to_error::deserialize::<_, T>(value)
            .map(ApiJson)
            .map_err(|err| {
                let path = err.path().to_string();
                field_error(&path, &err.into_inner().to_string())
            })
    }
}

/// A query string, with the same field-naming errors as [`ApiJson`].
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                field_error(&path, &err.into_inner().to_string())
            })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
