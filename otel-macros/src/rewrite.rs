//! Rewriting the `return`s and `?`s of a body, so that every value leaving
//! the function arrives at one place: the end of a labelled block that holds
//! the body, where it is observed once.
//!
//! The body stays inline (no closure): a closure would change what
//! `#[track_caller]` reports and the paths of items declared in the body.
//! A `break` to the label carries the value where `return` did, and the
//! block's type is the function's return type, so the compiler expects the
//! same type of each returned expression as before.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprTry, Item, Lifetime};

/// Where the exits of a body go.
pub struct Exits<'a> {
    /// The label of the block that holds the body.
    pub label: &'a Lifetime,
    /// `Some(path of the runtime)` to rewrite `?` too: the function returns
    /// a `Result` whose errors are recorded.
    pub try_via: Option<&'a TokenStream>,
}

/// Rewrites the exits of `block` in place; says whether it rewrote any,
/// that is whether the label is used.
pub fn exits(block: &mut Block, exits: &Exits<'_>) -> bool {
    let mut rewriter = Rewriter { exits, used: false };
    rewriter.visit_block_mut(block);
    rewriter.used
}

struct Rewriter<'a, 'b> {
    exits: &'a Exits<'b>,
    used: bool,
}

impl VisitMut for Rewriter<'_, '_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        // These have returns and `?`s of their own, which leave them, not
        // the function.
        if matches!(
            expr,
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) | Expr::TryBlock(_)
        ) {
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
        let label = self.exits.label;
        match expr {
            // Input:  return e
            // Output: break 'label e
            // The attributes stay: `#[cfg(feature = "x")] return a;`.
            Expr::Return(ret) => {
                let (attrs, value) = (&ret.attrs, &ret.expr);
                let keyword = quote_spanned!(ret.return_token.span=> break);
                self.used = true;
                *expr = Expr::Verbatim(quote!(#(#attrs)* #keyword #label #value));
            }
            // Input:  e?
            // Output: match branch(e) { Continue(v) => v, Break(r) => break 'label r.into_return() }
            // What `?` does, in stable terms: the residual (the `Err`) is
            // converted by the function's return type, which the block's
            // type makes known.
            Expr::Try(tried) => {
                if let Some(krate) = self.exits.try_via {
                    self.used = true;
                    let attrs = &tried.attrs;
                    let rewritten = try_rewritten(krate, label, tried);
                    *expr = Expr::Verbatim(quote!(#(#attrs)* #rewritten));
                }
            }
            _ => {}
        }
    }

    fn visit_item_mut(&mut self, _item: &mut Item) {
        // A nested item's body is not this function's.
    }
}

fn try_rewritten(krate: &TokenStream, label: &Lifetime, tried: &ExprTry) -> TokenStream {
    let operand = &tried.expr;
    let ok = Ident::new("__otel_ok", Span::mixed_site());
    let residual = Ident::new("__otel_exit", Span::mixed_site());
    // Spanned at the user's `e?`, so that a lint on the statement it starts
    // (`unused_must_use`) or "`X` cannot be used with `?`" points there.
    quote_spanned! {tried.span()=>
        match #krate::__private::branch(#operand) {
            ::core::ops::ControlFlow::Continue(#ok) => #ok,
            ::core::ops::ControlFlow::Break(#residual) => break #label #residual.into_return(),
        }
    }
}
