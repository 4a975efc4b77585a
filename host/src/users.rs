//! End users of a tenant (SPEC B1): the people who enrol devices through the portal. Local users
//! have an e-mail (their login name), a first and last name and an optional password (argon2id);
//! a user without one sets it after entering a one-time PIN. Bulk operations are all-or-nothing:
//! one bad entry refuses the whole batch, naming it (`users[3].email`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::admins::normalize_email;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::passwords;
use crate::store::{new_id, now_ms, unique_as_conflict, Scoped};

/// A user as the API shows it (no password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `local` or `ldap`.
    pub source: String,
    pub has_password: bool,
    /// An unmanaged-device (MAM-only) user (SPEC C3): gets apps, never enrols a device.
    pub unmanaged: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    first_name: String,
    last_name: String,
    source: String,
    has_password: i64,
    unmanaged: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            source: r.source,
            has_password: r.has_password != 0,
            unmanaged: r.unmanaged != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, email, first_name, last_name, source, \
    CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS has_password, unmanaged, created_at, \
    updated_at";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password: Option<String>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

fn check_name(value: &str, field: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(Error::invalid(field, "give 1 to 100 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "give one line of text, without control characters",
        ));
    }
    Ok(value.to_string())
}

/// Prefixes the field of an `Invalid` error (for bulk requests).
fn within(prefix: &str, err: Error) -> Error {
    match err {
        Error::Invalid { field, message } => Error::Invalid {
            field: format!("{prefix}.{field}"),
            message,
        },
        Error::Conflict { code, message } => Error::Conflict {
            code,
            message: format!("{prefix}: {message}"),
        },
        other => other,
    }
}

pub async fn create(scoped: &mut Scoped, actor: &Actor, new: NewUser) -> Result<User, Error> {
    insert(scoped, actor, new, "local").await
}

/// Creates a directory user (SPEC B1): no password here, the directory checks it.
pub async fn create_from_directory(
    scoped: &mut Scoped,
    actor: &Actor,
    email: &str,
    first_name: &str,
    last_name: &str,
) -> Result<User, Error> {
    let new = NewUser {
        email: email.to_string(),
        first_name: first_name.to_string(),
        last_name: last_name.to_string(),
        password: None,
    };
    insert(scoped, actor, new, "ldap").await
}

async fn insert(
    scoped: &mut Scoped,
    actor: &Actor,
    new: NewUser,
    source: &'static str,
) -> Result<User, Error> {
    let email = normalize_email(&new.email)?;
    let first_name = check_name(&new.first_name, "first_name")?;
    let last_name = check_name(&new.last_name, "last_name")?;
    let password_hash = match new.password {
        Some(password) => {
            passwords::check_strength(&password, "password")?;
            Some(passwords::hash(password).await?)
        }
        None => None,
    };
    let id = new_id();
    let now = now_ms();
    let tenant = scoped.tenant().as_str().to_string();
    let inserted = sqlx::query(
        "INSERT INTO users (id, tenant_id, email, first_name, last_name, source, password_hash, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(&email)
    .bind(first_name)
    .bind(last_name)
    .bind(source)
    .bind(password_hash)
    .bind(now)
    .execute(scoped.conn())
    .await;
    unique_as_conflict(inserted, "email_taken", || {
        format!("a user with e-mail {email} already exists")
    })?;
    let user = get(scoped, &id).await?;
    history::record(scoped, actor, Change::created("user", &id, &user)).await?;
    Ok(user)
}

/// Creates every user or none; errors name the entry (`users[2].email`).
pub async fn create_many(
    scoped: &mut Scoped,
    actor: &Actor,
    new: Vec<NewUser>,
) -> Result<Vec<User>, Error> {
    if new.is_empty() || new.len() > 1000 {
        return Err(Error::invalid("users", "give 1 to 1000 users"));
    }
    let mut created = Vec::with_capacity(new.len());
    for (i, user) in new.into_iter().enumerate() {
        let user = create(scoped, actor, user)
            .await
            .map_err(|e| within(&format!("users[{i}]"), e))?;
        created.push(user);
    }
    Ok(created)
}

/// Users of the tenant ordered by e-mail; `prefix` filters e-mail, first or last name
/// (case-insensitive, for type-ahead).
pub async fn list(
    scoped: &mut Scoped,
    prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<User>, Error> {
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 1000"));
    }
    let pattern = prefix.map(|p| format!("{}%", escape_like(&p.trim().to_lowercase())));
    let tenant = scoped.tenant().as_str().to_string();
    let rows = sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND ($2 IS NULL \
         OR email LIKE $2 ESCAPE '\\' OR LOWER(first_name) LIKE $2 ESCAPE '\\' \
         OR LOWER(last_name) LIKE $2 ESCAPE '\\') ORDER BY email LIMIT $3"
    ))
    .bind(tenant)
    .bind(pattern)
    .bind(limit)
    .fetch_all(scoped.conn())
    .await?;
    Ok(rows.into_iter().map(User::from).collect())
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn get(scoped: &mut Scoped, id: &str) -> Result<User, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?
    .map(User::from)
    .ok_or(Error::NotFound("user"))
}

