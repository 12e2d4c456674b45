//! Checks of the options against the function, all reported at once.

use syn::{Error, ReturnType, Type};

use crate::ast::{Function, Shape};
use crate::attr::{ErrOption, FieldValue, Links, Options};
use crate::types::may_be_result;

pub fn check(options: &Options, function: &Function) -> syn::Result<()> {
    let mut errors: Vec<Error> = Vec::new();

    if let Some(constness) = &function.sig.constness {
        errors.push(Error::new_spanned(
            constness,
            "#[traced] cannot wrap a `const fn`: a span is started at run time, \
             and a `const fn` must also run at compile time",
        ));
    }

    let arg_names: Vec<String> = function.args.iter().map(|a| a.ident.to_string()).collect();
    for name in &options.skip {
        if !arg_names.contains(&name.to_string()) && name != "self" {
            let known = if arg_names.is_empty() {
                "the function has no argument to skip".to_owned()
            } else {
                format!("its arguments are: {}", arg_names.join(", "))
            };
            errors.push(Error::new_spanned(
                name,
                format!("`skip({name})`: no argument is named `{name}`; {known}"),
            ));
        }
    }
    if let (Some(all), false) = (&options.skip_all, options.skip.is_empty()) {
        errors.push(Error::new_spanned(
            all,
            "`skip_all` already skips every argument: remove `skip(…)`",
        ));
    }

    let mut keys: Vec<&str> = Vec::new();
    for field in &options.fields {
        if keys.contains(&field.key.as_str()) {
            errors.push(Error::new(
                field.key_span,
                format!("field `{}` is given twice", field.key),
            ));
        }
        keys.push(&field.key);
        if let FieldValue::Shorthand(ident) = &field.value {
            if ident == "self" {
                errors.push(Error::new_spanned(
                    ident,
                    "`self` is not recorded: name a field of it, as `fields(id = self.id)`",
                ));
            }
        }
    }

    if let (Some(ErrOption::Off), Some(pred)) = (options.err, &options.expected_err) {
        errors.push(Error::new_spanned(
            pred,
            "`expected_err` has no effect with `err(off)`, which records no error at all",
        ));
    }

    if let (Some(_), Shape::Sync, ReturnType::Type(_, ty)) =
        (options.ret, &function.shape, &function.sig.output)
    {
        if let Type::ImplTrait(_) = &**ty {
            errors.push(Error::new_spanned(
                ty,
                "`ret` cannot record a value returned as `impl Trait`: its type is hidden, \
                 and the returned expression must take its type from the signature alone \
                 (a closure's argument types do); remove `ret`",
            ));
        }
    }

    if let Some(pred) = &options.expected_err {
        if !function.outcome_type().is_some_and(|ty| may_be_result(&ty)) {
            errors.push(Error::new_spanned(
                pred,
                "`expected_err` needs a function that returns a `Result`",
            ));
        }
    }

    if let Some(Links::List(list)) = &options.links {
        if list.elems.is_empty() {
            errors.push(Error::new_spanned(
                list,
                "`links = []` links to nothing: remove it, or name the contexts to link to",
            ));
        }
    }

    match errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    }) {
        Some(errors) => Err(errors),
        None => Ok(()),
    }
}
