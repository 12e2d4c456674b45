//! The names that mark a value as a secret: one list for everything that
//! records names, `#[traced]` arguments, `tracing` fields and HTTP query
//! parameters alike.
//!
//! A name is read as its words: split at `_`, `-`, `.` and where case
//! changes (`authToken` is `auth token`, `APIKey` is `api key`), compared
//! ignoring ASCII case. It names a secret when its words hold an entry's
//! words in a row, the last one maybe plural: `password_hash`,
//! `passwords`, `db_password_file`, `x_api_key_id`; a one-word entry also
//! ends a word (`dbpassword`). So some names that only speak of secrets
//! are redacted too (`token_count`): name them in `fields(…)` to record
//! them. An argument whose name is a secret's is recorded as `[REDACTED]`
//! (unless `fields(…)` names it); a query parameter's value becomes
//! `REDACTED` in `url.full` and `url.query`. A program adds names of its
//! own with [`add_names`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

/// How a name matches an entry of [`SECRET_NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// Any name whose words hold the entry's: `db_password`,
    /// `session_tokens`, `x_api_key_id`.
    Words,
    /// A query parameter whose words are the entry's, no more. These words
    /// name other things in code (a map's `key`, a function's
    /// `signature`), so an argument named so is recorded.
    QueryKey,
}

/// The one list of secret names, written in lower case with `_` between
/// words.
pub const SECRET_NAMES: &[(&str, Match)] = &[
    ("password", Match::Words),
    ("passwd", Match::Words),
    ("secret", Match::Words),
    ("token", Match::Words),
    ("api_key", Match::Words),
    ("apikey", Match::Words),
    ("authorization", Match::Words),
    ("credential", Match::Words),
    ("private_key", Match::Words),
    ("cookie", Match::Words),
    // The semantic conventions name these four for URLs; the two after
    // them are as common (S3's signed URLs, API keys in query strings).
    ("awsaccesskeyid", Match::QueryKey),
    ("signature", Match::QueryKey),
    ("sig", Match::QueryKey),
    ("x_goog_signature", Match::QueryKey),
    ("x_amz_signature", Match::QueryKey),
    ("key", Match::QueryKey),
];

/// Whether an argument or field named `name` holds a secret: `password`,
/// `db_password_file`, `API_KEY`, `authToken`, `passwords`. A `const fn`,
/// so that the expansion decides at compile time.
pub const fn is_secret(name: &str) -> bool {
    matches(name.as_bytes(), false)
}

/// Whether the query parameter `key` holds a secret: every entry, those of
/// [`Match::QueryKey`] as whole names, and the names added at run time.
pub fn is_secret_query_key(key: &str) -> bool {
    matches(key.as_bytes(), true) || is_added(key)
}

/// Names the program added ([`add_names`]), as lower-case words joined by
/// `_`; and whether there are any, which is all a call checks otherwise.
static ADDED: RwLock<Vec<String>> = RwLock::new(Vec::new());
static ANY_ADDED: AtomicBool = AtomicBool::new(false);

/// Adds names that mark secrets, on top of [`SECRET_NAMES`], matched the
/// same way (by words, any case: adding `taxId` redacts `tax_id`,
/// `customer_tax_id` and `TaxIds`), for `#[traced]` arguments, `tracing`
/// fields and HTTP query parameters alike, from the next call on.
///
/// ```
/// use otel_runtime::secrets;
///
/// secrets::add_names(["iban", "taxId"]);
/// assert!(secrets::is_added("customer_iban"));
/// assert!(secrets::is_added("TAX_ID"));
/// assert!(!secrets::is_added("amount"));
/// ```
pub fn add_names<I>(names: I)
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut added = ADDED.write().unwrap_or_else(PoisonError::into_inner);
    for name in names {
        let name = name.as_ref().as_bytes();
        let mut words = Vec::new();
        let mut at = 0;
        while let Some((start, end)) = next_word(name, at) {
            words.push(String::from_utf8_lossy(word(name, start, end)).to_ascii_lowercase());
            at = end;
        }
        if !words.is_empty() {
            added.push(words.join("_"));
        }
    }
    ANY_ADDED.store(!added.is_empty(), Ordering::Release);
}

/// Whether `name` holds the words of a name given to [`add_names`]. One
/// atomic load when none was given.
#[inline]
pub fn is_added(name: &str) -> bool {
    ANY_ADDED.load(Ordering::Acquire) && added_holds(name)
}

#[cold]
fn added_holds(name: &str) -> bool {
    let added = ADDED.read().unwrap_or_else(PoisonError::into_inner);
    added
        .iter()
        .any(|entry| holds(name.as_bytes(), entry.as_bytes()))
}

const fn matches(name: &[u8], query: bool) -> bool {
    let mut index = 0;
    while index < SECRET_NAMES.len() {
        let (entry, how) = SECRET_NAMES[index];
        let entry = entry.as_bytes();
        let found = match how {
            Match::Words => holds(name, entry),
            Match::QueryKey => query && same_words(name, entry),
        };
        if found {
            return true;
        }
        index += 1;
    }
    false
}

