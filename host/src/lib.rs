//! Corral host: tenants, administrators, change history and the admin JSON API, on SQLite or
//! PostgreSQL. The `corral` binary (`main.rs`) is a thin command line over this library.

pub mod admins;
pub mod apple;
pub mod apps;
pub mod cli;
pub mod collections;
pub mod config;
pub mod configurations;
pub mod console;
pub mod devices;
pub mod directory;
pub mod enrolment_profiles;
pub mod error;
pub mod expiring_tokens;
pub mod guesses;
pub mod history;
pub mod http;
pub mod imports;
pub mod invitations;
pub mod jobs;
pub mod mail;
pub mod notifications;
pub mod onboarding;
pub mod passwords;
pub mod plugins;
pub mod provisioning;
pub mod registration;
pub mod secrets;
pub mod self_service;
pub mod server;
pub mod services;
pub mod sessions;
pub mod store;
pub mod telemetry;
pub mod tenants;
pub mod unmanaged;
pub mod users;
pub mod vendor_access;

pub use error::Error;
