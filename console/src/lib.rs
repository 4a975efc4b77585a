//! The administrator console's page kit (SPEC A2 to A6, C1 to C4, I2): what every console page
//! is made of, rendered to HTML on the server with Leptos.
//!
//! The console's pages themselves live in the host (`host/src/console/`), next to the services
//! they call: a page handler asks one service, then *describes* its answer with this crate's
//! types ([`Page`], [`Block`], [`Table`], [`Form`]) and [`render`]s it. So every page has the
//! same layout, the same accessible forms (labels, hints, errors at the fields and summed up
//! at the top, focus order), the same server-side paging and sorting, and no page writes HTML
//! by hand; and a vendor plugin's pages are a module of descriptions, not a new design.
//!
//! No page needs JavaScript: forms post to the server, which answers 303 to the next page or
//! the same page with its errors. The stylesheet is served from the binary ([`STYLESHEET`]);
//! the content security policy ([`CSP`]) allows no script and no inline style.

mod i18n;
mod kit;
mod render;
mod respond;
mod schema;

pub use i18n::{texts, Lang, Texts};
pub use kit::*;
pub use render::render;
pub use respond::*;
pub use schema::{SchemaForm, BODY};

/// The console's stylesheet, served at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("../assets/console.css");
/// Where the stylesheet is served (with `Cache-Control: no-cache`: revalidated, never stale).
pub const STYLESHEET_PATH: &str = "/console/assets/console.css";
