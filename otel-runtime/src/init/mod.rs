//! Setting up tracing once, in `main`: [`init`] for the standard
//! environment variables, [`builder`] for settings in code.

mod batch;
mod env;
mod loss;
mod otlp;
mod tls;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use std::{error, fmt};

use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};
use opentelemetry::{KeyValue, global};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};

use batch::{Batch, Schedule};
use env::EnvConfig;
pub use env::ExporterKind;
use loss::{Counted, CountedIn, Queue};
pub use loss::{ExportStats, export_stats};

use crate::__private::{Installed, Pipeline, Processor, Shared};
use crate::console::{ConsoleExporter, OpenRoots, TrackRoots};
use crate::limits::Truncating;

/// How long dropping the [`Guard`] waits for the last spans to be exported.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Sets up tracing from the `OTEL_*` environment variables: installs the
/// global tracer provider and propagator. Keep the returned guard alive
/// until the end of `main`; dropping it exports every finished span.
///
/// With nothing configured, each finished trace is printed on standard
/// output as a waterfall tree.
///
/// ```
/// fn main() -> Result<(), otel_runtime::InitError> {
///     let _guard = otel_runtime::init()?;
///     // … traced work …
///     Ok(())
/// }
/// ```
pub fn init() -> Result<Guard, InitError> {
    builder().init()
}

/// Settings in code, which take precedence over the environment.
///
/// ```
/// let guard = otel_runtime::builder()
///     .service_name("checkout")
///     .resource_attribute("deployment.environment", "test")
///     .exporter(otel_runtime::ExporterKind::Console)
///     .init();
/// # drop(guard);
/// ```
pub fn builder() -> Builder {
    Builder::default()
}

/// Settings in code; see [`builder`].
#[derive(Debug, Default)]
#[must_use = "nothing is set up until `init` is called"]
pub struct Builder {
    service_name: Option<String>,
    resource: Vec<KeyValue>,
    exporters: Option<Vec<ExporterKind>>,
    sampler: Option<Sampler>,
    propagator: Option<Box<dyn TextMapPropagator + Send + Sync>>,
    span_exporters: Vec<SpanExporterInCode>,
}

/// An exporter given to [`Builder::span_exporter`], and how to put it
/// behind a batch processor.
struct SpanExporterInCode(Box<dyn FnOnce(Batching) -> Box<dyn Processor> + Send>);

impl fmt::Debug for SpanExporterInCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpanExporter")
    }
}

impl Builder {
    /// The `service.name` resource attribute (else `OTEL_SERVICE_NAME`,
    /// else the executable's name).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// The `service.version` resource attribute, typically
    /// `env!("CARGO_PKG_VERSION")`.
    pub fn service_version(self, version: &'static str) -> Self {
        self.resource_attribute("service.version", version)
    }

    /// One more resource attribute.
    pub fn resource_attribute(
        mut self,
        key: &'static str,
        value: impl Into<opentelemetry::Value>,
    ) -> Self {
        self.resource.push(KeyValue::new(key, value));
        self
    }

    /// Where spans go (else `OTEL_TRACES_EXPORTER`); call it again for
    /// several exporters at once.
    pub fn exporter(mut self, kind: ExporterKind) -> Self {
        self.exporters.get_or_insert_with(Vec::new).push(kind);
        self
    }

    /// Sends spans to `exporter` too, behind a batch processor of its own,
    /// with the same bounded, counted queue as the standard exporters.
    /// Unless [`exporter`](Self::exporter) or `OTEL_TRACES_EXPORTER` names
    /// standard ones as well, spans go to `exporter` alone.
    ///
    /// ```
    /// use otel_runtime::opentelemetry_sdk::error::OTelSdkResult;
    /// use otel_runtime::opentelemetry_sdk::trace::{SpanData, SpanExporter};
    ///
    /// /// Prints each span's name.
    /// #[derive(Debug)]
    /// struct Names;
    ///
    /// impl SpanExporter for Names {
    ///     async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
    ///         for span in batch {
    ///             println!("{}", span.name);
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let guard = otel_runtime::builder().span_exporter(Names).init();
    /// # drop(guard);
    /// ```
    pub fn span_exporter(
        mut self,
        exporter: impl opentelemetry_sdk::trace::SpanExporter + 'static,
    ) -> Self {
        self.span_exporters
            .push(SpanExporterInCode(Box::new(move |batching| {
                with_exporter(exporter, batching)
            })));
        self
    }

