//! Hex decoding shared by the crate's `from_hex` constructors.

use zeroize::Zeroizing;

use crate::Error;

/// Decodes hex with an optional `0x`/`0X` prefix into a buffer that zeroizes on drop
/// (callers may be decoding secrets).
pub(crate) fn decode_hex(what: &'static str, text: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    hex::decode(digits)
        .map(Zeroizing::new)
        .map_err(|e| Error::InvalidHex {
            what,
            reason: e.to_string(),
        })
}
