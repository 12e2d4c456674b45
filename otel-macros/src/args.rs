//! The names that arguments bind, which become attributes.

use syn::{FnArg, Ident, Pat, Signature};

/// One binding of an argument pattern: `a` in `a: u8`, and `x` and `y` in
/// `Point { x, y }: Point`.
pub struct Arg {
    pub ident: Ident,
    /// Named like a secret (`password`, `api_key`…): recorded as
    /// `[REDACTED]` unless `fields(…)` names it.
    pub secret: bool,
}

/// The bindings of every typed argument, in order. `self` is not recorded.
pub fn bindings(sig: &Signature) -> Vec<Arg> {
    let mut idents = Vec::new();
    for input in &sig.inputs {
        if let FnArg::Typed(typed) = input {
            collect(&typed.pat, &mut idents);
        }
    }
    idents
        .into_iter()
        .map(|ident| Arg {
            secret: is_secret(&ident.to_string()),
            ident,
        })
        .collect()
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

const SECRETS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "credential",
    "credentials",
    "private_key",
    "cookie",
];

/// `password`, `db_password`, `API_KEY`, `authToken`: a secret by its name.
pub fn is_secret(name: &str) -> bool {
    let name = name.trim_start_matches('_').to_ascii_lowercase();
    SECRETS.iter().any(|secret| name.ends_with(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_known_by_their_ending() {
        for name in [
            "password",
            "db_password",
            "API_KEY",
            "authToken",
            "session_cookie",
            "_secret",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in ["user", "token_count", "passwords_checked", "key"] {
            assert!(!is_secret(name), "{name}");
        }
    }
}