    /// No exporter at all: spans are made (and propagated) but not sent.
    pub fn no_exporter(mut self) -> Self {
        self.exporters = Some(Vec::new());
        self
    }

    /// The sampler (else `OTEL_TRACES_SAMPLER`).
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// The propagator (else `OTEL_PROPAGATORS`): how the trace context is
    /// read from and written to the headers of other services' requests.
    ///
    /// ```
    /// use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
    ///
    /// // W3C trace context only, without baggage.
    /// let guard = otel_runtime::builder()
    ///     .propagator(TraceContextPropagator::new())
    ///     .no_exporter()
    ///     .init();
    /// # drop(guard);
    /// ```
    pub fn propagator(
        mut self,
        propagator: impl TextMapPropagator + Send + Sync + 'static,
    ) -> Self {
        self.propagator = Some(Box::new(propagator));
        self
    }

    /// Installs the global tracer provider and propagator.
    ///
    /// # Errors
    /// [`InitError::AlreadyInitialized`] when called a second time.
    pub fn init(self) -> Result<Guard, InitError> {
        if INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(InitError::AlreadyInitialized);
        }
        let mut env = EnvConfig::from_process();
        let tls = tls::Tls::load(&env.tls, &mut env.problems);
        for problem in &env.problems {
            eprintln!("otel_runtime: {problem}");
        }
        if env.disabled {
            return Ok(Guard {
                provider: None,
                pipeline: None,
            });
        }
        let in_code = self.span_exporters;
        let exporters = self.exporters.or(env.exporters).unwrap_or_else(|| {
            if !in_code.is_empty() {
                return Vec::new();
            }
            // The specification's default is OTLP; with no endpoint set,
            // nothing would receive it, so show the trace here instead.
            vec![if matches!(env.otlp_endpoint, env::Endpoint::Set(_)) {
                ExporterKind::Otlp
            } else {
                ExporterKind::Console
            }]
        });
        crate::limits::set_value_length(env.value_length_limit);
        // The decision for root spans, when it depends on the trace ID alone
        // (see `__private::sampling`).
        let roots = match &self.sampler {
            Some(sampler) => crate::__private::by_trace_id(sampler),
            None => Some(env.root_sampler),
        };
        let sampler = self.sampler.unwrap_or(env.sampler);
        // Its decision for a child of an unsampled span is always to drop
        // (`Sampler::ParentBased` has no other), which traced calls use.
        let parent_based = matches!(sampler, Sampler::ParentBased(_));
        let resource = resource(
            self.service_name.or(env.service_name),
            env.resource_attributes,
            self.resource,
        );
        let mut provider = SdkTracerProvider::builder()
            .with_sampler(sampler.clone())
            .with_span_limits(env.span_limits)
            .with_resource(resource.clone());
        let batching = Batching {
            max_queue_size: env.max_queue_size,
            schedule: Schedule {
                delay: env.schedule_delay,
                max_batch: env.max_export_batch_size,
            },
        };
        // Each processor goes to the SDK's provider and to the pipeline of
        // spans that traced calls make directly (`__private::direct`).
        let mut processors: Vec<Arc<dyn Processor>> = Vec::new();
        let mut add = |mut processor: Box<dyn Processor>| {
            processor.set_resource(&resource);
            let processor: Arc<dyn Processor> = Arc::from(processor);
            processors.push(processor.clone());
            Shared(processor)
        };
        let mut console = false;
        for kind in exporters {
            let exporter = match (kind, env.otlp_endpoint.url()) {
                (ExporterKind::Console, _) => None,
                // Reported already.
                (ExporterKind::Otlp, None) => None,
                (ExporterKind::Otlp, Some(endpoint)) => {
                    let settings = otlp::Settings {
                        protocol: env.otlp_protocol,
                        endpoint,
                        headers: &env.otlp_headers,
                        timeout: env.otlp_timeout,
                    };
                    match otlp::build(&settings, &tls) {
                        Ok(exporter) => Some(exporter),
                        // Say why, and lose nothing.
                        Err(error) => {
                            eprintln!(
                                "otel_runtime: cannot set up the OTLP exporter: {error}; \
                             printing traces on standard output instead"
                            );
                            None
                        }
                    }
                }
            };
            let processor = match exporter {
                Some(exporter) => with_exporter(exporter, batching),
                // Once, even when the OTLP exporter falls back to it.
                None if console => continue,
                None => {
                    console = true;
                    with_console(batching)
                }
            };
            provider = provider.with_span_processor(add(processor));
        }
        for exporter in in_code {
            provider = provider.with_span_processor(add((exporter.0)(batching)));
        }
        let provider = provider.build();
        let pipeline = Pipeline::new(sampler, roots.clone(), env.span_limits, processors).leak();
        install(provider.clone(), Some(pipeline));
        if parent_based {
            crate::__private::parent_decides_from_now();
        }
        // A sampler that keeps every root leaves nothing to skip.
        if let Some(roots) = roots.filter(|roots| !matches!(roots, Sampler::AlwaysOn)) {
            crate::__private::roots_decided_by(roots);
        }
        crate::untraced(|| match self.propagator {
            Some(chosen) => global::set_text_map_propagator(BoxedPropagator(chosen)),
            None => global::set_text_map_propagator(propagator(env.propagators)),
        });
        Ok(Guard {
            provider: Some(provider),
            pipeline: Some(pipeline),
        })
    }
}

