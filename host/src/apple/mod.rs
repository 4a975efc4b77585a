//! Apple enrolment (SPEC D1 to D4, D10): each tenant's certificate authority and profile
//! signing (`pki`, `signing`), the device identity each profile carries (`issuing`), the
//! enrolment profile itself (`profile`), and the one-time download links that carry an
//! enrolment (`enrolments`), the check-in protocol devices speak once enrolled (`checkin`),
//! the queue of commands to enrolled devices (`commands`), waking them through APNs with the
//! tenant's push certificate (`push`, `push_certificate`), and the scheduled follow-up of
//! unfinished enrolments (`follow_up`).

pub mod channel;
pub mod checkin;
pub mod commands;
pub mod enrolments;
pub mod follow_up;
pub mod issuing;
pub mod pki;
pub mod profile;
pub mod push;
pub mod push_certificate;
pub mod signing;

pub use enrolments::AppleSettings;
