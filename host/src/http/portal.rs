//! The end users' portal (`corral-portal`), mounted on this server and answered by the
//! self-service rules (`self_service`).

use std::sync::Arc;

use super::AppState;
use crate::self_service::PortalBackend;

/// The portal's routes, answered by this server.
pub fn router(state: AppState) -> axum::Router {
    let secure = state.secure_cookies();
    corral_portal::router(Arc::new(PortalBackend::new(state)), secure)
}
