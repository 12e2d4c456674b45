//! Parsing `#[traced(…)]` options into [`Options`].
//!
//! Syntax errors stop the parse at the first bad token; a repeated option is
//! reported with every other such mistake at once.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitBool, LitStr, Path, Token, parenthesized};

/// The options of one `#[traced(…)]`, as written.
#[derive(Default)]
pub struct Options {
    pub name: Option<LitStr>,
    pub kind: Option<Kind>,
    pub skip: Vec<Ident>,
    pub skip_all: Option<Ident>,
    pub fields: Vec<Field>,
    pub ret: Option<Format>,
    pub err: Option<ErrOption>,
    pub exception: Option<LitBool>,
    /// `metrics = false`: calls record no duration.
    pub metrics: Option<LitBool>,
    pub expected_err: Option<Expr>,
    /// `parent = expr`: the span's parent instead of the current context.
    pub parent: Option<Expr>,
    /// `links = …`: the spans the span links to.
    pub links: Option<Links>,
    pub krate: Option<Path>,
}

/// The span kind named by `kind = "…"`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

const KINDS: &str = "\"internal\", \"server\", \"client\", \"producer\" or \"consumer\"";

impl Kind {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "internal" => Kind::Internal,
            "server" => Kind::Server,
            "client" => Kind::Client,
            "producer" => Kind::Producer,
            "consumer" => Kind::Consumer,
            _ => return None,
        })
    }

    pub fn variant(self) -> &'static str {
        match self {
            Kind::Internal => "Internal",
            Kind::Server => "Server",
            Kind::Client => "Client",
            Kind::Producer => "Producer",
            Kind::Consumer => "Consumer",
        }
    }
}

/// How a value is turned into an attribute.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    /// Typed when the type allows, `Debug` otherwise (the default).
    Typed,
    Debug,
    Display,
}

/// `err`, `err(Debug)`, `err(Display)` or `err(off)`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrOption {
    Display,
    Debug,
    Off,
}

/// What `links = …` names.
pub enum Links {
    /// `links = [a, b]`: one link per element, each borrowed, each of its
    /// own type.
    List(syn::ExprArray),
    /// `links = expr`: one link per item of an iterable, taken by value.
    Iter(Expr),
}

impl Links {
    fn new(expr: Expr) -> Self {
        match expr {
            Expr::Array(list) => Links::List(list),
            expr => Links::Iter(expr),
        }
    }
}

/// One `key = value` of `fields(…)`.
pub struct Field {
    /// The attribute key, dots included (`db.system`).
    pub key: String,
    /// Where the key was written, for errors and hygiene.
    pub key_span: Span,
    pub value: FieldValue,
}

pub enum FieldValue {
    /// `key = expr`, typed like an argument.
    Expr(Format, Expr),
    /// `key` alone: the argument or variable of that name.
    Shorthand(Ident),
}