/// Where the word that starts at or after `at` starts and ends, if there
/// is one.
const fn next_word(name: &[u8], mut at: usize) -> Option<(usize, usize)> {
    while at < name.len() && is_separator(name[at]) {
        at += 1;
    }
    if at == name.len() {
        return None;
    }
    let start = at;
    at += 1;
    while at < name.len() && !is_separator(name[at]) && !starts_word(name, at) {
        at += 1;
    }
    Some((start, at))
}

const fn is_separator(byte: u8) -> bool {
    matches!(byte, b'_' | b'-' | b'.' | b' ')
}

/// An upper-case letter after a lower-case one or a digit (`authToken`),
/// or the last of a run of capitals before a lower-case letter (`APIKey`).
const fn starts_word(name: &[u8], at: usize) -> bool {
    if !name[at].is_ascii_uppercase() {
        return false;
    }
    let before = name[at - 1];
    before.is_ascii_lowercase()
        || before.is_ascii_digit()
        || (before.is_ascii_uppercase() && at + 1 < name.len() && name[at + 1].is_ascii_lowercase())
}

/// `name[start..end]`, in a `const fn`.
const fn word(name: &[u8], start: usize, end: usize) -> &[u8] {
    name.split_at(end).0.split_at(start).1
}

/// Whether `name`'s words hold `entry`'s in a row.
const fn holds(name: &[u8], entry: &[u8]) -> bool {
    let mut at = 0;
    while let Some((start, end)) = next_word(name, at) {
        if words_from(name, start, entry, false) {
            return true;
        }
        at = end;
    }
    false
}

/// Whether `name`'s words are `entry`'s, no more and no fewer.
const fn same_words(name: &[u8], entry: &[u8]) -> bool {
    words_from(name, 0, entry, true)
}

/// Whether `name`'s words from `at` on are `entry`'s: the last maybe
/// plural and, when `entry` is one word, maybe the end of a longer one;
/// with `whole`, exactly and with no word after.
const fn words_from(name: &[u8], mut at: usize, entry: &[u8], whole: bool) -> bool {
    let mut entry_at = 0;
    let mut first = true;
    while let Some((entry_start, entry_end)) = next_word(entry, entry_at) {
        let Some((start, end)) = next_word(name, at) else {
            return false;
        };
        let expected = word(entry, entry_start, entry_end);
        let found = word(name, start, end);
        let last = next_word(entry, entry_end).is_none();
        let matched = same_letters(found, expected)
            || (!whole && last && is_plural(found, expected))
            || (!whole && last && first && ends_with(found, expected));
        if !matched {
            return false;
        }
        at = end;
        entry_at = entry_end;
        first = false;
    }
    !whole || next_word(name, at).is_none()
}

const fn same_letters(found: &[u8], expected: &[u8]) -> bool {
    found.len() == expected.len() && ends_with(found, expected)
}

const fn is_plural(found: &[u8], expected: &[u8]) -> bool {
    found.len() == expected.len() + 1
        && found[expected.len()].eq_ignore_ascii_case(&b's')
        && ends_with(found.split_at(expected.len()).0, expected)
}

/// Whether `found` ends with `expected`, ignoring ASCII case.
const fn ends_with(found: &[u8], expected: &[u8]) -> bool {
    if expected.len() > found.len() {
        return false;
    }
    let start = found.len() - expected.len();
    let mut index = 0;
    while index < expected.len() {
        if !found[start + index].eq_ignore_ascii_case(&expected[index]) {
            return false;
        }
        index += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_secrets_are_known_by_their_words() {
        for name in [
            "password",
            "db_password",
            "API_KEY",
            "authToken",
            "session_cookie",
            "_secret",
            // The names that the ending alone let through.
            "password_hash",
            "passwords",
            "db_password_file",
            "x_api_key_id",
            "XApiKeyId",
            "APIKey",
            "dbpassword",
            "client.secret",
            // Names that speak of secrets are redacted too.
            "token_count",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in [
            "user",
            "tokenizer",
            "key",
            "signature",
            "monkey",
            "secretary",
            "",
            "_",
        ] {
            assert!(!is_secret(name), "{name}");
        }
    }

    #[test]
    fn query_keys_take_whole_names_too() {
        for key in [
            "sig",
            "Signature",
            "X-Amz-Signature",
            "key",
            "TOKEN",
            "tokens",
            "client_secret",
        ] {
            assert!(is_secret_query_key(key), "{key}");
        }
        for key in ["monkey", "keys", "sig_version", "q", "page"] {
            assert!(!is_secret_query_key(key), "{key}");
        }
    }

    #[test]
    fn entries_are_written_as_names_are_compared() {
        for (entry, _) in SECRET_NAMES {
            assert!(
                entry.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{entry}"
            );
        }
    }
}
