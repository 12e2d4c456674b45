//! `annotate <dir> [--attr TEXT] [--install STMT]`
//!
//! Puts `TEXT` (default `#[::otel_runtime::traced]`) in front of every
//! function with a body that is not a `const fn`, in every `.rs` file under
//! `<dir>`. The text is inserted at span positions, on the same line as the
//! function, so the rest of each file stays byte-for-byte the same and line
//! numbers (panic locations, `line!()`) do not move.
//!
//! An empty `--attr ''` inserts no attribute but still counts: a dry run.
//!
//! `--install STMT` also puts `STMT` (a statement, e.g.
//! `::real_crates_support::install();`) at the very start of the body of
//! every test function: a function with an attribute whose path ends in
//! `test` (`#[test]`, `#[tokio::test]`). It goes on the line of the body's
//! `{` (after the body's inner attributes, if any), so no line moves either.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{env, fs};

use proc_macro2::{LineColumn, Span};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{AttrStyle, Attribute, Signature, Visibility};

const DEFAULT_ATTR: &str = "#[::otel_runtime::traced]";

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let mut dir = None;
    let mut attr = DEFAULT_ATTR.to_string();
    let mut install = String::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--attr" => match args.next() {
                Some(a) => attr = a,
                None => return usage(),
            },
            "--install" => match args.next() {
                Some(s) => install = s,
                None => return usage(),
            },
            _ if dir.is_none() && !arg.starts_with("--") => dir = Some(PathBuf::from(arg)),
            _ => return usage(),
        }
    }
    let Some(dir) = dir else { return usage() };

    let mut files = Vec::new();
    if let Err(e) = collect_rs_files(&dir, &dir, &mut files) {
        eprintln!("annotate: cannot walk {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    files.sort(); // stable output order

    let (mut fns, mut tests, mut changed, mut unparsed) = (0, 0, 0, 0);
    for file in &files {
        match annotate_file(file, &attr, &install) {
            Ok((0, 0)) => {}
            Ok((n, t)) => {
                fns += n;
                tests += t;
                changed += 1;
            }
            Err(e) => {
                // One odd file must not stop the run: report it and go on.
                eprintln!("annotate: skipped {}: {e}", file.display());
                unparsed += 1;
            }
        }
    }
    let dry = if attr.is_empty() {
        ", dry run: nothing inserted"
    } else {
        ""
    };
    let installed = if install.is_empty() {
        String::new()
    } else {
        format!(", {tests} test functions start with `{install}`")
    };
    println!(
        "annotate: {}: {fns} functions annotated in {changed} of {} files ({unparsed} unparsable{dry}){installed}",
        dir.display(),
        files.len()
    );
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: annotate <dir> [--attr '{DEFAULT_ATTR}'] [--install STMT]");
    ExitCode::from(2)
}

/// Every `.rs` file under `dir`, except in `target/` and hidden directories
/// (build output and VCS data are not the crate's sources), and except the
/// top-level `build.rs`: a build script cannot see `[dependencies]`, so the
/// attribute's path would not resolve there.
fn collect_rs_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rs_files(root, &path, out)?;
            }
        } else if name.ends_with(".rs") && !(dir == root && name == "build.rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Annotates one file in place; returns how many functions it annotated and
/// how many test functions it found (given `install`, if not empty).
fn annotate_file(path: &Path, attr: &str, install: &str) -> Result<(usize, usize), String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    // syn strips a byte-order mark before lexing, so positions start after it.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];

    let parsed = syn::parse_file(body);
    let mut finder = Finder::default();
    let result = match &parsed {
        Ok(file) => {
            finder.visit_file(file);
            Ok(())
        }
        Err(e) => {
            let at = e.span().start();
            Err(format!("parse error at {}:{}: {e}", at.line, at.column + 1))
        }
    };
    // Spans live in a thread-local source map that only grows; this file's are
    // no longer needed once the positions are plain numbers.
    drop(parsed);
    proc_macro2::extra::invalidate_current_thread_spans();
    result?;

    let count = finder.spots.len();
    let tests = finder.tests.len();
    // What to insert where: the attribute before each function, the
    // statement after each test's `{`.
    let mut edits: Vec<(LineColumn, String)> = Vec::new();
    if !attr.is_empty() {
        edits.extend(finder.spots.into_iter().map(|lc| (lc, format!("{attr} "))));
    }
    if !install.is_empty() {
        edits.extend(
            finder
                .tests
                .into_iter()
                .map(|lc| (lc, format!(" {install}"))),
        );
    }
    if edits.is_empty() {
        return Ok((count, tests));
    }
    // Insert from the end backwards so earlier offsets stay valid.
    edits.sort_by_key(|(lc, _)| std::cmp::Reverse((lc.line, lc.column)));
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = body.to_string();
    for (lc, insert) in edits {
        let start = line_starts[lc.line - 1];
        let line = &body[start..];
        // Span columns count chars, not bytes.
        let col = line
            .char_indices()
            .nth(lc.column)
            .map_or(line.len(), |(i, _)| i);
        out.insert_str(start + col, &insert);
    }
    fs::write(path, format!("{}{out}", &text[..bom])).map_err(|e| e.to_string())?;
    Ok((count, tests))
}

