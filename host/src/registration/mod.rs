//! Registration (SPEC B2 to B5, D5): how an end user gets from an invitation to a signed-in portal
//! session. The tenant's registration URL carries a versioned, signed token (`keys`); a user
//! proves who they are with their password or a one-time PIN (`pins`); tenant user settings
//! decide when a PIN is required (`settings`); the portal keeps the user's progress in a
//! session (`sessions`) and hands the device app a one-time token through a QR code
//! (`device_tokens`).

pub mod device_tokens;
pub mod keys;
pub mod pins;
pub mod sessions;
pub mod settings;
