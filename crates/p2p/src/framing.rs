//! Length-delimited frames as go-msgio's `pbio` delimited reader and writer use them: an unsigned
//! LEB128 varint length (at most 10 bytes, at most 64 bits), then that many payload bytes.
//!
//! The reader checks the length against the caller's limit before allocating anything, so an
//! oversize frame costs at most the 10 bytes of its length prefix. A length equal to the limit is
//! accepted, as `pbio` does. Below the limit the buffer grows with the bytes received rather
//! than being allocated at the declared length.

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The longest unsigned LEB128 encoding of a `u64`.
pub const MAX_VARINT_LEN: usize = 10;

/// Payload buffer reserved up front; larger frames grow as their bytes arrive.
const INITIAL_PAYLOAD_CAPACITY: usize = 64 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The frame's declared length exceeds the limit for its protocol.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The declared (or attempted) payload length.
        len: u64,
        /// The inclusive limit.
        max: usize,
    },
    /// The length prefix does not fit in 64 bits.
    #[error("frame length varint overflows 64 bits")]
    VarintOverflow,
    /// The stream ended before the length prefix was complete.
    #[error("stream ended inside the frame length prefix after {read} bytes")]
    TruncatedLength {
        /// Bytes of the prefix that were read.
        read: usize,
    },
    /// The stream ended before any byte of a frame.
    #[error("stream ended before a frame")]
    Empty,
    /// The stream ended before the payload was complete.
    #[error("stream ended inside a frame payload of {len} bytes")]
    TruncatedPayload {
        /// The declared payload length.
        len: usize,
    },
    /// The underlying stream failed.
    #[error("stream i/o failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Appends the unsigned LEB128 encoding of `value` to `out`.
pub fn encode_uvarint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Encodes `payload` as one frame: varint length then the bytes.
pub fn encode_frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + MAX_VARINT_LEN);
    encode_uvarint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

/// Reads one varint length prefix. `Ok(None)` means the stream ended cleanly before it.
async fn read_uvarint<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Option<u64>, FrameError> {
    let mut value: u64 = 0;
    let mut byte = [0u8; 1];
    for index in 0..MAX_VARINT_LEN {
        let n = reader.read(&mut byte).await?;
        if n == 0 {
            return if index == 0 {
                Ok(None)
            } else {
                Err(FrameError::TruncatedLength { read: index })
            };
        }
        let b = byte[0];
        // The tenth byte may carry only the 64th bit (Go's binary.ReadUvarint rule).
        if index == MAX_VARINT_LEN - 1 && b > 1 {
            return Err(FrameError::VarintOverflow);
        }
        value |= u64::from(b & 0x7f) << (7 * index);
        if b < 0x80 {
            return Ok(Some(value));
        }
    }
    Err(FrameError::VarintOverflow)
}

/// Reads one frame whose payload is at most `max` bytes. The length is checked before any
/// payload buffer is allocated.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<Vec<u8>, FrameError> {
    let len = read_uvarint(reader).await?.ok_or(FrameError::Empty)?;
    let len = match usize::try_from(len) {
        Ok(len) if len <= max => len,
        _ => return Err(FrameError::TooLarge { len, max }),
    };
    // Grow with the bytes that actually arrive, so a peer that declares a large frame and
    // then stalls holds at most what it sent, not the whole declared length.
    let mut payload = Vec::with_capacity(len.min(INITIAL_PAYLOAD_CAPACITY));
    (&mut *reader)
        .take(len as u64)
        .read_to_end(&mut payload)
        .await?;
    if payload.len() < len {
        return Err(FrameError::TruncatedPayload { len });
    }
    Ok(payload)
}

