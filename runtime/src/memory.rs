//! In-memory implementations of the backend traits, for tests and the
//! benchmark. The real ones are the database layer of the host.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::backend::{BackendError, Directory, DirectoryDevice, DirectoryUser, KvBackend, Scope};

/// Key-value store keyed by `(scope, key)`: a scope can only ever see its own keys.
#[derive(Default)]
pub struct MemoryKv {
    data: Mutex<BTreeMap<(Scope, String), Vec<u8>>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    /// Test helper: read a value directly, bypassing any plugin.
    pub fn peek(&self, scope: &Scope, key: &str) -> Option<Vec<u8>> {
        self.data
            .lock()
            .unwrap()
            .get(&(scope.clone(), key.to_owned()))
            .cloned()
    }
}

#[async_trait]
impl KvBackend for MemoryKv {
    async fn get(&self, scope: &Scope, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.peek(scope, key))
    }
    async fn set(&self, scope: &Scope, key: &str, value: Vec<u8>) -> Result<(), BackendError> {
        self.data
            .lock()
            .unwrap()
            .insert((scope.clone(), key.to_owned()), value);
        Ok(())
    }
    async fn delete(&self, scope: &Scope, key: &str) -> Result<(), BackendError> {
        self.data
            .lock()
            .unwrap()
            .remove(&(scope.clone(), key.to_owned()));
        Ok(())
    }
    async fn list_keys(
        &self,
        scope: &Scope,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, BackendError> {
        let data = self.data.lock().unwrap();
        Ok(data
            .range((scope.clone(), prefix.to_owned())..)
            .take_while(|((s, k), _)| s == scope && k.starts_with(prefix))
            .take(limit as usize)
            .map(|((_, k), _)| k.clone())
            .collect())
    }
}

/// Directory holding users and devices per tenant id.
#[derive(Default)]
pub struct MemoryDirectory {
    users: Mutex<Vec<(String, DirectoryUser)>>,
    devices: Mutex<Vec<(String, DirectoryDevice)>>,
}

impl MemoryDirectory {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add_user(&self, tenant_id: &str, user: DirectoryUser) {
        self.users
            .lock()
            .unwrap()
            .push((tenant_id.to_owned(), user));
    }
    pub fn add_device(&self, tenant_id: &str, device: DirectoryDevice) {
        self.devices
            .lock()
            .unwrap()
            .push((tenant_id.to_owned(), device));
    }
    fn user_where(
        &self,
        scope: &Scope,
        f: impl Fn(&DirectoryUser) -> bool,
    ) -> Option<DirectoryUser> {
        self.users
            .lock()
            .unwrap()
            .iter()
            .find(|(t, u)| *t == scope.tenant_id && f(u))
            .map(|(_, u)| u.clone())
    }
}

#[async_trait]
impl Directory for MemoryDirectory {
    async fn find_user_by_email(
        &self,
        scope: &Scope,
        email: &str,
    ) -> Result<Option<DirectoryUser>, BackendError> {
        Ok(self.user_where(scope, |u| u.email.eq_ignore_ascii_case(email)))
    }
    async fn get_user(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<DirectoryUser>, BackendError> {
        Ok(self.user_where(scope, |u| u.id == id))
    }
    async fn list_user_devices(
        &self,
        scope: &Scope,
        user_id: &str,
    ) -> Result<Vec<DirectoryDevice>, BackendError> {
        Ok(self
            .devices
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, d)| *t == scope.tenant_id && d.owner_user_id.as_deref() == Some(user_id))
            .map(|(_, d)| d.clone())
            .collect())
    }
    async fn find_device(
        &self,
        scope: &Scope,
        serial_or_imei: &str,
    ) -> Result<Option<DirectoryDevice>, BackendError> {
        Ok(self
            .devices
            .lock()
            .unwrap()
            .iter()
            .find(|(t, d)| {
                *t == scope.tenant_id
                    && (d.serial_number.as_deref() == Some(serial_or_imei)
                        || d.imeis.iter().any(|i| i == serial_or_imei))
            })
            .map(|(_, d)| d.clone()))
    }
}
