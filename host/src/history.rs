//! Change history (SPEC A4): one append-only table that every state change writes to, in the
//! same transaction as the change itself: who (actor), what (object type + id, action),
//! before/after as JSON, and when. The database refuses UPDATE and DELETE on it (triggers).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Error;
use crate::services::AsAdmin;
use crate::store::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{new_id, now_ms, Scoped};

/// Who made a change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// An administrator acting through the API.
    Admin { id: String, email: String },
    /// An end user acting on their own account through the portal.
    User { id: String, email: String },
    /// An operator using the `corral` command line on the server.
    Operator,
    /// The server itself (scheduled work).
    System,
}

impl Actor {
    /// How the history names the actor (an e-mail address, "system"...).
    pub fn label(&self) -> String {
        self.columns().2
    }

    fn columns(&self) -> (&'static str, Option<&str>, String) {
        match self {
            Actor::Admin { id, email } => ("admin", Some(id.as_str()), email.clone()),
            Actor::User { id, email } => ("user", Some(id.as_str()), email.clone()),
            Actor::Operator => ("operator", None, "operator (command line)".into()),
            Actor::System => ("system", None, "system".into()),
        }
    }
}

/// One change about to be recorded.
pub struct Change {
    object_type: &'static str,
    object_id: String,
    /// What was done (`created`, ...; a plugin's own action's name for its objects).
    action: Cow<'static, str>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl Change {
    pub fn new<B: Serialize, A: Serialize>(
        object_type: &'static str,
        object_id: &str,
        action: impl Into<Cow<'static, str>>,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Change {
        Change {
            object_type,
            object_id: object_id.to_string(),
            action: action.into(),
            before: before.map(to_json),
            after: after.map(to_json),
        }
    }

    pub fn created<T: Serialize>(object_type: &'static str, id: &str, after: &T) -> Change {
        Change::new::<T, T>(object_type, id, "created", None, Some(after))
    }

    pub fn deleted<T: Serialize>(object_type: &'static str, id: &str, before: &T) -> Change {
        Change::new::<T, T>(object_type, id, "deleted", Some(before), None)
    }
}

fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    // Serializing our own plain structs cannot fail; keep the record rather than lose it.
    serde_json::to_value(value)
        .unwrap_or_else(|e| serde_json::json!({ "unserializable": e.to_string() }))
}

/// Records `change` in the tenant's history, inside the caller's transaction.
pub async fn record(scoped: &mut Scoped, actor: &Actor, change: Change) -> Result<(), Error> {
    record_all(scoped, actor, vec![change]).await
}

/// Records several changes by one actor, a few hundred per statement, in order (batched and
/// bulk writes).
pub async fn record_all(
    scoped: &mut Scoped,
    actor: &Actor,
    changes: Vec<Change>,
) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let (actor_type, actor_id, actor_label) = actor.columns();
    let at = now_ms();
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        let chunk: Vec<Change> = changes.by_ref().take(ROWS_PER_STATEMENT).collect();
        let sql = format!(
            "INSERT INTO history (id, tenant_id, actor_type, actor_id, actor_label, \
             object_type, object_id, action, before_json, after_json, at) VALUES {}",
            Placeholders::new(scoped).rows(chunk.len(), 11)
        );
        let mut query = sqlx::query(&sql);
        for change in chunk {
            query = query
                .bind(new_id())
                .bind(tenant.clone())
                .bind(actor_type)
                .bind(actor_id.map(str::to_string))
                .bind(actor_label.clone())
                .bind(change.object_type)
                .bind(change.object_id)
                .bind(change.action.into_owned())
                .bind(change.before.map(|v| v.to_string()))
                .bind(change.after.map(|v| v.to_string()))
                .bind(at);
        }
        query.execute(scoped.conn()).await?;
    }
    Ok(())
}

/// A recorded change, as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HistoryEntry)]
pub struct Entry {
    pub id: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// Unix milliseconds.
    pub at: i64,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    actor_type: String,
    actor_id: Option<String>,
    actor_label: String,
    object_type: String,
    object_id: String,
    action: String,
    before_json: Option<String>,
    after_json: Option<String>,
    at: i64,
}

