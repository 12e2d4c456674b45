//! Setting up tracing once, in `main`: [`init`] for the standard
//! environment variables, [`builder`] for settings in code. Configuration
//! only: what it sets up is the engine's (`crate::engine`).

mod env;
#[cfg(feature = "tracing")]
mod logs;
mod metrics;
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
mod otlp;
mod processors;
mod propagators;
mod resource;
#[cfg(feature = "tls")]
mod tls;
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
mod wire;
// The same interface, refusing certificate files: this build has no TLS.
#[cfg(not(feature = "tls"))]
#[path = "no_tls.rs"]
mod tls;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use std::{error, fmt};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::{KeyValue, global};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};

use crate::engine::{self, Built, Processor, Schedule, Setup};
use env::EnvConfig;
pub use env::ExporterKind;
use processors::Batching;
use propagators::BoxedPropagator;

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
    /// `false`: leave `tracing`'s global subscriber to the program.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    no_tracing_subscriber: bool,
    #[cfg(feature = "tracing")]
    log_exporters: Vec<LogExporterInCode>,
    #[cfg(feature = "tracing")]
    tracing_events: crate::TracingEvents,
    metric_exporters: Vec<MetricExporterInCode>,
    /// `false`: traced calls record no duration.
    no_function_metrics: bool,
}

/// An exporter given to [`Builder::metric_exporter`].
struct MetricExporterInCode(metrics::InCode);

impl fmt::Debug for MetricExporterInCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricExporter")
    }
}

/// An exporter given to [`Builder::log_exporter`].
#[cfg(feature = "tracing")]
struct LogExporterInCode(logs::InCode);

