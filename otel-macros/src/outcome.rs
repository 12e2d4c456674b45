//! Passing the value that leaves a function through its span: an `Err` is
//! recorded, and with `ret` the value itself.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Expr, Ident, Type};

use crate::ast::{impl_trait_inferred, is_result, output_type};
use crate::attr::{ErrOption, Format};
use crate::expand::Expansion;

impl Expansion<'_> {
    pub fn observes_errors(&self) -> bool {
        self.options.err != Some(ErrOption::Off)
    }

    /// Whether a returned value is inspected: for an `Err`, or for `ret`.
    pub fn observes_outcome(&self) -> bool {
        self.options.ret.is_some() || (self.observes_errors() && self.function.returns_value())
    }

    /// Whether the function returns a `Result` (by its type's name: `Result`,
    /// `io::Result`, `anyhow::Result`…), which decides how a `?` is read.
    pub fn returns_result(&self) -> bool {
        output_type(&self.function.sig.output).is_some_and(|ty| is_result(&ty))
    }

    /// `expr` passed through the span on its way out (a `return`, the tail).
    pub fn observed(&self, expr: &dyn ToTokens) -> TokenStream {
        let value = &self.value;
        let record = self.record(&quote!(&#value));
        // The value's type must be known where it is probed: `Ok(1)` alone
        // does not say what its error type is.
        let expr = match output_type(&self.function.sig.output) {
            Some(ty) if !matches!(ty, Type::ImplTrait(_)) => {
                let ty = impl_trait_inferred(ty);
                quote!(::core::convert::identity::<#ty>(#expr))
            }
            _ => expr.to_token_stream(),
        };
        quote!(match #expr { #value => { #record #value } })
    }

    // Input:  expr?            in a function returning a `Result`
    // Output: match expr { Ok(v) => v, Err(e) => return <observed>(Err(From::from(e))) }
    // What `?` does, with the error converted first, so that it is probed as
    // the function's own error type, which the signature makes known.
    pub fn observed_try(&self, expr: &Expr) -> TokenStream {
        let ok = Ident::new("__otel_ok", Span::mixed_site());
        let err = Ident::new("__otel_err", Span::mixed_site());
        let converted = quote! {
            ::core::result::Result::Err(::core::convert::From::from(#err))
        };
        let returned = self.observed(&converted);
        quote! {
            match #expr {
                ::core::result::Result::Ok(#ok) => #ok,
                ::core::result::Result::Err(#err) => return #returned,
            }
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
        if self.observes_errors() {
            let observe = quote!(#krate::__private::observe_ref!(&#span, #value););
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

    /// `ret`: the returned value, or for a `Result` its `Ok` value, as
    /// `#[instrument(ret)]` does.
    pub fn record_return(&self, format: Format, value: &TokenStream) -> TokenStream {
        let span = &self.span;
        if self.returns_result() {
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
