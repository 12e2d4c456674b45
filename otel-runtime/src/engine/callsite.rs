//! What a `#[traced]` function knows at compile time: its [`CallSite`],
//! built in a `const` by the expansion, so that a call passes one pointer.

use opentelemetry::KeyValue;
use opentelemetry::trace::SpanKind;

/// Everything about a `#[traced]` function that is known at compile time.
/// The expansion builds one in a `const`, with [`Scope::call_site`] and a
/// builder call for each option that is not the default, so that a call
/// passes one pointer.
#[derive(Debug)]
pub struct CallSite {
    /// The span name.
    pub(crate) name: &'static str,
    /// The span kind.
    pub(crate) kind: SpanKind,
    /// Returns the path of the expansion's marker `fn`, which
    /// [`function_name`] makes the function's, for `code.function.name`.
    /// The type's name only: each function then instantiates nothing but
    /// the intrinsic, where a generic cutting function would be compiled
    /// once per annotated function.
    pub(crate) function: fn() -> &'static str,
    /// The file of the function's name.
    pub(crate) file: &'static str,
    /// The line of the function's name.
    pub(crate) line: u32,
    /// The annotated crate's name: the instrumentation scope.
    pub(crate) scope_name: &'static str,
    /// The annotated crate's version.
    pub(crate) scope_version: &'static str,
    /// How many attributes the expansion records (arguments, fields,
    /// `ret`), so that the span's list is allocated once.
    pub(crate) attributes: usize,
    /// How an `Err` is recorded.
    pub(crate) errors: ErrorMode,
    /// Whether calls record their duration (`metrics`).
    pub(crate) metrics: bool,
}

/// The package a call site belongs to, its instrumentation scope: what
/// `__private::call_site!` reads from cargo where the expansion compiles.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    name: &'static str,
    version: &'static str,
}

impl Scope {
    /// A package's name and version, `"unknown"` for each that is not set
    /// (a build outside cargo).
    pub const fn new(name: Option<&'static str>, version: Option<&'static str>) -> Scope {
        Scope {
            name: or_unknown(name),
            version: or_unknown(version),
        }
    }

    /// The call site named `name` of the function that declares `marker`
    /// (a nested `fn` item, whose path is the function's), with the
    /// defaults: kind Internal, errors recorded by their `Display` text
    /// with an exception event. The file and line are the caller's: the
    /// expansion writes this call at the function's name.
    #[track_caller]
    pub const fn call_site<F: Copy>(self, name: &'static str, marker: F) -> CallSite {
        let _ = marker;
        let here = std::panic::Location::caller();
        CallSite {
            name,
            kind: SpanKind::Internal,
            function: std::any::type_name::<F>,
            file: here.file(),
            line: here.line(),
            scope_name: self.name,
            scope_version: self.version,
            attributes: 0,
            errors: ErrorMode::DISPLAY,
            metrics: true,
        }
    }
}

const fn or_unknown(name: Option<&'static str>) -> &'static str {
    match name {
        Some(name) => name,
        None => "unknown",
    }
}

impl CallSite {
    /// The span kind (the `kind` option).
    pub const fn kind(mut self, kind: SpanKind) -> CallSite {
        self.kind = kind;
        self
    }

    /// How many attributes a call records at most (arguments, fields,
    /// `ret`).
    pub const fn attributes(mut self, attributes: usize) -> CallSite {
        self.attributes = attributes;
        self
    }

    /// How an `Err` is recorded (the `err` option).
    pub const fn errors(mut self, errors: ErrorMode) -> CallSite {
        self.errors = errors;
        self
    }

    /// `exception = false`: an `Err` sets the status and `error.type`,
    /// without an exception event.
    pub const fn without_exception_event(mut self) -> CallSite {
        self.errors.exception_event = false;
        self
    }

    /// `metrics = false`: calls record no duration in
    /// `code.function.duration`, even when metrics are on.
    pub const fn without_metrics(mut self) -> CallSite {
        self.metrics = false;
        self
    }
}

/// The path of the function that declares the marker whose path is
/// `path`, without the marker's own name. Items nested in a function carry
/// its full path, including the type for methods, which `module_path!`
/// lacks.
fn function_name(path: &'static str) -> &'static str {
    // The expansion's marker, cut without searching: a search costs far
    // more, once per span (the ledger of `ARCHITECTURE.md` has the count).
    // It is declared in an inline `const`, which the path names too.
    if let Some(function) = path.strip_suffix("::{{constant}}::__otel_here") {
        return function;
    }
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
    pub(crate) record: bool,
    /// `false` with `exception = false`: status and `error.type` only.
    pub(crate) exception_event: bool,
    /// `true` with `err(Debug)`: the message is the error's `Debug` text.
    pub(crate) debug_message: bool,
}

impl ErrorMode {
    /// The default, `err(Display)`: the message is the error's `Display`
    /// text, with an exception event.
    pub const DISPLAY: ErrorMode = ErrorMode {
        record: true,
        exception_event: true,
        debug_message: false,
    };
    /// `err(Debug)`: the message is the error's `Debug` text.
    pub const DEBUG: ErrorMode = ErrorMode {
        debug_message: true,
        ..ErrorMode::DISPLAY
    };
    /// `err(off)`: an `Err` leaves the span untouched.
    pub const OFF: ErrorMode = ErrorMode {
        record: false,
        exception_event: false,
        debug_message: false,
    };
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
    errors: ErrorMode::OFF,
    metrics: false,
};

/// The function of `site`, as `code.function.name` names it.
pub(crate) fn function_of(site: &CallSite) -> &'static str {
    function_name((site.function)())
}

/// The `code.*` attributes, in a list with room for the rest, as growing
/// a list costs more than allocating it at its size.
pub(crate) fn code_attributes(site: &CallSite) -> Vec<KeyValue> {
    // One more for `error.type` or `return`.
    let mut attributes = Vec::with_capacity(3 + site.attributes + 1);
    // Pushed one by one: extending from an array would copy it first.
    attributes.push(KeyValue::new(
        "code.function.name",
        function_name((site.function)()),
    ));
    attributes.push(KeyValue::new("code.file.path", site.file));
    attributes.push(KeyValue::new("code.line.number", i64::from(site.line)));
    attributes
}