const OPTIONS: &str = "`name`, `kind`, `skip`, `skip_all`, `fields`, `ret`, `err`, \
                       `exception`, `expected_err`, `metrics`, `parent`, `links`, `follows_from`, `crate`, \
                       `level` or `target`";

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = Options::default();
        let mut errors = Errors::default();
        while !input.is_empty() {
            let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            match key.to_string().as_str() {
                "name" => set(&mut options.name, &key, value(input)?, &mut errors),
                "kind" => set(&mut options.kind, &key, kind(input)?, &mut errors),
                "skip" => {
                    let content;
                    parenthesized!(content in input);
                    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
                        &content,
                        syn::ext::IdentExt::parse_any,
                    )?;
                    options.skip.extend(names);
                }
                "skip_all" => set(&mut options.skip_all, &key, key.clone(), &mut errors),
                "fields" => {
                    let content;
                    parenthesized!(content in input);
                    let fields = Punctuated::<Field, Token![,]>::parse_terminated(&content)?;
                    options.fields.extend(fields);
                }
                "ret" => set(&mut options.ret, &key, format(input)?, &mut errors),
                "err" => set(&mut options.err, &key, err(input)?, &mut errors),
                "exception" => set(&mut options.exception, &key, value(input)?, &mut errors),
                "metrics" => set(&mut options.metrics, &key, value(input)?, &mut errors),
                "expected_err" => set(&mut options.expected_err, &key, value(input)?, &mut errors),
                "parent" => {
                    let parent = required(
                        input,
                        &key,
                        "`parent = cx`, with an `opentelemetry::Context` or a `SpanContext`",
                    )?;
                    set(&mut options.parent, &key, parent, &mut errors);
                }
                "links" => {
                    let links = required(
                        input,
                        &key,
                        "`links = [cx, …]`, with `opentelemetry::Context`s or `SpanContext`s",
                    )?;
                    set(&mut options.links, &key, Links::new(links), &mut errors);
                }
                // `#[instrument]`'s name for links: the same values as
                // `links` (`opentelemetry::Context`s or `SpanContext`s).
                "follows_from" => {
                    let links = required(
                        input,
                        &key,
                        "`follows_from = [cx, …]`, with `opentelemetry::Context`s or \
                         `SpanContext`s",
                    )?;
                    set(&mut options.links, &key, Links::new(links), &mut errors);
                }
                "crate" => {
                    let path: LitStr = value(input)?;
                    let parsed = path.parse().map_err(|_| {
                        syn::Error::new(
                            path.span(),
                            "`crate` takes the path of the runtime crate, as `crate = \"::otel_runtime\"`",
                        )
                    })?;
                    set(&mut options.krate, &key, parsed, &mut errors);
                }
                // `#[instrument]` options with no OpenTelemetry meaning: accepted
                // so that migrating is a rename, and otherwise ignored.
                "level" | "target" => {
                    let _: Expr = value(input)?;
                }
                _ => {
                    let message = format!("unknown option `{key}`; expected {OPTIONS}");
                    return Err(syn::Error::new_spanned(key, message));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        otel_fields(&mut options, &mut errors);
        errors.finish(options)
    }
}

/// The `otel.*` fields that `tracing-opentelemetry` reads as the span's
/// own settings: `otel.kind` (a literal, so the kind is known per call
/// site) and a literal `otel.name` become `kind` and `name`; a computed
/// `otel.name` and `otel.status_code` stay fields, set at the start.
fn otel_fields(options: &mut Options, errors: &mut Errors) {
    let mut kept = Vec::with_capacity(options.fields.len());
    for field in std::mem::take(&mut options.fields) {
        let literal = match &field.value {
            FieldValue::Expr(
                Format::Typed,
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(lit),
                    ..
                }),
            ) => Some(lit.clone()),
            _ => None,
        };
        let key = Ident::new("kind", field.key_span);
        match (field.key.as_str(), literal) {
            ("otel.kind", Some(lit)) => match Kind::from_name(&lit.value().to_ascii_lowercase()) {
                Some(kind) => set(&mut options.kind, &key, kind, errors),
                None => errors.push(syn::Error::new(
                    lit.span(),
                    format!("unknown span kind `{}`; expected {KINDS}", lit.value()),
                )),
            },
            ("otel.kind", None) => errors.push(syn::Error::new(
                field.key_span,
                format!(
                    "`otel.kind` takes a string literal here ({KINDS}): a function's spans \
                     all have one kind"
                ),
            )),
            ("otel.name", Some(lit)) => {
                set(
                    &mut options.name,
                    &Ident::new("name", field.key_span),
                    lit,
                    errors,
                );
            }
            _ => kept.push(field),
        }
    }
    options.fields = kept;
}

/// Collects repeated-option errors so they are reported together.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(errors) => Err(errors),
            None => Ok(value),
        }
    }
}

fn set<T>(slot: &mut Option<T>, key: &Ident, value: T, errors: &mut Errors) {
    if slot.is_some() {
        errors.push(syn::Error::new_spanned(
            key,
            format!("`{key}` is given twice"),
        ));
    } else {
        *slot = Some(value);
    }
}

