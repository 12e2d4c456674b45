//! `otel-migrate <dir>`: rewrites `#[instrument(…)]`,
//! `#[tracing::instrument(…)]` and `#[tracing_attributes::instrument(…)]`
//! into `#[traced(…)]` (`#[otel_runtime::traced(…)]` where the path was
//! qualified) in every `.rs` file under `<dir>`, and the `use` lines that
//! import `instrument` into `use otel_runtime::traced;`.
//!
//! Only those texts change: formatting, comments and every other line stay
//! byte for byte, so line numbers do not move. The options keep their
//! spelling (`#[traced]` accepts `#[instrument]`'s), except
//! `fields(a = tracing::field::Empty)`, which becomes `fields(a)`. What it
//! cannot map is printed as `file:line: …` for a person to finish:
//! `parent = …` and `follows_from = …` take OpenTelemetry contexts, not
//! `tracing` spans; a renamed import; an option it does not know. It
//! exits 1 when something could not be read; add `otel-runtime` to the
//! crate's dependencies yourself.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{env, fs};

use proc_macro2::{LineColumn, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, ItemUse, Meta, UseTree};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: otel-migrate <dir>");
        return ExitCode::from(2);
    };
    let mut files = Vec::new();
    collect(Path::new(dir), &mut files);
    files.sort();
    let (mut attributes, mut uses, mut failed) = (0, 0, false);
    for path in &files {
        match migrate(path) {
            Ok(done) => {
                for note in &done.notes {
                    println!("{}:{note}", path.display());
                }
                if done.attributes + done.uses > 0 {
                    println!(
                        "{}: {} attributes, {} use lines",
                        path.display(),
                        done.attributes,
                        done.uses
                    );
                }
                attributes += done.attributes;
                uses += done.uses;
            }
            Err(error) => {
                eprintln!("{}: {error}", path.display());
                failed = true;
            }
        }
    }
    println!("otel-migrate: {attributes} attributes and {uses} use lines rewritten");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every `.rs` file under `dir`, `target/` and hidden folders aside.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect(&path, files);
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
}

/// What one file's migration did.
#[derive(Default)]
struct Done {
    attributes: usize,
    uses: usize,
    /// `line: what to finish by hand`.
    notes: Vec<String>,
}

/// A replacement of the text between two positions.
struct Edit {
    from: LineColumn,
    to: LineColumn,
    text: String,
}

fn migrate(path: &Path) -> Result<Done, String> {
    let text = fs::read_to_string(path).map_err(|error| error.to_string())?;
    let parsed = syn::parse_file(&text).map_err(|error| {
        let at = error.span().start();
        format!("cannot parse at {}:{}: {error}", at.line, at.column + 1)
    })?;
    let mut finder = Finder {
        source: text.clone(),
        ..Finder::default()
    };
    finder.visit_file(&parsed);
    // The positions are plain numbers now; the spans can go.
    drop(parsed);
    proc_macro2::extra::invalidate_current_thread_spans();
    let Finder {
        source: _,
        mut edits,
        mut done,
        bare,
        imported,
        first_use,
    } = finder;
    if bare && !imported {
        match first_use {
            Some(at) => edits.push(Edit {
                from: at,
                to: at,
                text: "use otel_runtime::traced;\n".to_owned(),
            }),
            None => done
                .notes
                .push("1: add `use otel_runtime::traced;` for the `#[traced]` here".to_owned()),
        }
    }
    if edits.is_empty() {
        return Ok(done);
    }
    fs::write(path, apply(&text, edits)).map_err(|error| error.to_string())?;
    Ok(done)
}

/// `text` with `edits` made, from the last to the first.
fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|edit| std::cmp::Reverse((edit.from.line, edit.from.column)));
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    // Span columns count chars, not bytes.
    let offset = |at: LineColumn| {
        let start = line_starts[at.line - 1];
        let line = &text[start..];
        start
            + line
                .char_indices()
                .nth(at.column)
                .map_or(line.len(), |(i, _)| i)
    };
    let mut out = text.to_owned();
    for edit in edits {
        out.replace_range(offset(edit.from)..offset(edit.to), &edit.text);
    }
    out
}

#[derive(Default)]
struct Finder {
    /// The file's text.
    source: String,
    edits: Vec<Edit>,
    done: Done,
    /// An attribute became a bare `#[traced]`, which needs its import.
    bare: bool,
    /// A `use` line now imports `traced`.
    imported: bool,
    /// Where the file's first top-level `use` starts.
    first_use: Option<LineColumn>,
}

