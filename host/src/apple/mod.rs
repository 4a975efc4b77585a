//! Apple enrolment (SPEC D1 to D4, D10): each tenant's certificate authority and profile
//! signing (`pki`), the enrolment profile itself (`profile`), and the one-time download links
//! that carry an enrolment (`enrolments`), and the check-in protocol devices speak once enrolled (`checkin`).

pub mod checkin;
pub mod enrolments;
pub mod pki;
pub mod profile;

pub use enrolments::AppleSettings;