pub async fn find_by_email(scoped: &mut Scoped, email: &str) -> Result<Option<User>, Error> {
    let Ok(email) = normalize_email(email) else {
        return Ok(None);
    };
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND email = $2"
    ))
    .bind(tenant)
    .bind(email)
    .fetch_optional(scoped.conn())
    .await?
    .map(User::from))
}

pub async fn update(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    changes: UserUpdate,
) -> Result<User, Error> {
    let before = get(scoped, id).await?;
    let email = match &changes.email {
        Some(e) => normalize_email(e)?,
        None => before.email.clone(),
    };
    let first_name = match &changes.first_name {
        Some(n) => check_name(n, "first_name")?,
        None => before.first_name.clone(),
    };
    let last_name = match &changes.last_name {
        Some(n) => check_name(n, "last_name")?,
        None => before.last_name.clone(),
    };
    let tenant = scoped.tenant().as_str().to_string();
    let updated = sqlx::query(
        "UPDATE users SET email = $1, first_name = $2, last_name = $3, updated_at = $4 \
         WHERE tenant_id = $5 AND id = $6",
    )
    .bind(&email)
    .bind(first_name)
    .bind(last_name)
    .bind(now_ms())
    .bind(tenant)
    .bind(id)
    .execute(scoped.conn())
    .await;
    unique_as_conflict(updated, "email_taken", || {
        format!("a user with e-mail {email} already exists")
    })?;
    let after = get(scoped, id).await?;
    history::record(
        scoped,
        actor,
        Change::new("user", id, "updated", Some(&before), Some(&after)),
    )
    .await?;
    Ok(after)
}

pub async fn delete(scoped: &mut Scoped, actor: &Actor, id: &str) -> Result<(), Error> {
    let before = get(scoped, id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    // Devices enrolled with an enrolment profile's token belong to its owner: a profile is
    // never left without one (delete or re-create the profile first).
    let owned: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM enrolment_profiles WHERE tenant_id = $1 AND owner_user_id = $2 \
         ORDER BY name LIMIT 5",
    )
    .bind(&tenant)
    .bind(id)
    .fetch_all(scoped.conn())
    .await?;
    if !owned.is_empty() {
        return Err(Error::Conflict {
            code: "user_owns_enrolment_profiles",
            message: format!(
                "{} owns the enrolment profiles {}: delete them first",
                before.email,
                owned.join(", ")
            ),
        });
    }
    sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(scoped.conn())
        .await?;
    history::record(scoped, actor, Change::deleted("user", id, &before)).await?;
    Ok(())
}

/// Deletes every listed user or none; an unknown id is a 404 naming its position.
pub async fn delete_many(scoped: &mut Scoped, actor: &Actor, ids: &[String]) -> Result<(), Error> {
    if ids.is_empty() || ids.len() > 1000 {
        return Err(Error::invalid("ids", "give 1 to 1000 user ids"));
    }
    Error::refuse_repeats("ids", ids)?;
    for (i, id) in ids.iter().enumerate() {
        delete(scoped, actor, id).await.map_err(|e| match e {
            Error::NotFound(_) => Error::invalid(format!("ids[{i}]"), "no such user"),
            other => other,
        })?;
    }
    Ok(())
}

/// The stored password hash of a user, `None` when the user has none (or does not exist).
pub async fn password_hash(scoped: &mut Scoped, id: &str) -> Result<Option<String>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?
    .flatten())
}

/// Sets a user's password (hashed with argon2id); the caller checked its strength.
pub async fn set_password(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    password: String,
) -> Result<(), Error> {
    passwords::check_strength(&password, "password")?;
    let hash = passwords::hash(password).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let updated = sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .bind(hash)
    .bind(now_ms())
    .bind(tenant)
    .bind(id)
    .execute(scoped.conn())
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(Error::NotFound("user"));
    }
    history::record(
        scoped,
        actor,
        Change::new::<(), ()>("user", id, "password_set", None, None),
    )
    .await?;
    Ok(())
}
