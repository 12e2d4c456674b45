//! The names that arguments bind, which become attributes.

use proc_macro2::Span;
use quote::format_ident;
use syn::ext::IdentExt as _;
use syn::{FnArg, Ident, Pat, Signature};

/// One binding of an argument pattern: `a` in `a: u8`, and `x` and `y` in
/// `Point { x, y }: Point`.
pub struct Arg {
    pub ident: Ident,
}

/// The bindings of every typed argument, in order. `self` is not recorded.
pub fn bindings(sig: &Signature) -> Vec<Arg> {
    let mut idents = Vec::new();
    for input in &sig.inputs {
        if let FnArg::Typed(typed) = input {
            collect(&typed.pat, &mut idents);
        }
    }
    idents.into_iter().map(|ident| Arg { ident }).collect()
}

fn collect(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(binding) => {
            out.push(binding.ident.clone());
            if let Some((_, sub)) = &binding.subpat {
                collect(sub, out);
            }
        }
        Pat::Tuple(tuple) => tuple.elems.iter().for_each(|p| collect(p, out)),
        Pat::TupleStruct(tuple) => tuple.elems.iter().for_each(|p| collect(p, out)),
        Pat::Struct(strukt) => strukt.fields.iter().for_each(|f| collect(&f.pat, out)),
        Pat::Slice(slice) => slice.elems.iter().for_each(|p| collect(p, out)),
        Pat::Reference(reference) => collect(&reference.pat, out),
        Pat::Paren(paren) => collect(&paren.pat, out),
        Pat::Type(typed) => collect(&typed.pat, out),
        // `_`, `..`, literals: nothing is bound.
        _ => {}
    }
}

/// The name an `async fn` parameter takes in the signature when its
/// pattern is destructured inside the future: every pattern but a plain
/// name. Patterns with `&` or `ref` stay as written (their by-reference
/// copy for recording would not compile in every edition).
pub fn moved_param_name(index: usize, pat: &Pat) -> Option<Ident> {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_pat_reference(&mut self, _: &'ast syn::PatReference) {
            self.0 = true;
        }
        fn visit_pat_ident(&mut self, binding: &'ast syn::PatIdent) {
            self.0 |= binding.by_ref.is_some();
            syn::visit::visit_pat_ident(self, binding);
        }
    }
    if matches!(pat, Pat::Ident(binding) if binding.subpat.is_none()) {
        return None;
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_pat(&mut finder, pat);
    (!finder.0).then(|| format_ident!("__otel_arg{}", index, span = Span::mixed_site()))
}

/// The pattern to bind its recorded names by reference: `mut` dropped,
/// names not recorded replaced by `_`. `None` when nothing is recorded.
pub fn by_reference(pat: &Pat, recorded: &[String]) -> Option<Pat> {
    struct Rewrite<'a>(&'a [String], bool);
    impl syn::visit_mut::VisitMut for Rewrite<'_> {
        fn visit_pat_mut(&mut self, pat: &mut Pat) {
            if let Pat::Ident(binding) = pat {
                if self.0.contains(&binding.ident.unraw().to_string()) {
                    binding.mutability = None;
                    self.1 = true;
                } else if let Some((_, sub)) = binding.subpat.take() {
                    *pat = *sub;
                    return self.visit_pat_mut(pat);
                } else {
                    *pat = Pat::Wild(syn::PatWild {
                        attrs: Vec::new(),
                        underscore_token: syn::Token![_](binding.ident.span()),
                    });
                }
                return;
            }
            syn::visit_mut::visit_pat_mut(self, pat);
        }
    }
    let mut pat = pat.clone();
    let mut rewrite = Rewrite(recorded, false);
    syn::visit_mut::VisitMut::visit_pat_mut(&mut rewrite, &mut pat);
    rewrite.1.then_some(pat)
}
