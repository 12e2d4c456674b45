//! The names that mark a value as a secret: one list for everything that
//! records names, `#[traced]` arguments and HTTP query parameters alike.
//!
//! A name is compared ignoring ASCII case and leading underscores, with `-`
//! read as `_`, so `API_KEY`, `authToken` and `X-Amz-Security-Token` are
//! known. An argument whose name is a secret's is recorded as `[REDACTED]`
//! (unless `fields(…)` names it); a query parameter's value becomes
//! `REDACTED` in `url.full` and `url.query`.

/// How a name matches an entry of [`SECRET_NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// Any name that is the entry or ends in it: `db_password`,
    /// `session_token`.
    Ending,
    /// A query parameter named exactly the entry. These words name other
    /// things in code (a map's `key`, a function's `signature`), so an
    /// argument named so is recorded.
    QueryKey,
}

/// The one list of secret names, written in lower case with `_`.
pub const SECRET_NAMES: &[(&str, Match)] = &[
    ("password", Match::Ending),
    ("passwd", Match::Ending),
    ("secret", Match::Ending),
    ("token", Match::Ending),
    ("api_key", Match::Ending),
    ("apikey", Match::Ending),
    ("authorization", Match::Ending),
    ("credential", Match::Ending),
    ("credentials", Match::Ending),
    ("private_key", Match::Ending),
    ("cookie", Match::Ending),
    // The semantic conventions name these four for URLs; the two after
    // them are as common (S3's signed URLs, API keys in query strings).
    ("awsaccesskeyid", Match::QueryKey),
    ("signature", Match::QueryKey),
    ("sig", Match::QueryKey),
    ("x_goog_signature", Match::QueryKey),
    ("x_amz_signature", Match::QueryKey),
    ("key", Match::QueryKey),
];

/// Whether an argument named `name` holds a secret: `password`,
/// `db_password`, `API_KEY`, `authToken`. A `const fn`, so that the
/// expansion decides at compile time.
pub const fn is_secret(name: &str) -> bool {
    matches(name, false)
}

/// Whether the query parameter `key` holds a secret: every entry, those of
/// [`Match::QueryKey`] as whole names.
pub const fn is_secret_query_key(key: &str) -> bool {
    matches(key, true)
}

const fn matches(name: &str, query: bool) -> bool {
    let name = trim_underscores(name.as_bytes());
    let mut index = 0;
    while index < SECRET_NAMES.len() {
        let (entry, how) = SECRET_NAMES[index];
        let entry = entry.as_bytes();
        let found = match how {
            Match::Ending => ends_with(name, entry),
            Match::QueryKey => query && name.len() == entry.len() && ends_with(name, entry),
        };
        if found {
            return true;
        }
        index += 1;
    }
    false
}

const fn trim_underscores(mut name: &[u8]) -> &[u8] {
    while let [b'_' | b'-', rest @ ..] = name {
        name = rest;
    }
    name
}

const fn ends_with(name: &[u8], entry: &[u8]) -> bool {
    if entry.len() > name.len() {
        return false;
    }
    let start = name.len() - entry.len();
    let mut index = 0;
    while index < entry.len() {
        let byte = match name[start + index] {
            b'-' => b'_',
            byte => byte.to_ascii_lowercase(),
        };
        if byte != entry[index] {
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
    fn argument_secrets_are_known_by_their_ending() {
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
        for name in [
            "user",
            "token_count",
            "passwords_checked",
            "key",
            "signature",
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
            "client_secret",
        ] {
            assert!(is_secret_query_key(key), "{key}");
        }
        for key in ["monkey", "tokens", "q", "page"] {
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
