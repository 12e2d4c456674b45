//! Code generation: the span's prologue, then the body in one of four
//! shapes. The generated code calls into `::otel_runtime::__private` for
//! everything a function can do.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{FnArg, Ident, Pat, ReturnType, Type};

use crate::args::moved_param_name;
use crate::ast::{Function, Shape, output_type};
use crate::attr::Options;
use crate::types::contains_impl_trait;
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

pub(crate) struct Expansion<'a> {
    pub options: &'a Options,
    pub function: Function,
    /// `::otel_runtime`, or the path given by `crate = "…"`.
    pub krate: TokenStream,
    /// Locals of the expansion: invisible to the user's code (mixed-site
    /// hygiene), so no name of theirs can clash with them.
    pub span: Ident,
    pub value: Ident,
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
    //             let value: Result<u64, E> = 'body: { <body; each `return` and `?` a break to 'body> };
    //             outcome!(&span, &value, <options>);
    //             value
    //         }
    // A function whose value is not observed keeps its body as written,
    // after the prologue.
    fn sync_fn(&self) -> TokenStream {
        let prologue = self.prologue();
        let Expansion { span, value, .. } = self;
        let body = if self.observes_outcome() {
            let output = output_type(&self.function.sig.output);
            let try_via = self.observes_errors() && self.returns_result();
            let body = self.body_as_value(output.as_ref(), try_via);
            let record = self.record(&quote!(&#span), &quote!(&#value));
            quote! {
                #body
                #record;
                #value
            }
        } else {
            let stmts = &self.function.block.stmts;
            quote!(#(#stmts)*)
        };
        let Function {
            attrs, vis, sig, ..
        } = &self.function;
        quote! {
            #(#attrs)*
            #vis #sig {
                #prologue
                let #span = #span.enter();
                #body
            }
        }
    }

    // Input:  async fn f(a: u64) -> T { body }
    // Output: fn f(a: u64) -> impl Future<Output = T> {
    //             <prologue>
    //             span.activate().instrument(async move { <capture args>; <hint>; { body } }, <record>)
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
                            // A block of its own: an item or a `use` of
                            // the body must not change what the hint names.
                            {
                                #(#stmts)*
                            }
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
    //             let future = 'body: { <body; each `return` a break to 'body> };
    //             span.instrument(future, <record>)   // in Box::pin(…) for a boxed future
    //         }
    fn future_fn(&self, output: Option<&Type>, boxed: bool) -> TokenStream {
        let prologue = self.prologue();
        let observer = self.observer(output);
        let Expansion {
            krate, span, value, ..
        } = self;
        // A boxed future's type can be written, and tells the body what it
        // returns; `impl Future` cannot be.
        let ty = output_type(&self.function.sig.output).filter(|_| boxed);
        let body = self.body_as_value(ty.as_ref(), false);
        let mut instrumented = quote!(#span.instrument(#value, #observer));
        if boxed {
            instrumented = quote!(#krate::__private::Box::pin(#instrumented));
        }
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
                #body
                #[allow(unreachable_code)]
                #instrumented
            }
        }
    }

    /// The function a future's span calls with its output.
    fn observer(&self, output: Option<&Type>) -> TokenStream {
        let Expansion { span, value, .. } = self;
        if self.options.ret.is_none() && !self.records_errors() {
            return quote!(|_, _| {});
        }
        let record = self.record(&quote!(#span), &quote!(#value));
        let ty = match output {
            Some(ty) if !contains_impl_trait(ty) => quote!(: &#ty),
            _ => TokenStream::new(),
        };
        quote!(|#value #ty, #span| { #record; })
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
        let krate = &self.krate;
        // Spanned at the user's return type, so that a type error in the
        // body says "return type inferred to be … here" at the signature.
        quote_spanned! {ty.span()=>
            if false {
                return #krate::__private::hint::<#ty>();
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
}