#[cfg(feature = "tracing")]
impl fmt::Debug for LogExporterInCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogExporter")
    }
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
                processors::with_exporter(exporter, batching)
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

    /// Whether `init` installs a global `tracing` subscriber (yes, unless the
    /// program set one first): `tracing`'s registry, filtered by `RUST_LOG`
    /// (`info` when unset), with [`tracing_layer`](crate::tracing_layer).
    /// Say `false` when the program sets its own subscriber after `init`,
    /// and add the layer to it.
    ///
    /// ```
    /// use tracing_subscriber::layer::SubscriberExt as _;
    /// use tracing_subscriber::util::SubscriberInitExt as _;
    ///
    /// let guard = otel_runtime::builder().tracing_subscriber(false).no_exporter().init();
    /// tracing_subscriber::registry()
    ///     .with(tracing_subscriber::EnvFilter::new("debug"))
    ///     .with(otel_runtime::tracing_layer())
    ///     .init();
    /// # drop(guard);
    /// ```
    #[cfg(feature = "tracing")]
    pub fn tracing_subscriber(mut self, install: bool) -> Self {
        self.no_tracing_subscriber = !install;
        self
    }

    /// How `tracing` events and `log` records are recorded (else as log
    /// records, [`TracingEvents::LogRecords`](crate::TracingEvents)).
    ///
    /// ```
    /// let guard = otel_runtime::builder()
    ///     .tracing_events(otel_runtime::TracingEvents::SpanEvents)
    ///     .no_exporter()
    ///     .init();
    /// # drop(guard);
    /// ```
    #[cfg(feature = "tracing")]
    pub fn tracing_events(mut self, events: crate::TracingEvents) -> Self {
        self.tracing_events = events;
        self
    }

    /// Sends log records to `exporter` too, behind a batch processor of
    /// its own (`OTEL_BLRP_*`), with the same bounded, counted queue as
    /// the standard exporters. Unless `OTEL_LOGS_EXPORTER` names standard
    /// ones as well, log records go to `exporter` alone.
    ///
    /// ```
    /// use otel_runtime::opentelemetry_sdk::error::OTelSdkResult;
    /// use otel_runtime::opentelemetry_sdk::logs::{LogBatch, LogExporter};
    ///
    /// /// Prints each record's message.
    /// #[derive(Debug)]
    /// struct Messages;
    ///
    /// impl LogExporter for Messages {
    ///     async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
    ///         for (record, _scope) in batch.iter() {
    ///             println!("{:?}", record.body());
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let guard = otel_runtime::builder().log_exporter(Messages).no_exporter().init();
    /// # drop(guard);
    /// ```
    #[cfg(feature = "tracing")]
    pub fn log_exporter(
        mut self,
        exporter: impl opentelemetry_sdk::logs::LogExporter + 'static,
    ) -> Self {
        self.log_exporters
            .push(LogExporterInCode(Box::new(move |env| {
                logs::with_exporter(exporter, env)
            })));
        self
    }

    /// Sends metrics to `exporter` too, read every
    /// `OTEL_METRIC_EXPORT_INTERVAL` (60 s unless set) and at the end.
    /// Unless `OTEL_METRICS_EXPORTER` names standard ones as well, metrics
    /// go to `exporter` alone.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use otel_runtime::opentelemetry_sdk::error::OTelSdkResult;
    /// use otel_runtime::opentelemetry_sdk::metrics::Temporality;
    /// use otel_runtime::opentelemetry_sdk::metrics::data::ResourceMetrics;
    /// use otel_runtime::opentelemetry_sdk::metrics::exporter::PushMetricExporter;
    ///
    /// /// Prints each metric's name.
    /// struct Names;
    ///
    /// impl PushMetricExporter for Names {
    ///     async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
    ///         for scope in metrics.scope_metrics() {
    ///             for metric in scope.metrics() {
    ///                 println!("{}", metric.name());
    ///             }
    ///         }
    ///         Ok(())
    ///     }
    ///     fn force_flush(&self) -> OTelSdkResult {
    ///         Ok(())
    ///     }
    ///     fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
    ///         Ok(())
    ///     }
    ///     fn temporality(&self) -> Temporality {
    ///         Temporality::Cumulative
    ///     }
    /// }
    ///
    /// let guard = otel_runtime::builder().metric_exporter(Names).no_exporter().init()?;
    /// let orders = otel_runtime::opentelemetry::global::meter("shop")
    ///     .u64_counter("orders")
    ///     .build();
    /// orders.add(1, &[]);
    /// drop(guard); // prints "orders"
    /// # Ok::<(), otel_runtime::InitError>(())
    /// ```
    pub fn metric_exporter(
        mut self,
        exporter: impl opentelemetry_sdk::metrics::exporter::PushMetricExporter,
    ) -> Self {
        self.metric_exporters
            .push(MetricExporterInCode(Box::new(move |builder, env| {
                metrics::with_exporter(builder, exporter, env)
            })));
        self
    }

    /// Whether every traced call records its duration in the
    /// `code.function.duration` histogram (yes, when metrics are exported;
    /// [`function_metrics`](crate::function_metrics) changes it later).
    ///
    /// ```
    /// let guard = otel_runtime::builder().function_metrics(false).no_exporter().init();
    /// # drop(guard);
    /// ```
    pub fn function_metrics(mut self, record: bool) -> Self {
        self.no_function_metrics = !record;
        self
    }

    /// Installs the global tracer provider and propagator.
    ///
    /// # Errors
    /// [`InitError::AlreadyInitialized`] when called a second time.
    pub fn init(mut self) -> Result<Guard, InitError> {
        if INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(InitError::AlreadyInitialized);
        }
        let mut env = EnvConfig::from_process();
        let tls = tls::Tls::load(&env.tls, &mut env.problems);
        let mut reported = Reported::default();
        reported.print(&env.problems);
        if env.disabled {
            return Ok(Guard::default());
        }
        engine::set_value_length(env.value_length_limit);
        let resource = resource::resource(
            self.service_name.take().or(env.service_name.take()),
            std::mem::take(&mut env.resource_attributes),
            std::mem::take(&mut self.resource),
        );
        let kinds = self.exporter_kinds(&env);
        #[cfg(feature = "tracing")]
        let logs = self.logs(&kinds, &env, &tls, &mut reported, resource.clone());
        let metrics = self.metrics(&kinds, &env, &tls, &mut reported, resource.clone());
        // The decision for root spans, when it depends on the trace ID
        // alone (see `engine::sampling`).
        let roots = match &self.sampler {
            Some(sampler) => engine::by_trace_id(sampler),
            None => Some(env.root_sampler.clone()),
        };
        let sampler = self.sampler.take().unwrap_or_else(|| env.sampler.clone());
        // Its decision for a child of an unsampled span is always to drop
        // (`Sampler::ParentBased` has no other), which traced calls use.
        let parent_decides = matches!(sampler, Sampler::ParentBased(_));
        let setup = Setup {
            sampler,
            roots: roots.clone(),
            limits: env.span_limits,
            resource: Some(resource),
        };
        let built = engine::build(setup, self.processors(kinds, &env, &tls));
        built.install(parent_decides, roots);
        let propagator = self.propagator.take();
        crate::untraced(|| match propagator {
            Some(chosen) => global::set_text_map_propagator(BoxedPropagator(chosen)),
            None => global::set_text_map_propagator(propagators::propagator(env.propagators)),
        });
        #[cfg(feature = "tracing")]
        if !self.no_tracing_subscriber {
            crate::bridge::install_subscriber();
        }
        Ok(Guard {
            tracing: Some(built),
            #[cfg(feature = "tracing")]
            logs,
            metrics,
        })
    }

    /// Sets the meter provider up, installed as the global one: metrics go
    /// to the exporters of `OTEL_METRICS_EXPORTER`, else where spans go
    /// (`spans`), and to those given in code.
    fn metrics(
        &mut self,
        spans: &[ExporterKind],
        env: &EnvConfig,
        tls: &tls::Tls,
        reported: &mut Reported,
        resource: opentelemetry_sdk::Resource,
    ) -> Option<opentelemetry_sdk::metrics::SdkMeterProvider> {
        let in_code: Vec<_> = std::mem::take(&mut self.metric_exporters)
            .into_iter()
            .map(|exporter| exporter.0)
            .collect();
        let export = &env.metrics.export;
        let (kinds, own) = signal_setup("metrics", export, &in_code, spans, env, reported);
        let tls = own.as_ref().unwrap_or(tls);
        let provider = metrics::provider(&kinds, in_code, env, tls, resource)?;
        crate::untraced(|| {
            global::set_meter_provider(provider.clone());
            use opentelemetry::metrics::MeterProvider as _;
            let meter = provider.meter_with_scope(engine::metrics_scope());
            engine::install_metrics(&meter, !self.no_function_metrics);
        });
        Some(provider)
    }

    /// Where spans go: the exporters named in code or by
    /// `OTEL_TRACES_EXPORTER`. With none named, none when exporters are
    /// given in code, else the console, or OTLP when an endpoint is set.
    fn exporter_kinds(&mut self, env: &EnvConfig) -> Vec<ExporterKind> {
        let named = self.exporters.take().or_else(|| env.exporters.clone());
        named.unwrap_or_else(
            || match (self.span_exporters.is_empty(), &env.otlp_endpoint) {
                (false, _) => Vec::new(),
                // The specification's default is OTLP; with no endpoint set,
                // nothing would receive it, so show the trace here instead.
                (true, env::Endpoint::Set(_)) => vec![ExporterKind::Otlp],
                (true, _) => vec![ExporterKind::Console],
            },
        )
    }

    /// Sets the logger provider up: log records go to the exporters of
    /// `OTEL_LOGS_EXPORTER`, else where spans go (`spans`), and to those
    /// given in code.
    #[cfg(feature = "tracing")]
    fn logs(
        &mut self,
        spans: &[ExporterKind],
        env: &EnvConfig,
        tls: &tls::Tls,
        reported: &mut Reported,
        resource: opentelemetry_sdk::Resource,
    ) -> Option<opentelemetry_sdk::logs::SdkLoggerProvider> {
        let in_code: Vec<_> = std::mem::take(&mut self.log_exporters)
            .into_iter()
            .map(|exporter| exporter.0)
            .collect();
        let export = &env.logs.export;
        let (kinds, own) = signal_setup("log records", export, &in_code, spans, env, reported);
        let tls = own.as_ref().unwrap_or(tls);
        let provider = logs::provider(&kinds, in_code, env, tls, resource)?;
        crate::logs::install(&provider, self.tracing_events);
        Some(provider)
    }

    /// A processor per exporter of `kinds` (the console once), then one per
    /// exporter given in code.
    fn processors(
        &mut self,
        kinds: Vec<ExporterKind>,
        env: &EnvConfig,
        tls: &tls::Tls,
    ) -> Vec<Box<dyn Processor>> {
        let in_code = std::mem::take(&mut self.span_exporters);
        let batching = Batching {
            max_queue_size: env.max_queue_size,
            schedule: Schedule {
                delay: env.schedule_delay,
                max_batch: env.max_export_batch_size,
            },
            max_concurrent_exports: env.max_concurrent_exports,
        };
        let mut processors = Vec::new();
        let mut console = false;
        for kind in kinds {
            let otlp = match kind {
                ExporterKind::Otlp => processors::otlp(env, tls, batching),
                ExporterKind::Console => None,
            };
            match otlp {
                Some(otlp) => processors.push(otlp),
                // Once, even when the OTLP exporter falls back to it.
                None if console => {}
                None => {
                    console = true;
                    processors.extend(processors::console(batching));
                }
            }
        }
        processors.extend(in_code.into_iter().map(|exporter| (exporter.0)(batching)));
        processors
    }
}

