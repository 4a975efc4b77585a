//! Real network conditions for the tests: the test directory's address, and a TCP relay in
//! front of a real server that a test can take down mid-way (the dependency becomes
//! unreachable exactly as it would across a broken network).

use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The test OpenLDAP server (`ldap://127.0.0.1:PORT`), started by scripts/test.sh.
pub fn ldap_url() -> String {
    std::env::var("CORRAL_TEST_LDAP_URL").unwrap_or_else(|_| {
        panic!(
            "CORRAL_TEST_LDAP_URL is not set: run the suite with scripts/test.sh, which starts \
             slapd with tests/fixtures/ldap/seed.ldif"
        )
    })
}

/// Relays TCP connections from a port of its own to `target` until stopped.
pub struct Relay {
    pub port: u16,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    /// `target` is `host:port`.
    pub async fn start(target: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let target = target.to_string();
        let spawned = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                spawned.lock().unwrap().push(relay);
            }
        });
        tasks.lock().unwrap().push(accept);
        Relay { port, tasks }
    }

    /// Closes the port and every relayed connection (done when this returns).
    pub async fn stop(&self) {
        let tasks: Vec<JoinHandle<()>> = self.tasks.lock().unwrap().drain(..).collect();
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}
