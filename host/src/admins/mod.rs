//! Administrators of a tenant (SPEC A2, A3): roles, permissions and the repository.
//!
//! Rules: an *owner* and an *admin* both manage configurations, import/export CSV and delete
//! devices; only an owner adds administrators, changes roles or permissions and deletes
//! administrator accounts; a tenant always keeps at least one owner. The Exchange-connector
//! permissions are granted one by one to admins; owners hold all of them.

pub mod totp;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::passwords;
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::batch::rows_among;
use crate::store::{new_id, now_ms, unique_as_conflict, Scoped};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
        }
    }
    fn parse(s: &str) -> Result<Role, Error> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            other => Err(Error::Internal(format!(
                "unknown role {other:?} in database"
            ))),
        }
    }
}

impl std::str::FromStr for ExchangePermission {
    type Err = String;
    fn from_str(s: &str) -> Result<ExchangePermission, String> {
        ExchangePermission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown Exchange permission {s:?}"))
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            _ => Err("role must be owner or admin".into()),
        }
    }
}

/// Exchange ActiveSync connector permissions, granted separately from the role (SPEC A2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExchangePermission {
    /// Add, edit or remove a connector.
    ModifySite,
    /// Change a connector's policy.
    ModifyConnectorPolicy,
    /// Wipe a device.
    DeleteResource,
    /// Cancel a wipe, allow or block a device.
    ModifyResource,
}

impl ExchangePermission {
    pub const ALL: [ExchangePermission; 4] = [
        ExchangePermission::ModifySite,
        ExchangePermission::ModifyConnectorPolicy,
        ExchangePermission::DeleteResource,
        ExchangePermission::ModifyResource,
    ];
    /// The permission's name in the API (`modify_site`...).
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangePermission::ModifySite => "modify_site",
            ExchangePermission::ModifyConnectorPolicy => "modify_connector_policy",
            ExchangePermission::DeleteResource => "delete_resource",
            ExchangePermission::ModifyResource => "modify_resource",
        }
    }
}

/// What an administrator may attempt; checked with [`Admin::require`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Add, edit and apply configurations.
    ManageConfigurations,
    /// Import and export CSV files.
    ImportExport,
    DeleteDevices,
    /// Add, edit, invite and delete end users.
    ManageUsers,
    /// Upload, activate, roll back and remove plugins; allow their capabilities.
    ManagePlugins,
    /// Add administrators, change roles and permissions, delete administrator accounts.
    ManageAdministrators,
    Exchange(ExchangePermission),
}

/// What an administrator may do, from [`Admin::abilities`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abilities {
    pub manage_users: bool,
    pub manage_configurations: bool,
    pub import_export: bool,
    pub delete_devices: bool,
    pub manage_plugins: bool,
    pub manage_administrators: bool,
    pub exchange: Vec<ExchangePermission>,
}

/// An administrator as the API shows it (no secrets).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Admin {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub exchange_permissions: Vec<ExchangePermission>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

impl Admin {
    pub fn may(&self, permission: Permission) -> bool {
        match (self.role, permission) {
            (Role::Owner, _) => true,
            (Role::Admin, Permission::ManageAdministrators) => false,
            (Role::Admin, Permission::Exchange(p)) => self.exchange_permissions.contains(&p),
            (Role::Admin, _) => true,
        }
    }

    pub fn require(&self, permission: Permission) -> Result<(), Error> {
        if self.may(permission) {
            Ok(())
        } else if permission == Permission::ManageAdministrators {
            Err(Error::Forbidden("only an owner can manage administrators"))
        } else {
            Err(Error::Forbidden("your role does not allow this"))
        }
    }

