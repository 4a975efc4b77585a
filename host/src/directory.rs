//! A tenant's LDAP directory (SPEC B1), through `ldap3`: its settings, searching it,
//! importing chosen entries as directory users, and checking a directory user's password with
//! a bind.
//!
//! Rules:
//! - The service account's password is sealed with the server key and never returned; directory
//!   users' passwords are never stored: each sign-in finds the entry by its e-mail attribute
//!   (as the service account) and binds as that entry.
//! - Network calls never run inside a database transaction: callers read the settings, talk
//!   to the directory, then write.
//! - An unreachable or refusing directory is an [`Error::Upstream`] naming the directory and
//!   the cause; it never changes anything.

use std::time::Duration;

use ldap3::{ldap_escape, Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::{now_ms, Scoped};
use crate::users::{self, User};

/// Connecting, binding and each search must answer within this.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Most entries a search returns.
pub const SEARCH_LIMIT: usize = 200;
const SEALED_PURPOSE: &str = "ldap-bind-password";

/// The directory settings as administrators see them (never the password).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Settings {
    /// `ldap://host:port` or `ldaps://host:port`.
    pub url: String,
    /// The service account that searches the directory.
    pub bind_dn: String,
    pub base_dn: String,
    /// LDAP filter selecting user entries, e.g. `(objectClass=inetOrgPerson)`.
    pub user_filter: String,
    pub email_attribute: String,
    pub first_name_attribute: String,
    pub last_name_attribute: String,
    pub updated_at: i64,
}

/// New directory settings. `bind_password` may be left out to keep the stored one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSettings {
    pub url: String,
    pub bind_dn: String,
    pub bind_password: Option<String>,
    pub base_dn: String,
    /// Default `(objectClass=inetOrgPerson)`.
    pub user_filter: Option<String>,
    /// Default `mail`.
    pub email_attribute: Option<String>,
    /// Default `givenName`.
    pub first_name_attribute: Option<String>,
    /// Default `sn`.
    pub last_name_attribute: Option<String>,
}

/// Settings with the service account's password, for talking to the directory.
#[derive(Clone)]
pub struct Directory {
    pub settings: Settings,
    bind_password: String,
}

/// A user entry of the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DirectoryEntry)]
pub struct Entry {
    pub dn: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    url: String,
    bind_dn: String,
    bind_password_sealed: String,
    base_dn: String,
    user_filter: String,
    email_attribute: String,
    first_name_attribute: String,
    last_name_attribute: String,
    updated_at: i64,
}

fn text(value: &str, field: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::invalid(field, format!("give 1 to {max} characters")));
    }
    Ok(value.to_string())
}

fn attribute(value: Option<&str>, default: &str, field: &str) -> Result<String, Error> {
    let value = value.unwrap_or(default).trim();
    let valid = !value.is_empty()
        && value.len() <= 100
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ';');
    if !valid {
        return Err(Error::invalid(
            field,
            "give an attribute name (letters, digits, '-')",
        ));
    }
    Ok(value.to_string())
}

/// The directory of the tenant of `scoped`, if one is configured.
pub async fn get(scoped: &mut Scoped, secrets: &SecretBox) -> Result<Option<Directory>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let row: Option<Row> = sqlx::query_as(
        "SELECT url, bind_dn, bind_password_sealed, base_dn, user_filter, email_attribute, \
         first_name_attribute, last_name_attribute, updated_at FROM ldap_directories \
         WHERE tenant_id = $1",
    )
    .bind(&tenant)
    .fetch_optional(scoped.conn())
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let password = secrets.open(&purpose(&tenant), &r.bind_password_sealed)?;
    Ok(Some(Directory {
        bind_password: String::from_utf8(password)
            .map_err(|_| Error::Internal("sealed bind password is not text".into()))?,
        settings: Settings {
            url: r.url,
            bind_dn: r.bind_dn,
            base_dn: r.base_dn,
            user_filter: r.user_filter,
            email_attribute: r.email_attribute,
            first_name_attribute: r.first_name_attribute,
            last_name_attribute: r.last_name_attribute,
            updated_at: r.updated_at,
        },
    }))
}

