//! Expansion snapshots: every `tests/expand/*.rs` of this crate holds one
//! `#[traced]` item as a user writes it; its expansion, formatted by
//! `prettyplease`, is compared with `tests/expand/snapshots/<file>.snap`, so
//! that a change in generated code shows up in review as a diff.
//!
//! A proc-macro crate cannot export `expand::traced` to an integration test,
//! hence a unit test module.
//!
//! An input is a function item, or an `impl` / `trait` block holding one
//! annotated method (a method's expansion depends on its receiver, and a
//! method is written inside a block). To add a case, add a file and run
//! `INSTA_UPDATE=always cargo test -p otel-macros`, then read the new
//! snapshot.
//!
//! `prettyplease` prints a macro's input as raw tokens, which makes the
//! `async_fn! { … }` of an `async fn` unreadable; such a snapshot shows the
//! function that `__otel_async_fn!` expands to instead, under a comment that
//! says so. Input the macro does not match is printed as it is, so a change
//! of its syntax shows up in the snapshot.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{Attribute, ImplItem, Item, Macro, Meta, TraitItem};

fn expand_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand")
}

#[test]
fn expansions() {
    let dir = expand_dir();
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no input in {}", dir.display());

    // Every input is checked, and every failure named at the end, rather than
    // stopping at the first differing snapshot.
    let mut failed = Vec::new();
    for input in &inputs {
        let name = input.file_stem().unwrap().to_string_lossy().into_owned();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let expanded = expand_file(input);
            insta::with_settings!({
                snapshot_path => dir.join("snapshots"),
                prepend_module_to_snapshot => false,
                input_file => input,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(name.as_str(), expanded);
            });
        }));
        if outcome.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "expansions that differ: {failed:?}");
}

/// The file's item with its `#[traced]` expanded, formatted.
fn expand_file(path: &Path) -> String {
    let source = fs::read_to_string(path).expect("readable input");
    let mut file = syn::parse_file(&source)
        .unwrap_or_else(|error| panic!("{}: not Rust: {error}", path.display()));
    assert_eq!(
        file.items.len(),
        1,
        "{}: an input holds exactly one item",
        path.display()
    );
    let mut inlined = false;
    let item = &mut file.items[0];
    match item {
        Item::Fn(function) => {
            let attr = take_traced(&mut function.attrs, path);
            let expanded = crate::expand::traced(attr, function.to_token_stream());
            file.items = parse::<syn::File>(expanded, path).items;
            for item in &mut file.items {
                if let Item::Macro(call) = item {
                    if let Some(function) = async_fn(&call.mac) {
                        *item = parse(function, path);
                        inlined = true;
                    }
                }
            }
        }
        Item::Impl(block) => {
            let method = block
                .items
                .iter_mut()
                .find(|item| matches!(item, ImplItem::Fn(f) if has_traced(&f.attrs)))
                .unwrap_or_else(|| panic!("{}: no #[traced] method", path.display()));
            let ImplItem::Fn(function) = method else {
                unreachable!()
            };
            let attr = take_traced(&mut function.attrs, path);
            let expanded = crate::expand::traced(attr, function.to_token_stream());
            *method = parse(expanded, path);
            if let ImplItem::Macro(call) = method {
                if let Some(function) = async_fn(&call.mac) {
                    *method = parse(function, path);
                    inlined = true;
                }
            }
        }
        Item::Trait(block) => {
            let method = block
                .items
                .iter_mut()
                .find(|item| matches!(item, TraitItem::Fn(f) if has_traced(&f.attrs)))
                .unwrap_or_else(|| panic!("{}: no #[traced] method", path.display()));
            let TraitItem::Fn(function) = method else {
                unreachable!()
            };
            let attr = take_traced(&mut function.attrs, path);
            let expanded = crate::expand::traced(attr, function.to_token_stream());
            *method = parse(expanded, path);
            if let TraitItem::Macro(call) = method {
                if let Some(function) = async_fn(&call.mac) {
                    *method = parse(function, path);
                    inlined = true;
                }
            }
        }
        _ => panic!(
            "{}: expected a function, or an impl or trait block",
            path.display()
        ),
    }
    let formatted = prettyplease::unparse(&file);
    if inlined {
        format!("// `async_fn! {{ … }}` shown as the function it expands to\n{formatted}")
    } else {
        formatted
    }
}

fn parse<T: syn::parse::Parse>(tokens: TokenStream, path: &Path) -> T {
    syn::parse2(tokens).unwrap_or_else(|error| panic!("{}: expansion: {error}", path.display()))
}

/// The function an `…::__private::async_fn! { … }` call expands to, as the
/// runtime's `__otel_async_fn!` writes it; `None` for any other macro call,
/// or one whose input that macro would not match.
fn async_fn(call: &Macro) -> Option<TokenStream> {
    if call.path.segments.last()?.ident != "async_fn" {
        return None;
    }
    let mut tokens = call.tokens.clone().into_iter();
    let mut part = |name: &str, delimiter: Delimiter| match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Ident(ident)), Some(TokenTree::Group(group)))
            if ident == name && group.delimiter() == delimiter =>
        {
            Some(group)
        }
        _ => None,
    };
    let attrs = part("attrs", Delimiter::Parenthesis)?.stream();
    let head = part("head", Delimiter::Parenthesis)?.stream();
    let params = part("params", Delimiter::Parenthesis)?.stream();
    let output = part("output", Delimiter::Parenthesis)?.stream();
    let where_clause = part("where", Delimiter::Parenthesis)?.stream();
    let body = part("body", Delimiter::Brace)?;
    if tokens.next().is_some() {
        return None;
    }
    Some(quote! {
        #attrs
        #head (#params) -> impl ::core::future::Future<Output = #output> #where_clause #body
    })
}

fn is_traced(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "traced")
}

fn has_traced(attrs: &[Attribute]) -> bool {
    attrs.iter().any(is_traced)
}

/// Removes the `#[traced…]` attribute and returns its arguments.
fn take_traced(attrs: &mut Vec<Attribute>, path: &Path) -> TokenStream {
    let index = attrs
        .iter()
        .position(is_traced)
        .unwrap_or_else(|| panic!("{}: no #[traced] attribute", path.display()));
    match attrs.remove(index).meta {
        Meta::Path(_) => TokenStream::new(),
        Meta::List(list) => list.tokens,
        Meta::NameValue(_) => panic!("{}: `#[traced = …]` is not an attribute", path.display()),
    }
}
