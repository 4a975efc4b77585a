//! Corral self-service portal (Leptos, server-rendered): end users sign in, enter a one-time
//! PIN, set a password, scan a registration QR code and download management profiles.
//!
//! The portal talks to the host only through a narrow trait of what it needs (sign in, PIN,
//! set password, QR, profile link, my devices), which the host implements and mounts. It never
//! touches the database. The pages arrive with the portal issue; this crate holds the place in
//! the workspace so that the dependency direction (host -> portal, never back) is fixed now.
