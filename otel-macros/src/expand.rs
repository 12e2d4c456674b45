//! Code generation: the span's prologue, then the body in one of four
//! shapes. The generated code calls into `::otel_runtime::__private` for
//! everything a function can do.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{Expr, FnArg, Ident, Pat, Path, ReturnType, Type};

use crate::ast::{Function, Shape, contains_impl_trait};
use crate::attr::{ErrOption, FieldValue, Format, Kind, Options};
use crate::rewrite::{self, Exits};
use crate::{attr, valid};

/// The macro's entry: the expansion, or the user's item unchanged beside
/// the errors, so that an IDE keeps working inside the body.
pub fn traced(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #item)
        }
    }
}

fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let attr_tokens = attr.clone();
    let (options, function) = match (attr::parse(attr), Function::parse(item)) {
        (Ok(options), Ok(function)) => (options, function),
        (Err(mut first), Err(second)) => {
            first.combine(second);
            return Err(first);
        }
        (Err(error), _) | (_, Err(error)) => return Err(error),
    };
    valid::check(&options, &function)?;
    if let Some(deferred) = defer_to_entry_point(&attr_tokens, &options, &function) {
        return Ok(deferred);
    }
    Ok(Expansion::new(&options, function).emit())
}

/// An `async fn` that also carries a runtime's entry-point attribute
/// (`#[tokio::main]`, `#[tokio::test]`…) must stay `async` until that
/// attribute has turned it into a plain function: emit the item again with
/// that attribute first and `#[traced]` after it, so it expands first.
fn defer_to_entry_point(
    attr: &TokenStream,
    options: &Options,
    function: &Function,
) -> Option<TokenStream> {
    if !matches!(function.shape, Shape::Async) {
        return None;
    }
    let is_entry = |attribute: &&syn::Attribute| {
        let segments = &attribute.path().segments;
        segments.len() >= 2
            && segments
                .last()
                .is_some_and(|last| last.ident == "main" || last.ident == "test")
    };
    let entry = function.attrs.iter().find(is_entry)?;
    let others = function.attrs.iter().filter(|a| !is_entry(a));
    let krate = match &options.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::otel_runtime),
    };
    let Function {
        vis, sig, block, ..
    } = function;
    Some(quote! {
        #entry
        #[#krate::traced(#attr)]
        #(#others)*
        #vis #sig #block
    })
}

struct Expansion<'a> {
    options: &'a Options,
    function: Function,
    /// `::otel_runtime`, or the path given by `crate = "…"`.
    krate: TokenStream,
    /// Locals of the expansion: invisible to the user's code (mixed-site
    /// hygiene), so no name of theirs can clash with them.
    span: Ident,
    value: Ident,
    callsite: Ident,
}

impl<'a> Expansion<'a> {
    fn new(options: &'a Options, function: Function) -> Self {
        let krate = match &options.krate {
            Some(path) => path.to_token_stream(),
            None => quote!(::otel_runtime),
        };
        let hygienic = |name: &str| Ident::new(name, Span::mixed_site());
        Expansion {
            options,
            function,
            krate,
            span: hygienic("__otel_span"),
            value: hygienic("__otel_value"),
            callsite: hygienic("__OTEL_CALLSITE"),
        }
    }

    fn emit(self) -> TokenStream {
        match &self.function.shape {
            Shape::Sync => self.sync_fn(),
            Shape::Async => self.async_fn(),
            Shape::ImplFuture { output } => {
                let output = output.clone();
                self.future_fn(output.as_ref(), false)
            }
            Shape::BoxedFuture { output } => {
                let output = output.clone();
                self.future_fn(output.as_ref(), true)
            }
        }
    }

