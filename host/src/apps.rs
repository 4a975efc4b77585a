//! The tenant's app catalogue (SPEC C2, E7): public store apps and business apps by store id,
//! in-house apps by uploaded file, each with its install settings and whether it may be
//! distributed to unmanaged devices; and which apps a user sees.
//!
//! Rules:
//! - An app may be allowed on unmanaged devices only while the tenant's unmanaged-devices
//!   feature is on (see `unmanaged`); new apps take the feature's catalogue default.
//! - Unmanaged-device users see only the apps allowed for unmanaged devices, and never an
//!   app configuration ([`for_user`] is the one place that decides).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::services::AsAdmin;
use crate::store::{new_id, now_ms, Scoped};
use crate::unmanaged::{self, State};
use crate::users::User;

/// Largest in-house app file accepted.
pub const MAX_FILE_BYTES: usize = 200 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A public store app (Google Play, App Store), by store id.
    Store,
    /// An uploaded in-house app (APK or IPA).
    InHouse,
    /// A store's private or volume-purchased app, by store id.
    Business,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::Store => "store",
            Kind::InHouse => "in_house",
            Kind::Business => "business",
        }
    }
    fn from_code(code: &str) -> Kind {
        match code {
            "in_house" => Kind::InHouse,
            "business" => Kind::Business,
            _ => Kind::Store,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppPlatform {
    Android,
    Ios,
}

impl AppPlatform {
    fn code(self) -> &'static str {
        match self {
            AppPlatform::Android => "android",
            AppPlatform::Ios => "ios",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct App {
    pub id: String,
    pub kind: Kind,
    pub platform: AppPlatform,
    pub name: String,
    /// Package name (Android) or App Store id (iOS), for store and business apps.
    pub store_id: Option<String>,
    /// The store page, for store and business apps.
    pub store_url: Option<String>,
    /// In-house apps: the uploaded file.
    pub file_name: Option<String>,
    pub file_sha256: Option<String>,
    pub file_size: Option<i64>,
    /// Install on managed devices when assigned.
    pub install_on_device: bool,
    /// Install without asking the user (managed devices).
    pub silent_install: bool,
    /// "Allow distribution of this app to unmanaged devices".
    pub allow_unmanaged: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    platform: String,
    name: String,
    store_id: Option<String>,
    file_name: Option<String>,
    file_sha256: Option<String>,
    file_size: Option<i64>,
    install_on_device: i64,
    silent_install: i64,
    allow_unmanaged: i64,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str = "id, kind, platform, name, store_id, file_name, file_sha256, file_size, \
    install_on_device, silent_install, allow_unmanaged, created_at, updated_at";

fn store_url(platform: AppPlatform, store_id: &str) -> String {
    match platform {
        AppPlatform::Android => format!("https://play.google.com/store/apps/details?id={store_id}"),
        AppPlatform::Ios => format!("https://apps.apple.com/app/id{store_id}"),
    }
}

impl From<Row> for App {
    fn from(r: Row) -> App {
        let platform = if r.platform == "ios" {
            AppPlatform::Ios
        } else {
            AppPlatform::Android
        };
        App {
            store_url: r.store_id.as_deref().map(|id| store_url(platform, id)),
            id: r.id,
            kind: Kind::from_code(&r.kind),
            platform,
            name: r.name,
            store_id: r.store_id,
            file_name: r.file_name,
            file_sha256: r.file_sha256,
            file_size: r.file_size,
            install_on_device: r.install_on_device != 0,
            silent_install: r.silent_install != 0,
            allow_unmanaged: r.allow_unmanaged != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A store or business app to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    /// `store` or `business` (in-house apps are uploaded).
    pub kind: Kind,
    pub platform: AppPlatform,
    pub name: String,
    /// Package name (Android, e.g. `com.example.app`) or numeric App Store id (iOS).
    pub store_id: String,
    /// Default true.
    pub install_on_device: Option<bool>,
    /// Default false.
    pub silent_install: Option<bool>,
    /// Default: the unmanaged catalogue default (false unless an administrator changed it).
    pub allow_unmanaged: Option<bool>,
}

/// Install settings; left out, a setting keeps its value (or its default for a new app:
/// install on device, not silent, the unmanaged catalogue default).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// 1 to 200 characters.
    #[schema(nullable = false, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(nullable = false)]
    pub install_on_device: Option<bool>,
    #[schema(nullable = false)]
    pub silent_install: Option<bool>,
    #[schema(nullable = false)]
    pub allow_unmanaged: Option<bool>,
}

fn check_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "give 1 to 200 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "give one line of text, without control characters",
        ));
    }
    Ok(name.to_string())
}

fn check_store_id(platform: AppPlatform, id: &str) -> Result<String, Error> {
    let id = id.trim();
    let valid = match platform {
        // A Java package name: dot-separated segments of letters, digits, underscores.
        AppPlatform::Android => {
            id.len() <= 255
                && id.contains('.')
                && id.split('.').all(|s| {
                    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
        }
        AppPlatform::Ios => {
            !id.is_empty() && id.len() <= 20 && id.chars().all(|c| c.is_ascii_digit())
        }
    };
    if !valid {
        return Err(Error::invalid(
            "store_id",
            match platform {
                AppPlatform::Android => "give the app's package name, e.g. com.example.app",
                AppPlatform::Ios => "give the app's numeric App Store id, e.g. 284882215",
            },
        ));
    }
    Ok(id.to_string())
}

/// Whether a new app is allowed on unmanaged devices, checking the feature when asked for.
async fn allow_for_new(scoped: &mut Scoped, asked: Option<bool>) -> Result<bool, Error> {
    match asked {
        Some(true) => {
            unmanaged::require_on(scoped).await?;
            Ok(true)
        }
        Some(false) => Ok(false),
        None => {
            let feature = unmanaged::get(scoped).await?;
            Ok(feature.state == State::On && feature.default_allow_new_apps)
        }
    }
}

/// Adds a store or business app.
pub async fn create(scoped: &mut Scoped, actor: &Actor, new: NewApp) -> Result<App, Error> {
    if new.kind == Kind::InHouse {
        return Err(Error::invalid(
            "kind",
            "upload in-house apps with POST /api/v1/apps/in-house",
        ));
    }
    let name = check_name(&new.name)?;
    let store_id = check_store_id(new.platform, &new.store_id)?;
    refuse_listed(scoped, new.platform, &store_id).await?;
    let allow = allow_for_new(scoped, new.allow_unmanaged).await?;
    let settings = AppSettings {
        name: None,
        install_on_device: new.install_on_device,
        silent_install: new.silent_install,
        allow_unmanaged: new.allow_unmanaged,
    };
    insert(
        scoped,
        actor,
        new.kind,
        new.platform,
        &name,
        Some(&store_id),
        None,
        &settings,
        allow,
    )
    .await
}

/// One catalogue entry per store id and platform: a second one (of either kind) is a 409 that
/// names the first. Writers of the tenant are serialised first, so two requests adding the same
/// app cannot both pass the check.
async fn refuse_listed(
    scoped: &mut Scoped,
    platform: AppPlatform,
    store_id: &str,
) -> Result<(), Error> {
    scoped.lock_tenant().await?;
    let tenant = scoped.tenant().as_str().to_string();
    let listed: Option<(String, String)> = sqlx::query_as(
        "SELECT id, name FROM apps WHERE tenant_id = $1 AND platform = $2 AND store_id = $3",
    )
    .bind(tenant)
    .bind(platform.code())
    .bind(store_id)
    .fetch_optional(scoped.conn())
    .await?;
    match listed {
        None => Ok(()),
        Some((id, name)) => Err(Error::Conflict {
            code: "app_listed",
            message: format!(
                "{store_id} is already in the catalogue for {} as {name:?} (app {id})",
                platform.code()
            ),
        }),
    }
}

/// Adds an in-house app from its uploaded file.
pub async fn upload(
    scoped: &mut Scoped,
    actor: &Actor,
    platform: AppPlatform,
    file_name: &str,
    content: &[u8],
    settings: &AppSettings,
) -> Result<App, Error> {
    let file_name = file_name.trim();
    let extension = match platform {
        AppPlatform::Android => ".apk",
        AppPlatform::Ios => ".ipa",
    };
    if file_name.is_empty()
        || file_name.len() > 200
        || file_name.contains(['/', '\\'])
        || !file_name.to_lowercase().ends_with(extension)
    {
        return Err(Error::invalid(
            "file_name",
            format!("give the file's name, ending in {extension}"),
        ));
    }
    // APK and IPA files are ZIP archives.
    if !content.starts_with(b"PK\x03\x04") {
        return Err(Error::invalid(
            "file",
            format!("not an {} file (not a ZIP archive)", &extension[1..]),
        ));
    }
    let name = check_name(settings.name.as_deref().unwrap_or(file_name))?;
    let allow = allow_for_new(scoped, settings.allow_unmanaged).await?;
    insert(
        scoped,
        actor,
        Kind::InHouse,
        platform,
        &name,
        None,
        Some((file_name, content)),
        settings,
        allow,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    scoped: &mut Scoped,
    actor: &Actor,
    kind: Kind,
    platform: AppPlatform,
    name: &str,
    store_id: Option<&str>,
    file: Option<(&str, &[u8])>,
    settings: &AppSettings,
    allow_unmanaged: bool,
) -> Result<App, Error> {
    let id = new_id();
    let now = now_ms();
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "INSERT INTO apps (id, tenant_id, kind, platform, name, store_id, file_name, \
         file_sha256, file_size, file_content, install_on_device, silent_install, \
         allow_unmanaged, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(kind.code())
    .bind(platform.code())
    .bind(name)
    .bind(store_id)
    .bind(file.map(|(n, _)| n))
    .bind(file.map(|(_, c)| hex::encode(Sha256::digest(c))))
    .bind(file.map(|(_, c)| c.len() as i64))
    .bind(file.map(|(_, c)| c.to_vec()))
    .bind(i64::from(settings.install_on_device.unwrap_or(true)))
    .bind(i64::from(settings.silent_install.unwrap_or(false)))
    .bind(i64::from(allow_unmanaged))
    .bind(now)
    .execute(scoped.conn())
    .await?;
    let app = get(scoped, &id).await?;
    history::record(scoped, actor, Change::created("app", &id, &app)).await?;
    Ok(app)
}

pub async fn get(scoped: &mut Scoped, id: &str) -> Result<App, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM apps WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?
    .map(App::from)
    .ok_or(Error::NotFound("app"))
}

/// Every app of the tenant, by name.
pub async fn list(scoped: &mut Scoped) -> Result<Vec<App>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM apps WHERE tenant_id = $1 ORDER BY name, id"
    ))
    .bind(tenant)
    .fetch_all(scoped.conn())
    .await?
    .into_iter()
    .map(App::from)
    .collect())
}

