//! How a body ends: its tail expression, and whether it ever returns.

use syn::{Block, Expr, Path, Stmt};

/// The statements of a block, and its tail expression if it has one. The
/// expansion splices them into its own block: a user's block nested in
/// generated code would draw `unused_braces` warnings.
pub fn split_tail(block: Block) -> (Vec<Stmt>, Option<Expr>) {
    let mut stmts = block.stmts;
    let tail = match stmts.pop() {
        Some(Stmt::Expr(expr, None)) => Some(expr),
        Some(Stmt::Macro(mac)) if mac.semi_token.is_none() => Some(Expr::Macro(syn::ExprMacro {
            attrs: mac.attrs,
            mac: mac.mac,
        })),
        Some(stmt) => {
            stmts.push(stmt);
            None
        }
        None => None,
    };
    (stmts, tail)
}

/// Whether an expression never returns (`todo!()`, `loop {}`), so that
/// nothing after it is worth emitting.
pub fn diverges(expr: &Expr) -> bool {
    match expr {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Loop(looped) => !contains_break(&looped.body),
        Expr::Macro(mac) => is_diverging_macro(&mac.mac.path),
        // `{ …; return x; }`, as `#[tokio::main]` writes its body.
        Expr::Block(block) => block_diverges(&block.block),
        Expr::Unsafe(block) => block_diverges(&block.block),
        Expr::Call(call) => matches!(&*call.func, Expr::Path(path) if is_exit(&path.path)),
        _ => false,
    }
}

fn block_diverges(block: &Block) -> bool {
    match block.stmts.last() {
        Some(Stmt::Expr(expr, _)) => diverges(expr),
        Some(Stmt::Macro(mac)) => is_diverging_macro(&mac.mac.path),
        _ => false,
    }
}

/// `std::process::exit(…)`, `process::abort()`.
fn is_exit(path: &Path) -> bool {
    let mut segments = path.segments.iter().rev();
    let last = segments.next().map(|s| s.ident.to_string());
    let module = segments.next().map(|s| s.ident.to_string());
    module.as_deref() == Some("process") && matches!(last.as_deref(), Some("exit" | "abort"))
}

fn is_diverging_macro(path: &Path) -> bool {
    path.segments.last().is_some_and(|last| {
        ["todo", "unimplemented", "unreachable", "panic"]
            .iter()
            .any(|name| last.ident == name)
    })
}

fn contains_break(block: &Block) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_block(&mut finder, block);
    finder.0
}