    // Input:  fn f(a: u64) -> Result<u64, E> { body }
    // Output: fn f(a: u64) -> Result<u64, E> {
    //             <prologue>
    //             let span = span.enter();
    //             match { body, exits rewritten } { value => { <record>; value } }
    //         }
    fn sync_fn(&self) -> TokenStream {
        let prologue = self.prologue();
        let Expansion { span, .. } = self;
        let mut block = (*self.function.block).clone();
        if self.observes_outcome() {
            let on_return = |expr: &Expr| self.observed(expr);
            let on_try = |expr: &Expr| self.observed_try(expr);
            let exits = Exits {
                on_return: &on_return,
                on_try: (self.observes_errors() && self.returns_result()).then_some(&on_try as _),
            };
            rewrite::exits(&mut block, &exits);
        }
        let (stmts, tail) = split_tail(block);
        let tail = match tail {
            Some(tail) if self.observes_outcome() && !diverges(&tail) => {
                let observed = self.observed(&tail);
                // Where the tail never returns (a call to a `-> !` function),
                // the recording after it is unreachable; that is no news to
                // the user.
                quote!(#[allow(unreachable_code, clippy::diverging_sub_expression)] return #observed;)
            }
            tail => tail.to_token_stream(),
        };
        let Function {
            attrs, vis, sig, ..
        } = &self.function;
        quote! {
            #(#attrs)*
            #vis #sig {
                #prologue
                let #span = #span.enter();
                #(#stmts)*
                #tail
            }
        }
    }

