//! Tenants: the unit of isolation (SPEC A1). Every row of tenant data carries a tenant id, and
//! the only way to reach that data is a [`crate::store::Scoped`] transaction for one tenant.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::store::{new_id, now_ms, unique_as_conflict, Scoped, Store};

/// A tenant's id. Only this module and authenticated sessions produce one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    pub(crate) fn from_db(id: String) -> TenantId {
        TenantId(id)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Tenant {
    #[schema(value_type = String)]
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl sqlx::Type<sqlx::Any> for TenantId {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
}
impl<'r> sqlx::Decode<'r, sqlx::Any> for TenantId {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(TenantId(<String as sqlx::Decode<sqlx::Any>>::decode(
            value,
        )?))
    }
}

/// Slugs appear in URLs: 2 to 63 characters of lowercase letters, digits and inner hyphens.
pub fn validate_slug(slug: &str) -> Result<(), Error> {
    let ok = (2..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "slug",
            "use 2 to 63 lowercase letters, digits or inner hyphens",
        ))
    }
}

/// Creates a tenant (operator task) and records it in its own change history.
pub async fn create(store: &Store, actor: &Actor, slug: &str, name: &str) -> Result<Tenant, Error> {
    validate_slug(slug)?;
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(Error::invalid("name", "give a name of 1 to 200 characters"));
    }
    let tenant = Tenant {
        id: TenantId(new_id()),
        slug: slug.to_string(),
        name: name.to_string(),
        created_at: now_ms(),
    };
    let mut tx = store.scoped(&tenant.id).await?;
    let inserted =
        sqlx::query("INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(tenant.id.as_str())
            .bind(&tenant.slug)
            .bind(&tenant.name)
            .bind(tenant.created_at)
            .execute(tx.conn())
            .await;
    unique_as_conflict(inserted, "slug_taken", || {
        format!("a tenant with slug {slug:?} already exists")
    })?;
    history::record(
        &mut tx,
        actor,
        Change::created("tenant", tenant.id.as_str(), &tenant),
    )
    .await?;
    tx.commit().await?;
    Ok(tenant)
}

pub async fn find_by_slug(store: &Store, slug: &str) -> Result<Option<Tenant>, Error> {
    Ok(sqlx::query_as::<_, Tenant>(
        "SELECT id, slug, name, created_at FROM tenants WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn list(store: &Store) -> Result<Vec<Tenant>, Error> {
    Ok(
        sqlx::query_as::<_, Tenant>("SELECT id, slug, name, created_at FROM tenants ORDER BY slug")
            .fetch_all(store.pool())
            .await?,
    )
}

/// The tenant a scoped handle is for.
pub async fn current(scoped: &mut Scoped) -> Result<Tenant, Error> {
    let id = scoped.tenant().as_str().to_string();
    sqlx::query_as::<_, Tenant>("SELECT id, slug, name, created_at FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_optional(scoped.conn())
        .await?
        .ok_or(Error::NotFound("tenant"))
}
