//! `otel_runtime::init`: one line in `main`, configured by the `OTEL_*`
//! variables, and every finished span printed (or exported) when the guard
//! drops.
//!
//! `init` sets process-wide state, so each case runs this test binary again
//! as a child process (`child` below, selected by `OTEL_RUNTIME_CHILD`) and
//! looks at what it printed.

mod support;

use otel_runtime::traced;
use support::{child_role, run_child};

#[traced]
fn request(id: u32) -> u32 {
    db_query(id) + 1
}

#[traced]
fn db_query(id: u32) -> u32 {
    id * 2
}

#[traced]
async fn async_request(id: u32) -> u32 {
    tokio::task::yield_now().await;
    db_query(id)
}

/// The child: what `OTEL_RUNTIME_CHILD` names.
#[test]
fn child() {
    let Some(role) = child_role() else {
        return;
    };
    match role.as_str() {
        "sync" => {
            let guard = otel_runtime::init().expect("the first init succeeds");
            let second = otel_runtime::init().expect_err("a second init is refused");
            println!("second init: {second}");
            for id in 0..3 {
                request(id);
            }
            drop(guard);
        }
        "async" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let _guard = otel_runtime::init().unwrap();
                for id in 0..3 {
                    async_request(id).await;
                }
                // The guard drops here, inside async code on a current-thread
                // runtime: it must neither hang nor lose spans.
            });
        }
        other => panic!("unknown child role {other}"),
    }
}

/// Header lines: `trace <id>  <duration>  <n> spans` (libtest may print
/// its own `test child ... ` in front of the first).
fn traces_printed(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|line| line.contains("trace ") && line.ends_with(" spans"))
        .count()
}

#[test]
fn with_nothing_configured_every_trace_is_printed_when_the_guard_drops() {
    let stdout = run_child("sync", &[]).stdout;
    assert_eq!(traces_printed(&stdout), 3, "{stdout}");
    assert_eq!(stdout.matches("└─ db_query").count(), 3, "{stdout}");
    assert!(
        stdout.contains("second init: otel_runtime::init was already called"),
        "{stdout}"
    );
}

#[test]
fn an_async_program_loses_nothing_either() {
    let stdout = run_child("async", &[]).stdout;
    assert_eq!(traces_printed(&stdout), 3, "{stdout}");
}

#[test]
fn otel_sdk_disabled_turns_everything_off() {
    let stdout = run_child("sync", &[("OTEL_SDK_DISABLED", "true")]).stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}

#[test]
fn the_none_exporter_prints_nothing() {
    let stdout = run_child("sync", &[("OTEL_TRACES_EXPORTER", "none")]).stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}

#[test]
fn a_bad_value_is_reported_by_name_and_value_and_changes_nothing_else() {
    let printed = run_child(
        "sync",
        &[
            ("OTEL_TRACES_SAMPLER_ARG", "lots"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ],
    );
    let (stdout, stderr) = (printed.stdout, printed.stderr);
    assert!(
        stderr.contains("otel_runtime: OTEL_TRACES_SAMPLER_ARG=\"lots\": expected a number from 0 to 1; using 1.0"),
        "{stderr}"
    );
    assert_eq!(traces_printed(&stdout), 3, "{stdout}");
}

#[test]
fn the_ratio_sampler_keeps_none_at_zero() {
    let stdout = run_child(
        "sync",
        &[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ],
    )
    .stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}
