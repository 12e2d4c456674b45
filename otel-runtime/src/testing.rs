//! Capture the spans that your own code makes, in your own tests.
//!
//! [`capture`] runs a closure (and [`capture_async`] a future) inside a
//! fresh trace and returns every span that finished in that trace. Tests run
//! in parallel threads of one process and share one global provider, so each
//! capture is told apart by its trace ID: captures never see each other's
//! spans.
//!
//! The first capture installs, as the global tracer provider, an SDK
//! provider that samples everything and keeps finished spans in memory. Use
//! it in test binaries that do not install a provider of their own.
//!
//! ```
//! use otel_runtime::testing::{capture, SpanDataExt};
//! use otel_runtime::traced;
//!
//! #[traced]
//! fn lookup(id: u32) -> Option<&'static str> {
//!     (id == 7).then_some("seven")
//! }
//!
//! let (found, spans) = capture(|| lookup(7));
//! assert_eq!(found, Some("seven"));
//! let span = spans.named("lookup");
//! assert_eq!(span.attr("id"), Some(&7_i64.into()));
//! assert!(spans.is_top_level(span));
//! ```

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use opentelemetry::trace::{
    FutureExt as _, SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, Key, Value};
use opentelemetry_sdk::trace::{Sampler, SpanData, SpanLimits};

use crate::engine::{self, Ended, Processor, Setup};

pub use opentelemetry_sdk::trace::SpanData as Span;

/// Every span that finished in the process, since the first capture.
///
/// A processor rather than an exporter behind the SDK's simple processor:
/// that one blocks on a `futures` executor, which panics inside a test that
/// itself runs in `futures::executor::block_on`.
#[derive(Clone, Debug, Default)]
struct Collector(Arc<Mutex<Vec<SpanData>>>);

impl Processor for Collector {
    fn on_end(&self, span: Ended<'_>) {
        if let Some(span) = span.take_data() {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(span);
        }
    }
}

fn collector() -> &'static Collector {
    static COLLECTOR: OnceLock<Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let collector = Collector::default();
        // Set in code, not read from `OTEL_*` as the SDK's defaults are:
        // a capture samples everything, whatever the environment says.
        let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
        let processors: Vec<Box<dyn Processor>> = vec![Box::new(collector.clone())];
        // Every root is kept: the sampler's decision for roots is known.
        let setup = Setup {
            sampler,
            roots: Some(Sampler::AlwaysOn),
            limits: SpanLimits::default(),
            resource: None,
        };
        engine::build(setup, processors).install(false, None);
        collector
    })
}

/// A fresh trace to run a capture in: a sampled remote parent, so that the
/// spans made inside are sampled and carry its trace ID.
fn fresh_parent() -> Context {
    let ids = opentelemetry_sdk::trace::RandomIdGenerator::default();
    let parent = SpanContext::new(
        opentelemetry_sdk::trace::IdGenerator::new_trace_id(&ids),
        opentelemetry_sdk::trace::IdGenerator::new_span_id(&ids),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(parent)
}

fn collect(parent: &Context) -> CapturedSpans {
    let parent = parent.span().span_context().clone();
    // Untraced: a traced allocator, called while the lock is held here,
    // would end its span into the same lock.
    let spans = crate::engine::untraced(|| {
        collector()
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|span| span.span_context.trace_id() == parent.trace_id())
            .cloned()
            .collect()
    });
    CapturedSpans {
        spans,
        trace_id: parent.trace_id(),
        root: parent.span_id(),
    }
}

/// Runs `f` in a fresh trace and returns its result with the spans that
/// finished in that trace.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, CapturedSpans) {
    collector();
    let parent = fresh_parent();
    let result = {
        let _current = parent.clone().attach();
        f()
    };
    (result, collect(&parent))
}

