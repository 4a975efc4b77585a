//! The example plugin built for `wasm32-unknown-unknown` (`plugins/.cargo/config.toml`): a
//! component without WASI imports, whose heap starts in its initial memory (the SDK's
//! allocator). It must answer exactly as the `wasm32-wasip2` build does, and grow its memory
//! when a call needs more than the initial memory holds.

mod common;

use common::*;
use corral_plugin_runtime::api::*;
use corral_plugin_runtime::*;
use corral_plugin_runtime::{Capability, Grants};

/// The bindings' types have no `PartialEq`: compare what they print.
fn same<T: std::fmt::Debug + ?Sized>(a: &T, b: &T) {
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

fn install_opts(version: &str) -> InstallOptions {
    InstallOptions {
        tenant_id: "tenant-good".into(),
        plugin_id: "corral_example_plugin".into(),
        version: version.into(),
        grants: Grants::of([Capability::Logging, Capability::Kv, Capability::Clock]),
        limits: None,
    }
}

fn batch(rows: usize) -> ImportBatch {
    ImportBatch {
        job_id: "job-lean".into(),
        import_kind: "zero-touch-apply".into(),
        rows: (0..rows)
            .map(|i| ImportRow {
                line: i as u32 + 2,
                fields: vec![
                    Property {
                        name: "modeltype".into(),
                        value: "SERIAL".into(),
                    },
                    Property {
                        name: "serial".into(),
                        value: format!("SERIAL-{i:08}"),
                    },
                    Property {
                        name: "model".into(),
                        value: "Galaxy XCover".into(),
                    },
                    Property {
                        name: "profiletype".into(),
                        value: "ZERO_TOUCH".into(),
                    },
                ],
            })
            .collect(),
    }
}

#[tokio::test]
async fn the_example_built_without_wasi_answers_as_the_wasi_build_does() {
    let h = host();
    let lean =
        h.rt.compile(&lean_guest("corral_example_plugin"))
            .await
            .unwrap();
    assert!(!lean.shape.uses_wasi, "the lean build imports WASI");
    let wasi = h.rt.compile(&guest("corral_example_plugin")).await.unwrap();
    assert!(wasi.shape.uses_wasi);
    assert_eq!(lean.shape.capabilities, wasi.shape.capabilities);
    let lean = h.rt.install(&lean, install_opts("lean")).unwrap();
    let wasi = h.rt.install(&wasi, install_opts("wasi")).unwrap();

    same(
        &lean.describe().await.unwrap(),
        &wasi.describe().await.unwrap(),
    );
    let config = config("kiosk", KIOSK);
    same(
        &lean.render_config(&config).await.unwrap(),
        &wasi.render_config(&config).await.unwrap(),
    );

    // 3,000 rows lower about 400 KB into the instance, far more than the ~50 KB its initial
    // memory has free: the allocator grows the memory, and every row gets its answer.
    let big = batch(3000);
    let from_lean = lean.map_import_rows(&big).await.unwrap().unwrap();
    assert_eq!(from_lean.len(), 3000);
    same(
        &from_lean,
        &wasi.map_import_rows(&big).await.unwrap().unwrap(),
    );
    // and the next call on a fresh instance starts small again
    let small = lean.map_import_rows(&batch(2)).await.unwrap().unwrap();
    same(&small[..], &from_lean[..2]);
}

/// The SDK's allocator hands freed small blocks out again: a warm instance serves thousands of
/// calls, each passing and returning a dozen strings, within a memory cap that a few hundred
/// calls' worth of leaked blocks would exceed.
#[tokio::test]
async fn a_warm_instance_reuses_its_small_blocks() {
    let h = host();
    let lean =
        h.rt.compile(&lean_guest("corral_example_plugin"))
            .await
            .unwrap();
    let opts = InstallOptions {
        limits: Some(CallLimits {
            memory_bytes: 2 << 20,
            ..CallLimits::default()
        }),
        ..install_opts("capped")
    };
    let inst = h.rt.install(&lean, opts).unwrap();
    let request = enrolment_request();
    let mut warm = inst.instantiate().await.unwrap();
    for i in 0..20_000 {
        let decision = warm.decide_enrolment(&request).await;
        assert!(
            matches!(decision, Ok(Ok(EnrolmentDecision::Allow(_)))),
            "call {i}: {decision:?}"
        );
    }
    // Blocks of every size come back too: a batch of rows of growing sizes, twice.
    for _ in 0..2 {
        let rows = warm.map_import_rows(&batch(500)).await.unwrap().unwrap();
        assert_eq!(rows.len(), 500);
    }
}