/// The paths of `#[instrument]`, and whether each is qualified.
fn instrument_path(attr: &Attribute) -> Option<bool> {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    match segments
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["instrument"] => Some(false),
        ["tracing" | "tracing_attributes", "instrument"] => Some(true),
        _ => None,
    }
}

impl Finder {
    fn note(&mut self, span: Span, what: &str) {
        self.done
            .notes
            .push(format!("{}: {what}", span.start().line));
    }

    /// The options of one `#[instrument(…)]`, item by item.
    fn options(&mut self, tokens: TokenStream) {
        for item in split_commas(tokens) {
            let Some(TokenTree::Ident(key)) = item.first() else {
                continue;
            };
            let span = key.span();
            match key.to_string().as_str() {
                "name" | "skip" | "skip_all" | "ret" | "err" | "level" | "target" => {}
                "fields" => {
                    if let Some(TokenTree::Group(group)) = item.get(1) {
                        self.fields(group.stream());
                    }
                }
                "parent" => self.note(
                    span,
                    "`parent = …` takes an OpenTelemetry `Context` or `SpanContext` here, \
                     not a `tracing` span: check it",
                ),
                "follows_from" => self.note(
                    span,
                    "`follows_from = …` takes OpenTelemetry `Context`s or `SpanContext`s \
                     here, not `tracing` span IDs: check it",
                ),
                other => self.note(span, &format!("`{other}` is not an option of `#[traced]`")),
            }
        }
    }

    /// `k = tracing::field::Empty` becomes `k`, a field recorded later.
    fn fields(&mut self, tokens: TokenStream) {
        for field in split_commas(tokens) {
            let Some(eq) = field.iter().position(|token| is_punct(token, '=')) else {
                continue;
            };
            let value: Vec<String> = field[eq + 1..]
                .iter()
                .filter(|token| !is_punct(token, ':'))
                .map(ToString::to_string)
                .collect();
            let empty = matches!(
                value
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice(),
                ["tracing", "field", "Empty"] | ["field", "Empty"] | ["Empty"]
            );
            if !empty {
                continue;
            }
            let key_span = field[0].span();
            if eq == 1 {
                // From the end of the key to the end of the value.
                self.edits.push(Edit {
                    from: key_span.end(),
                    to: field.last().map_or(key_span, TokenTree::span).end(),
                    text: String::new(),
                });
            } else {
                self.note(
                    key_span,
                    "a dotted field key needs a value in `#[traced]`: record it later with \
                     `otel_runtime::set_attribute`, and remove it here",
                );
            }
        }
    }

    /// `tracing::instrument` or `tracing::{…, instrument, …}` in a `use`.
    fn use_tree(&mut self, tree: &UseTree, item: &ItemUse) {
        let UseTree::Path(path) = tree else { return };
        if path.ident != "tracing" && path.ident != "tracing_attributes" {
            return;
        }
        match &*path.tree {
            UseTree::Name(name) if name.ident == "instrument" => {
                self.edits.push(Edit {
                    from: path.ident.span().start(),
                    to: name.ident.span().end(),
                    text: "otel_runtime::traced".to_owned(),
                });
                self.imported = true;
                self.done.uses += 1;
            }
            UseTree::Group(group) => {
                let names: Vec<&UseTree> = group.items.iter().collect();
                let Some(at) = names.iter().position(
                    |tree| matches!(tree, UseTree::Name(name) if name.ident == "instrument"),
                ) else {
                    if group.items.iter().any(|tree| matches!(tree, UseTree::Rename(rename) if rename.ident == "instrument")) {
                        self.note(item.span(), "`instrument` is imported under another name: rename its uses to `traced`");
                    }
                    return;
                };
                if names.len() == 2 {
                    // `{debug, instrument}` becomes `debug`.
                    let other = names[1 - at];
                    self.edits.push(Edit {
                        from: group.brace_token.span.open().start(),
                        to: group.brace_token.span.close().end(),
                        text: self.text_of(other.span()),
                    });
                    self.import_after(item);
                    return;
                }
                // The name and the comma after it, or before it when last.
                let (from, to) = if at + 1 < names.len() {
                    (names[at].span().start(), names[at + 1].span().start())
                } else if at > 0 {
                    (names[at - 1].span().end(), names[at].span().end())
                } else {
                    (names[at].span().start(), names[at].span().end())
                };
                self.edits.push(Edit {
                    from,
                    to,
                    text: String::new(),
                });
                self.import_after(item);
            }
            _ => {}
        }
    }