/// `= value` after an option's name.
fn value<T: Parse>(input: ParseStream) -> syn::Result<T> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// `= expr` after an option that has no meaning without a value.
fn required(input: ParseStream, key: &Ident, example: &str) -> syn::Result<Expr> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new_spanned(
            key,
            format!("`{key}` needs a value: {example}"),
        ));
    }
    value(input)
}

fn kind(input: ParseStream) -> syn::Result<Kind> {
    input.parse::<Token![=]>()?;
    // `kind = "client"`, and `kind = client` for the forgiving.
    let (name, span) = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        (lit.value(), lit.span())
    } else {
        let ident: Ident = input.parse()?;
        (ident.to_string(), ident.span())
    };
    Kind::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
        syn::Error::new(
            span,
            format!("unknown span kind `{name}`; expected {KINDS}"),
        )
    })
}

/// Nothing, `(Debug)` or `(Display)`; `level = …` among them, as
/// `#[instrument]` writes it, is accepted and ignored (as `level` is).
fn format(input: ParseStream) -> syn::Result<Format> {
    let modes = modes(
        input,
        "expected `Debug` or `Display`",
        &["Debug", "Display"],
    )?;
    Ok(match modes.as_deref() {
        Some("Debug") => Format::Debug,
        Some("Display") => Format::Display,
        _ => Format::Typed,
    })
}

/// As [`format`], with `off` too; recorded as `Display` by default.
fn err(input: ParseStream) -> syn::Result<ErrOption> {
    let expected = "expected `Debug`, `Display` or `off`";
    let modes = modes(input, expected, &["Debug", "Display", "off"])?;
    Ok(match modes.as_deref() {
        Some("Debug") => ErrOption::Debug,
        Some("off") => ErrOption::Off,
        _ => ErrOption::Display,
    })
}

/// The one mode in `(…)` after `ret` or `err`, if any, among `allowed`;
/// `level = expr` is skipped.
fn modes(input: ParseStream, expected: &str, allowed: &[&str]) -> syn::Result<Option<String>> {
    if !input.peek(syn::token::Paren) {
        return Ok(None);
    }
    let content;
    parenthesized!(content in input);
    let mut chosen: Option<Ident> = None;
    while !content.is_empty() {
        let word: Ident = content.call(syn::ext::IdentExt::parse_any)?;
        if word == "level" && content.peek(Token![=]) {
            content.parse::<Token![=]>()?;
            let _: Expr = content.parse()?;
        } else if !allowed.iter().any(|mode| word == mode) {
            return Err(syn::Error::new_spanned(word, expected));
        } else if let Some(first) = &chosen {
            return Err(syn::Error::new_spanned(
                word,
                format!("`{first}` is already chosen: give one of them"),
            ));
        } else {
            chosen = Some(word);
        }
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(chosen.map(|mode| mode.to_string()))
}

impl Parse for Field {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (key, key_span, shorthand) = field_key(input)?;
        if !input.peek(Token![=]) {
            return match shorthand {
                Some(ident) => Ok(Field {
                    key,
                    key_span,
                    value: FieldValue::Shorthand(ident),
                }),
                None => Err(syn::Error::new(
                    key_span,
                    "a dotted or quoted field key needs a value: `key = value`",
                )),
            };
        }
        input.parse::<Token![=]>()?;
        let format = if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            Format::Display
        } else if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            Format::Debug
        } else {
            Format::Typed
        };
        Ok(Field {
            key,
            key_span,
            value: FieldValue::Expr(format, input.parse()?),
        })
    }
}

/// `a`, `a.b.c` or `"a.b"`; a single identifier may stand alone.
fn field_key(input: ParseStream) -> syn::Result<(String, Span, Option<Ident>)> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok((lit.value(), lit.span(), None));
    }
    let first: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    let mut key = first.to_string();
    let mut dotted = false;
    while input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        let part: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        key.push('.');
        key.push_str(&part.to_string());
        dotted = true;
    }
    let span = first.span();
    Ok((key, span, (!dotted).then_some(first)))
}

/// Parses the attribute's tokens.
pub fn parse(tokens: TokenStream) -> syn::Result<Options> {
    syn::parse2(tokens)
}
