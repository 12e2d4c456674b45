//! What a `#[traced]` function knows at compile time: its [`CallSite`],
//! declared as a `static` by the expansion, so that a call passes one
//! pointer.

use opentelemetry::KeyValue;
use opentelemetry::trace::SpanKind;

/// Everything about a `#[traced]` function that is known at compile time.
/// The expansion declares one as a `static`, so a call passes one pointer.
#[derive(Debug)]
pub struct CallSite {
    /// The span name.
    pub name: &'static str,
    /// The span kind.
    pub kind: SpanKind,
    /// Returns the function's full path, for `code.function.name`.
    pub function: fn() -> &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// `line!()` of the function's name.
    pub line: u32,
    /// The annotated crate's name: the instrumentation scope.
    pub scope_name: &'static str,
    /// The annotated crate's version.
    pub scope_version: &'static str,
    /// How many attributes the expansion records (arguments, fields,
    /// `ret`), so that the span's list is allocated once.
    pub attributes: usize,
    /// How an `Err` is recorded.
    pub errors: ErrorMode,
}

/// Returns the path of the function that declares `marker`, a nested `fn`
/// item, without the marker's own name. Items nested in a function carry its
/// full path, including the type for methods, which `module_path!` lacks.
pub fn function_name<F>(_marker: F) -> &'static str {
    let path = std::any::type_name::<F>();
    // The expansion's marker, cut without searching: a search costs far
    // more, once per span (the ledger of `ARCHITECTURE.md` has the count).
    if let Some(function) = path.strip_suffix("::__otel_here") {
        return function;
    }
    path.rsplit_once("::")
        .map_or(path, |(function, _marker)| function)
}

/// How a call site records errors; set by the `err` and `exception` options.
#[derive(Clone, Copy, Debug)]
pub struct ErrorMode {
    /// `false` with `err(off)`: an `Err` leaves the span untouched.
    pub record: bool,
    /// `false` with `exception = false`: status and `error.type` only.
    pub exception_event: bool,
    /// `true` with `err(Debug)`: the message is the error's `Debug` text.
    pub debug_message: bool,
}

/// The call site of no span; never read, as nothing is recorded without one.
pub(crate) static NO_SITE: CallSite = CallSite {
    name: "",
    kind: SpanKind::Internal,
    function: || "",
    file: "",
    line: 0,
    scope_name: "",
    scope_version: "",
    attributes: 0,
    errors: ErrorMode {
        record: false,
        exception_event: false,
        debug_message: false,
    },
};

/// The `code.*` attributes, in a list with room for the rest, as growing
/// a list costs more than allocating it at its size.
pub(crate) fn code_attributes(site: &CallSite) -> Vec<KeyValue> {
    // One more for `error.type` or `return`.
    let mut attributes = Vec::with_capacity(3 + site.attributes + 1);
    // Pushed one by one: extending from an array would copy it first.
    attributes.push(KeyValue::new("code.function.name", (site.function)()));
    attributes.push(KeyValue::new("code.file.path", site.file));
    attributes.push(KeyValue::new("code.line.number", i64::from(site.line)));
    attributes
}