/// Collects the position right after the outer attributes (doc comments
/// included) of each function to annotate, and the start of the body of
/// each test function.
#[derive(Default)]
struct Finder {
    spots: Vec<LineColumn>,
    tests: Vec<LineColumn>,
}

impl Finder {
    /// `default` is the `default` keyword of a specialized impl fn, which
    /// comes between the visibility and the signature.
    fn consider(
        &mut self,
        attrs: &[Attribute],
        vis: &Visibility,
        default: Option<Span>,
        sig: &Signature,
    ) {
        if sig.constness.is_some() || is_proc_macro(attrs) {
            return;
        }
        // The first token after the attributes: visibility if written, else
        // `default`, else the signature's first qualifier (`async`, `unsafe`,
        // `extern`, `fn`).
        let start = match (vis, default) {
            (Visibility::Inherited, Some(d)) => d.start(),
            (Visibility::Inherited, None) => sig.span().start(),
            _ => vis.span().start(),
        };
        self.spots.push(start);
    }

    /// Notes where a test function's body starts: right after its `{`, or
    /// after its last inner attribute (`#![allow(…)]`), which must come
    /// before any statement. syn keeps a body's inner attributes with the
    /// function's outer ones.
    fn consider_test(&mut self, attrs: &[Attribute], block: &syn::Block) {
        if !is_test(attrs) {
            return;
        }
        let inner_end = attrs
            .iter()
            .filter(|a| matches!(a.style, AttrStyle::Inner(_)))
            .map(|a| a.span().end())
            .max_by_key(|lc| (lc.line, lc.column));
        let open = block.brace_token.span.open().end();
        self.tests.push(inner_end.unwrap_or(open));
    }
}

/// A test function: one of its attributes is a path ending in `test`
/// (`#[test]`, `#[tokio::test]`, `#[async_std::test]`).
fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        matches!(a.style, AttrStyle::Outer)
            && a.path().segments.last().is_some_and(|s| s.ident == "test")
    })
}

/// A `#[proc_macro*]` function must keep its exact signature and cannot be
/// wrapped; nor can it use a runtime crate.
fn is_proc_macro(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let p = a.path();
        p.is_ident("proc_macro")
            || p.is_ident("proc_macro_derive")
            || p.is_ident("proc_macro_attribute")
    })
}

// Each visitor records its own function, then recurses with the default
// walker so nested fns, impls and inline `mod`s are found too. Bodyless
// functions (trait declarations, `extern` blocks) are never recorded;
// macro bodies are opaque tokens to syn, so nothing in them is seen.
impl<'ast> Visit<'ast> for Finder {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.consider(&f.attrs, &f.vis, None, &f.sig);
        self.consider_test(&f.attrs, &f.block);
        visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let default = f.defaultness.as_ref().map(|d| d.span);
        self.consider(&f.attrs, &f.vis, default, &f.sig);
        self.consider_test(&f.attrs, &f.block);
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.consider(&f.attrs, &Visibility::Inherited, None, &f.sig);
        }
        visit::visit_trait_item_fn(self, f);
    }
}
