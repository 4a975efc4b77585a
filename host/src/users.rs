//! End users of a tenant (SPEC B1): the people who enrol devices through the portal. Local users
//! have an e-mail (their login name), a first and last name and an optional password (argon2id);
//! a user without one sets it after entering a one-time PIN. Bulk operations are all-or-nothing:
//! one bad entry refuses the whole batch, naming it (`users[3].email`). New users are checked and
//! their passwords hashed first ([`prepare`], [`prepare_all`]), then written in one short
//! transaction ([`insert_all`]).

use serde::Serialize;
use utoipa::ToSchema;

use crate::admins::{normalize_email, Permission};
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::passwords::{self, Hashed};
use crate::services::AsAdmin;
use crate::store::batch::{rows_among, Placeholders, ROWS_PER_STATEMENT};
use crate::store::{new_id, now_ms, starts_with_pattern, unique_as_conflict, Scoped};

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

/// Prefixes the field of an `Invalid` error (for bulk requests); an empty prefix changes
/// nothing.
fn within(prefix: &str, err: Error) -> Error {
    if prefix.is_empty() {
        return err;
    }
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

/// Most users created by one request.
pub const MAX_PER_REQUEST: usize = 5000;

/// How errors name a user of a request: the fields alone (one user), or `users[i].field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    One,
    Bulk,
}

impl Naming {
    fn prefix(self, i: usize) -> String {
        match self {
            Naming::One => String::new(),
            Naming::Bulk => format!("users[{i}]"),
        }
    }
}

/// A new user, checked and with its password hashed, ready to be written: made by [`prepare`]
/// or [`prepare_all`] before the write transaction, so that none waits for argon2.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    source: &'static str,
    password_hash: Option<Hashed>,
    pub(crate) unmanaged: bool,
}

impl Prepared {
    /// The same user as an unmanaged-device (MAM-only) user (SPEC C3); the caller checks that
    /// the tenant has the feature on and that the user is no administrator.
    pub fn unmanaged(mut self, unmanaged: bool) -> Prepared {
        self.unmanaged = unmanaged;
        self
    }

    pub(crate) fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }
}

/// Checks a new user's fields; the password, if any, is returned for hashing.
fn check(new: NewUser, source: &'static str) -> Result<(Prepared, Option<String>), Error> {
    let email = normalize_email(&new.email)?;
    let first_name = check_name(&new.first_name, "first_name")?;
    let last_name = check_name(&new.last_name, "last_name")?;
    if let Some(password) = &new.password {
        passwords::check_strength(password, "password")?;
    }
    let prepared = Prepared {
        id: new_id(),
        email,
        first_name,
        last_name,
        source,
        password_hash: None,
        unmanaged: false,
    };
    Ok((prepared, new.password))
}

/// Checks one new local user and hashes its password.
pub async fn prepare(new: NewUser) -> Result<Prepared, Error> {
    let (mut prepared, password) = check(new, "local")?;
    if let Some(password) = password {
        prepared.password_hash = Some(passwords::hash(password).await?);
    }
    Ok(prepared)
}

/// Checks new local users (errors name the entry, `users[2].email`, and an e-mail given twice)
/// before hashing any password; then hashes them through the bulk lane.
pub async fn prepare_all(new: Vec<NewUser>) -> Result<Vec<Prepared>, Error> {
    if new.is_empty() || new.len() > MAX_PER_REQUEST {
        return Err(Error::invalid(
            "users",
            format!("give 1 to {MAX_PER_REQUEST} users"),
        ));
    }
    let mut checked = Vec::with_capacity(new.len());
    let mut seen = std::collections::HashMap::with_capacity(new.len());
    for (i, user) in new.into_iter().enumerate() {
        let (prepared, password) =
            check(user, "local").map_err(|e| within(&Naming::Bulk.prefix(i), e))?;
        if let Some(first) = seen.insert(prepared.email.clone(), i) {
            return Err(Error::Conflict {
                code: "email_taken",
                message: format!(
                    "users[{i}]: e-mail {} is given to users[{first}] too",
                    prepared.email
                ),
            });
        }
        checked.push((prepared, password));
    }
    let with_password: Vec<String> = checked.iter().filter_map(|(_, p)| p.clone()).collect();
    let mut hashes = passwords::hash_all(with_password).await?.into_iter();
    Ok(checked
        .into_iter()
        .map(|(mut prepared, password)| {
            if password.is_some() {
                prepared.password_hash = hashes.next();
            }
            prepared
        })
        .collect())
}