/// Which history to read: one object (type + id), optionally one type only, newest first.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Query {
    /// Object type, e.g. `admin`, `tenant`.
    pub object_type: String,
    /// Object id; omit to read the history of every object of that type.
    pub object_id: Option<String>,
    /// At most this many entries (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub async fn query(scoped: &mut Scoped, q: &Query) -> Result<Vec<Entry>, Error> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    let tenant = scoped.tenant().as_str().to_string();
    let rows = sqlx::query_as::<_, EntryRow>(
        "SELECT id, actor_type, actor_id, actor_label, object_type, object_id, action, \
         before_json, after_json, at FROM history \
         WHERE tenant_id = $1 AND object_type = $2 AND ($3 IS NULL OR object_id = $3) \
         ORDER BY at DESC, id DESC LIMIT $4",
    )
    .bind(tenant)
    .bind(&q.object_type)
    .bind(q.object_id.as_deref())
    .bind(limit)
    .fetch_all(scoped.conn())
    .await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

/// A search of the tenant's history (the console's history page): every filter optional.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// The actor's e-mail (or label) starts with this (case-insensitive).
    pub actor: Option<String>,
    /// From this time on (unix milliseconds, inclusive).
    pub from: Option<i64>,
    /// Before this time (unix milliseconds, exclusive).
    pub until: Option<i64>,
    pub offset: i64,
    /// 1 to 500.
    pub limit: i64,
}

/// A page of a search, newest first, and how many entries match in all.
#[derive(Debug, Clone)]
pub struct Found {
    pub entries: Vec<Entry>,
    pub total: i64,
}

pub async fn search(scoped: &mut Scoped, q: &Search) -> Result<Found, Error> {
    if !(1..=500).contains(&q.limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    if q.offset < 0 {
        return Err(Error::invalid("offset", "must be 0 or more"));
    }
    if let (Some(from), Some(until)) = (q.from, q.until) {
        if until <= from {
            return Err(Error::invalid("until", "must be after the start"));
        }
    }
    let tenant = scoped.tenant().as_str().to_string();
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let actor = text(&q.actor).map(|a| crate::store::starts_with_pattern(&a));
    let filter = "tenant_id = $1 AND ($2 IS NULL OR object_type = $2) \
        AND ($3 IS NULL OR object_id = $3) \
        AND ($4 IS NULL OR LOWER(actor_label) LIKE $4 ESCAPE '\\') \
        AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM history WHERE {filter}"))
        .bind(&tenant)
        .bind(text(&q.object_type))
        .bind(text(&q.object_id))
        .bind(&actor)
        .bind(q.from)
        .bind(q.until)
        .fetch_one(scoped.conn())
        .await?;
    let rows = sqlx::query_as::<_, EntryRow>(&format!(
        "SELECT id, actor_type, actor_id, actor_label, object_type, object_id, action, \
         before_json, after_json, at FROM history WHERE {filter} \
         ORDER BY at DESC, id DESC LIMIT $7 OFFSET $8"
    ))
    .bind(&tenant)
    .bind(text(&q.object_type))
    .bind(text(&q.object_id))
    .bind(&actor)
    .bind(q.from)
    .bind(q.until)
    .bind(q.limit)
    .bind(q.offset)
    .fetch_all(scoped.conn())
    .await?;
    Ok(Found {
        entries: rows.into_iter().map(Entry::from).collect(),
        total,
    })
}

impl From<EntryRow> for Entry {
    fn from(r: EntryRow) -> Entry {
        Entry {
            id: r.id,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            object_type: r.object_type,
            object_id: r.object_id,
            action: r.action,
            before: r.before_json.and_then(|s| serde_json::from_str(&s).ok()),
            after: r.after_json.and_then(|s| serde_json::from_str(&s).ok()),
            at: r.at,
        }
    }
}

impl AsAdmin<'_> {
    /// A page of the tenant's history matching a search, newest first.
    pub async fn search_history(&self, q: &Search) -> Result<Found, Error> {
        search(&mut self.read().await?, q).await
    }

    /// The change history of one object or of every object of a type, newest first. An
    /// object id with no history in the tenant is not found, like any object it cannot see.
    pub async fn history(&self, q: &Query) -> Result<Vec<Entry>, Error> {
        let entries = query(&mut self.read().await?, q).await?;
        if q.object_id.is_some() && entries.is_empty() {
            return Err(Error::NotFound("object history"));
        }
        Ok(entries)
    }
}