fn purpose(tenant: &str) -> String {
    format!("{SEALED_PURPOSE}:{tenant}")
}

/// Checks `new` and returns the directory it describes (`current` supplies a kept password).
pub fn check(new: NewSettings, current: Option<&Directory>) -> Result<Directory, Error> {
    let url = text(&new.url, "url", 500)?;
    if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
        return Err(Error::invalid(
            "url",
            "use ldap://host:port or ldaps://host:port",
        ));
    }
    let user_filter = text(
        new.user_filter
            .as_deref()
            .unwrap_or("(objectClass=inetOrgPerson)"),
        "user_filter",
        1000,
    )?;
    if !(user_filter.starts_with('(') && user_filter.ends_with(')')) {
        return Err(Error::invalid(
            "user_filter",
            "give an LDAP filter in parentheses, e.g. (objectClass=inetOrgPerson)",
        ));
    }
    let bind_password = match (new.bind_password, current) {
        (Some(p), _) if !p.is_empty() => p,
        (None, Some(current)) => current.bind_password.clone(),
        _ => {
            return Err(Error::invalid(
                "bind_password",
                "give the service account's password",
            ))
        }
    };
    Ok(Directory {
        bind_password,
        settings: Settings {
            url,
            bind_dn: text(&new.bind_dn, "bind_dn", 1000)?,
            base_dn: text(&new.base_dn, "base_dn", 1000)?,
            user_filter,
            email_attribute: attribute(new.email_attribute.as_deref(), "mail", "email_attribute")?,
            first_name_attribute: attribute(
                new.first_name_attribute.as_deref(),
                "givenName",
                "first_name_attribute",
            )?,
            last_name_attribute: attribute(
                new.last_name_attribute.as_deref(),
                "sn",
                "last_name_attribute",
            )?,
            updated_at: now_ms(),
        },
    })
}

/// Stores `directory` as the tenant's, with its history entry (without the password).
pub async fn save(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    actor: &Actor,
    directory: &Directory,
) -> Result<Settings, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let s = &directory.settings;
    let before = get(scoped, secrets).await?.map(|d| d.settings);
    sqlx::query(
        "INSERT INTO ldap_directories (tenant_id, url, bind_dn, bind_password_sealed, base_dn, \
         user_filter, email_attribute, first_name_attribute, last_name_attribute, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         ON CONFLICT (tenant_id) DO UPDATE SET url = excluded.url, bind_dn = excluded.bind_dn, \
         bind_password_sealed = excluded.bind_password_sealed, base_dn = excluded.base_dn, \
         user_filter = excluded.user_filter, email_attribute = excluded.email_attribute, \
         first_name_attribute = excluded.first_name_attribute, \
         last_name_attribute = excluded.last_name_attribute, updated_at = excluded.updated_at",
    )
    .bind(&tenant)
    .bind(&s.url)
    .bind(&s.bind_dn)
    .bind(secrets.seal(&purpose(&tenant), directory.bind_password.as_bytes()))
    .bind(&s.base_dn)
    .bind(&s.user_filter)
    .bind(&s.email_attribute)
    .bind(&s.first_name_attribute)
    .bind(&s.last_name_attribute)
    .bind(s.updated_at)
    .execute(scoped.conn())
    .await?;
    history::record(
        scoped,
        actor,
        Change::new("directory", &tenant, "configured", before.as_ref(), Some(s)),
    )
    .await?;
    Ok(s.clone())
}

impl Settings {
    /// The attributes read from user entries.
    fn attributes(&self) -> [&str; 3] {
        [
            &self.email_attribute,
            &self.first_name_attribute,
            &self.last_name_attribute,
        ]
    }
}