    // Input:  async fn f(a: u64) -> T { body }
    // Output: fn f(a: u64) -> impl Future<Output = T> {
    //             <prologue>
    //             span.activate().instrument(async move { <capture args>; body }, <record>)
    //         }
    // The span starts when `f` is called, not when the future is first
    // polled, and the future keeps every argument, as the `async fn` did.
    fn async_fn(&self) -> TokenStream {
        let prologue = self.prologue();
        let output = match &self.function.sig.output {
            ReturnType::Default => quote!(()),
            ReturnType::Type(_, ty) => ty.to_token_stream(),
        };
        let observer = self.observer(output_type(&self.function.sig.output).as_ref());
        let hint = self.output_hint();
        let (params, captured, opening) = self.async_params();
        let Expansion { krate, span, .. } = self;
        let Function {
            attrs,
            vis,
            sig,
            block,
            ..
        } = &self.function;
        let stmts = &block.stmts;
        let (constness, unsafety, abi, fn_token, ident) = (
            &sig.constness,
            &sig.unsafety,
            &sig.abi,
            &sig.fn_token,
            &sig.ident,
        );
        let generics = &sig.generics;
        let where_clause = &sig.generics.where_clause;
        quote! {
            #krate::__private::async_fn! {
                attrs(#(#attrs)*)
                head(#vis #constness #unsafety #abi #fn_token #ident #generics)
                params(#params)
                output(#output)
                where(#where_clause)
                body {
                    #prologue
                    let #span = #span.activate();
                    #span.instrument(
                        async move {
                            let _ = (#(&#captured,)*);
                            #opening
                            #hint
                            #(#stmts)*
                        },
                        #observer,
                    )
                }
            }
        }
    }

    // Input:  fn f() -> impl Future<Output = T> { body }
    // Output: fn f() -> impl Future<Output = T> {
    //             <prologue>
    //             let span = span.activate();
    //             let _current = span.attach();   // the body's own code runs in the span
    //             let future = { body };
    //             span.instrument(future, <record>)   // in Box::pin(…) for a boxed future
    //         }
    fn future_fn(&self, output: Option<&Type>, boxed: bool) -> TokenStream {
        let prologue = self.prologue();
        let observer = self.observer(output);
        let Expansion { krate, span, .. } = self;
        let wrap = |future: &dyn ToTokens| {
            let instrumented = quote!(#span.instrument(#future, #observer));
            if boxed {
                quote!(#krate::__private::Box::pin(#instrumented))
            } else {
                instrumented
            }
        };
        let on_return = |expr: &Expr| wrap(expr);
        let mut block = (*self.function.block).clone();
        rewrite::exits(
            &mut block,
            &Exits {
                on_return: &on_return,
                on_try: None,
            },
        );
        let (stmts, tail) = split_tail(block);
        let tail = match tail {
            Some(tail) if !diverges(&tail) => {
                let wrapped = wrap(&tail);
                quote!(#[allow(unreachable_code, clippy::diverging_sub_expression)] return #wrapped;)
            }
            tail => tail.to_token_stream(),
        };
        let current = Ident::new("__otel_current", Span::mixed_site());
        let Function {
            attrs, vis, sig, ..
        } = &self.function;
        quote! {
            #(#attrs)*
            #vis #sig {
                #prologue
                let #span = #span.activate();
                let #current = #span.attach();
                #(#stmts)*
                #tail
            }
        }
    }

    // Output: let mut span = { static CALLSITE = CallSite { … }; start(&CALLSITE) };
    //         if span.is_recording() { span.attr("a", value!(&a)); … }
    fn prologue(&self) -> TokenStream {
        let Expansion {
            krate,
            span,
            callsite,
            ..
        } = self;
        let callsite_value = self.callsite();
        let attributes = self.attributes();
        let here = Ident::new("__otel_here", Span::mixed_site());
        // The items live in a block of their own: spliced beside the user's
        // statements, they could clash with an item of the same name.
        let start = quote! {
            {
                fn #here() -> &'static str {
                    #krate::__private::function_name(#here)
                }
                static #callsite: #krate::__private::CallSite = #callsite_value;
                #krate::__private::start(&#callsite)
            }
        };
        if attributes.is_empty() {
            quote!(let #span = #start;)
        } else {
            quote! {
                let mut #span = #start;
                if #span.is_recording() {
                    #(#attributes)*
                }
            }
        }
    }

    fn callsite(&self) -> TokenStream {
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
        quote! {
            #krate::__private::CallSite {
                name: #name,
                kind: #krate::__private::SpanKind::#kind,
                function: #here,
                file: ::core::file!(),
                line: #line,
                scope_name: #krate::__private::or_unknown(::core::option_env!("CARGO_PKG_NAME")),
                scope_version: #krate::__private::or_unknown(::core::option_env!("CARGO_PKG_VERSION")),
                errors: #krate::__private::ErrorMode {
                    record: #record,
                    exception_event: #exception_event,
                    debug_message: #debug_message,
                },
            }
        }
    }

    /// `span.attr(key, value)` for each recorded argument and field.
    fn attributes(&self) -> Vec<TokenStream> {
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
        if !attributes.is_empty() {
            attributes.insert(0, self.async_recorded_bindings(&recorded));
        }
        attributes
    }

    /// An attribute value from a reference, in the given format.
    fn formatted(&self, format: Format, reference: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        match format {
            Format::Typed => quote!(#krate::__private::value!(#reference)),
            Format::Debug => quote!(#krate::__private::debug_value(#reference)),
            Format::Display => quote!(#krate::__private::display_value(#reference)),
        }
    }

    fn observes_errors(&self) -> bool {
        self.options.err != Some(ErrOption::Off)
    }

    /// Whether a returned value is inspected: for an `Err`, or for `ret`.
    fn observes_outcome(&self) -> bool {
        self.options.ret.is_some() || (self.observes_errors() && self.function.returns_value())
    }

    /// Whether the function returns a `Result` (by its type's name: `Result`,
    /// `io::Result`, `anyhow::Result`…), which decides how a `?` is read.
    fn returns_result(&self) -> bool {
        output_type(&self.function.sig.output).is_some_and(|ty| is_result(&ty))
    }

    /// `expr` passed through the span on its way out (a `return`, the tail).
    fn observed(&self, expr: &dyn ToTokens) -> TokenStream {
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
    fn observed_try(&self, expr: &Expr) -> TokenStream {
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
    fn record(&self, value: &TokenStream) -> TokenStream {
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
    fn record_return(&self, format: Format, value: &TokenStream) -> TokenStream {
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

    /// The function a future's span calls with its output.
    fn observer(&self, output: Option<&Type>) -> TokenStream {
        let Expansion {
            krate, span, value, ..
        } = self;
        let has_output =
            output.is_some_and(|ty| !matches!(ty, Type::Tuple(t) if t.elems.is_empty()));
        if self.options.ret.is_none() && !(self.observes_errors() && has_output) {
            return quote!(|_, _| {});
        }
        let record = self.record(&quote!(#value));
        let ty = match output {
            Some(ty) if !contains_impl_trait(ty) => quote!(: &#ty),
            _ => TokenStream::new(),
        };
        quote!(|#value #ty, #span: &#krate::__private::Active| { #record })
    }

    /// Tells type inference the async block's output, so that `?` inside it
    /// knows what to convert into (as it does in the `async fn`).
    fn output_hint(&self) -> TokenStream {
        let Some(ty) = output_type(&self.function.sig.output) else {
            return TokenStream::new();
        };
        if contains_impl_trait(&ty) || matches!(&ty, Type::Tuple(t) if t.elems.is_empty()) {
            return TokenStream::new();
        }
        let hint = Ident::new("__otel_hint", Span::mixed_site());
        // Spanned at the user's return type, so that a type error in the
        // body says "return type inferred to be … here" at the signature.
        quote_spanned! {ty.span()=>
            #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::empty_loop, clippy::needless_return)]
            if false {
                let #hint: #ty = loop {};
                return #hint;
            }
        }
    }

    /// The parameters of an `async fn`, what the future must capture, and
    /// the statements that open the future.
    ///
    /// An `async fn` moves every argument into its future, so that each one
    /// lives until the future completes, even unused or ignored parts. A
    /// parameter bound to one name is captured by that name; any other
    /// pattern (`_`, `(a, _)`) is renamed `__otel_argN` in the signature and
    /// destructured inside the future, as the `async fn` itself does.
    fn async_params(&self) -> (TokenStream, Vec<TokenStream>, TokenStream) {
        let mut captured: Vec<TokenStream> = Vec::new();
        let mut params = Vec::new();
        let mut opening = TokenStream::new();
        for (index, input) in self.function.sig.inputs.iter().enumerate() {
            match input {
                FnArg::Receiver(receiver) => {
                    let self_token = &receiver.self_token;
                    captured.push(quote!(#self_token));
                    params.push(input.to_token_stream());
                }
                FnArg::Typed(typed) => match moved_param_name(index, &typed.pat) {
                    Some(name) => {
                        let (attrs, pat, ty) = (&typed.attrs, &typed.pat, &typed.ty);
                        params.push(quote!(#(#attrs)* #name: #ty));
                        if !matches!(&**pat, Pat::Wild(_)) {
                            opening.extend(quote!(let #pat = #name;));
                        }
                        captured.push(name.to_token_stream());
                    }
                    None => {
                        if let Pat::Ident(binding) = &*typed.pat {
                            captured.push(binding.ident.to_token_stream());
                        }
                        params.push(input.to_token_stream());
                    }
                },
            }
        }
        (quote!(#(#params),*), captured, opening)
    }

    /// For an `async fn`, the statements that bind, by reference, the
    /// recorded names of parameters destructured inside the future.
    fn async_recorded_bindings(&self, recorded: &[String]) -> TokenStream {
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

/// `Result<…>`, `io::Result<…>`, `anyhow::Result<…>`: the only types named
/// so that `?` can return from are `core::result::Result` and its aliases.
fn is_result(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident.to_string().ends_with("Result"))
}

/// The type with each `impl Trait` replaced by `_`, which a turbofish
/// accepts: `Result<impl Iterator, E>` becomes `Result<_, E>`.
fn impl_trait_inferred(mut ty: Type) -> Type {
    struct Infer;
    impl syn::visit_mut::VisitMut for Infer {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(bounds) = ty {
                let span = bounds.impl_token.span;
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](span),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    syn::visit_mut::VisitMut::visit_type_mut(&mut Infer, &mut ty);
    ty
}

/// The name an `async fn` parameter takes in the signature when its
/// pattern is destructured inside the future: every pattern but a plain
/// name. Patterns with `&` or `ref` stay as written (their by-reference
/// copy for recording would not compile in every edition).
fn moved_param_name(index: usize, pat: &Pat) -> Option<Ident> {
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
fn by_reference(pat: &Pat, recorded: &[String]) -> Option<Pat> {
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

fn output_type(output: &ReturnType) -> Option<Type> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    }
}

/// The statements of a block, and its tail expression if it has one. The
/// expansion splices them into its own block: a user's block nested in
/// generated code would draw `unused_braces` warnings.
fn split_tail(block: syn::Block) -> (Vec<syn::Stmt>, Option<Expr>) {
    let mut stmts = block.stmts;
    let tail = match stmts.pop() {
        Some(syn::Stmt::Expr(expr, None)) => Some(expr),
        Some(syn::Stmt::Macro(mac)) if mac.semi_token.is_none() => {
            Some(Expr::Macro(syn::ExprMacro {
                attrs: mac.attrs,
                mac: mac.mac,
            }))
        }
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
fn diverges(expr: &Expr) -> bool {
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

fn block_diverges(block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(expr, _)) => diverges(expr),
        Some(syn::Stmt::Macro(mac)) => is_diverging_macro(&mac.mac.path),
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

fn contains_break(block: &syn::Block) -> bool {
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