/// Changes an app's name or install settings.
pub async fn update(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    change: &AppSettings,
) -> Result<App, Error> {
    let before = get(scoped, id).await?;
    let name = match &change.name {
        Some(n) => check_name(n)?,
        None => before.name.clone(),
    };
    if change.allow_unmanaged == Some(true) && !before.allow_unmanaged {
        unmanaged::require_on(scoped).await?;
    }
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE apps SET name = $1, install_on_device = $2, silent_install = $3, \
         allow_unmanaged = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7",
    )
    .bind(name)
    .bind(i64::from(
        change.install_on_device.unwrap_or(before.install_on_device),
    ))
    .bind(i64::from(
        change.silent_install.unwrap_or(before.silent_install),
    ))
    .bind(i64::from(
        change.allow_unmanaged.unwrap_or(before.allow_unmanaged),
    ))
    .bind(now_ms())
    .bind(tenant)
    .bind(id)
    .execute(scoped.conn())
    .await?;
    let after = get(scoped, id).await?;
    history::record(
        scoped,
        actor,
        Change::new("app", id, "updated", Some(&before), Some(&after)),
    )
    .await?;
    Ok(after)
}

/// Resets an app's unmanaged flag (deactivation of unmanaged devices).
pub(crate) async fn reset_unmanaged(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    now: i64,
) -> Result<(), Error> {
    let before = get(scoped, id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE apps SET allow_unmanaged = 0, updated_at = $1 WHERE tenant_id = $2 AND id = $3",
    )
    .bind(now)
    .bind(tenant)
    .bind(id)
    .execute(scoped.conn())
    .await?;
    let after = get(scoped, id).await?;
    history::record(
        scoped,
        actor,
        Change::new("app", id, "unmanaged_reset", Some(&before), Some(&after)),
    )
    .await
}

