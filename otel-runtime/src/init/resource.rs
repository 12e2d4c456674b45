//! The resource every span of `init`'s provider carries: the service, the
//! SDK, the host and the process.

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

/// `service.name` first from code, then `OTEL_SERVICE_NAME`, then
/// `OTEL_RESOURCE_ATTRIBUTES`, then the executable's name.
pub(super) fn resource(
    service_name: Option<String>,
    from_env: Vec<KeyValue>,
    from_code: Vec<KeyValue>,
) -> Resource {
    let named_in_env = from_env.iter().any(|kv| kv.key.as_str() == "service.name");
    let mut builder = Resource::builder_empty()
        .with_detectors(&[Box::new(
            opentelemetry_sdk::resource::TelemetryResourceDetector,
        )])
        .with_attributes(host_and_process())
        .with_attributes(from_env);
    match service_name {
        Some(name) => builder = builder.with_service_name(name),
        None if !named_in_env => builder = builder.with_service_name(executable_name()),
        None => {}
    }
    builder.with_attributes(from_code).build()
}

/// `host.name`, `process.pid`, `process.executable.name` and `.path`.
fn host_and_process() -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new("process.pid", i64::from(std::process::id())),
        KeyValue::new("process.executable.name", executable_name()),
        KeyValue::new("process.runtime.name", "rust"),
    ];
    if let Ok(path) = std::env::current_exe() {
        attributes.push(KeyValue::new(
            "process.executable.path",
            path.display().to_string(),
        ));
    }
    // Linux keeps it here; elsewhere `HOSTNAME` may say.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    if let Some(host) = host {
        attributes.push(KeyValue::new("host.name", host));
    }
    attributes
}

fn executable_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "unknown_service".to_owned())
}
