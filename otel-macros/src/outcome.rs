//! Passing the value that leaves a function through its span: an `Err` is
//! recorded, and with `ret` the value itself.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, Type};

use crate::ast::output_type;
use crate::attr::{ErrOption, Format};
use crate::expand::Expansion;
use crate::rewrite::{self, Exits};
use crate::types::{error_may_borrow, impl_trait_inferred, is_result, may_be_result};

impl Expansion<'_> {
    pub fn observes_errors(&self) -> bool {
        self.options.err != Some(ErrOption::Off)
    }

    /// Whether the value a synchronous function returns is inspected: for
    /// `ret`, or for an `Err`.
    pub fn observes_outcome(&self) -> bool {
        self.options.ret.is_some() || self.records_errors()
    }

    /// Whether an `Err` may be returned (or be the output of the returned
    /// future), and is recorded.
    pub fn records_errors(&self) -> bool {
        self.observes_errors()
            && self
                .function
                .outcome_type()
                .is_some_and(|ty| may_be_result(&ty))
    }

    /// Whether the function returns a `Result` (by its type's name: `Result`,
    /// `io::Result`, `anyhow::Result`…), which decides whether a `?` is
    /// rewritten.
    pub fn returns_result(&self) -> bool {
        output_type(&self.function.sig.output).is_some_and(|ty| is_result(&ty))
    }

    // Input:  { body }                 of a function returning `T`
    // Output: let value: T = 'body: { body, each `return` and `?` a break to 'body };
    // The block is the user's, whole: `#[cfg]`-gated statements and tails
    // are resolved by the compiler, not guessed here. The label is written
    // only where an exit uses it.
    pub fn body_as_value(&self, ty: Option<&Type>, try_via: bool) -> TokenStream {
        let Expansion { krate, value, .. } = self;
        let label = syn::Lifetime {
            apostrophe: Span::mixed_site(),
            ident: Ident::new("__otel_body", Span::mixed_site()),
        };
        let mut block = (*self.function.block).clone();
        let exits = Exits {
            label: &label,
            try_via: try_via.then_some(krate),
        };
        let labelled = rewrite::exits(&mut block, &exits).then(|| quote!(#label:));
        let annotation = ty.map(|ty| {
            let ty = impl_trait_inferred(ty.clone());
            quote!(: #ty)
        });
        let stmts = &block.stmts;
        // A body that never returns (`todo!()`) is a diverging expression
        // inside the `let` to clippy, where it was a tail.
        quote! {
            #[allow(clippy::diverging_sub_expression)]
            let #value #annotation = #labelled {
                #(#stmts)*
            };
        }
    }

    /// What to record of a returned value, given a reference to it.
    pub fn record(&self, value: &TokenStream) -> TokenStream {
        let Expansion {
            krate,
            span,
            options,
            ..
        } = self;
        let mut record = TokenStream::new();
        if self.records_errors() {
            // See `error_may_borrow`: such an error is probed by its text.
            let text = self.error_may_borrow().then(|| quote!(text:));
            let observe = quote!(#krate::__private::observe_ref!(#text &#span, #value););
            record.extend(match &options.expected_err {
                None => observe,
                Some(pred) => quote! {
                    if !#krate::__private::is_expected(#value, #pred) { #observe }
                },
            });
        }
        if let Some(format) = options.ret {
            record.extend(self.record_return(format, value));
        }
        record
    }

    /// Whether the error type of the returned (or awaited) `Result` may
    /// borrow or be generic; see `ast::error_may_borrow`.
    fn error_may_borrow(&self) -> bool {
        self.function
            .outcome_type()
            .is_some_and(|ty| error_may_borrow(&ty, &self.function.sig.generics))
    }

    /// `ret`: the returned value, or for a `Result` its `Ok` value, as
    /// `#[instrument(ret)]` does.
    pub fn record_return(&self, format: Format, value: &TokenStream) -> TokenStream {
        let span = &self.span;
        if self
            .function
            .outcome_type()
            .is_some_and(|ty| is_result(&ty))
        {
            let ok = Ident::new("__otel_ok", Span::mixed_site());
            let returned = self.formatted(format, &quote!(#ok));
            quote! {
                if #span.is_recording() {
                    if let ::core::result::Result::Ok(#ok) = #value {
                        #span.record_return(#returned);
                    }
                }
            }
        } else {
            let returned = self.formatted(format, value);
            quote! {
                if #span.is_recording() {
                    #span.record_return(#returned);
                }
            }
        }
    }
}
