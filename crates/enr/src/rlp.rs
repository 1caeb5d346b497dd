//! A minimal, strict RLP codec (Ethereum yellow paper, appendix B) for ENRs.
//!
//! Decoding accepts only canonical encodings: a single byte below `0x80` must stand for itself,
//! short forms must be used for payloads up to 55 bytes, long-form lengths must have no leading
//! zero bytes, and every payload must be consumed exactly.

/// Why an RLP encoding was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RlpError {
    /// The input ended inside an item.
    #[error("truncated: item at offset {offset} needs {needed} bytes, {available} available")]
    Truncated {
        /// Offset of the item's header.
        offset: usize,
        /// Bytes the item claims (header included).
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A single byte below `0x80` was wrapped in a string header.
    #[error("non-canonical: single byte 0x{byte:02x} at offset {offset} must encode as itself")]
    SingleByteNotSelfEncoded {
        /// Offset of the header.
        offset: usize,
        /// The wrapped byte.
        byte: u8,
    },
    /// A long-form header was used for a payload of 55 bytes or fewer.
    #[error("non-canonical: long-form length {length} at offset {offset} must use the short form")]
    LongFormForShortPayload {
        /// Offset of the header.
        offset: usize,
        /// The payload length.
        length: usize,
    },
    /// A long-form length had a leading zero byte.
    #[error("non-canonical: length of item at offset {offset} has a leading zero byte")]
    LengthLeadingZero {
        /// Offset of the header.
        offset: usize,
    },
    /// A length that does not fit in memory.
    #[error("length of item at offset {offset} is too large")]
    LengthOverflow {
        /// Offset of the header.
        offset: usize,
    },
    /// Bytes left after the item that should have ended the input.
    #[error("{count} trailing bytes after the item")]
    TrailingBytes {
        /// Number of bytes left over.
        count: usize,
    },
    /// A list where a string was required, or the other way round.
    #[error("expected {expected} at offset {offset}")]
    UnexpectedKind {
        /// Offset of the item.
        offset: usize,
        /// What was required.
        expected: &'static str,
    },
    /// An integer with leading zero bytes (zero must be the empty string).
    #[error("non-canonical: integer at offset {offset} has leading zero bytes")]
    IntegerLeadingZero {
        /// Offset of the item.
        offset: usize,
    },
    /// An integer wider than its target type.
    #[error("integer at offset {offset} is {length} bytes, more than {max} allowed")]
    IntegerTooLong {
        /// Offset of the item.
        offset: usize,
        /// Its length in bytes.
        length: usize,
        /// The maximum allowed.
        max: usize,
    },
}

/// One decoded item: a byte string or a list, with its full encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    /// Whether this is a list.
    pub(crate) is_list: bool,
    /// The payload: string bytes, or the concatenated encodings of the list's items.
    pub(crate) payload: &'a [u8],
    /// The whole encoding, header included.
    pub(crate) encoded: &'a [u8],
    /// Offset of the item in the outermost input (for error messages).
    pub(crate) offset: usize,
}

impl<'a> Item<'a> {
    /// The payload of a byte string, or an error for a list.
    pub(crate) fn bytes(&self) -> Result<&'a [u8], RlpError> {
        if self.is_list {
            return Err(RlpError::UnexpectedKind {
                offset: self.offset,
                expected: "a byte string",
            });
        }
        Ok(self.payload)
    }

    /// A canonical big-endian unsigned integer of at most `max` bytes.
    pub(crate) fn uint(&self, max: usize) -> Result<u64, RlpError> {
        let bytes = self.bytes()?;
        if bytes.first() == Some(&0) {
            return Err(RlpError::IntegerLeadingZero {
                offset: self.offset,
            });
        }
        if bytes.len() > max.min(8) {
            return Err(RlpError::IntegerTooLong {
                offset: self.offset,
                length: bytes.len(),
                max: max.min(8),
            });
        }
        Ok(bytes
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte)))
    }

    /// The items of a list, or an error for a byte string.
    pub(crate) fn list_items(&self) -> Result<Vec<Item<'a>>, RlpError> {
        if !self.is_list {
            return Err(RlpError::UnexpectedKind {
                offset: self.offset,
                expected: "a list",
            });
        }
        let payload_offset = self.offset + (self.encoded.len() - self.payload.len());
        let mut items = Vec::new();
        let mut rest = self.payload;
        let mut offset = payload_offset;
        while !rest.is_empty() {
            let item = decode_at(rest, offset)?;
            offset += item.encoded.len();
            rest = &rest[item.encoded.len()..];
            items.push(item);
        }
        Ok(items)
    }
}

