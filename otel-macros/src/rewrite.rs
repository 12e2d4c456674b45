//! Rewriting the `return`s and `?`s of a body, so that the value leaving the
//! function passes through the span on its way out.
//!
//! The body stays inline (no closure): a closure would change what
//! `#[track_caller]` reports and the paths of items declared in the body.

use proc_macro2::TokenStream;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Item};

/// What to do with the value of each way out of the function.
pub struct Exits<'a> {
    /// Input: the expression `e` of `return e`. Output: its replacement.
    pub on_return: &'a dyn Fn(&Expr) -> TokenStream,
    /// Input: the operand `e` of `e?`. Output: the replacement of `e?`.
    pub on_try: Option<&'a dyn Fn(&Expr) -> TokenStream>,
}

/// Rewrites the exits of `block` in place.
pub fn exits(block: &mut Block, exits: &Exits<'_>) {
    Rewriter(exits).visit_block_mut(block);
}

struct Rewriter<'a, 'b>(&'a Exits<'b>);

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
        match expr {
            Expr::Return(ret) => {
                if let Some(value) = &mut ret.expr {
                    **value = Expr::Verbatim((self.0.on_return)(value));
                }
            }
            Expr::Try(tried) => {
                if let Some(on_try) = self.0.on_try {
                    *expr = Expr::Verbatim(on_try(&tried.expr));
                }
            }
            _ => {}
        }
    }

    fn visit_item_mut(&mut self, _item: &mut Item) {
        // A nested item's body is not this function's.
    }
}