/// Writes one frame, refusing payloads over `max` (the peer would refuse them anyway).
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    payload: &[u8],
    max: usize,
) -> Result<(), FrameError> {
    if payload.len() > max {
        return Err(FrameError::TooLarge {
            len: payload.len() as u64,
            max,
        });
    }
    writer.write_all(&encode_frame(payload)).await?;
    writer.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;

    fn read(bytes: &[u8], max: usize) -> Result<Vec<u8>, FrameError> {
        block_on(read_frame(&mut Cursor::new(bytes.to_vec()), max))
    }

    #[test]
    fn uvarint_matches_protobuf_encoding() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (value, expected) in cases {
            let mut out = Vec::new();
            encode_uvarint(value, &mut out);
            assert_eq!(out, expected, "{value}");
        }
    }

    #[test]
    fn frames_round_trip_including_empty() {
        for payload in [vec![], vec![7u8], vec![0xab; 300]] {
            let mut buf = Vec::new();
            block_on(write_frame(&mut buf, &payload, 300)).expect("write");
            assert_eq!(read(&buf, 300).expect("read"), payload);
        }
    }

    #[test]
    fn length_at_limit_is_accepted_and_one_over_is_rejected() {
        let frame = encode_frame(&[1, 2, 3, 4]);
        assert_eq!(read(&frame, 4).expect("at limit"), vec![1, 2, 3, 4]);
        assert!(matches!(
            read(&frame, 3),
            Err(FrameError::TooLarge { len: 4, max: 3 })
        ));
    }

    #[test]
    fn oversize_length_is_rejected_without_reading_the_payload() {
        // Declares 1 GiB but carries no payload: the limit must fire, not a truncation error.
        let mut prefix = Vec::new();
        encode_uvarint(1 << 30, &mut prefix);
        assert!(matches!(
            read(&prefix, 1 << 20),
            Err(FrameError::TooLarge { len, .. }) if len == 1 << 30
        ));
        // The largest length a varint can carry.
        let mut prefix = Vec::new();
        encode_uvarint(u64::MAX, &mut prefix);
        assert!(matches!(
            read(&prefix, 1 << 20),
            Err(FrameError::TooLarge { len: u64::MAX, .. })
        ));
    }

    #[test]
    fn writer_refuses_oversize_payloads() {
        let mut buf = Vec::new();
        assert!(matches!(
            block_on(write_frame(&mut buf, &[0; 5], 4)),
            Err(FrameError::TooLarge { len: 5, max: 4 })
        ));
        assert!(buf.is_empty());
        block_on(write_frame(&mut buf, &[0; 4], 4)).expect("at limit");
    }

    #[test]
    fn malformed_prefixes_are_rejected() {
        // Eleven continuation bytes.
        assert!(matches!(
            read(&[0x80; 11], usize::MAX),
            Err(FrameError::VarintOverflow)
        ));
        // Tenth byte above 1 overflows 64 bits.
        let mut overflow = vec![0xff; 9];
        overflow.push(0x02);
        assert!(matches!(
            read(&overflow, usize::MAX),
            Err(FrameError::VarintOverflow)
        ));
        assert!(matches!(read(&[], 10), Err(FrameError::Empty)));
        assert!(matches!(
            read(&[0x80], 10),
            Err(FrameError::TruncatedLength { read: 1 })
        ));
        assert!(matches!(
            read(&[0x03, 1, 2], 10),
            Err(FrameError::TruncatedPayload { len: 3 })
        ));
    }

    #[test]
    fn payload_longer_than_one_initial_buffer_round_trips() {
        let payload: Vec<u8> = (0..INITIAL_PAYLOAD_CAPACITY * 3 + 5)
            .map(|i| i as u8)
            .collect();
        let frame = encode_frame(&payload);
        assert_eq!(read(&frame, payload.len()).expect("read"), payload);
        assert!(matches!(
            read(&frame[..frame.len() - 1], payload.len()),
            Err(FrameError::TruncatedPayload { .. })
        ));
    }

    #[test]
    fn non_minimal_length_is_accepted_like_go() {
        // 0x81 0x00 is a non-minimal encoding of 1; Go's ReadUvarint accepts it.
        assert_eq!(read(&[0x81, 0x00, 9], 10).expect("read"), vec![9]);
    }
}
