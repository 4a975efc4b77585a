//! Shared test helpers: build the guest components ONCE per test process (and
//! cargo itself makes repeated builds a no-op), then load them by name.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use corral_plugin_runtime::Capability;
use corral_plugin_runtime::api::*;
use corral_plugin_runtime::memory::MemoryKv;
use corral_plugin_runtime::*;

pub fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// Run `cargo build --target wasm32-wasip2 --release` in `plugins/` once, and build the example
/// plugin without WASI (`wasm32-unknown-unknown`, see [`lean_guest`]).
/// Set `CORRAL_SKIP_GUEST_BUILD=1` to use components built beforehand.
pub fn guests() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = plugins_dir();
        if std::env::var_os("CORRAL_SKIP_GUEST_BUILD").is_none() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let build = |args: &[&str]| {
                let mut cmd = Command::new(&cargo);
                cmd.arg("build")
                    .args(args)
                    .arg("--release")
                    .current_dir(&dir);
                // Do not leak the host build's settings into the guest build.
                for var in [
                    "CARGO_TARGET_DIR",
                    "RUSTFLAGS",
                    "CARGO_ENCODED_RUSTFLAGS",
                    "CARGO_BUILD_TARGET",
                    "CARGO_MANIFEST_DIR",
                ] {
                    cmd.env_remove(var);
                }
                let status = cmd.status().expect("running cargo for the guests");
                assert!(status.success(), "guest build failed: {args:?}");
            };
            build(&["--target", "wasm32-wasip2"]);
            build(&[
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "corral-example-plugin",
            ]);
        }
        dir.join("target/wasm32-wasip2/release")
    })
}

pub fn guest(name: &str) -> Vec<u8> {
    let path = guests().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A guest built for `wasm32-unknown-unknown` (no WASI imports; only the example plugin).
pub fn lean_guest(name: &str) -> Vec<u8> {
    guests();
    let path = plugins_dir().join(format!("target/wasm32-unknown-unknown/release/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub struct Host {
    pub rt: Runtime,
    pub kv: Arc<MemoryKv>,
}

pub fn host_with(config: RuntimeConfig, http: Arc<dyn HttpClient>) -> Host {
    let kv = Arc::new(MemoryKv::new());
    let mut services = HostServices::in_memory();
    services.kv = kv.clone();
    services.http = http;
    Host {
        rt: Runtime::new(config, services).expect("runtime"),
        kv,
    }
}

pub fn host() -> Host {
    host_with(test_config(), Arc::new(NoHttpClient))
}

pub fn test_config() -> RuntimeConfig {
    RuntimeConfig {
        max_instances: 32,
        max_concurrent_calls: 16,
        ..RuntimeConfig::default()
    }
}

impl Host {
    pub async fn install(&self, name: &str, tenant: &str, grants: Grants) -> Installation {
        self.install_with(name, tenant, grants, None).await
    }

    /// The looping test plugin with a CPU budget of `cpu_deadline` and a wall-clock backstop of
    /// 30 s, far beyond any budget the tests give it: a call that ends sooner was stopped by CPU.
    pub async fn install_looping(&self, cpu_deadline: Duration) -> Installation {
        let limits = CallLimits {
            cpu_deadline,
            wall_timeout: Duration::from_secs(30),
            ..CallLimits::default()
        };
        self.install_with("hostile_infinite_loop", "t1", Grants::none(), Some(limits))
            .await
    }

    pub async fn install_with(
        &self,
        name: &str,
        tenant: &str,
        grants: Grants,
        limits: Option<CallLimits>,
    ) -> Installation {
        let compiled = self.rt.compile(&guest(name)).await.expect("compile");
        self.rt
            .install(
                &compiled,
                InstallOptions {
                    tenant_id: tenant.into(),
                    plugin_id: name.into(),
                    version: "1.0.0".into(),
                    grants,
                    limits,
                },
            )
            .expect("install")
    }
}

pub fn config(kind: &str, body: &str) -> Configuration {
    Configuration {
        kind: kind.into(),
        id: "cfg-1".into(),
        name: "Test".into(),
        priority: 0,
        body: body.into(),
    }
}

pub fn device() -> DeviceIdentity {
    DeviceIdentity {
        device_id: None,
        serial_number: Some("SN123".into()),
        imeis: vec![],
        meid: None,
        manufacturer: Some("Samsung".into()),
        model: Some("Galaxy XCover".into()),
        os: Some("android".into()),
        os_version: Some("14".into()),
        security_patch_level: Some("2025-01-01".into()),
    }
}

/// A zero-touch enrolment of [`device`], registered in zero-touch and Knox Mobile Enrollment,
/// with a minimum patch level: the example plugin allows it through its KME configuration.
pub fn enrolment_request() -> EnrolmentRequest {
    EnrolmentRequest {
        device: device(),
        channel: EnrolmentChannel::ZeroTouch,
        user_id: None,
        profile_id: None,
        registrations: vec![
            ProvisioningRegistration {
                channel: EnrolmentChannel::ZeroTouch,
                configuration_id: Some("zt-1".into()),
                registered_at_ms: None,
            },
            ProvisioningRegistration {
                channel: EnrolmentChannel::KnoxMobileEnrollment,
                configuration_id: Some("kme-7".into()),
                registered_at_ms: None,
            },
        ],
        attributes: vec![Property {
            name: "min-patch-level".into(),
            value: "2024-06-01".into(),
        }],
    }
}

pub const KIOSK: &str = r#"{"pinnedApp":"com.example.kiosk","statusBar":false}"#;

/// Good installation of the example plugin for concurrency checks.
pub async fn good(h: &Host) -> Installation {
    h.install(
        "corral_example_plugin",
        "tenant-good",
        Grants::of([Capability::Logging, Capability::Kv, Capability::Clock]),
    )
    .await
}

/// Run `n` good calls; return how long they took in total.
pub async fn good_calls(inst: &Installation, n: usize) -> std::time::Duration {
    let start = std::time::Instant::now();
    for _ in 0..n {
        let errs = inst
            .validate_config(&config("kiosk", KIOSK))
            .await
            .expect("good call")
            .expect("valid");
        assert!(errs.is_empty());
    }
    start.elapsed()
}