/// Installs `provider` as the global tracer provider, as
/// `opentelemetry::global::set_tracer_provider` does, and tells every traced
/// function at once. For a provider you build yourself instead of calling
/// [`init`]. (One installed straight through `opentelemetry::global` after
/// traced calls have run is noticed too, by each thread within 1,024 calls.)
///
/// ```
/// use otel_runtime::opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder().build();
/// otel_runtime::set_tracer_provider(provider.clone());
/// // … traced work …
/// provider.shutdown().unwrap();
/// ```
pub fn set_tracer_provider<P, T, S>(provider: P)
where
    S: opentelemetry::trace::Span + Send + Sync + 'static,
    T: opentelemetry::trace::Tracer<Span = S> + Send + Sync + 'static,
    P: opentelemetry::trace::TracerProvider<Tracer = T> + Send + Sync + 'static,
{
    // An SDK provider is installed wrapped, so that traced functions can
    // use its tracers unboxed (see `__private::tracers`). Exactly one of
    // `sdk` and `provider` is left.
    let mut provider = Some(provider);
    let sdk = (&mut provider as &mut dyn std::any::Any)
        .downcast_mut::<Option<SdkTracerProvider>>()
        .and_then(Option::take);
    match (sdk, provider) {
        (Some(sdk), _) => install(sdk, None),
        (None, Some(other)) => {
            // Untraced: installing allocates under the global provider's
            // write lock, which a traced allocator would wait on.
            crate::untraced(|| global::set_tracer_provider(other));
            crate::__private::provider_changed();
        }
        (None, None) => {}
    }
}

/// Installs an SDK provider, with the pipeline of spans made directly when
/// this crate built it.
pub(crate) fn install(provider: SdkTracerProvider, direct: Option<&'static Pipeline>) {
    let installed = Installed { provider, direct };
    crate::untraced(|| global::set_tracer_provider(installed));
    crate::__private::provider_changed();
}

/// `exporter` behind a batch processor (configured by `OTEL_BSP_*`), both
/// counted, text values cut to the length limit.
fn with_exporter(
    exporter: impl opentelemetry_sdk::trace::SpanExporter + 'static,
    batching: Batching,
) -> Box<dyn Processor> {
    let queue = Queue::new(batching.max_queue_size);
    Box::new(CountedIn {
        inner: batch(exporter, &queue, batching.schedule),
        queue,
    })
}

