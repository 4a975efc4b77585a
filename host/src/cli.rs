//! The `corral` command line: parse, open the store, call the library. Operator tasks (create a
//! tenant, create its first owner, migrate) live here; everything else is the HTTP API.

use std::io::Read;

use clap::{Parser, Subcommand};

use crate::admins::{self, ExchangePermission, NewAdmin, Role};
use crate::config::{ServeArgs, StorageArgs};
use crate::error::Error;
use crate::history::Actor;
use crate::plugins::{self, Plugins};
use crate::secrets::SecretBox;
use crate::store::Store;
use crate::{server, tenants};

#[derive(Debug, Parser)]
#[command(
    name = "corral",
    version,
    about = "Corral: multi-tenant device enrollment and policy server"
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage administrators.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a plugin component for a tenant: the same validation and storage as an upload
    /// through the API (this is how built-in vendor plugins are installed).
    Install {
        /// Slug of the tenant.
        #[arg(long)]
        tenant: String,
        /// The component (.wasm).
        file: std::path::PathBuf,
        /// Activate the installed version.
        #[arg(long)]
        activate: bool,
        /// Capability the tenant allows the plugin (repeatable): logging, kv, http,
        /// directory, clock, vendor, inventory.
        #[arg(long)]
        allow: Vec<String>,
        #[command(flatten)]
        plugins: crate::config::PluginArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Short name used in URLs: lowercase letters, digits and hyphens.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// List tenants.
    List,
    /// Rotate the tenant's enrolment key: every registration URL handed out before stops
    /// working; the admin API (`GET /api/v1/registration`) gives the new one.
    RotateEnrolmentKey {
        /// Slug of the tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Install your own Apple PKI for a tenant instead of the generated one: the CA that
    /// issues device identities and the profile-signing certificate it issued (PEM files;
    /// keys unencrypted PEM, stored sealed). Devices enrolled under the previous CA must
    /// enrol again.
    InstallApplePki {
        /// Slug of the tenant.
        #[arg(long)]
        tenant: String,
        #[arg(long, value_name = "PEM")]
        ca_cert: std::path::PathBuf,
        #[arg(long, value_name = "PEM")]
        ca_key: std::path::PathBuf,
        #[arg(long, value_name = "PEM")]
        signing_cert: std::path::PathBuf,
        #[arg(long, value_name = "PEM")]
        signing_key: std::path::PathBuf,
    },
    /// Install a tenant's APNs push certificate and its key (unencrypted PEM; the key is
    /// stored sealed): the same checks as an upload through the API.
    InstallPushCertificate {
        /// Slug of the tenant.
        #[arg(long)]
        tenant: String,
        #[arg(long, value_name = "PEM")]
        certificate: std::path::PathBuf,
        #[arg(long, value_name = "PEM")]
        key: std::path::PathBuf,
        /// Replace it even though enrolled devices listen on another topic (they get no push
        /// until they enrol again).
        #[arg(long)]
        confirm_topic_change: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator. The password is read from standard input (first line); the
    /// TOTP enrolment URI (otpauth://...) is printed on standard output.
    Create {
        /// Slug of the tenant.
        #[arg(long)]
        tenant: String,
        /// E-mail address, the administrator's login name.
        #[arg(long)]
        email: String,
        /// owner or admin.
        #[arg(long, default_value = "owner")]
        role: Role,
        /// Exchange permission to grant (repeatable): modify-site, modify-connector-policy,
        /// delete-resource, modify-resource.
        #[arg(long = "exchange-permission", value_parser = parse_permission)]
        exchange_permissions: Vec<ExchangePermission>,
    },
}

fn parse_permission(s: &str) -> Result<ExchangePermission, String> {
    serde_json::from_value(serde_json::Value::String(s.replace('-', "_"))).map_err(|_| {
        "use modify-site, modify-connector-policy, delete-resource or modify-resource".into()
    })
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let (store, secrets) = open(&cli.storage).await?;
    match cli.command {
        Command::Serve(args) => {
            let plugins = Plugins::new(
                store.clone(),
                &secrets,
                &cli.storage.data_dir,
                &args.plugins.settings(),
            )?;
            server::serve(store, secrets, plugins, *args).await
        }
        Command::Plugin(PluginCommand::Install {
            tenant,
            file,
            activate,
            allow,
            plugins: plugin_args,
        }) => {
            let tenant = tenants::find_by_slug(&store, &tenant)
                .await?
                .ok_or(Error::NotFound("tenant"))?;
            let bytes = std::fs::read(&file).map_err(|e| {
                Error::invalid("file", format!("cannot read {}: {e}", file.display()))
            })?;
            let plugins = Plugins::new(
                store.clone(),
                &secrets,
                &cli.storage.data_dir,
                &plugin_args.settings(),
            )?;
            let actor = Actor::Operator;
            let (summary, seq) =
                plugins::registry::upload(&plugins, &store, &tenant.id, &actor, "operator", &bytes)
                    .await?;
            if !allow.is_empty() {
                plugins::registry::set_grants(&store, &tenant.id, &actor, &summary.id, &allow, &[])
                    .await?;
            }
            if activate {
                plugins::registry::activate(&plugins, &store, &tenant.id, &actor, &summary.id, seq)
                    .await?;
            }
            println!("{}", summary.id);
            eprintln!(
                "installed plugin {} version {seq}{}",
                summary.name,
                if activate { " (active)" } else { "" }
            );
            Ok(())
        }
        Command::Migrate => {
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Tenant(TenantCommand::Create { slug, name }) => {
            let tenant = tenants::create(&store, &Actor::Operator, &slug, &name).await?;
            println!("{}", tenant.id.as_str());
            eprintln!("created tenant {} ({})", tenant.slug, tenant.name);
            Ok(())
        }
        Command::Tenant(TenantCommand::RotateEnrolmentKey { tenant }) => {
            let tenant = tenants::find_by_slug(&store, &tenant)
                .await?
                .ok_or(Error::NotFound("tenant"))?;
            let mut scoped = store.scoped(&tenant.id).await?;
            let version =
                crate::registration::keys::rotate(&mut scoped, &secrets, &Actor::Operator).await?;
            scoped.commit().await?;
            println!("{version}");
            eprintln!("enrolment key of {} rotated to version {version}; older registration URLs no longer work", tenant.slug);
            Ok(())
        }
        Command::Tenant(TenantCommand::InstallApplePki {
            tenant,
            ca_cert,
            ca_key,
            signing_cert,
            signing_key,
        }) => {
            let tenant = tenants::find_by_slug(&store, &tenant)
                .await?
                .ok_or(Error::NotFound("tenant"))?;
            let read = |path: &std::path::Path| {
                std::fs::read(path)
                    .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))
            };
            let pki = crate::apple::pki::TenantPki::from_pem(
                &read(&ca_cert)?,
                &read(&ca_key)?,
                &read(&signing_cert)?,
                &read(&signing_key)?,
            )?;
            let mut scoped = store.scoped(&tenant.id).await?;
            pki.install(&mut scoped, &secrets, &Actor::Operator).await?;
            scoped.commit().await?;
            eprintln!("Apple PKI of {} installed", tenant.slug);
            Ok(())
        }
        Command::Tenant(TenantCommand::InstallPushCertificate {
            tenant,
            certificate,
            key,
            confirm_topic_change,
        }) => {
            let tenant = tenants::find_by_slug(&store, &tenant)
                .await?
                .ok_or(Error::NotFound("tenant"))?;
            let read = |path: &std::path::Path| {
                std::fs::read_to_string(path)
                    .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))
            };
            let upload = crate::apple::push_certificate::PushCertificateUpload {
                certificate: read(&certificate)?,
                private_key: read(&key)?,
                confirm_topic_change,
            };
            let mut scoped = store.scoped(&tenant.id).await?;
            let installed = crate::apple::push_certificate::install(
                &mut scoped,
                &secrets,
                &Actor::Operator,
                &upload,
                crate::store::now_ms(),
            )
            .await?;
            scoped.commit().await?;
            println!("{}", installed.topic);
            eprintln!(
                "push certificate of {} installed: topic {}, {} days left",
                tenant.slug, installed.topic, installed.days_left
            );
            Ok(())
        }
        Command::Tenant(TenantCommand::List) => {
            for t in tenants::list(&store).await? {
                println!("{}\t{}\t{}", t.slug, t.id.as_str(), t.name);
            }
            Ok(())
        }
        Command::Admin(AdminCommand::Create {
            tenant,
            email,
            role,
            exchange_permissions,
        }) => {
            let tenant = tenants::find_by_slug(&store, &tenant)
                .await?
                .ok_or(Error::NotFound("tenant"))?;
            let password = read_password()?;
            let prepared = admins::prepare(NewAdmin {
                email,
                role,
                password,
                exchange_permissions,
            })
            .await?;
            let mut scoped = store.scoped(&tenant.id).await?;
            let created = admins::create(
                &mut scoped,
                &Actor::Operator,
                &secrets,
                &tenant.slug,
                prepared,
            )
            .await?;
            scoped.commit().await?;
            eprintln!(
                "created {} {} (id {}); add this URI to an authenticator app:",
                serde_json::to_value(created.admin.role).unwrap_or_default(),
                created.admin.email,
                created.admin.id
            );
            println!("{}", created.totp_uri);
            Ok(())
        }
    }
}

/// Connects, migrates and checks the secret key: every command starts from here.
pub async fn open(storage: &StorageArgs) -> Result<(Store, SecretBox), Error> {
    let url = storage.database_url()?;
    let store = Store::connect(&url, storage.max_connections).await?;
    store.migrate().await?;
    let secrets = SecretBox::load_or_create(storage.secret_key.as_deref(), &storage.data_dir)?;
    secrets.check_against(&store).await?;
    Ok((store, secrets))
}

fn read_password() -> Result<String, Error> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Error::Config(format!("cannot read the password from standard input: {e}")))?;
    let password = input.lines().next().unwrap_or_default().to_string();
    if password.is_empty() {
        return Err(Error::invalid(
            "password",
            "give the password on standard input",
        ));
    }
    Ok(password)
}
