//! Time-based one-time codes (RFC 6238 via totp-rs): SHA-1, 6 digits, 30-second steps, one step
//! of clock skew either way. A code is accepted only for a step later than the last accepted
//! one, which is what refuses a replayed code (the step is stored per administrator).

use rand::RngCore;
use totp_rs::{Algorithm, TOTP};

use crate::error::Error;
use crate::secrets::{constant_time_eq, SecretBox};

const STEP_SECS: u64 = 30;
const SKEW_STEPS: i64 = 1;

pub struct Seed(Vec<u8>);

impl Seed {
    pub fn generate() -> Seed {
        let mut bytes = vec![0u8; 20];
        rand::thread_rng().fill_bytes(&mut bytes);
        Seed(bytes)
    }

    pub fn open(secrets: &SecretBox, admin_id: &str, sealed: &str) -> Result<Seed, Error> {
        Ok(Seed(secrets.open(&purpose(admin_id), sealed)?))
    }

    pub fn seal(&self, secrets: &SecretBox, admin_id: &str) -> String {
        secrets.seal(&purpose(admin_id), &self.0)
    }

    fn totp(&self, tenant_slug: &str, email: &str) -> Result<TOTP, Error> {
        TOTP::new(
            Algorithm::SHA1,
            6,
            0,
            STEP_SECS,
            self.0.clone(),
            Some(format!("Corral {tenant_slug}")),
            email.to_string(),
        )
        .map_err(|e| Error::Internal(format!("TOTP setup failed: {e}")))
    }

    /// The `otpauth://` URI an authenticator app enrols from (shown as a QR code by UIs).
    pub fn uri(&self, tenant_slug: &str, email: &str) -> Result<String, Error> {
        Ok(self.totp(tenant_slug, email)?.get_url())
    }

    /// The secret in base32, for typing into an authenticator app that cannot scan.
    pub fn base32(&self) -> String {
        match totp_rs::Secret::Raw(self.0.clone()).to_encoded() {
            totp_rs::Secret::Encoded(text) => text,
            totp_rs::Secret::Raw(_) => unreachable!("to_encoded answers Encoded"),
        }
    }

    /// The step at which `code` is valid near `now_secs`, if any, and later than `after_step`.
    pub fn accepted_step(&self, code: &str, now_secs: u64, after_step: i64) -> Option<i64> {
        let totp = self.totp("x", "x@x.x").ok()?;
        let now_step = (now_secs / STEP_SECS) as i64;
        (now_step - SKEW_STEPS..=now_step + SKEW_STEPS)
            .filter(|step| *step > after_step && *step >= 0)
            .find(|step| {
                let expected = totp.generate(*step as u64 * STEP_SECS);
                constant_time_eq(expected.as_bytes(), code.trim().as_bytes())
            })
    }
}

fn purpose(admin_id: &str) -> String {
    format!("admin-totp:{admin_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_accepted_once_per_step_within_skew() {
        let seed = Seed(vec![42; 20]);
        let totp = seed.totp("t", "a@b.c").unwrap();
        let now = 1_700_000_000u64;
        let step = (now / 30) as i64;
        let code = totp.generate(now);
        assert_eq!(seed.accepted_step(&code, now, 0), Some(step));
        assert_eq!(seed.accepted_step(&code, now, step), None, "replay refused");
        assert_eq!(
            seed.accepted_step(&code, now + 30, 0),
            Some(step),
            "one step late is fine"
        );
        assert_eq!(
            seed.accepted_step(&code, now + 90, 0),
            None,
            "three steps late is not"
        );
        assert_eq!(seed.accepted_step("000000x", now, 0), None);
    }
}