/// Decodes exactly one item spanning all of `input`.
pub(crate) fn decode_exact(input: &[u8]) -> Result<Item<'_>, RlpError> {
    let item = decode_at(input, 0)?;
    let trailing = input.len() - item.encoded.len();
    if trailing != 0 {
        return Err(RlpError::TrailingBytes { count: trailing });
    }
    Ok(item)
}

/// Decodes the item at the start of `input`; `offset` is its position for error messages.
fn decode_at(input: &[u8], offset: usize) -> Result<Item<'_>, RlpError> {
    let truncated = |needed: usize| RlpError::Truncated {
        offset,
        needed,
        available: input.len(),
    };
    let Some(&prefix) = input.first() else {
        return Err(truncated(1));
    };
    let (is_list, header_len, payload_len) = match prefix {
        0x00..=0x7f => {
            return Ok(Item {
                is_list: false,
                payload: &input[..1],
                encoded: &input[..1],
                offset,
            })
        }
        0x80..=0xb7 => (false, 1, usize::from(prefix - 0x80)),
        0xb8..=0xbf => {
            let (header_len, length) = long_length(input, offset, usize::from(prefix - 0xb7))?;
            (false, header_len, length)
        }
        0xc0..=0xf7 => (true, 1, usize::from(prefix - 0xc0)),
        0xf8..=0xff => {
            let (header_len, length) = long_length(input, offset, usize::from(prefix - 0xf7))?;
            (true, header_len, length)
        }
    };
    let total = header_len
        .checked_add(payload_len)
        .ok_or(RlpError::LengthOverflow { offset })?;
    if input.len() < total {
        return Err(truncated(total));
    }
    let payload = &input[header_len..total];
    if !is_list && header_len == 1 && payload_len == 1 && payload[0] < 0x80 {
        return Err(RlpError::SingleByteNotSelfEncoded {
            offset,
            byte: payload[0],
        });
    }
    Ok(Item {
        is_list,
        payload,
        encoded: &input[..total],
        offset,
    })
}

/// Reads a long-form length of `length_of_length` bytes after the prefix byte.
fn long_length(
    input: &[u8],
    offset: usize,
    length_of_length: usize,
) -> Result<(usize, usize), RlpError> {
    let header_len = 1 + length_of_length;
    let Some(length_bytes) = input.get(1..header_len) else {
        return Err(RlpError::Truncated {
            offset,
            needed: header_len,
            available: input.len(),
        });
    };
    if length_bytes[0] == 0 {
        return Err(RlpError::LengthLeadingZero { offset });
    }
    if length_of_length > std::mem::size_of::<usize>() {
        return Err(RlpError::LengthOverflow { offset });
    }
    let length = length_bytes
        .iter()
        .fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte));
    if length <= 55 {
        return Err(RlpError::LongFormForShortPayload { offset, length });
    }
    Ok((header_len, length))
}

