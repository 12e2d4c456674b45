//! What the macro reads in a type: whether it may be a `Result`, where its
//! error may borrow, and where `impl Trait` stands.

use syn::{GenericArgument, Generics, Ident, PathArguments, Type};

/// Whether a type mentions `impl Trait`, which no `let` may be annotated with.
pub fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

/// `Result<…>`, `io::Result<…>`, `anyhow::Result<…>`: the only types named
/// so that `?` can return an `Err` from are `core::result::Result` and its
/// aliases.
pub fn is_result(ty: &Type) -> bool {
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
pub fn impl_trait_inferred(mut ty: Type) -> Type {
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

/// Whether a value of this type may be a `Result`, whose `Err` is recorded.
///
/// Any other type is left alone: its body is not touched at all. A path may
/// name an alias of `Result` (`Fallible<T>`), so only the standard types
/// that are never one are ruled out by name; a reference, a tuple, an array
/// or an `impl Trait` never is one.
pub fn may_be_result(ty: &Type) -> bool {
    const NEVER: &[&str] = &[
        "bool",
        "char",
        "str",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "f32",
        "f64",
        "String",
        "Option",
        "Vec",
        "Box",
        "Poll",
        "ControlFlow",
    ];
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_none_or(|last| !NEVER.iter().any(|name| last.ident == name)),
        Type::Paren(inner) => may_be_result(&inner.elem),
        Type::Group(inner) => may_be_result(&inner.elem),
        Type::Macro(_) | Type::Verbatim(_) => true,
        _ => false,
    }
}

/// Whether the error type of a `Result` may borrow or be generic, so that
/// the error must be recorded without asking whether it is an `Error`.
///
/// Why: the probe that picks how to record an error chooses by trait,
/// ignoring lifetimes, and an `Error` impl may require `'static` (as
/// `impl<T: Any> Error for CapacityError<T>` does). For an error type that
/// is generic (`Full<T>`, where `T` is not known to be `'static`) or
/// borrowed (`Full<&str>`), choosing `Error` would then fail to compile.
/// Such an error is recorded by its `Display` and `Debug` text and its type
/// name, without its `source()` chain.
///
/// The error type is the last of two or more type arguments (`Result<T,
/// E>`); an alias with one argument (`io::Result<T>`) fixes its own error
/// type, which is taken as owned. A generic parameter is known by the
/// function's own generics or, for those of an enclosing `impl` that the
/// attribute cannot see, by its look: one or two characters, an upper-case
/// letter first (`T`, `E`, `T2`). An associated type (`Self::Error`,
/// `T::Err`) may be any of these.
pub fn error_may_borrow(ty: &Type, generics: &Generics) -> bool {
    let Some(error) = error_argument(ty) else {
        return false;
    };
    let params: Vec<&Ident> = generics.type_params().map(|param| &param.ident).collect();
    let mut finder = BorrowFinder {
        params: &params,
        found: false,
    };
    syn::visit::Visit::visit_type(&mut finder, error);
    finder.found
}

fn error_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    let types: Vec<&Type> = args
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [_, .., last] => Some(last),
        _ => None,
    }
}

struct BorrowFinder<'a> {
    params: &'a [&'a Ident],
    found: bool,
}

impl<'ast> syn::visit::Visit<'ast> for BorrowFinder<'_> {
    fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
        match &reference.lifetime {
            Some(lifetime) if lifetime.ident == "static" => {
                syn::visit::visit_type_reference(self, reference);
            }
            _ => self.found = true,
        }
    }
    fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
        self.found = true;
    }
    fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
        self.found |= lifetime.ident != "static";
    }
    fn visit_type_path(&mut self, path: &'ast syn::TypePath) {
        let segments = &path.path.segments;
        let first = &segments[0];
        let generic =
            |ident: &Ident| self.params.contains(&ident) || looks_like_type_parameter(ident);
        // `T`; or an associated type, which may be anything: `Self::Error`
        // (`TryFrom::Error = CapacityError<&'a str>`), `T::Err`, `<T as
        // Trait>::Error`.
        let projection = path.qself.is_some()
            || (segments.len() > 1 && (first.ident == "Self" || generic(&first.ident)));
        let parameter = segments.len() == 1 && first.arguments.is_empty() && generic(&first.ident);
        self.found |= projection || parameter;
        syn::visit::visit_type_path(self, path);
    }
}

fn looks_like_type_parameter(ident: &Ident) -> bool {
    let name = ident.to_string();
    let mut chars = name.chars();
    name.len() <= 2
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn paths_may_be_results_but_std_types_and_the_rest_are_not() {
        for text in [
            "Result<u8, E>",
            "io::Result<()>",
            "Fallible<u8>",
            "Self",
            "(Result<u8, E>)",
        ] {
            assert!(may_be_result(&ty(text)), "{text}");
        }
        for text in [
            "u8",
            "Option<u8>",
            "&str",
            "(u8, u8)",
            "[u8; 4]",
            "impl Fn(&u8)",
            "Box<dyn Fn(&u8)>",
            "!",
        ] {
            assert!(!may_be_result(&ty(text)), "{text}");
        }
    }

    #[test]
    fn generic_or_borrowed_error_types_are_seen() {
        let none = Generics::default();
        let own: Generics = syn::parse_str("<Item>").unwrap();
        for (text, generics) in [
            ("Result<(), Full<T>>", &none),
            ("Result<Self, Full<&str>>", &none),
            ("Result<u8, Box<dyn Error + 'a>>", &none),
            ("Result<u8, Wrapped<Item>>", &own),
            ("Result<u8, E2>", &none),
            ("Result<Self, Self::Error>", &none),
            ("Result<(), CapacityError<Self::Item>>", &none),
            ("Result<u8, <T as FromStr>::Err>", &none),
            ("Result<u8, T::Err>", &none),
        ] {
            assert!(error_may_borrow(&ty(text), generics), "{text}");
        }
        for text in [
            "Result<&'a str, MyError>",
            "Result<u8, Box<dyn Error + Send + Sync>>",
            "Result<u8, Full<&'static str>>",
            "io::Result<&str>",
            "Result<u8, Error>",
        ] {
            assert!(!error_may_borrow(&ty(text), &none), "{text}");
        }
    }
}