/// Creates one prepared user (errors name the fields alone).
pub async fn create(scoped: &mut Scoped, actor: &Actor, new: Prepared) -> Result<User, Error> {
    Ok(insert_all(scoped, actor, vec![new], Naming::One)
        .await?
        .remove(0))
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
    let (prepared, _) = check(new, "ldap")?;
    create(scoped, actor, prepared).await
}

/// Writes prepared users, every one or none (an e-mail already taken is a 409 naming the
/// entry), a few hundred rows per statement, with their history.
pub async fn insert_all(
    scoped: &mut Scoped,
    actor: &Actor,
    new: Vec<Prepared>,
    naming: Naming,
) -> Result<Vec<User>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let emails: Vec<String> = new.iter().map(|u| u.email.clone()).collect();
    let taken = existing_emails(scoped, &emails).await?;
    if let Some(i) = emails.iter().position(|e| taken.contains(e)) {
        return Err(within(
            &naming.prefix(i),
            Error::Conflict {
                code: "email_taken",
                message: format!("a user with e-mail {} already exists", emails[i]),
            },
        ));
    }
    let now = now_ms();
    for chunk in new.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO users (id, tenant_id, email, first_name, last_name, source, \
             password_hash, unmanaged, created_at, updated_at) VALUES {}",
            Placeholders::new(scoped).rows(chunk.len(), 10)
        );
        let mut query = sqlx::query(&sql);
        for user in chunk {
            query = query
                .bind(user.id.clone())
                .bind(tenant.clone())
                .bind(user.email.clone())
                .bind(user.first_name.clone())
                .bind(user.last_name.clone())
                .bind(user.source)
                .bind(user.password_hash.as_ref().map(|h| h.as_str().to_string()))
                .bind(i64::from(user.unmanaged))
                .bind(now)
                .bind(now);
        }
        // Another request may have taken an e-mail since the check above.
        unique_as_conflict(query.execute(scoped.conn()).await, "email_taken", || {
            "a user with one of these e-mails was created meanwhile".to_string()
        })?;
    }
    let created: Vec<User> = new
        .into_iter()
        .map(|u| User {
            has_password: u.has_password(),
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            source: u.source.to_string(),
            unmanaged: u.unmanaged,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let changes = created
        .iter()
        .map(|user| Change::created("user", &user.id, user))
        .collect();
    history::record_all(scoped, actor, changes).await?;
    Ok(created)
}

/// Which of `emails` (normalised) users of the tenant already have.
async fn existing_emails(
    scoped: &mut Scoped,
    emails: &[String],
) -> Result<std::collections::HashSet<String>, Error> {
    let taken: Vec<(String,)> =
        rows_among(scoped, "SELECT email FROM users", "email", emails).await?;
    Ok(taken.into_iter().map(|(email,)| email).collect())
}

/// The users with these ids, in order (`None` for an unknown id), a few hundred per statement.
pub async fn get_many(scoped: &mut Scoped, ids: &[String]) -> Result<Vec<Option<User>>, Error> {
    let rows: Vec<UserRow> =
        rows_among(scoped, &format!("SELECT {COLUMNS} FROM users"), "id", ids).await?;
    let mut found: std::collections::HashMap<String, User> = rows
        .into_iter()
        .map(|row| (row.id.clone(), User::from(row)))
        .collect();
    Ok(ids.iter().map(|id| found.remove(id)).collect())
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
    let pattern = prefix.map(starts_with_pattern);
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

/// How a page of users is asked for (the console's users table).
#[derive(Debug, Clone)]
pub struct UserQuery {
    /// E-mail, first or last name starts with (case-insensitive).
    pub search: Option<String>,
    pub sort: UserSort,
    pub descending: bool,
    pub offset: i64,
    /// 1 to 1000.
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    Email,
    LastName,
    Created,
}

impl UserSort {
    fn order_by(self, descending: bool) -> String {
        let direction = if descending { "DESC" } else { "ASC" };
        match self {
            UserSort::Email => format!("email {direction}"),
            UserSort::LastName => {
                format!("LOWER(last_name) {direction}, LOWER(first_name) {direction}, email")
            }
            UserSort::Created => format!("created_at {direction}, email"),
        }
    }
}

/// A page of users and how many match in all.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: i64,
}

/// A sorted page of the tenant's users matching the search.
pub async fn page(scoped: &mut Scoped, query: &UserQuery) -> Result<UserPage, Error> {
    if !(1..=1000).contains(&query.limit) {
        return Err(Error::invalid("limit", "must be between 1 and 1000"));
    }
    if query.offset < 0 {
        return Err(Error::invalid("offset", "must be 0 or more"));
    }
    let pattern = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(starts_with_pattern);
    let tenant = scoped.tenant().as_str().to_string();
    let filter = "tenant_id = $1 AND ($2 IS NULL OR email LIKE $2 ESCAPE '\\' \
         OR LOWER(first_name) LIKE $2 ESCAPE '\\' OR LOWER(last_name) LIKE $2 ESCAPE '\\')";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users WHERE {filter}"))
        .bind(&tenant)
        .bind(&pattern)
        .fetch_one(scoped.conn())
        .await?;
    let rows = sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {COLUMNS} FROM users WHERE {filter} ORDER BY {} LIMIT $3 OFFSET $4",
        query.sort.order_by(query.descending)
    ))
    .bind(&tenant)
    .bind(&pattern)
    .bind(query.limit)
    .bind(query.offset)
    .fetch_all(scoped.conn())
    .await?;
    Ok(UserPage {
        users: rows.into_iter().map(User::from).collect(),
        total,
    })
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