/// Appends the header for a payload of `length` bytes (`short_base` is `0x80` or `0xc0`).
fn encode_header(out: &mut Vec<u8>, short_base: u8, length: usize) {
    if length <= 55 {
        // `length` is at most 55, so the sum stays within the byte.
        out.push(short_base + length as u8);
    } else {
        let length_bytes = length.to_be_bytes();
        let skip = length_bytes.iter().take_while(|byte| **byte == 0).count();
        let significant = &length_bytes[skip..];
        // `significant` has at most 8 bytes, so the sum stays within the byte.
        out.push(short_base + 55 + significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Appends the encoding of a byte string.
pub(crate) fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    if let [byte] = bytes {
        if *byte < 0x80 {
            out.push(*byte);
            return;
        }
    }
    encode_header(out, 0x80, bytes.len());
    out.extend_from_slice(bytes);
}

/// Appends the encoding of an unsigned integer (minimal big-endian; zero is the empty string).
pub(crate) fn encode_uint(out: &mut Vec<u8>, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|byte| **byte == 0).count();
    encode_bytes(out, &bytes[skip..]);
}

/// Wraps already-encoded items in a list header.
pub(crate) fn encode_list(items_encoded: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items_encoded.len() + 9);
    encode_header(&mut out, 0xc0, items_encoded.len());
    out.extend_from_slice(items_encoded);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded_bytes(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_bytes(&mut out, bytes);
        out
    }

    fn encoded_uint(value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        encode_uint(&mut out, value);
        out
    }

    #[test]
    fn encodes_yellow_paper_examples() {
        assert_eq!(encoded_bytes(b"dog"), [0x83, b'd', b'o', b'g']);
        assert_eq!(encoded_bytes(b""), [0x80]);
        assert_eq!(encoded_bytes(&[0x00]), [0x00]);
        assert_eq!(encoded_bytes(&[0x7f]), [0x7f]);
        assert_eq!(encoded_bytes(&[0x80]), [0x81, 0x80]);
        assert_eq!(encoded_uint(0), [0x80]);
        assert_eq!(encoded_uint(15), [0x0f]);
        assert_eq!(encoded_uint(1024), [0x82, 0x04, 0x00]);
        let mut cat_dog = Vec::new();
        encode_bytes(&mut cat_dog, b"cat");
        encode_bytes(&mut cat_dog, b"dog");
        assert_eq!(
            encode_list(&cat_dog),
            [0xc8, 0x83, b'c', b'a', b't', 0x83, b'd', b'o', b'g']
        );
        assert_eq!(encode_list(&[]), [0xc0]);
        let lorem = b"Lorem ipsum dolor sit amet, consectetur adipisicing elit";
        let encoded = encoded_bytes(lorem);
        assert_eq!(&encoded[..2], &[0xb8, 0x38]);
        assert_eq!(&encoded[2..], lorem);
    }

    #[test]
    fn long_list_header() {
        let payload = vec![0x01u8; 300];
        let encoded = encode_list(&payload);
        assert_eq!(&encoded[..3], &[0xf9, 0x01, 0x2c]);
        let item = decode_exact(&encoded).unwrap();
        assert!(item.is_list);
        assert_eq!(item.list_items().unwrap().len(), 300);
    }

    #[test]
    fn round_trips_strings_at_the_short_long_boundary() {
        for length in [0usize, 1, 54, 55, 56, 57, 255, 256, 1024] {
            let bytes = vec![0xaau8; length];
            let encoded = encoded_bytes(&bytes);
            let item = decode_exact(&encoded).unwrap();
            assert_eq!(item.bytes().unwrap(), &bytes[..], "length {length}");
        }
    }

    #[test]
    fn rejects_wrapped_single_byte() {
        assert_eq!(
            decode_exact(&[0x81, 0x7f]),
            Err(RlpError::SingleByteNotSelfEncoded {
                offset: 0,
                byte: 0x7f
            })
        );
        // One step inside: 0x80 needs the header.
        assert_eq!(
            decode_exact(&[0x81, 0x80]).unwrap().bytes().unwrap(),
            &[0x80]
        );
    }

    #[test]
    fn rejects_long_form_for_short_payloads() {
        let mut input = vec![0xb8, 55];
        input.extend_from_slice(&[0xaa; 55]);
        assert_eq!(
            decode_exact(&input),
            Err(RlpError::LongFormForShortPayload {
                offset: 0,
                length: 55
            })
        );
        let mut input = vec![0xb8, 56];
        input.extend_from_slice(&[0xaa; 56]);
        assert!(decode_exact(&input).is_ok());
        let mut list = vec![0xf8, 2, 0x01, 0x02];
        assert!(matches!(
            decode_exact(&list),
            Err(RlpError::LongFormForShortPayload { .. })
        ));
        list = vec![0xc2, 0x01, 0x02];
        assert!(decode_exact(&list).is_ok());
    }

    #[test]
    fn rejects_length_with_leading_zero() {
        let mut input = vec![0xb9, 0x00, 0x38];
        input.extend_from_slice(&[0xaa; 56]);
        assert_eq!(
            decode_exact(&input),
            Err(RlpError::LengthLeadingZero { offset: 0 })
        );
    }

    #[test]
    fn rejects_truncation_and_trailing_bytes() {
        assert!(matches!(decode_exact(&[]), Err(RlpError::Truncated { .. })));
        assert!(matches!(
            decode_exact(&[0x83, b'd', b'o']),
            Err(RlpError::Truncated { .. })
        ));
        assert!(matches!(
            decode_exact(&[0xb9, 0x01]),
            Err(RlpError::Truncated { .. })
        ));
        assert!(matches!(
            decode_exact(&[0xc2, 0x83, b'd']).and_then(|list| list.list_items()),
            Err(RlpError::Truncated { .. })
        ));
        assert_eq!(
            decode_exact(&[0x83, b'd', b'o', b'g', 0x00]),
            Err(RlpError::TrailingBytes { count: 1 })
        );
        assert!(decode_exact(&[0x83, b'd', b'o', b'g']).is_ok());
    }

    #[test]
    fn rejects_absurd_lengths() {
        let input = [0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode_exact(&input),
            Err(RlpError::Truncated { .. } | RlpError::LengthOverflow { .. })
        ));
    }

    #[test]
    fn integers_must_be_minimal() {
        let zero_padded = decode_exact(&[0x82, 0x00, 0x01]).unwrap();
        assert_eq!(
            zero_padded.uint(8),
            Err(RlpError::IntegerLeadingZero { offset: 0 })
        );
        let single_zero = decode_exact(&[0x00]).unwrap();
        assert_eq!(
            single_zero.uint(8),
            Err(RlpError::IntegerLeadingZero { offset: 0 })
        );
        assert_eq!(decode_exact(&[0x80]).unwrap().uint(8), Ok(0));
        assert_eq!(
            decode_exact(&[0x82, 0x76, 0x5f]).unwrap().uint(2),
            Ok(30303)
        );
        assert_eq!(
            decode_exact(&[0x83, 0x01, 0x00, 0x00]).unwrap().uint(2),
            Err(RlpError::IntegerTooLong {
                offset: 0,
                length: 3,
                max: 2
            })
        );
        let mut max = Vec::new();
        encode_uint(&mut max, u64::MAX);
        assert_eq!(decode_exact(&max).unwrap().uint(8), Ok(u64::MAX));
        assert!(decode_exact(&[0xc0]).unwrap().uint(8).is_err());
    }

    #[test]
    fn kinds_are_checked() {
        assert!(decode_exact(&[0xc0]).unwrap().bytes().is_err());
        assert!(decode_exact(&[0x80]).unwrap().list_items().is_err());
    }

    #[test]
    fn nested_list_offsets_point_into_the_input() {
        let encoded = [0xc5, 0x83, b'c', b'a', b't', 0x81];
        let error = decode_exact(&encoded).unwrap().list_items().unwrap_err();
        assert_eq!(
            error,
            RlpError::Truncated {
                offset: 5,
                needed: 2,
                available: 1
            }
        );
    }
}
