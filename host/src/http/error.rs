//! Errors as the API shows them: a status code and `{"error": {"code", "message", "field"}}`.
//! This is the one place where a domain [`Error`] becomes HTTP; internal causes are logged
//! here and replaced by a generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `missing_field`, `not_found`, `forbidden`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// The offending field (JSON path for nested fields), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error response. Built from a domain [`Error`] or directly for protocol-level problems.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> ApiError {
        match err {
            Error::Invalid { field, message } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", message).with_field(field)
            }
            Error::Rejected {
                code,
                field,
                message,
            } => ApiError::new(StatusCode::BAD_REQUEST, code, message).with_field(field),
            Error::TooLarge { field, message } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message).with_field(field)
            }
            Error::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            Error::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            Error::Gone { code, message } => ApiError::new(StatusCode::GONE, code, message),
            Error::Unauthenticated(message) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
            }
            Error::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            Error::Locked { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "account_locked",
                    err.to_string(),
                )
            },
            Error::TooManyAttempts { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    err.to_string(),
                )
            },
            Error::Upstream { code, message } => {
                tracing::warn!(%message, "upstream failed");
                ApiError::new(StatusCode::BAD_GATEWAY, code, message)
            }
            Error::Unavailable(detail) => {
                tracing::error!(%detail, "dependency unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "service unavailable",
                )
            }
            Error::Config(_) | Error::Database(_) | Error::Internal(_) => {
                tracing::error!(error = %err, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