    /// What this administrator may do, for a front end to offer only that (the services
    /// check every operation again).
    pub fn abilities(&self) -> Abilities {
        Abilities {
            manage_users: self.may(Permission::ManageUsers),
            manage_configurations: self.may(Permission::ManageConfigurations),
            import_export: self.may(Permission::ImportExport),
            delete_devices: self.may(Permission::DeleteDevices),
            manage_plugins: self.may(Permission::ManagePlugins),
            manage_administrators: self.may(Permission::ManageAdministrators),
            exchange: ExchangePermission::ALL
                .into_iter()
                .filter(|p| self.may(Permission::Exchange(*p)))
                .collect(),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::Admin {
            id: self.id.clone(),
            email: self.email.clone(),
        }
    }
}

/// The full row, secrets included; never leaves this module and `sessions`.
#[derive(sqlx::FromRow)]
pub(crate) struct AdminRow {
    pub id: String,
    pub email: String,
    pub role: String,
    pub exchange_permissions: String,
    pub password_hash: String,
    pub totp_secret: String,
    pub totp_last_step: i64,
    /// When the first code confirmed the authenticator app (`None`: not set up yet).
    pub totp_confirmed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, email, role, exchange_permissions, password_hash, totp_secret, \
    totp_last_step, totp_confirmed_at, created_at, updated_at";

impl AdminRow {
    pub fn to_admin(&self) -> Result<Admin, Error> {
        Ok(Admin {
            id: self.id.clone(),
            email: self.email.clone(),
            role: Role::parse(&self.role)?,
            exchange_permissions: parse_permissions(&self.exchange_permissions)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn parse_permissions(stored: &str) -> Result<Vec<ExchangePermission>, Error> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            ExchangePermission::ALL
                .into_iter()
                .find(|p| p.as_str() == s)
                .ok_or_else(|| Error::Internal(format!("unknown permission {s:?} in database")))
        })
        .collect()
}

fn store_permissions(permissions: &[ExchangePermission]) -> String {
    let mut sorted = permissions.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Normalises and checks an e-mail address used as a login name.
pub fn normalize_email(email: &str) -> Result<String, Error> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
               && !domain.ends_with('.') && !domain.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid("email", "give a valid e-mail address"))
    }
}

/// What it takes to create an administrator.
pub struct NewAdmin {
    pub email: String,
    pub role: Role,
    pub password: String,
    pub exchange_permissions: Vec<ExchangePermission>,
}

/// A created administrator and the TOTP enrolment URI to put in an authenticator app (shown
/// once; the seed is stored encrypted).
pub struct Created {
    pub admin: Admin,
    pub totp_uri: String,
}

/// A new administrator, checked and with the password hashed, ready for [`create`] (made
/// before the write transaction, which never waits for argon2).
pub struct Prepared {
    email: String,
    new: NewAdmin,
    password_hash: String,
}

/// Checks a new administrator and hashes the password.
pub async fn prepare(new: NewAdmin) -> Result<Prepared, Error> {
    let email = normalize_email(&new.email)?;
    passwords::check_strength(&new.password, "password")?;
    let password_hash = passwords::hash(new.password.clone()).await?.into_string();
    Ok(Prepared {
        email,
        new,
        password_hash,
    })
}

/// Writes a prepared administrator and the history entry.
pub async fn create(
    scoped: &mut Scoped,
    actor: &Actor,
    secrets: &SecretBox,
    tenant_slug: &str,
    prepared: Prepared,
) -> Result<Created, Error> {
    let Prepared {
        email,
        new,
        password_hash,
    } = prepared;
    let id = new_id();
    let seed = totp::Seed::generate();
    let totp_uri = seed.uri(tenant_slug, &email)?;
    let now = now_ms();
    let tenant = scoped.tenant().as_str().to_string();
    let inserted = sqlx::query(
        "INSERT INTO admins (id, tenant_id, email, role, exchange_permissions, password_hash, \
         totp_secret, totp_last_step, failed_sign_ins, locked_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, $8, $8)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(&email)
    .bind(new.role.as_str())
    .bind(store_permissions(&new.exchange_permissions))
    .bind(password_hash)
    .bind(seed.seal(secrets, &id))
    .bind(now)
    .execute(scoped.conn())
    .await;
    unique_as_conflict(inserted, "email_taken", || {
        format!("an administrator with e-mail {email} already exists")
    })?;
    let admin = get(scoped, &id).await?;
    history::record(scoped, actor, Change::created("admin", &id, &admin)).await?;
    Ok(Created { admin, totp_uri })
}

pub async fn list(scoped: &mut Scoped) -> Result<Vec<Admin>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let rows = sqlx::query_as::<_, AdminRow>(&format!(
        "SELECT {COLUMNS} FROM admins WHERE tenant_id = $1 ORDER BY email"
    ))
    .bind(tenant)
    .fetch_all(scoped.conn())
    .await?;
    rows.iter().map(AdminRow::to_admin).collect()
}

pub async fn get(scoped: &mut Scoped, id: &str) -> Result<Admin, Error> {
    find_row(scoped, "id", id)
        .await?
        .ok_or(Error::NotFound("administrator"))?
        .to_admin()
}

/// Which of `emails` (normalised) belong to administrators of the tenant.
pub(crate) async fn emails_among(
    scoped: &mut Scoped,
    emails: &[String],
) -> Result<std::collections::HashSet<String>, Error> {
    let found: Vec<(String,)> =
        rows_among(scoped, "SELECT email FROM admins", "email", emails).await?;
    Ok(found.into_iter().map(|(email,)| email).collect())
}

/// The full row by e-mail (already normalised) or id, for sign-in.
pub(crate) async fn find_row(
    scoped: &mut Scoped,
    by: &'static str,
    value: &str,
) -> Result<Option<AdminRow>, Error> {
    let column = match by {
        "id" => "id",
        _ => "email",
    };
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as::<_, AdminRow>(&format!(
        "SELECT {COLUMNS} FROM admins WHERE tenant_id = $1 AND {column} = $2"
    ))
    .bind(tenant)
    .bind(value)
    .fetch_optional(scoped.conn())
    .await?)
}

