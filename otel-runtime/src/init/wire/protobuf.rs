//! Protobuf fields written straight into a buffer. Proto3's rule for
//! scalars is kept: a field at its default value (0, empty) is left out,
//! as `prost` leaves it out.

use prost::encoding::{WireType, encoded_len_varint, key_len};

/// A varint, pushed byte by byte: most are one byte (keys, short
/// lengths), for which `prost::encoding::encode_varint`, through `BufMut`
/// and out of line, cost several times as much (the ledger of
/// ARCHITECTURE.md has the count).
#[inline]
pub(super) fn encode_varint(mut value: u64, buf: &mut Vec<u8>) {
    while value >= 0x80 {
        buf.push(value as u8 | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// A field's key: its tag and wire type.
#[inline]
pub(super) fn encode_key(tag: u32, wire_type: WireType, buf: &mut Vec<u8>) {
    encode_varint(u64::from(tag << 3 | wire_type as u32), buf);
}

pub(super) fn varint(buf: &mut Vec<u8>, tag: u32, value: u64) {
    if value != 0 {
        encode_key(tag, WireType::Varint, buf);
        encode_varint(value, buf);
    }
}

pub(super) fn fixed32(buf: &mut Vec<u8>, tag: u32, value: u32) {
    if value != 0 {
        encode_key(tag, WireType::ThirtyTwoBit, buf);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

pub(super) fn fixed64(buf: &mut Vec<u8>, tag: u32, value: u64) {
    if value != 0 {
        encode_key(tag, WireType::SixtyFourBit, buf);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

/// A `bytes` or `string` field; left out when empty.
pub(super) fn bytes(buf: &mut Vec<u8>, tag: u32, value: &[u8]) {
    if !value.is_empty() {
        delimited(buf, tag, value);
    }
}

/// A length-delimited field written even when empty: an embedded message
/// that is present, or a member of a `oneof`.
pub(super) fn delimited(buf: &mut Vec<u8>, tag: u32, value: &[u8]) {
    delimited_head(buf, tag, value.len());
    buf.extend_from_slice(value);
}

/// The key and length of a length-delimited field whose `len` bytes come
/// next.
pub(super) fn delimited_head(buf: &mut Vec<u8>, tag: u32, len: usize) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(len as u64, buf);
}

/// The size of a length-delimited field of `len` bytes, key included.
pub(super) fn delimited_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

/// The size of a `bytes` or `string` field, left out when empty.
pub(super) fn bytes_len(tag: u32, len: usize) -> usize {
    if len == 0 { 0 } else { delimited_len(tag, len) }
}

/// Writes a message field whose body `body` writes, through `scratch`
/// (its length must be known before it): the body is written there, then
/// copied after its key and length.
pub(super) fn message(
    buf: &mut Vec<u8>,
    tag: u32,
    scratch: &mut Vec<u8>,
    body: impl FnOnce(&mut Vec<u8>),
) {
    scratch.clear();
    body(scratch);
    delimited(buf, tag, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_left_out_and_present_messages_are_not() {
        let mut buf = Vec::new();
        varint(&mut buf, 1, 0);
        fixed32(&mut buf, 2, 0);
        fixed64(&mut buf, 3, 0);
        bytes(&mut buf, 4, b"");
        assert!(buf.is_empty());
        delimited(&mut buf, 5, b"");
        assert_eq!(buf, [5 << 3 | 2, 0]);
    }

    #[test]
    fn varints_and_keys_are_prosts() {
        for value in [0, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            encode_varint(value, &mut ours);
            prost::encoding::encode_varint(value, &mut theirs);
            assert_eq!(ours, theirs);
        }
        for tag in [1, 15, 16, 2047, 2048] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            encode_key(tag, WireType::LengthDelimited, &mut ours);
            prost::encoding::encode_key(tag, WireType::LengthDelimited, &mut theirs);
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn lengths_match_what_is_written() {
        for len in [0, 1, 127, 128, 300] {
            let mut buf = Vec::new();
            delimited(&mut buf, 20, &vec![7; len]);
            assert_eq!(buf.len(), delimited_len(20, len));
        }
    }
}
