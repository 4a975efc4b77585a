//! Secrets at rest. Values the server must read back (TOTP seeds, later LDAP bind passwords and
//! private keys) are sealed with XChaCha20-Poly1305 under one server key; values it only needs
//! to check (passwords, PINs, session tokens) are hashed instead (see `admins::password`).
//!
//! The server key comes from `CORRAL_SECRET_KEY` (base64 of 32 bytes) or from the file
//! `<data dir>/secret.key`, created on first start. Every process sharing a database must use
//! the same key: the database stores a fingerprint and a process with another key refuses to
//! start rather than fail later on every sealed value.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::store::Store;

const KEY_FILE: &str = "secret.key";
const FINGERPRINT_SETTING: &str = "secret_key_fingerprint";

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    fingerprint: String,
    /// Input of [`SecretBox::derive_key`]: a hash of the key, never the key itself.
    derivation: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBox({})", self.fingerprint)
    }
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> SecretBox {
        let fingerprint = hex(&Sha256::new_with_prefix(b"corral-secret-key-check\0")
            .chain_update(key)
            .finalize()[..8]);
        SecretBox {
            cipher: XChaCha20Poly1305::new(key.into()),
            fingerprint,
            derivation: Sha256::new_with_prefix(b"corral-key-derivation\0")
                .chain_update(key)
                .finalize()
                .into(),
        }
    }

    /// Loads the key from `env_key` (base64) or `<data_dir>/secret.key`, creating the file
    /// (mode 0600) with a fresh random key when neither exists.
    pub fn load_or_create(env_key: Option<&str>, data_dir: &Path) -> Result<SecretBox, Error> {
        if let Some(encoded) = env_key {
            return Ok(SecretBox::from_key(&decode_key(
                encoded,
                "CORRAL_SECRET_KEY",
            )?));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(SecretBox::from_key(&decode_key(
                &text,
                &path.display().to_string(),
            )?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut key);
                write_private(&path, B64.encode(key).as_bytes()).map_err(|e| {
                    Error::Unavailable(format!("cannot write {}: {e}", path.display()))
                })?;
                Ok(SecretBox::from_key(&key))
            }
            Err(e) => Err(Error::Unavailable(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Records this key's fingerprint in the database on first use and refuses a different key
    /// afterwards.
    pub async fn check_against(&self, store: &Store) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(FINGERPRINT_SETTING)
        .bind(&self.fingerprint)
        .execute(store.pool())
        .await?;
        let stored: String = sqlx::query_scalar("SELECT value FROM server_settings WHERE key = $1")
            .bind(FINGERPRINT_SETTING)
            .fetch_one(store.pool())
            .await?;
        if stored != self.fingerprint {
            return Err(Error::Config(format!(
                "the secret key (fingerprint {}) is not the one this database was set up with \
                 (fingerprint {stored}); give every process the same CORRAL_SECRET_KEY or key file",
                self.fingerprint
            )));
        }
        Ok(())
    }

    /// A key for another purpose (e.g. authenticating cached artifacts), derived from the
    /// server key so that it needs no storage of its own.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&self.derivation)
            .expect("HMAC takes any key length");
        hmac::Mac::update(&mut mac, purpose.as_bytes());
        hmac::Mac::finalize(mac).into_bytes().into()
    }

    /// Encrypts `plaintext`; `purpose` (e.g. "totp:<admin id>") is authenticated, so a sealed
    /// value copied to another row or column does not open.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: purpose.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        B64.encode(out)
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, Error> {
        let bytes = B64
            .decode(sealed)
            .map_err(|_| Error::Internal("sealed value is not base64".into()))?;
        if bytes.len() < 24 {
            return Err(Error::Internal("sealed value too short".into()));
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| Error::Internal(format!("cannot open sealed value for {purpose}")))
    }
}

fn decode_key(encoded: &str, source: &str) -> Result<[u8; 32], Error> {
    B64.decode(encoded.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| Error::Config(format!("{source} must hold base64 of exactly 32 bytes")))
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a high-entropy token (session cookies): fast to check, useless if stolen.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random token of 32 bytes, URL-safe base64.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_purpose_and_key() {
        let a = SecretBox::from_key(&[7; 32]);
        let sealed = a.seal("totp:1", b"seed");
        assert_eq!(a.open("totp:1", &sealed).unwrap(), b"seed");
        assert!(a.open("totp:2", &sealed).is_err());
        assert!(SecretBox::from_key(&[8; 32])
            .open("totp:1", &sealed)
            .is_err());
        assert_ne!(sealed, a.seal("totp:1", b"seed"), "nonce must be random");
    }
}