/// The problems printed so far: a general variable read for several
/// signals is reported once.
#[derive(Default)]
struct Reported(std::collections::HashSet<env::Problem>);

impl Reported {
    fn print(&mut self, problems: &[env::Problem]) {
        for problem in problems {
            if self.0.insert(problem.clone()) {
                eprintln!("otel_runtime: {problem}");
            }
        }
    }
}

/// Where a signal other than spans goes: the exporters its variable names
/// (`export`); unset, only those given in code (`in_code`) if there are
/// some, else where spans go. And the certificates of its own files, when
/// it exports over OTLP and they differ from the spans' (their problems
/// printed, naming `signal`); `None`: the spans' serve.
fn signal_setup<T>(
    signal: &str,
    export: &env::SignalEnv,
    in_code: &[T],
    spans: &[ExporterKind],
    env: &EnvConfig,
    reported: &mut Reported,
) -> (Vec<ExporterKind>, Option<tls::Tls>) {
    let kinds = match &export.exporters {
        Some(named) => named.clone(),
        None if !in_code.is_empty() => Vec::new(),
        None => spans.to_vec(),
    };
    if !kinds.contains(&ExporterKind::Otlp) || export.tls == env.tls {
        return (kinds, None);
    }
    let mut problems = Vec::new();
    let tls = tls::Tls::load(&export.tls, &mut problems);
    for problem in &mut problems {
        problem.why = format!("{} (for {signal})", problem.why);
    }
    reported.print(&problems);
    (kinds, Some(tls))
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
    // use its tracers unboxed (see `engine::tracers`). Exactly one of
    // `sdk` and `provider` is left.
    let mut provider = Some(provider);
    let sdk = (&mut provider as &mut dyn std::any::Any)
        .downcast_mut::<Option<SdkTracerProvider>>()
        .and_then(Option::take);
    match (sdk, provider) {
        (Some(sdk), _) => engine::install(sdk, None),
        (None, Some(other)) => engine::install_other(other),
        (None, None) => {}
    }
}