/// Changes to an administrator; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AdminUpdate {
    pub role: Option<Role>,
    pub exchange_permissions: Option<Vec<ExchangePermission>>,
}

pub async fn update(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    changes: AdminUpdate,
) -> Result<Admin, Error> {
    scoped.lock_tenant().await?;
    let before = get(scoped, id).await?;
    let role = changes.role.unwrap_or(before.role);
    if before.role == Role::Owner && role != Role::Owner && count_owners(scoped).await? <= 1 {
        return Err(Error::Conflict {
            code: "last_owner",
            message: "the tenant must keep at least one owner".into(),
        });
    }
    let permissions = changes
        .exchange_permissions
        .unwrap_or_else(|| before.exchange_permissions.clone());
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE admins SET role = $1, exchange_permissions = $2, updated_at = $3 \
         WHERE tenant_id = $4 AND id = $5",
    )
    .bind(role.as_str())
    .bind(store_permissions(&permissions))
    .bind(now_ms())
    .bind(tenant)
    .bind(id)
    .execute(scoped.conn())
    .await?;
    let after = get(scoped, id).await?;
    history::record(
        scoped,
        actor,
        Change::new("admin", id, "updated", Some(&before), Some(&after)),
    )
    .await?;
    Ok(after)
}

pub async fn delete(scoped: &mut Scoped, actor: &Actor, id: &str) -> Result<(), Error> {
    scoped.lock_tenant().await?;
    let before = get(scoped, id).await?;
    if before.role == Role::Owner && count_owners(scoped).await? <= 1 {
        return Err(Error::Conflict {
            code: "last_owner",
            message: "the tenant must keep at least one owner".into(),
        });
    }
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query("DELETE FROM admin_sessions WHERE tenant_id = $1 AND admin_id = $2")
        .bind(&tenant)
        .bind(id)
        .execute(scoped.conn())
        .await?;
    sqlx::query("DELETE FROM admins WHERE tenant_id = $1 AND id = $2")
        .bind(&tenant)
        .bind(id)
        .execute(scoped.conn())
        .await?;
    history::record(scoped, actor, Change::deleted("admin", id, &before)).await?;
    Ok(())
}

