//! The start of every expansion: the call site's constants, the span's
//! start, and the recording of arguments and fields.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{FnArg, Ident};

use crate::args::{by_reference, moved_param_name};
use crate::ast::Shape;
use crate::attr::{ErrOption, FieldValue, Format, Kind, Links};
use crate::expand::Expansion;

impl Expansion<'_> {
    // Output: let mut span = start(const { &call_site!("f") });
    //         if span.is_recording() { span.attr("a", value!(&a)); … }
    pub fn prologue(&self) -> TokenStream {
        let span = &self.span;
        let (attributes, recorded) = self.attributes();
        let start = self.start(&self.callsite(attributes.len()));
        let bindings = self.async_recorded_bindings(&recorded);
        if attributes.is_empty() {
            quote!(let #span = #start;)
        } else {
            quote! {
                let mut #span = #start;
                if #span.is_recording() {
                    #bindings
                    #(#attributes)*
                }
            }
        }
    }

    // Output: start(<site>)
    //     or: start_with(<site>, || Relations::new().parent(&(<parent>)).link(&(<a>)).link(&(<b>)))
    //     or: start_with(<site>, || Relations::new().links(<iterable>))
    // In a closure, so that the expressions are evaluated only when a span
    // is started in full: with no provider, they cost nothing. Borrowed, as
    // `fields` values are, so that naming an argument does not move it.
    fn start(&self, site: &TokenStream) -> TokenStream {
        let Expansion { krate, options, .. } = self;
        if options.parent.is_none() && options.links.is_none() {
            return quote!(#krate::__private::start(#site));
        }
        // Spanned at the user's expression, so that a type error points
        // there rather than at the whole attribute.
        let parent = options
            .parent
            .as_ref()
            .map(|parent| quote_spanned!(parent.span()=> .parent(&(#parent))));
        let links = match &options.links {
            None => TokenStream::new(),
            Some(Links::List(list)) => list
                .elems
                .iter()
                .map(|link| quote_spanned!(link.span()=> .link(&(#link))))
                .collect(),
            Some(Links::Iter(iterable)) => quote_spanned!(iterable.span()=> .links(#iterable)),
        };
        quote! {
            #krate::__private::start_with(#site, || {
                #krate::__private::Relations::new() #parent #links
            })
        }
    }

    // Output: const { &call_site!("f").kind(Server).attributes(2) }
    // Only the options that are not the runtime's defaults are written.
    // `call_site!` reads the file and line of its own place, spanned at the
    // function's name. In a `const` block: the marker item it declares must
    // not clash with the user's items.
    /// The call site; `recorded` attributes are set at the start.
    pub fn callsite(&self, recorded: usize) -> TokenStream {
        let krate = &self.krate;
        let ident = &self.function.sig.ident;
        let name = match &self.options.name {
            Some(name) => name.to_token_stream(),
            None => ident.unraw().to_string().to_token_stream(),
        };
        let new = respan(quote!(#krate::__private::call_site!(#name)), ident.span());
        let mut builder = TokenStream::new();
        if let Some(kind) = self.options.kind.filter(|kind| *kind != Kind::Internal) {
            let kind = Ident::new(kind.variant(), Span::call_site());
            builder.extend(quote!(.kind(#krate::__private::SpanKind::#kind)));
        }
        let attributes = recorded + usize::from(self.options.ret.is_some());
        if attributes > 0 {
            let attributes = proc_macro2::Literal::usize_unsuffixed(attributes);
            builder.extend(quote!(.attributes(#attributes)));
        }
        let errors = match self.options.err.unwrap_or(ErrOption::Display) {
            ErrOption::Display => None,
            ErrOption::Debug => Some(quote!(DEBUG)),
            ErrOption::Off => Some(quote!(OFF)),
        };
        if let Some(errors) = errors {
            builder.extend(quote!(.errors(#krate::__private::ErrorMode::#errors)));
        }
        if self
            .options
            .exception
            .as_ref()
            .is_some_and(|lit| !lit.value)
        {
            builder.extend(quote!(.without_exception_event()));
        }
        if self.options.metrics.as_ref().is_some_and(|lit| !lit.value) {
            builder.extend(quote!(.without_metrics()));
        }
        quote!(const { &#new #builder })
    }

    /// `arg!(span, key, &value)` for each recorded argument,
    /// `span.attr(key, value)` for each field, and
    /// the names of the arguments recorded.
    pub fn attributes(&self) -> (Vec<TokenStream>, Vec<String>) {
        let Expansion {
            krate,
            span,
            options,
            ..
        } = self;
        let field_keys: Vec<&str> = options.fields.iter().map(|f| f.key.as_str()).collect();
        let mut attributes = Vec::new();
        let mut recorded = Vec::new();
        if options.skip_all.is_none() {
            for arg in &self.function.args {
                let key = arg.ident.unraw().to_string();
                let skipped = options.skip.iter().any(|s| s.unraw() == arg.ident.unraw());
                if skipped || field_keys.contains(&key.as_str()) {
                    continue;
                }
                let ident = &arg.ident;
                recorded.push(key.clone());
                // The runtime knows the secrets' names, and decides at
                // compile time.
                attributes.push(quote!(#krate::__private::arg!(#span, #key, &#ident);));
            }
        }
        let mut status = (None, None);
        for field in &options.fields {
            let key = &field.key;
            let value = match &field.value {
                // A name that is no argument's declares the field, for
                // `set_attribute` to record later (as `#[instrument]`'s
                // `fields(a)` does).
                FieldValue::Shorthand(ident)
                    if !self.function.args.iter().any(|arg| arg.ident == *ident) =>
                {
                    continue;
                }
                FieldValue::Shorthand(ident) => {
                    recorded.push(ident.unraw().to_string());
                    quote!(#krate::__private::value!(&#ident))
                }
                FieldValue::Expr(format, expr) => self.formatted(*format, &quote!(&(#expr))),
            };
            // The fields that `tracing-opentelemetry` reads as the span's
            // own settings.
            match key.as_str() {
                "otel.name" => attributes.push(quote!(#span.rename(#value);)),
                "otel.status_code" => status.0 = Some(value),
                "otel.status_description" => status.1 = Some(value),
                _ => attributes.push(quote!(#span.attr(#key, #value);)),
            }
        }
        if let (Some(code), description) = status {
            let description = description.unwrap_or_else(|| quote!(::core::option::Option::None));
            attributes.push(quote!(#span.status(#code, #description);));
        }
        (attributes, recorded)
    }

    /// An attribute value from a reference, in the given format.
    pub fn formatted(&self, format: Format, reference: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        match format {
            Format::Typed => quote!(#krate::__private::value!(#reference)),
            Format::Debug => quote!(#krate::__private::debug_value(#reference)),
            Format::Display => quote!(#krate::__private::display_value(#reference)),
        }
    }

    /// For an `async fn`, the statements that bind, by reference, the
    /// recorded names of parameters destructured inside the future.
    pub fn async_recorded_bindings(&self, recorded: &[String]) -> TokenStream {
        if !matches!(self.function.shape, Shape::Async) {
            return TokenStream::new();
        }
        let mut bindings = TokenStream::new();
        for (index, input) in self.function.sig.inputs.iter().enumerate() {
            let FnArg::Typed(typed) = input else { continue };
            if let Some(name) = moved_param_name(index, &typed.pat) {
                if let Some(pat) = by_reference(&typed.pat, recorded) {
                    bindings.extend(quote!(let #pat = &#name;));
                }
            }
        }
        bindings
    }
}

/// The tokens, every one at `span`, which also gives them its hygiene.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
