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

    // Output: outcome!(span, value, [text | off,] [expected = <pred>,] [ret[(Debug | Display)]])
    /// What to record of a returned value: one call into the runtime, which
    /// chooses by trait how to record an `Err`, and for `ret` whether the
    /// value or its `Ok` value is recorded.
    pub fn record(&self, span: &TokenStream, value: &TokenStream) -> TokenStream {
        let Expansion { krate, options, .. } = self;
        let mut chosen = Vec::new();
        if !self.records_errors() {
            chosen.push(quote!(off));
        } else {
            // See `error_may_borrow`: such an error is probed by its text.
            if self.error_may_borrow() {
                chosen.push(quote!(text));
            }
            if let Some(pred) = &options.expected_err {
                chosen.push(quote!(expected = #pred));
            }
        }
        chosen.extend(options.ret.map(|format| match format {
            Format::Typed => quote!(ret),
            Format::Debug => quote!(ret(Debug)),
            Format::Display => quote!(ret(Display)),
        }));
        quote!(#krate::__private::outcome!(#span, #value #(, #chosen)*))
    }

    /// Whether the error type of the returned (or awaited) `Result` may
    /// borrow or be generic; see `ast::error_may_borrow`.
    fn error_may_borrow(&self) -> bool {
        self.function
            .outcome_type()
            .is_some_and(|ty| error_may_borrow(&ty, &self.function.sig.generics))
    }
}