async fn count_owners(scoped: &mut Scoped) -> Result<i64, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM admins WHERE tenant_id = $1 AND role = 'owner'")
            .bind(tenant)
            .fetch_one(scoped.conn())
            .await?,
    )
}

/// What administrators do with administrators (the API and the console call these). Every
/// administrator may read them; only owners create, change and delete.
impl AsAdmin<'_> {
    pub async fn list_admins(&self) -> Result<Vec<Admin>, Error> {
        list(&mut self.read().await?).await
    }

    pub async fn get_admin(&self, id: &str) -> Result<Admin, Error> {
        get(&mut self.read().await?, id).await
    }

    pub async fn create_admin(&self, new: NewAdmin) -> Result<Created, Error> {
        self.require(Permission::ManageAdministrators)?;
        let prepared = prepare(new).await?;
        let mut scoped = self.write(Permission::ManageAdministrators).await?;
        let created = create(
            &mut scoped,
            &self.actor(),
            self.services.secrets(),
            &self.me.tenant_slug,
            prepared,
        )
        .await?;
        scoped.commit().await?;
        Ok(created)
    }

    /// Changes an administrator's role or Exchange permissions. A tenant keeps at least one
    /// owner.
    pub async fn update_admin(&self, id: &str, changes: AdminUpdate) -> Result<Admin, Error> {
        let mut scoped = self.write(Permission::ManageAdministrators).await?;
        let admin = update(&mut scoped, &self.actor(), id, changes).await?;
        scoped.commit().await?;
        Ok(admin)
    }

    /// Deletes an administrator account and its sessions.
    pub async fn delete_admin(&self, id: &str) -> Result<(), Error> {
        let mut scoped = self.write(Permission::ManageAdministrators).await?;
        delete(&mut scoped, &self.actor(), id).await?;
        scoped.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(role: Role, perms: &[ExchangePermission]) -> Admin {
        Admin {
            id: "a".into(),
            email: "a@example.com".into(),
            role,
            exchange_permissions: perms.to_vec(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn role_matrix_follows_spec_a2() {
        let owner = admin(Role::Owner, &[]);
        let plain = admin(Role::Admin, &[ExchangePermission::DeleteResource]);
        for p in [
            Permission::ManageConfigurations,
            Permission::ImportExport,
            Permission::DeleteDevices,
            Permission::ManageUsers,
            Permission::ManagePlugins,
        ] {
            assert!(owner.may(p) && plain.may(p), "{p:?}");
        }
        assert!(owner.may(Permission::ManageAdministrators));
        assert!(!plain.may(Permission::ManageAdministrators));
        assert!(plain.may(Permission::Exchange(ExchangePermission::DeleteResource)));
        assert!(!plain.may(Permission::Exchange(ExchangePermission::ModifySite)));
        assert!(owner.may(Permission::Exchange(ExchangePermission::ModifySite)));
    }

    #[test]
    fn permissions_round_trip_through_storage() {
        let stored = store_permissions(&[
            ExchangePermission::ModifyResource,
            ExchangePermission::ModifySite,
            ExchangePermission::ModifySite,
        ]);
        assert_eq!(stored, "modify_site,modify_resource");
        assert_eq!(
            parse_permissions(&stored).unwrap(),
            vec![
                ExchangePermission::ModifySite,
                ExchangePermission::ModifyResource
            ]
        );
        assert!(parse_permissions("").unwrap().is_empty());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.org",
            "a b@x.org",
            "ann@localhost",
            "a@b@c.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }
}
