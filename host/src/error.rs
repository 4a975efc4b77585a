//! The error every domain module returns. It says what went wrong in terms a caller can act on
//! (which field, which object, why refused); `http::error` maps it to a status and JSON body,
//! the command line prints it. Internal causes (database, crypto) are logged, not shown.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// Input refused: `field` names the offending field (JSON path for nested ones).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Input refused by a rule with its own code (a plugin's verdict on a configuration, ...):
    /// `field` names the offending field.
    #[error("{field}: {message}")]
    Rejected {
        code: &'static str,
        field: String,
        message: String,
    },
    /// What was sent is larger than allowed (a file): `field` names it.
    #[error("{field}: {message}")]
    TooLarge { field: String, message: String },
    /// The object does not exist in the caller's tenant (or is not visible to it).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with current state (duplicate, last owner, ...).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// What the request presents (a link, a one-time token) no longer works, for good.
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// Not signed in, or credentials refused.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Signed in but the role or permission does not allow this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Too many failed sign-ins: locked for `retry_after_secs`.
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    Locked { retry_after_secs: i64 },
    /// Too many attempts at a secret from one client address: wait `retry_after_secs`.
    #[error("too many attempts from your address; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    /// Bad configuration given to the process (URL, key, ...).
    #[error("configuration: {0}")]
    Config(String),
    /// A tenant's external service (its LDAP directory) failed or cannot be reached; the
    /// message names it and the cause, and is safe to show.
    #[error("{message}")]
    Upstream { code: &'static str, message: String },
    /// A dependency (database, key file) cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Refuses a list that names the same thing twice (`field[i]` is the second mention), so
    /// that one request never acts twice on one object (two invitations, two PINs).
    pub fn refuse_repeats(field: &str, items: &[String]) -> Result<(), Error> {
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        match items.iter().position(|item| !seen.insert(item.as_str())) {
            None => Ok(()),
            Some(i) => Err(Error::invalid(
                format!("{field}[{i}]"),
                format!("{} is listed twice", items[i]),
            )),
        }
    }
}