/// The console exporter, which prints a trace when the last of its local
/// roots ends: a trace that comes back into this process through one of its
/// HTTP servers is printed whole, once.
fn with_console(batching: Batching) -> Box<dyn Processor> {
    let roots = Arc::new(OpenRoots::default());
    let exporter = ConsoleExporter::stdout().waiting_for(roots.clone());
    let queue = Queue::new(batching.max_queue_size);
    Box::new(CountedIn {
        inner: TrackRoots::new(roots, batch(exporter, &queue, batching.schedule)),
        queue,
    })
}

/// The batch processors' settings (`OTEL_BSP_*`).
#[derive(Clone, Copy, Debug)]
struct Batching {
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, at most `env::MAX_QUEUE_SIZE`.
    max_queue_size: usize,
    schedule: Schedule,
}

/// A batch processor for `exporter`, behind `queue`, which admits spans in
/// front of it.
fn batch(
    exporter: impl opentelemetry_sdk::trace::SpanExporter + 'static,
    queue: &Arc<Queue>,
    schedule: Schedule,
) -> Batch {
    let exporter = Counted {
        inner: Truncating(exporter),
        queue: queue.clone(),
    };
    Batch::new(exporter, schedule)
}

/// `service.name` first from code, then `OTEL_SERVICE_NAME`, then
/// `OTEL_RESOURCE_ATTRIBUTES`, then the executable's name.
fn resource(
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

fn propagator(chosen: env::Propagators) -> TextMapCompositePropagator {
    crate::propagation::w3c(chosen.trace_context, chosen.baggage)
}

/// A propagator chosen in code; `global` wants a sized one.
#[derive(Debug)]
struct BoxedPropagator(Box<dyn TextMapPropagator + Send + Sync>);

impl TextMapPropagator for BoxedPropagator {
    fn inject_context(&self, cx: &opentelemetry::Context, injector: &mut dyn Injector) {
        self.0.inject_context(cx, injector);
    }

    fn extract_with_context(
        &self,
        cx: &opentelemetry::Context,
        extractor: &dyn Extractor,
    ) -> opentelemetry::Context {
        self.0.extract_with_context(cx, extractor)
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        self.0.fields()
    }
}

/// Keeps tracing set up; dropping it exports every span that finished
/// before, waiting at most 5 seconds, and shuts the provider down.
///
/// On `std::process::exit`, destructors do not run: drop the guard first.
/// On a panic in `main`, the guard is dropped while unwinding, so spans
/// are still exported (unless the panic strategy is `abort`).
#[must_use = "dropping the guard at once shuts tracing down"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
    pipeline: Option<&'static Pipeline>,
}

impl Guard {
    /// Exports every span that has ended so far, and waits for the
    /// exporters (each up to its timeout): before a serverless function
    /// returns, or a process is suspended.
    ///
    /// # Errors
    /// When an exporter failed or timed out.
    ///
    /// ```
    /// let guard = otel_runtime::builder().no_exporter().init()?;
    /// // … traced work …
    /// guard.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        match &self.provider {
            Some(provider) => crate::untraced(|| provider.force_flush()),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("enabled", &self.provider.is_some())
            .finish()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            otlp::shutting_down();
            crate::untraced(|| {
                // When the SDK's tracer stops handing spans on, so do the
                // spans that traced calls make directly.
                if let Some(pipeline) = self.pipeline {
                    pipeline.shut_down();
                }
                if let Err(error) = provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
                    eprintln!("otel_runtime: shutting tracing down: {error}");
                }
                if let Some(summary) = loss::summary() {
                    eprintln!("{summary}");
                }
            });
        }
    }
}

/// Why [`init`] did not set tracing up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitError {
    /// `init` was already called in this process.
    AlreadyInitialized,
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::AlreadyInitialized => {
                f.write_str("otel_runtime::init was already called in this process")
            }
        }
    }
}

impl error::Error for InitError {}
