//! On-disk cache of compiled components.
//!
//! Why: Cranelift takes tens of milliseconds per plugin (seconds for a Python
//! component); `Component::deserialize` of a precompiled artifact takes well
//! under a millisecond. Artifacts are keyed by the SHA-256 of the uploaded
//! bytes AND a hash of `Engine::precompile_compatibility_hash`, so a wasmtime
//! upgrade or a configuration change simply misses the cache.
//!
//! Deserializing is `unsafe`: a forged artifact is native code. So every file
//! is authenticated with HMAC-SHA256 under a key only the host knows; a file
//! that does not verify (not produced by this host, truncated, tampered) is
//! ignored and recompiled from the original bytes.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const MAGIC: &[u8; 8] = b"CORRAL1\n";
const MAC_LEN: usize = 32;

/// `std::hash::Hasher` feeding SHA-256, to turn the engine's `impl Hash`
/// compatibility value into a stable digest (SipHash is not meant for this).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        let d = self.0.clone().finalize();
        u64::from_le_bytes(d[..8].try_into().unwrap())
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Hex digest of the engine's compatibility hash.
pub(crate) fn engine_hash(engine: &wasmtime::Engine) -> String {
    use std::hash::Hash;
    let mut h = ShaHasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut h);
    hex::encode(&h.0.finalize()[..16])
}

/// SHA-256 of uploaded bytes, hex.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) struct ArtifactCache {
    dir: PathBuf,
    key: Vec<u8>,
    engine_hash: String,
}

impl ArtifactCache {
    pub fn new(dir: &Path, key: &[u8], engine_hash: String) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(ArtifactCache {
            dir: dir.to_owned(),
            key: key.to_vec(),
            engine_hash,
        })
    }

    fn path(&self, content_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{content_hash}-{}.cwasm", self.engine_hash))
    }

    fn mac(&self, content_hash: &str, artifact: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(self.engine_hash.as_bytes());
        mac.update(b"\0");
        mac.update(content_hash.as_bytes());
        mac.update(b"\0");
        mac.update(artifact);
        mac
    }

    /// The verified artifact for `content_hash`, if this host produced one.
    pub fn load(&self, content_hash: &str) -> Option<Vec<u8>> {
        let mut data = std::fs::read(self.path(content_hash)).ok()?;
        if data.len() < MAGIC.len() + MAC_LEN || &data[..MAGIC.len()] != MAGIC {
            return None;
        }
        let tag: [u8; MAC_LEN] = data[MAGIC.len()..MAGIC.len() + MAC_LEN].try_into().ok()?;
        let artifact = data.split_off(MAGIC.len() + MAC_LEN);
        match self.mac(content_hash, &artifact).verify_slice(&tag) {
            Ok(()) => Some(artifact),
            Err(_) => {
                tracing::warn!(
                    content_hash,
                    "ignoring cached artifact that fails authentication"
                );
                None
            }
        }
    }

    /// Store an artifact atomically (write to a temporary file, then rename).
    pub fn store(&self, content_hash: &str, artifact: &[u8]) -> std::io::Result<()> {
        let tag = self.mac(content_hash, artifact).finalize().into_bytes();
        let path = self.path(content_hash);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(MAGIC)?;
            f.write_all(&tag)?;
            f.write_all(artifact)?;
            f.sync_all()?;
        }
        std::fs::rename(tmp, path)
    }
}
