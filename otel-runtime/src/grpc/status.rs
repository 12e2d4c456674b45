//! gRPC status codes: reading them from a response, naming them, and the
//! semantic conventions' rule for which of them make a span an error.

use http::HeaderMap;

/// `OK`.
pub(super) const OK: i64 = 0;
/// `CANCELLED`: what a call dropped before its status arrived ends with.
pub(super) const CANCELLED: i64 = 1;
/// `UNKNOWN`: a status missing or not a number.
pub(super) const UNKNOWN: i64 = 2;
/// `UNAVAILABLE`: what tonic makes of a connection that failed.
pub(super) const UNAVAILABLE: i64 = 14;

/// The conventions' names of the status codes, by code.
const NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The name of `code` (`DEADLINE_EXCEEDED`), or the number itself for a
/// code outside the seventeen.
pub(super) fn name(code: i64) -> String {
    usize::try_from(code)
        .ok()
        .and_then(|index| NAMES.get(index))
        .map_or_else(|| code.to_string(), |name| (*name).to_owned())
}

/// Which side of a call a span stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    Server,
    Client,
}

/// The conventions' rule: a client's call failed on any status but `OK`; a
/// server's only on the codes that say the server failed, not the caller
/// (`NOT_FOUND` or `INVALID_ARGUMENT` are the caller's to fix).
pub(super) fn is_error(side: Side, code: i64) -> bool {
    match side {
        Side::Client => code != OK,
        // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
        // UNAVAILABLE, DATA_LOSS.
        Side::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
    }
}

/// The status in `headers` (a response's trailers, or the headers of a
/// trailers-only response): its code, `UNKNOWN` when it is not a number,
/// and its message, percent-decoded as the protocol encodes it.
pub(super) fn read(headers: &HeaderMap) -> Option<(i64, String)> {
    let code = headers.get("grpc-status")?;
    let code = std::str::from_utf8(code.as_bytes())
        .ok()
        .and_then(|code| code.trim().parse().ok())
        .unwrap_or(UNKNOWN);
    let message = headers
        .get("grpc-message")
        .map(|message| {
            percent_encoding::percent_decode(message.as_bytes())
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    Some((code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_fails_on_its_own_codes_only_and_a_client_on_any_but_ok() {
        let server: Vec<_> = (0..17)
            .filter(|&code| is_error(Side::Server, code))
            .collect();
        assert_eq!(server, [2, 4, 12, 13, 14, 15]);
        let client: Vec<_> = (0..17)
            .filter(|&code| is_error(Side::Client, code))
            .collect();
        assert_eq!(client, (1..17).collect::<Vec<_>>());
    }

    #[test]
    fn codes_are_named_and_unknown_ones_kept_as_numbers() {
        assert_eq!(name(4), "DEADLINE_EXCEEDED");
        assert_eq!(name(16), "UNAUTHENTICATED");
        assert_eq!(name(99), "99");
        assert_eq!(name(-1), "-1");
    }

    #[test]
    fn the_status_is_read_with_its_message_decoded() {
        let mut headers = HeaderMap::new();
        assert_eq!(read(&headers), None);
        headers.insert("grpc-status", "5".parse().unwrap());
        headers.insert("grpc-message", "no%20order%20%E2%84%967".parse().unwrap());
        assert_eq!(read(&headers), Some((5, "no order №7".to_owned())));
        headers.insert("grpc-status", "five".parse().unwrap());
        assert_eq!(read(&headers).unwrap().0, UNKNOWN);
    }
}
