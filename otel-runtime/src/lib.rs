//! Trace Rust code with OpenTelemetry: annotate a function with
//! [`#[traced]`](traced), and every call becomes a span.
//!
//! ```
//! use otel_runtime::traced;
//!
//! #[traced]
//! fn charge(user_id: u64, amount: f64) -> Result<String, std::io::Error> {
//!     otel_runtime::set_attribute("api_version", "2023-10-16");
//!     Ok(format!("ch_{user_id}"))
//! }
//!
//! # let (_, spans) = otel_runtime::testing::capture(|| charge(42, 99.99));
//! # use otel_runtime::testing::SpanDataExt;
//! # assert_eq!(spans.named("charge").attr("user_id"), Some(&42_i64.into()));
//! ```
//!
//! Spans go to the global tracer provider (`opentelemetry::global`),
//! whichever installed it. See the [`traced`] docs for every option.
//!
//! # Features
//!
//! The defaults are what an application's `init` can set up; a library
//! that only annotates its functions takes `default-features = false`,
//! which leaves out every exporter, TLS and Tokio.
//!
//! | feature | default | what it brings |
//! |---|---|---|
//! | `otlp-grpc` | yes | OTLP over gRPC (tonic, Tokio) |
//! | `otlp-http` | yes | OTLP over HTTP with protobuf (hyper, Tokio) |
//! | `tls` | yes | `https` endpoints and certificate files (rustls, ring) |
//! | `console` | yes | the waterfall tree on standard output |
//! | `otlp-json` | no | OTLP over HTTP with JSON (serde_json) |
//! | `testing` | no | `otel_runtime::testing`: capture a closure's spans, for tests |
//! | `tower`, `axum` | no | `http::server::TraceLayer`: a server span per request |
//! | `tracing` | no | `tracing` spans in the same traces ([`tracing_layer`], and the subscriber `init` installs) |
//! | `log` | no | `log` records too, as events of the span they are written in (`tracing-log`) |
//! | `reqwest` | no | `http::client::TraceMiddleware`: a client span per request, the trace context sent along |
//!
//! A setting that needs a feature the build lacks is reported by `init`,
//! naming the feature.
#![forbid(unsafe_code)]
// On docs.rs, each item says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod attribute;
#[cfg(feature = "tracing")]
mod bridge;
#[cfg(feature = "console")]
mod console;
mod current;
mod engine;
#[cfg(feature = "tonic")]
pub mod grpc;
#[cfg(any(feature = "tower", feature = "reqwest"))]
pub mod http;
mod init;
#[cfg(feature = "tracing")]
mod logs;
pub mod propagation;
pub mod secrets;
mod spawn;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use attribute::AttributeValue;
#[cfg(feature = "tracing")]
pub use bridge::tracing_layer;
pub use current::{SpanIds, add_event, current_ids, set_attribute, untraced};
pub use engine::{ExportStats, export_stats, log_export_stats, metric_export_stats};
pub use engine::{IntoLink, IntoParent, function_metrics};
pub use init::{Builder, ExporterKind, Guard, InitError, builder, init, set_tracer_provider};
#[cfg(feature = "tracing")]
pub use logs::TracingEvents;
/// Wraps a function in an OpenTelemetry span: every call becomes a span,
/// current for the whole body, so that nested calls become its children.
///
/// ```
/// use otel_runtime::traced;
/// # use otel_runtime::testing::{capture, SpanDataExt};
///
/// #[traced]
/// fn process_payment(user_id: u64, amount: f64) -> u64 {
///     db_query("SELECT * FROM orders")
/// }
///
/// #[traced]
/// fn db_query(query: &str) -> u64 {
///     otel_runtime::set_attribute("rows_returned", 3);
///     3
/// }
/// # let (_, spans) = capture(|| process_payment(42, 99.99));
/// # let parent = spans.named("process_payment");
/// # assert!(spans.is_child_of(spans.named("db_query"), parent));
/// # assert_eq!(parent.attr("amount"), Some(&99.99.into()));
/// ```
///
/// # What a call records
///
/// - **Where spans go**: through the global tracer provider
///   (`opentelemetry::global`), whoever installed it. The instrumentation
///   scope is the annotated crate's name and version. With no provider
///   installed, a call records nothing and evaluates none of its arguments
///   (nor its `parent` and `links` expressions).
/// - **Name**: the function's name (`name = "…"` overrides it).
/// - **Arguments**: one attribute per argument binding, keyed by its name
///   (each binding of a pattern such as `(a, b): (i32, i32)` on its own;
///   `self` never). Values keep OpenTelemetry's types: integers are Int (a
///   `u64` or wider beyond `i64::MAX` becomes its decimal text), floats
///   Double, `bool` Bool, `&str`/`String`/`char`/`Cow<str>` String; an
///   `Option` records its inner value, or nothing for `None`; references and
///   smart pointers record what they point to. Any other type records its
///   `Debug` text, and a type with neither a typed form nor `Debug` records
///   its **type name**. No argument needs a `Debug` bound. See
///   [`AttributeValue`] to give your own types a typed form.
/// - **Nothing is evaluated when the span does not record** (no provider,
///   or sampled out): no formatting, allocation or clone of any argument.
/// - **Secrets**: an argument whose name holds the words of one of
///   [`secrets::SECRET_NAMES`] (`password`, `password_hash`, `apiKeyId`…,
///   any case) is recorded as `[REDACTED]`, unless `fields(…)` names it.
/// - **Code attributes**: `code.function.name` (the full path, with the type
///   for methods), `code.file.path`, `code.line.number`.
/// - **Errors**: when the function returns a `Result` (any alias:
///   `io::Result`, `anyhow::Result`, `Result<T, Box<dyn Error>>`…), an `Err`
///   sets status Error with the error's message as description, sets
///   `error.type` (the error's type name, or `Type::Variant` when its `Debug`
///   text starts with an enum variant), and adds one `exception` event with
///   `exception.type`, `exception.message` (its `Display`, else its `Debug`,
///   else its type name) and, where the error has sources,
///   `exception.source_chain`: the `Display` of each `source()`, outermost
///   first. An error type that is generic or borrows (`Full<T>` in an
///   `impl<T>`, `Full<&str>`, `Box<dyn Error + 'a>`) is recorded by its
///   text and type name, without its source chain: choosing by its `Error`
///   impl could demand `'static` of it. `Ok` leaves the status Unset. An
///   `Err` leaving through `?` is recorded as the function returns it,
///   after its conversion. A `?` is
///   seen where the return type is named `Result` or `…Result`; with a
///   type alias of another name, only `return`s and the tail are.
///   A `return` written inside a macro (anyhow's `bail!`, `ensure!`) is not
///   seen in a synchronous function: the macro's expansion is not there yet
///   when `#[traced]` runs. In an `async fn` every exit is seen.
/// - **Panics**: status Error, `error.type = "panic"`, an `exception` event
///   with the panic's message and `exception.stacktrace` holding its
///   location (`at file:line:column`); the span ends and the panic unwinds
///   on unchanged. The message comes from a panic hook installed, chained
///   to the previous one, by the first recording span.
/// - **Futures**: an `async fn`, or a function returning `impl Future` or
///   `Pin<Box<dyn Future>>` (as `#[async_trait]` writes them), starts its
///   span when called and ends it when the future completes. The span is
///   current on every poll, so spans across `.await`s and inside `join!`ed
///   futures are its children, while concurrent tasks never see each
///   other's spans. A future dropped before completion ends its span with
///   the attribute `code.cancelled = true` (the status stays Unset: a
///   timeout is not always an error). A `Send` future stays `Send`.
/// - **Behaviour is unchanged**: the body stays inline (no closure), so
///   `#[track_caller]` still reports the caller and items declared in the
///   body keep their paths. The body is the user's block, whole:
///   `#[cfg]`-gated statements and tails are left to the compiler, and each
///   returned expression is expected to be of the return type, so closures
///   returned as `impl Fn(&T)` or `Box<dyn Fn(&T)>` keep their signatures.
///   A function whose value is not inspected (no `Result`, no `ret`) keeps
///   its body as written. Every shape compiles: methods with any receiver,
///   trait impls and provided methods, `async fn` in traits and
///   `#[async_trait]`, generics, lifetimes, const generics, `impl Trait`,
///   `unsafe fn`, `extern "C" fn`, `#[tokio::main]` and `#[tokio::test]` in
///   either order. A `const fn` is refused with an error saying why.
///
/// # Options
///
/// | option | effect |
/// |---|---|
/// | `name = "…"` | the span name |
/// | `kind = "client"` | the span kind: `internal` (default), `server`, `client`, `producer`, `consumer` |
/// | `skip(a, b)` | do not record these arguments |
/// | `skip_all` | record no argument |
/// | `fields(key = expr, …)` | more attributes; keys may be dotted (`db.system = "postgresql"`), values are typed like arguments; `key = %expr` records `Display`, `key = ?expr` records `Debug`; `key` alone records the variable `key` |
/// | `ret`, `ret(Debug)`, `ret(Display)` | record the return value under `return` (for a `Result`, its `Ok` value) |
/// | `err`, `err(Display)` | record errors, message from `Display` (the default) |
/// | `err(Debug)` | record errors, message from `Debug` |
/// | `err(off)` | record no error at all |
/// | `exception = false` | status and `error.type` only, no `exception` event |
/// | `expected_err = pred` | an `Err` for which `pred(&error)` is true leaves the status Unset and records nothing (a cache miss, a 404) |
/// | `parent = cx` | the span's parent, instead of the current span: a `Context`, a `SpanContext`, a reference to one, or an `Option` of one ([`IntoParent`]) |
/// | `links = [a, b]` | links to these spans: each a `Context`, a `SpanContext` or a `Link`, a reference to one, or an `Option` of one ([`IntoLink`]) |
/// | `links = iterable` | a link per item of an iterable of those (a `Vec`, a slice, an iterator) |
/// | `crate = "path"` | the path of `otel_runtime`, for crates that re-export it |
/// | `level = …`, `target = …` | accepted and ignored, so that `#[instrument]` code keeps compiling |
///
/// `expected_err` takes a path to a `fn(&E) -> bool` or a closure. At a `?`,
/// where the error is of the type before conversion, the predicate applies
/// when it takes that type; there, a closure needs its parameter type
/// written (`|e: &MyError| …`).
///
/// ```
/// # use otel_runtime::testing::{capture, SpanDataExt};
/// use otel_runtime::traced;
///
/// #[derive(Debug)]
/// enum CacheError {
///     Miss,
///     Down,
/// }
///
/// #[traced(
///     name = "cache.get",
///     kind = "client",
///     skip(password),
///     fields(db.system = "redis", attempt = 1),
///     ret,
///     expected_err = |e| matches!(e, CacheError::Miss),
/// )]
/// fn get(key: &str, password: &str) -> Result<u32, CacheError> {
///     Err(CacheError::Miss)
/// }
/// # let (_, spans) = capture(|| get("k", "secret"));
/// # let span = spans.named("cache.get");
/// # assert_eq!(span.attr("db.system"), Some(&"redis".into()));
/// # assert_eq!(span.attr("password"), None);
/// # assert_eq!(span.status, otel_runtime::opentelemetry::trace::Status::Unset);
/// ```
///
/// # Parents, links and propagation
///
/// `parent = cx` makes the span a child of `cx` rather than of the current
/// span, and runs the body in `cx` with the span added, so that the body
/// sees `cx`'s baggage too (for a `SpanContext`, the current baggage stays).
/// `Context::new()` makes the span the root of a new trace; an `Option` that
/// is `None` leaves the current span as the parent. A server continues its
/// caller's trace with the context that [`propagation::extract`] reads from
/// the request's headers; [`propagation::inject`] writes the current one
/// into a request's.
///
/// `links = …` records that the span was caused by others without being
/// their child: a consumer handling a batch links to each message's
/// producer. In a list (`links = [a, b]`) each element may be of its own
/// type; any other expression is iterated. An invalid span context (from
/// headers without a valid `traceparent`) or a `None` adds no link.
///
/// ```
/// # use otel_runtime::testing::capture;
/// use otel_runtime::opentelemetry::Context;
/// use otel_runtime::{propagation, traced};
/// use std::collections::HashMap;
///
/// #[traced(kind = "server", parent = propagation::extract(headers))]
/// fn handle(headers: &http::HeaderMap) {}
///
/// struct Message {
///     headers: HashMap<String, String>,
/// }
///
/// #[traced(kind = "consumer", links = batch.iter().map(|m| propagation::extract_from(&m.headers)))]
/// fn consume(batch: &[Message]) {}
///
/// #[traced(parent = cx, links = [&previous_attempt])]
/// async fn retry(cx: &Context, previous_attempt: Context) {}
/// # capture(|| handle(&http::HeaderMap::new()));
/// # capture(|| consume(&[]));
/// # futures::executor::block_on(retry(&Context::new(), Context::new()));
/// ```
///
/// Both are expressions in the function's scope, evaluated once per call
/// when the call starts, before the sampler decides (it may look at both).
/// They are **not evaluated at all when no provider is installed**, and then
/// the body runs in the caller's context. `parent` and the elements of a
/// `links = […]` list are borrowed, so naming an argument does not move it;
/// an iterable is taken by value, as `for` takes it (`links = &contexts`
/// keeps a `Vec` argument usable). A mistyped value is a compile error at the
/// expression, naming the types accepted.
///
/// # Work on other threads and tasks
///
/// The current context belongs to a thread, and a future sees the one of
/// whichever thread polls it. A traced function's span needs nothing more:
/// it starts at the call and its future carries it. Untraced code handed to
/// another thread or task does: wrap a closure in
/// [`with_current_context`]`(f)` before `std::thread::spawn` (or a pool's
/// `spawn`), and a future in `.with_current_context()` ([`FutureExt`])
/// before `tokio::spawn(fut.with_current_context())`, so that the spans
/// started there are children of the span that spawned them.
///
/// # Coming from `#[instrument]`
///
/// | `tracing` | `#[traced]` |
/// |---|---|
/// | `#[instrument]` | `#[traced]`: arguments need no `Debug` bound; errors are recorded by default |
/// | `name = "…"`, `skip(…)`, `skip_all` | the same |
/// | `fields(a = expr, b = %x, c = ?y)` | the same, dotted keys included |
/// | `fields(a)` (an empty field) | the same: declared, recorded later with [`set_attribute`]; when `a` is an argument, its value |
/// | `fields(otel.name = …, otel.kind = "…", otel.status_code = "ERROR", otel.status_description = …)` | the same, read as `tracing-opentelemetry` reads them: the span's name (computed or literal), kind (a literal), status |
/// | `ret`, `ret(Debug)`, `ret(Display)`, with `level = …` inside | the same, the level ignored |
/// | `err`, `err(Debug)`, `err(Display)`, with `level = …` inside | the same (and the default), the level ignored; `err(off)` turns it off |
/// | `level = …`, `target = …` | accepted, ignored: spans have no level |
/// | `parent = span` | `parent = cx`, with an OpenTelemetry `Context` or `SpanContext`; an `Option` that is `None` keeps the current span, and a root (tracing's `parent = None`) is `parent = Context::new()` |
/// | `follows_from = …` | the same as `links = …`: OpenTelemetry `Context`s or `SpanContext`s, not `tracing` span IDs |
/// | `Span::current().record("k", v)` | [`set_attribute("k", v)`](set_attribute) |
/// | `tracing::info!("…")` inside | [`add_event("…", [])`](add_event) |
///
/// # What it expands to
///
/// For `#[traced] fn work(a: u64) -> Result<u64, E> { body }`, abridged:
///
/// ```text
/// fn work(a: u64) -> Result<u64, E> {
///     let mut span = __private::start(const { &__private::call_site!("work").attributes(1) });
///     if span.is_recording() {                 // the one check when not recording
///         span.attr("a", __private::value!(&a));
///     }
///     let span = span.enter();
///     let value: Result<u64, E> = 'body: {
///         <the body as written; each `return e` becomes `break 'body e`, and each `?` a
///          `match` that breaks to 'body with the converted `Err`>
///     };
///     __private::outcome!(&span, &value);    // with options: `expected = …`, `ret`
///     value
/// }
/// ```
///
/// The body is the user's block, whole, so `#[cfg]`-gated statements and
/// tails are resolved by the compiler; and the compiler expects each
/// returned expression to be of the return type, as without the attribute.
/// A function whose value is not inspected (it returns no `Result`, or
/// `impl Trait` such as a closure, and has no `ret`) keeps its body as
/// written, after the span is entered.
///
/// The call site is built at compile time, with a builder call for each
/// option that is not the default (`.kind(…)`, `.errors(…)`).
/// With `parent` or `links`, `start(site)` becomes
/// `start_with(site, || Relations::new().parent(&(cx)).link(&(a)))`:
/// the closure runs only when a span starts in full.
///
/// An `async fn` becomes a `fn` returning `impl Future`, whose future is the
/// body in an `async move` block wrapped in `Instrumented`, which makes the
/// span current on every poll.
pub use otel_macros::traced;
pub use spawn::{FutureExt, with_current_context};

/// The OpenTelemetry API this crate is built with, so that your code and
/// ours never disagree on its version.
pub use opentelemetry;

/// The OpenTelemetry SDK this crate is built with (samplers, span
/// processors, exporters of your own).
pub use opentelemetry_sdk;