/// The entry as a user, if it has an e-mail address (entries without one cannot be users).
fn entry_of(e: SearchEntry, s: &Settings) -> Option<Entry> {
    let get = |name: &str| {
        e.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let email = get(&s.email_attribute).to_lowercase();
    (!email.is_empty()).then(|| Entry {
        email,
        first_name: get(&s.first_name_attribute),
        last_name: get(&s.last_name_attribute),
        dn: e.dn.clone(),
    })
}

impl Directory {
    fn unavailable(&self, what: &str, cause: impl std::fmt::Display) -> Error {
        Error::Upstream {
            code: "directory_unavailable",
            message: format!(
                "the LDAP directory at {} {what}: {cause}",
                self.settings.url
            ),
        }
    }

    /// A connection, not yet bound.
    async fn connect(&self) -> Result<Ldap, Error> {
        let settings = LdapConnSettings::new().set_conn_timeout(TIMEOUT);
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.settings.url)
            .await
            .map_err(|e| self.unavailable("cannot be reached", e))?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// A connection bound as the service account.
    async fn service(&self) -> Result<Ldap, Error> {
        let mut ldap = self.connect().await?;
        ldap.with_timeout(TIMEOUT)
            .simple_bind(&self.settings.bind_dn, &self.bind_password)
            .await
            .and_then(|r| r.success())
            .map_err(|e| self.unavailable("refused the service account", e))?;
        Ok(ldap)
    }

    async fn entries(&self, ldap: &mut Ldap, filter: &str) -> Result<Vec<Entry>, Error> {
        let s = &self.settings;
        let (found, _) = ldap
            .with_timeout(TIMEOUT)
            .search(&s.base_dn, Scope::Subtree, filter, s.attributes())
            .await
            .and_then(|r| r.success())
            .map_err(|e| self.unavailable("refused the search", e))?;
        let mut entries: Vec<Entry> = found
            .into_iter()
            .filter_map(|e| entry_of(SearchEntry::construct(e), s))
            .collect();
        entries.sort_by(|a, b| a.email.cmp(&b.email));
        entries.truncate(SEARCH_LIMIT);
        Ok(entries)
    }

    /// User entries whose e-mail, names or uid contain `query` (all of them when empty).
    pub async fn search(&self, query: &str) -> Result<Vec<Entry>, Error> {
        let s = &self.settings;
        let q = ldap_escape(query.trim());
        let filter = if q.is_empty() {
            s.user_filter.clone()
        } else {
            format!(
                "(&{}(|({}=*{q}*)({}=*{q}*)({}=*{q}*)(cn=*{q}*)(uid=*{q}*)))",
                s.user_filter, s.email_attribute, s.first_name_attribute, s.last_name_attribute
            )
        };
        let mut ldap = self.service().await?;
        let entries = self.entries(&mut ldap, &filter).await;
        let _ = ldap.unbind().await;
        entries
    }

    /// The user entries named by `dns`, in order; `None` where a name is not a user entry.
    pub async fn entries_named(&self, dns: &[String]) -> Result<Vec<Option<Entry>>, Error> {
        let mut ldap = self.service().await?;
        let mut out = Vec::with_capacity(dns.len());
        for dn in dns {
            let s = &self.settings;
            let found = ldap
                .with_timeout(TIMEOUT)
                .search(dn, Scope::Base, &s.user_filter, s.attributes())
                .await
                .map_err(|e| self.unavailable("refused the search", e))?;
            // "No such object" (32) and friends: not an entry of this directory.
            let entry = match found.success() {
                Ok((rows, _)) => rows.into_iter().next().map(SearchEntry::construct),
                Err(_) => None,
            };
            out.push(entry.and_then(|e| entry_of(e, s)));
        }
        let _ = ldap.unbind().await;
        Ok(out)
    }

    /// Whether `password` is the directory password of the user entry with e-mail `email`.
    /// An empty password is refused without asking (LDAP would treat it as an anonymous bind).
    pub async fn check_password(&self, email: &str, password: &str) -> Result<bool, Error> {
        if password.is_empty() {
            return Ok(false);
        }
        let s = &self.settings;
        let filter = format!(
            "(&{}({}={}))",
            s.user_filter,
            s.email_attribute,
            ldap_escape(email)
        );
        let mut ldap = self.service().await?;
        let found = self.entries(&mut ldap, &filter).await;
        let _ = ldap.unbind().await;
        let found = found?;
        let [entry] = found.as_slice() else {
            // No entry (left the directory) or an ambiguous e-mail: refused.
            return Ok(false);
        };
        let mut ldap = self.connect().await?;
        let outcome = ldap
            .with_timeout(TIMEOUT)
            .simple_bind(&entry.dn, password)
            .await
            .map_err(|e| self.unavailable("did not answer the sign-in", e))?;
        let _ = ldap.unbind().await;
        match outcome.rc {
            0 => Ok(true),
            // invalidCredentials
            49 => Ok(false),
            rc => Err(self.unavailable(
                "refused the sign-in",
                format!("result code {rc} {}", outcome.text),
            )),
        }
    }
}

/// A directory entry and, when it was imported, its user.
#[derive(Serialize, ToSchema)]
pub struct Found {
    #[serde(flatten)]
    pub entry: Entry,
    /// The user imported from this entry (same e-mail address), if any.
    pub user_id: Option<String>,
}

/// What administrators do with the tenant's LDAP directory.
impl AsAdmin<'_> {
    /// The directory's settings (never its bind password).
    pub async fn directory_settings(&self) -> Result<Settings, Error> {
        Ok(self.configured_directory().await?.settings)
    }

    /// Checks new settings (a search must succeed with them) and saves them.
    pub async fn set_directory(&self, new: NewSettings) -> Result<Settings, Error> {
        self.require(Permission::ManageUsers)?;
        let secrets = self.services.secrets();
        let current = get(&mut self.read().await?, secrets).await?;
        let directory = check(new, current.as_ref())?;
        directory.search("").await?;
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let settings = save(&mut scoped, secrets, &self.actor(), &directory).await?;
        scoped.commit().await?;
        Ok(settings)
    }

    /// Searches the directory (at most 200 entries, by e-mail address), with the user each
    /// entry was imported as.
    pub async fn search_directory(&self, query: &str) -> Result<Vec<Found>, Error> {
        let directory = self.configured_directory().await?;
        let entries = directory.search(query).await?;
        let mut read = self.read().await?;
        let mut found = Vec::with_capacity(entries.len());
        for entry in entries {
            let user_id = users::find_by_email(&mut read, &entry.email)
                .await?
                .map(|u| u.id);
            found.push(Found { entry, user_id });
        }
        Ok(found)
    }

    /// Imports directory entries (1 to 1000 distinguished names) as users, all or none.
    pub async fn import_from_directory(&self, dns: &[String]) -> Result<Vec<User>, Error> {
        self.require(Permission::ManageUsers)?;
        if dns.is_empty() || dns.len() > 1000 {
            return Err(Error::invalid("dns", "give 1 to 1000 distinguished names"));
        }
        Error::refuse_repeats("dns", dns)?;
        let directory = self.configured_directory().await?;
        let entries = directory.entries_named(dns).await?;
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let mut imported = Vec::with_capacity(entries.len());
        for (i, entry) in entries.into_iter().enumerate() {
            let field = format!("dns[{i}]");
            let Some(entry) = entry else {
                return Err(Error::invalid(
                    field,
                    "not a user entry of the directory (or it has no e-mail address)",
                ));
            };
            let user = users::create_from_directory(
                &mut scoped,
                &self.actor(),
                &entry.email,
                &entry.first_name,
                &entry.last_name,
            )
            .await
            .map_err(|e| match e {
                Error::Invalid { message, .. } => Error::invalid(field.clone(), message),
                Error::Conflict { code, message } => Error::Conflict {
                    code,
                    message: format!("{field}: {message}"),
                },
                other => other,
            })?;
            imported.push(user);
        }
        scoped.commit().await?;
        Ok(imported)
    }

    async fn configured_directory(&self) -> Result<Directory, Error> {
        get(&mut self.read().await?, self.services.secrets())
            .await?
            .ok_or(Error::NotFound("directory"))
    }
}