    /// `use otel_runtime::traced;` on a line of its own after `item`.
    fn import_after(&mut self, item: &ItemUse) {
        let end = item.span().end();
        let indent = " ".repeat(item.span().start().column);
        self.edits.push(Edit {
            from: end,
            to: end,
            text: format!("\n{indent}use otel_runtime::traced;"),
        });
        self.imported = true;
        self.done.uses += 1;
    }

    /// The source text of `span`, on one line.
    fn text_of(&self, span: Span) -> String {
        let (from, to) = (span.start(), span.end());
        let line = self.source.lines().nth(from.line - 1).unwrap_or_default();
        if from.line != to.line {
            return line.chars().skip(from.column).collect();
        }
        line.chars()
            .skip(from.column)
            .take(to.column - from.column)
            .collect()
    }
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(punct) if punct.as_char() == c)
}

/// The top-level comma-separated items of `tokens`.
fn split_commas(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut items = vec![Vec::new()];
    for token in tokens {
        if is_punct(&token, ',') {
            items.push(Vec::new());
        } else if let Some(item) = items.last_mut() {
            item.push(token);
        }
    }
    items.retain(|item| !item.is_empty());
    items
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_attribute(&mut self, attr: &'ast Attribute) {
        if let Some(qualified) = instrument_path(attr) {
            self.edits.push(Edit {
                from: attr.path().span().start(),
                to: attr.path().span().end(),
                text: if qualified {
                    "otel_runtime::traced"
                } else {
                    "traced"
                }
                .to_owned(),
            });
            self.bare |= !qualified;
            self.done.attributes += 1;
            if let Meta::List(list) = &attr.meta {
                self.options(list.tokens.clone());
            }
        }
        visit::visit_attribute(self, attr);
    }

    fn visit_item_use(&mut self, item: &'ast ItemUse) {
        if self.first_use.is_none() {
            self.first_use = Some(item.span().start());
        }
        self.use_tree(&item.tree, item);
        visit::visit_item_use(self, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `source` migrated, and the notes.
    fn migrated(source: &str) -> (String, Vec<String>) {
        let parsed = syn::parse_file(source).unwrap();
        let mut finder = Finder {
            source: source.to_owned(),
            ..Finder::default()
        };
        finder.visit_file(&parsed);
        let mut edits = finder.edits;
        if finder.bare && !finder.imported {
            let at = finder.first_use.unwrap();
            edits.push(Edit {
                from: at,
                to: at,
                text: "use otel_runtime::traced;\n".to_owned(),
            });
        }
        (apply(source, edits), finder.done.notes)
    }

    #[test]
    fn attributes_and_imports_change_and_nothing_else() {
        let (out, notes) = migrated(
            "use tracing::{info, instrument, warn};\n\n\
             /// Docs stay.\n\
             #[instrument(skip(db), fields(user = %id, found = tracing::field::Empty))] // why\n\
             async fn load(db: &Db, id: u32) {}\n\n\
             #[tracing::instrument]\n\
             fn plain() {}\n",
        );
        assert_eq!(
            out,
            "use tracing::{info, warn};\nuse otel_runtime::traced;\n\n\
             /// Docs stay.\n\
             #[traced(skip(db), fields(user = %id, found))] // why\n\
             async fn load(db: &Db, id: u32) {}\n\n\
             #[otel_runtime::traced]\n\
             fn plain() {}\n"
        );
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn what_cannot_be_mapped_is_said_with_its_line() {
        let (out, notes) = migrated(
            "use tracing::instrument;\n\
             #[instrument(parent = &span, follows_from = [id], fields(http.status = field::Empty))]\n\
             fn child() {}\n",
        );
        assert!(
            out.starts_with("use otel_runtime::traced;\n#[traced("),
            "{out}"
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].starts_with("2: `parent = …`"), "{notes:?}");
        assert!(notes[1].starts_with("2: `follows_from = …`"), "{notes:?}");
        assert!(notes[2].starts_with("2: a dotted field key"), "{notes:?}");
    }

    #[test]
    fn a_bare_attribute_without_its_import_gets_one() {
        let (out, _) = migrated("use tracing::*;\n#[instrument]\nfn f() {}\n");
        assert_eq!(
            out,
            "use otel_runtime::traced;\nuse tracing::*;\n#[traced]\nfn f() {}\n"
        );
    }
}
