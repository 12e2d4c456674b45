//! The annotated function as a small model: its parts, what kind of value it
//! returns, and the argument bindings to record.

use proc_macro2::TokenStream;
use syn::{
    AttrStyle, Attribute, Block, GenericArgument, ItemFn, PathArguments, ReturnType, Signature,
    Type, TypeParamBound, Visibility,
};

use crate::args::{self, Arg};

/// A function `#[traced]` can wrap.
pub struct Function {
    /// The attributes, inner ones (`#![allow(…)]` first in the body) made
    /// outer: on a function, both say the same.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub block: Box<Block>,
    pub shape: Shape,
    /// The bindings of the arguments, in order; `self` is not among them.
    pub args: Vec<Arg>,
}

/// How the function delivers its result, which decides where the span ends.
pub enum Shape {
    /// Returns a value: the span ends on return.
    Sync,
    /// `async fn`: the span ends when the future completes.
    Async,
    /// `fn … -> impl Future<Output = T>`: the span ends with the future.
    ImplFuture { output: Option<Type> },
    /// `fn … -> Pin<Box<dyn Future<Output = T> …>>`, as `#[async_trait]`
    /// writes `async fn`s: the span ends with the future.
    BoxedFuture { output: Option<Type> },
}

impl Function {
    /// Parses the item the attribute is on.
    pub fn parse(item: TokenStream) -> syn::Result<Self> {
        let item: ItemFn = syn::parse2(item.clone()).map_err(|error| {
            // A trait method without a body parses as a signature and `;`.
            match syn::parse2::<syn::TraitItemFn>(item) {
                Ok(method) if method.default.is_none() => syn::Error::new_spanned(
                    &method.sig,
                    "#[traced] needs a function body: put it on the method's implementation",
                ),
                Ok(_) => error,
                Err(_) => syn::Error::new(
                    error.span(),
                    format!("#[traced] goes on a function: {error}"),
                ),
            }
        })?;
        let shape = Shape::of(&item.sig);
        let args = args::bindings(&item.sig);
        let mut attrs = item.attrs;
        for attr in &mut attrs {
            attr.style = AttrStyle::Outer;
        }
        Ok(Function {
            attrs,
            vis: item.vis,
            sig: item.sig,
            block: item.block,
            shape,
            args,
        })
    }

    /// The type of the value the caller finally gets: the return type, or
    /// the output of the returned future.
    pub fn outcome_type(&self) -> Option<Type> {
        match &self.shape {
            Shape::Sync | Shape::Async => output_type(&self.sig.output),
            Shape::ImplFuture { output } | Shape::BoxedFuture { output } => output.clone(),
        }
    }
}

impl Shape {
    fn of(sig: &Signature) -> Self {
        if sig.asyncness.is_some() {
            return Shape::Async;
        }
        let ReturnType::Type(_, ty) = &sig.output else {
            return Shape::Sync;
        };
        if let Type::ImplTrait(bounds) = &**ty {
            if let Some(output) = future_output(bounds.bounds.iter()) {
                return Shape::ImplFuture { output };
            }
        }
        if let Some(output) = boxed_future_output(ty) {
            return Shape::BoxedFuture { output };
        }
        Shape::Sync
    }
}

/// `Some(Some(T))` when the bounds hold `Future<Output = T>`, `Some(None)`
/// when they hold a `Future` whose output is not written.
fn future_output<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> Option<Option<Type>> {
    bounds.find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return Some(None);
        };
        Some(args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(assoc.ty.clone()),
            _ => None,
        }))
    })
}

/// The output of `Pin<Box<dyn Future<Output = T> + …>>`.
fn boxed_future_output(ty: &Type) -> Option<Option<Type>> {
    let pin = last_segment(ty, "Pin")?;
    let boxed = single_type_argument(pin)?;
    let boxed = last_segment(boxed, "Box")?;
    let Type::TraitObject(object) = single_type_argument(boxed)? else {
        return None;
    };
    future_output(object.bounds.iter())
}

fn last_segment<'a>(ty: &'a Type, name: &str) -> Option<&'a syn::PathSegment> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    (last.ident == name).then_some(last)
}

fn single_type_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

pub fn output_type(output: &ReturnType) -> Option<Type> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    }
}
