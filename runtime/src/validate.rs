//! Validation of uploaded bytes and inspection of compiled components.
//!
//! Why: tenants upload plugins. Before anything runs the host checks, in order
//! of cost: the size limit; that the bytes are a *component* (not a core module
//! or garbage); compilation under its own time budget; then, from the
//! component's type (not from what the plugin claims), that it exports
//! `corral:plugin/hooks` at a supported version and imports only grantable
//! capabilities of that same version plus the WASI interfaces a std guest
//! needs (linked to an empty WASI context that grants nothing).

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::capability::{Capability, CapabilitySet};
use crate::error::ValidationError;
use crate::wit::WorldVersion;

const PACKAGE: &str = "corral:plugin/";

/// WASI interfaces a guest may import. They come from language std libraries
/// (Rust wasip2 imports ~13 of them even if unused) and are served by an empty
/// WASI context: no files, no sockets, no environment, frozen clocks unless
/// `clock` is granted. Sockets and wasi:http are deliberately absent.
const ALLOWED_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// Quick structural check of the binary header.
pub(crate) fn check_header(bytes: &[u8], max: usize) -> Result<(), ValidationError> {
    if bytes.len() > max {
        return Err(ValidationError::TooLarge {
            size: bytes.len(),
            limit: max,
        });
    }
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(ValidationError::NotWasm);
    }
    match bytes[4..8] {
        // core module: version 1, layer 0
        [1, 0, 0, 0] => Err(ValidationError::CoreModule),
        // component: layer 1 (version field is pre-release 0x0d today)
        [_, _, 1, 0] => Ok(()),
        _ => Err(ValidationError::Malformed(
            "unknown binary version/layer".into(),
        )),
    }
}

/// What the host learned from a component's type.
#[derive(Clone, Debug)]
pub struct ComponentShape {
    pub version: WorldVersion,
    /// Capabilities the component imports (its effective manifest).
    pub capabilities: CapabilitySet,
    /// Whether it imports any WASI interface (if not, WASI is not linked).
    pub uses_wasi: bool,
}

fn split_versioned(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (name, None),
    }
}

pub(crate) fn inspect(
    engine: &Engine,
    component: &Component,
) -> Result<ComponentShape, ValidationError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_owned()).collect();
    let export_version = |wanted: &str| {
        exports.iter().find_map(|name| match split_versioned(name) {
            (iface, v) if iface.strip_prefix(PACKAGE) == Some(wanted) => Some(v.unwrap_or("")),
            _ => None,
        })
    };
    let Some(hooks) = export_version("hooks") else {
        return Err(ValidationError::UnsupportedWorld(if exports.is_empty() {
            "none".into()
        } else {
            exports.join(", ")
        }));
    };
    // The newest version among the exported interfaces names the world's version (each world
    // adds or replaces an export: `collections@0.7.0`, `provisioning@0.6.0`...).
    let mut newest: Option<(semver_key::Key, &str)> = None;
    for name in &exports {
        if let (iface, v) = split_versioned(name)
            && iface.starts_with(PACKAGE)
        {
            let v = v.unwrap_or("");
            let key = semver_key::of(v)
                .ok_or_else(|| ValidationError::UnsupportedVersion(v.to_owned()))?;
            if newest.is_none_or(|(k, _)| key > k) {
                newest = Some((key, v));
            }
        }
    }
    let v = newest.map_or(hooks, |(_, v)| v);
    let version =
        WorldVersion::parse(v).ok_or_else(|| ValidationError::UnsupportedVersion(v.to_owned()))?;
    // Every `corral:plugin` export at the version this world has it.
    for name in &exports {
        if let (iface, v) = split_versioned(name)
            && let Some(rest) = iface.strip_prefix(PACKAGE)
        {
            let v = v.unwrap_or("");
            if version.interface_version(rest) != Some(v) {
                return Err(ValidationError::UnsupportedVersion(v.to_owned()));
            }
        }
    }
    let mut capabilities = CapabilitySet::empty();
    let mut uses_wasi = false;
    for (name, _) in ty.imports(engine) {
        let (iface, v) = split_versioned(name);
        if let Some(rest) = iface.strip_prefix(PACKAGE) {
            let v = v.unwrap_or("");
            let Some(expected) = version.interface_version(rest) else {
                return Err(ValidationError::ForbiddenImport(name.to_owned()));
            };
            if v != expected {
                return Err(ValidationError::MixedVersions(
                    expected.to_owned(),
                    v.to_owned(),
                ));
            }
            // `types` declares, `locale` (0.7.0) answers a language: neither needs a grant.
            if rest == "types" || rest == "locale" {
                continue;
            }
            // `device-lookup` (0.5.0) is a part of `directory`, `registrations` (0.5.0, 0.6.0)
            // and `discoveries` (0.7.0) parts of `inventory`: each granted and linked with the
            // other.
            let rest = match rest {
                "device-lookup" => Capability::Directory.interface(),
                "registrations" | "discoveries" => Capability::Inventory.interface(),
                other => other,
            };
            match Capability::from_interface(rest) {
                Some(c) => capabilities.insert(c),
                None => return Err(ValidationError::ForbiddenImport(name.to_owned())),
            }
        } else if ALLOWED_WASI.contains(&iface) && v.is_some_and(|v| v.starts_with("0.2.")) {
            uses_wasi = true;
        } else {
            return Err(ValidationError::ForbiddenImport(name.to_owned()));
        }
    }
    Ok(ComponentShape {
        version,
        capabilities,
        uses_wasi,
    })
}

/// Versions compared as numbers (`0.10.0` after `0.9.0`).
mod semver_key {
    pub(super) type Key = (u64, u64, u64);

    pub(super) fn of(v: &str) -> Option<Key> {
        let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
        let key = (parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(key)
    }
}