/// Calls `make` and awaits the future it returns, in a fresh trace, and
/// returns the output with the spans that finished in that trace.
///
/// It takes a closure, not a future: a traced function's span starts when
/// the function is called, so the call itself must happen inside the
/// capture.
///
/// ```
/// use otel_runtime::testing::capture_async;
///
/// #[otel_runtime::traced]
/// async fn fetch(id: u32) -> u32 {
///     id + 1
/// }
///
/// # futures::executor::block_on(async {
/// let (value, spans) = capture_async(|| fetch(1)).await;
/// assert_eq!(value, 2);
/// assert!(spans.find("fetch").is_some());
/// # });
/// ```
pub async fn capture_async<F: Future>(make: impl FnOnce() -> F) -> (F::Output, CapturedSpans) {
    collector();
    let parent = fresh_parent();
    let future = {
        let _current = parent.clone().attach();
        make()
    };
    let output = future.with_context(parent.clone()).await;
    (output, collect(&parent))
}

/// The spans of one capture, in the order they finished.
#[derive(Clone)]
pub struct CapturedSpans {
    spans: Vec<SpanData>,
    trace_id: TraceId,
    root: SpanId,
}

impl CapturedSpans {
    /// All the spans, in the order they finished.
    pub fn all(&self) -> &[SpanData] {
        &self.spans
    }

    /// The number of spans.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether no span finished.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The trace every captured span belongs to.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span named `name`, if exactly one has that name.
    pub fn find(&self, name: &str) -> Option<&SpanData> {
        let mut matches = self.spans.iter().filter(|span| span.name == name);
        let first = matches.next()?;
        matches.next().is_none().then_some(first)
    }

    /// The one span named `name`.
    ///
    /// # Panics
    /// When no span or several spans have that name; the message lists them.
    #[track_caller]
    pub fn named(&self, name: &str) -> &SpanData {
        match self.find(name) {
            Some(span) => span,
            None => panic!("expected exactly one span named {name:?} in {self:?}"),
        }
    }

    /// Every span named `name`.
    pub fn all_named(&self, name: &str) -> Vec<&SpanData> {
        self.spans.iter().filter(|span| span.name == name).collect()
    }

    /// The spans whose parent is `parent`.
    pub fn children_of(&self, parent: &SpanData) -> Vec<&SpanData> {
        let id = parent.span_context.span_id();
        self.spans
            .iter()
            .filter(|span| span.parent_span_id == id)
            .collect()
    }

    /// Whether `span` was started directly inside the capture, with no
    /// captured span as its parent.
    pub fn is_top_level(&self, span: &SpanData) -> bool {
        span.parent_span_id == self.root
    }

    /// Whether `child`'s parent is `parent`.
    pub fn is_child_of(&self, child: &SpanData, parent: &SpanData) -> bool {
        child.parent_span_id == parent.span_context.span_id()
    }
}

impl fmt::Debug for CapturedSpans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.spans.iter().map(|span| &span.name).collect();
        f.debug_struct("CapturedSpans")
            .field("trace_id", &self.trace_id)
            .field("spans", &names)
            .finish()
    }
}

/// Shortcuts for assertions on one span.
pub trait SpanDataExt {
    /// The value of the attribute `key`.
    fn attr(&self, key: &str) -> Option<&Value>;
    /// The attributes of the first event named `name`.
    fn event(&self, name: &str) -> Option<Vec<(&Key, &Value)>>;
    /// How many events are named `name`.
    fn event_count(&self, name: &str) -> usize;
    /// The attribute `key` of the first event named `event`.
    fn event_attr(&self, event: &str, key: &str) -> Option<&Value>;
}

impl SpanDataExt for SpanData {
    fn attr(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    fn event(&self, name: &str) -> Option<Vec<(&Key, &Value)>> {
        let event = self.events.iter().find(|event| event.name == name)?;
        Some(
            event
                .attributes
                .iter()
                .map(|kv| (&kv.key, &kv.value))
                .collect(),
        )
    }

    fn event_count(&self, name: &str) -> usize {
        self.events
            .iter()
            .filter(|event| event.name == name)
            .count()
    }

    fn event_attr(&self, event: &str, key: &str) -> Option<&Value> {
        let event = self.events.iter().find(|e| e.name == event)?;
        event
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }
}