/// Keeps tracing set up; dropping it exports every span that finished
/// before, waiting at most 5 seconds, and shuts the provider down.
///
/// On `std::process::exit`, destructors do not run: drop the guard first.
/// On a panic in `main`, the guard is dropped while unwinding, so spans
/// are still exported (unless the panic strategy is `abort`).
#[must_use = "dropping the guard at once shuts tracing down"]
#[derive(Default)]
pub struct Guard {
    tracing: Option<Built>,
    #[cfg(feature = "tracing")]
    logs: Option<opentelemetry_sdk::logs::SdkLoggerProvider>,
    metrics: Option<opentelemetry_sdk::metrics::SdkMeterProvider>,
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
        #[cfg(feature = "tracing")]
        let logs = match &self.logs {
            Some(logs) => logs.force_flush(),
            None => Ok(()),
        };
        #[cfg(not(feature = "tracing"))]
        let logs = Ok(());
        let logs = match &self.metrics {
            Some(metrics) => metrics.force_flush().and(logs),
            None => logs,
        };
        match &self.tracing {
            Some(tracing) => tracing.flush().and(logs),
            None => logs,
        }
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("enabled", &self.tracing.is_some())
            .finish()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(tracing) = self.tracing.take() {
            #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
            otlp::shutting_down();
            #[cfg(feature = "tracing")]
            if let Some(logs) = self.logs.take() {
                if let Err(error) = logs.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
                    eprintln!("otel_runtime: shutting logs down: {error}");
                }
            }
            if let Err(error) = tracing.shutdown(SHUTDOWN_TIMEOUT) {
                eprintln!("otel_runtime: shutting tracing down: {error}");
            }
            // Last: the console's table of metrics follows the trees. The
            // last reading is exported as the provider shuts down; a failure
            // there is counted, and reported below.
            if let Some(metrics) = self.metrics.take() {
                let _ = metrics.shutdown_with_timeout(SHUTDOWN_TIMEOUT);
            }
            for summary in engine::loss_summary() {
                eprintln!("{summary}");
            }
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