pub async fn delete(scoped: &mut Scoped, actor: &Actor, id: &str) -> Result<(), Error> {
    let before = get(scoped, id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query("DELETE FROM apps WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(scoped.conn())
        .await?;
    history::record(
        scoped,
        actor,
        Change::new::<_, ()>("app", id, "deleted", Some(&before), None),
    )
    .await
}

/// An in-house app's file: its name and content.
pub async fn file(scoped: &mut Scoped, id: &str) -> Result<(String, Vec<u8>), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let row: Option<(Option<String>, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT file_name, file_content FROM apps WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .fetch_optional(scoped.conn())
            .await?;
    match row {
        Some((Some(name), Some(content))) => Ok((name, content)),
        _ => Err(Error::NotFound("app file")),
    }
}

/// An app as a user gets it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserApp {
    pub app: App,
    /// The managed app configuration; never for unmanaged-device users (the catalogue holds
    /// none yet, so always `None` for now).
    pub configuration: Option<serde_json::Value>,
}

/// The apps `user` may get: all of them for MDM users, only those allowed on unmanaged
/// devices for unmanaged-device users, who never get a configuration.
pub async fn for_user(scoped: &mut Scoped, user: &User) -> Result<Vec<UserApp>, Error> {
    Ok(list(scoped)
        .await?
        .into_iter()
        .filter(|app| !user.unmanaged || app.allow_unmanaged)
        .map(|app| UserApp {
            app,
            configuration: None,
        })
        .collect())
}

/// What administrators do with the app catalogue.
impl AsAdmin<'_> {
    pub async fn list_apps(&self) -> Result<Vec<App>, Error> {
        list(&mut self.read().await?).await
    }

    pub async fn get_app(&self, id: &str) -> Result<App, Error> {
        get(&mut self.read().await?, id).await
    }

    /// An in-house app's file name and content.
    pub async fn app_file(&self, id: &str) -> Result<(String, Vec<u8>), Error> {
        file(&mut self.read().await?, id).await
    }

    /// Adds a store or business app by its store id.
    pub async fn add_app(&self, new: NewApp) -> Result<App, Error> {
        let mut scoped = self.write(Permission::ManageConfigurations).await?;
        let app = create(&mut scoped, &self.actor(), new).await?;
        scoped.commit().await?;
        Ok(app)
    }

    /// Adds an in-house app from its uploaded file.
    pub async fn upload_app(
        &self,
        platform: AppPlatform,
        file_name: &str,
        content: &[u8],
        settings: &AppSettings,
    ) -> Result<App, Error> {
        let mut scoped = self.write(Permission::ManageConfigurations).await?;
        let app = upload(
            &mut scoped,
            &self.actor(),
            platform,
            file_name,
            content,
            settings,
        )
        .await?;
        scoped.commit().await?;
        Ok(app)
    }

    pub async fn update_app(&self, id: &str, settings: &AppSettings) -> Result<App, Error> {
        let mut scoped = self.write(Permission::ManageConfigurations).await?;
        let app = update(&mut scoped, &self.actor(), id, settings).await?;
        scoped.commit().await?;
        Ok(app)
    }

    pub async fn delete_app(&self, id: &str) -> Result<(), Error> {
        let mut scoped = self.write(Permission::ManageConfigurations).await?;
        delete(&mut scoped, &self.actor(), id).await?;
        scoped.commit().await
    }
}