/// Sets a user's password, hashed beforehand (see [`passwords::hash`]).
pub async fn set_password(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    hash: Hashed,
) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let updated = sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .bind(hash.into_string())
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

/// What administrators do with end users (the API and the console call these).
impl AsAdmin<'_> {
    /// Users whose e-mail starts with `prefix`, at most `limit` (1 to 1000) of them.
    pub async fn list_users(&self, prefix: Option<&str>, limit: i64) -> Result<Vec<User>, Error> {
        list(&mut self.read().await?, prefix, limit).await
    }

    /// A sorted page of users matching a search, and how many match.
    pub async fn user_page(&self, query: &UserQuery) -> Result<UserPage, Error> {
        page(&mut self.read().await?, query).await
    }

    /// The user with this e-mail, if any (an owner typed into a form).
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        find_by_email(&mut self.read().await?, email).await
    }

    /// The users of `ids` that exist (owners shown in a device list).
    pub async fn users_by_ids(&self, ids: &[String]) -> Result<Vec<User>, Error> {
        let found = get_many(&mut self.read().await?, ids).await?;
        Ok(found.into_iter().flatten().collect())
    }

    pub async fn get_user(&self, id: &str) -> Result<User, Error> {
        get(&mut self.read().await?, id).await
    }

    pub async fn update_user(&self, id: &str, changes: UserUpdate) -> Result<User, Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let user = update(&mut scoped, &self.actor(), id, changes).await?;
        scoped.commit().await?;
        Ok(user)
    }

    pub async fn delete_user(&self, id: &str) -> Result<(), Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        delete(&mut scoped, &self.actor(), id).await?;
        scoped.commit().await
    }

    /// Deletes every listed user, or none if one is missing.
    pub async fn delete_users(&self, ids: &[String]) -> Result<(), Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        delete_many(&mut scoped, &self.actor(), ids).await?;
        scoped.commit().await
    }
}
