//! The start of every expansion: the call site's constants, the span's
//! start, and the recording of arguments and fields.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{FnArg, Ident};

use crate::args::{by_reference, moved_param_name};
use crate::ast::Shape;
use crate::attr::{ErrOption, FieldValue, Format, Kind, Links};
use crate::expand::Expansion;

impl Expansion<'_> {
    // Output: let mut span = { static CALLSITE = CallSite { … }; start(&CALLSITE) };
    //         if span.is_recording() { span.attr("a", value!(&a)); … }
    pub fn prologue(&self) -> TokenStream {
        let Expansion {
            krate,
            span,
            callsite,
            ..
        } = self;
        let (attributes, recorded) = self.attributes();
        let callsite_value = self.callsite(attributes.len());
        let here = Ident::new("__otel_here", Span::mixed_site());
        let start = self.start();
        // The items live in a block of their own: spliced beside the user's
        // statements, they could clash with an item of the same name.
        let start = quote! {
            {
                fn #here() -> &'static str {
                    #krate::__private::function_name(#here)
                }
                static #callsite: #krate::__private::CallSite = #callsite_value;
                #start
            }
        };
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

    // Output: start(&CALLSITE)
    //     or: start_with(&CALLSITE, || Relations::new().parent(&(<parent>)).link(&(<a>)).link(&(<b>)))
    //     or: start_with(&CALLSITE, || Relations::new().links(<iterable>))
    // In a closure, so that the expressions are evaluated only when a span
    // is started in full: with no provider, they cost nothing. Borrowed, as
    // `fields` values are, so that naming an argument does not move it.
    fn start(&self) -> TokenStream {
        let Expansion {
            krate,
            callsite,
            options,
            ..
        } = self;
        if options.parent.is_none() && options.links.is_none() {
            return quote!(#krate::__private::start(&#callsite));
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
            #krate::__private::start_with(&#callsite, || {
                #krate::__private::Relations::new() #parent #links
            })
        }
    }

    /// The call site's constants; `recorded` attributes are set at the start.
    pub fn callsite(&self, recorded: usize) -> TokenStream {
        let krate = &self.krate;
        let ident = &self.function.sig.ident;
        let name = match &self.options.name {
            Some(name) => name.to_token_stream(),
            None => ident.unraw().to_string().to_token_stream(),
        };
        let kind = Ident::new(
            self.options.kind.unwrap_or(Kind::Internal).variant(),
            Span::call_site(),
        );
        let here = Ident::new("__otel_here", Span::mixed_site());
        let line = quote_spanned!(ident.span()=> ::core::line!());
        let err = self.options.err.unwrap_or(ErrOption::Display);
        let record = err != ErrOption::Off;
        let debug_message = err == ErrOption::Debug;
        let exception_event = self.options.exception.as_ref().is_none_or(|lit| lit.value);
        let attributes = proc_macro2::Literal::usize_unsuffixed(
            recorded + usize::from(self.options.ret.is_some()),
        );
        quote! {
            #krate::__private::CallSite {
                name: #name,
                kind: #krate::__private::SpanKind::#kind,
                function: #here,
                file: ::core::file!(),
                line: #line,
                scope_name: #krate::__private::or_unknown(::core::option_env!("CARGO_PKG_NAME")),
                scope_version: #krate::__private::or_unknown(::core::option_env!("CARGO_PKG_VERSION")),
                attributes: #attributes,
                errors: #krate::__private::ErrorMode {
                    record: #record,
                    exception_event: #exception_event,
                    debug_message: #debug_message,
                },
            }
        }
    }

    /// `span.attr(key, value)` for each recorded argument and field, and
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
                let value = if arg.secret {
                    quote!(#krate::__private::redacted())
                } else {
                    quote!(#krate::__private::value!(&#ident))
                };
                attributes.push(quote!(#span.attr(#key, #value);));
            }
        }
        for field in &options.fields {
            let key = &field.key;
            let value = match &field.value {
                FieldValue::Shorthand(ident) => {
                    recorded.push(ident.unraw().to_string());
                    quote!(#krate::__private::value!(&#ident))
                }
                FieldValue::Expr(format, expr) => self.formatted(*format, &quote!(&(#expr))),
            };
            attributes.push(quote!(#span.attr(#key, #value);));
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
