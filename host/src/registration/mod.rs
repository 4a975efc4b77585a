//! Registration (SPEC B2 to B5): how an end user gets from an invitation to a signed-in portal
//! session. The tenant's registration URL carries a versioned, signed token (`keys`); a user
//! proves who they are with their password or a one-time PIN (`pins`); tenant user settings
//! decide when a PIN is required (`settings`).

pub mod keys;
pub mod pins;
pub mod settings;
