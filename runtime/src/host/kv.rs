//! `corral:plugin/kv`: the plugin's key-value store. The scope (tenant,
//! plugin) comes from the installation, never from the guest: keys are plain
//! strings inside that scope, so `../other-tenant/x` is just an odd key of the
//! caller's own scope. Sizes are bounded per call. Keys never contain NUL
//! (PostgreSQL text cannot hold it): `set` refuses such a key, so `get`,
//! `delete` and `list-keys` with one find nothing, on every backend alike.

use crate::backend::BackendError;
use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::kv::{Host, KvError};

fn map(e: BackendError) -> KvError {
    match e {
        BackendError::Unavailable(m) => KvError::Unavailable(m),
        BackendError::Quota(m) => KvError::TooLarge(m),
    }
}

impl HostState {
    fn check_key(&self, key: &str) -> Result<(), KvError> {
        let max = self.ctx.limits.max_kv_key_bytes;
        if key.len() > max {
            return Err(KvError::TooLarge(format!("key longer than {max} bytes")));
        }
        Ok(())
    }
}

/// Whether a key can exist at all (see the module note on NUL).
fn storable(key: &str) -> bool {
    !key.contains('\0')
}

impl Host for HostState {
    async fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, KvError> {
        self.check_key(&key)?;
        if !storable(&key) {
            return Ok(None);
        }
        let ctx = self.ctx.clone();
        ctx.services.kv.get(&ctx.scope, &key).await.map_err(map)
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), KvError> {
        self.check_key(&key)?;
        if !storable(&key) {
            return Err(KvError::TooLarge(
                "keys may not contain NUL characters".into(),
            ));
        }
        let max = self.ctx.limits.max_kv_value_bytes;
        if value.len() > max {
            return Err(KvError::TooLarge(format!("value larger than {max} bytes")));
        }
        let ctx = self.ctx.clone();
        ctx.services
            .kv
            .set(&ctx.scope, &key, value)
            .await
            .map_err(map)
    }

    async fn delete(&mut self, key: String) -> Result<(), KvError> {
        self.check_key(&key)?;
        if !storable(&key) {
            return Ok(());
        }
        let ctx = self.ctx.clone();
        ctx.services.kv.delete(&ctx.scope, &key).await.map_err(map)
    }

    async fn list_keys(&mut self, prefix: String, limit: u32) -> Result<Vec<String>, KvError> {
        self.check_key(&prefix)?;
        if !storable(&prefix) {
            return Ok(Vec::new());
        }
        let ctx = self.ctx.clone();
        let limit = limit.min(ctx.limits.max_kv_list);
        ctx.services
            .kv
            .list_keys(&ctx.scope, &prefix, limit)
            .await
            .map_err(map)
    }
}
