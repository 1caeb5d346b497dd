//! Minimal ENR (EIP-778) reading: base64url text form, RLP record, v4 identity signature check,
//! and the node's secp256k1 key. Kept behind `node_public_key` so it can be swapped for
//! `mosaic-enr` once that crate lands.

use base64::Engine as _;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::{Signature, VerifyingKey};

use crate::eth::keccak256;

/// Decodes one RLP item at the start of `data`: returns (is_list, payload, rest).
fn rlp_item(data: &[u8]) -> Result<(bool, &[u8], &[u8]), String> {
    let (&first, _) = data.split_first().ok_or("truncated RLP")?;
    let (is_list, header, len) = match first {
        0x00..=0x7f => return Ok((false, &data[..1], &data[1..])),
        0x80..=0xb7 => (false, 1, usize::from(first - 0x80)),
        0xb8..=0xbf => {
            let n = usize::from(first - 0xb7);
            (
                false,
                1 + n,
                be_len(data.get(1..1 + n).ok_or("truncated RLP length")?)?,
            )
        }
        0xc0..=0xf7 => (true, 1, usize::from(first - 0xc0)),
        0xf8..=0xff => {
            let n = usize::from(first - 0xf7);
            (
                true,
                1 + n,
                be_len(data.get(1..1 + n).ok_or("truncated RLP length")?)?,
            )
        }
    };
    let end = header.checked_add(len).ok_or("RLP length overflow")?;
    let payload = data.get(header..end).ok_or("truncated RLP payload")?;
    Ok((is_list, payload, &data[end..]))
}

fn be_len(b: &[u8]) -> Result<usize, String> {
    if b.len() > 4 {
        return Err("RLP length too large".into());
    }
    Ok(b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
}

/// Parses `enr:…`, verifies its v4 signature and returns the node's compressed secp256k1 key.
pub(crate) fn node_public_key(enr: &str) -> Result<VerifyingKey, String> {
    let body = enr
        .strip_prefix("enr:")
        .ok_or("ENR must start with \"enr:\"")?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|e| format!("invalid base64url: {e}"))?;
    if raw.len() > 300 {
        return Err(format!(
            "record is {} bytes, over the 300 byte limit",
            raw.len()
        ));
    }
    let (is_list, mut payload, rest) = rlp_item(&raw)?;
    if !is_list || !rest.is_empty() {
        return Err("record is not a single RLP list".into());
    }
    let mut items = Vec::new();
    let content_start = {
        let (_, sig, after) = rlp_item(payload)?;
        items.push(sig);
        payload = after;
        after
    };
    while !payload.is_empty() {
        let (list, item, after) = rlp_item(payload)?;
        if list {
            return Err("nested list in record".into());
        }
        items.push(item);
        payload = after;
    }
    if items.len() < 2 || items.len() % 2 != 0 {
        return Err("record must hold a signature, a sequence number and key/value pairs".into());
    }
    let mut id = None;
    let mut key = None;
    for pair in items[2..].chunks(2) {
        match pair[0] {
            b"id" => id = Some(pair[1]),
            b"secp256k1" => key = Some(pair[1]),
            _ => {}
        }
    }
    if id != Some(b"v4".as_slice()) {
        return Err("identity scheme is not \"v4\"".into());
    }
    let key = key.ok_or("record has no secp256k1 key")?;
    let key =
        VerifyingKey::from_sec1_bytes(key).map_err(|e| format!("invalid secp256k1 key: {e}"))?;
    // The signed content is the RLP list of everything after the signature.
    let mut content = rlp_list_header(content_start.len());
    content.extend_from_slice(content_start);
    let sig = Signature::from_slice(items[0]).map_err(|e| format!("malformed signature: {e}"))?;
    key.verify_prehash(&keccak256(&content), &sig)
        .map_err(|_| "record signature does not verify".to_string())?;
    Ok(key)
}

fn rlp_list_header(len: usize) -> Vec<u8> {
    if len <= 55 {
        vec![0xc0 + len as u8]
    } else {
        let be: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        let mut out = vec![0xf7 + be.len() as u8];
        out.extend(be);
        out
    }
}

fn rlp_bytes(b: &[u8]) -> Vec<u8> {
    if b.len() == 1 && b[0] < 0x80 {
        return b.to_vec();
    }
    let mut out = if b.len() <= 55 {
        vec![0x80 + b.len() as u8]
    } else {
        let be: Vec<u8> = b
            .len()
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|x| *x == 0)
            .collect();
        let mut h = vec![0xb7 + be.len() as u8];
        h.extend(be);
        h
    };
    out.extend_from_slice(b);
    out
}

/// Builds a signed v4 ENR (sequence 0, keys `id` and `secp256k1`) as Charon's `create cluster` does.
pub(crate) fn new_record(key: &k256::ecdsa::SigningKey) -> Result<String, String> {
    let pubkey = key.verifying_key().to_encoded_point(true);
    let fields = [
        rlp_bytes(&[]),
        rlp_bytes(b"id"),
        rlp_bytes(b"v4"),
        rlp_bytes(b"secp256k1"),
        rlp_bytes(pubkey.as_bytes()),
    ];
    let body: Vec<u8> = fields.concat();
    let mut content = rlp_list_header(body.len());
    content.extend_from_slice(&body);
    let (sig, _) = key
        .sign_prehash_recoverable(&keccak256(&content))
        .map_err(|e| format!("ENR signing failed: {e}"))?;
    let mut record_body = rlp_bytes(&sig.to_bytes());
    record_body.extend_from_slice(&body);
    let mut record = rlp_list_header(record_body.len());
    record.extend_from_slice(&record_body);
    Ok(format!(
        "enr:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(record)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_charon_enr() {
        // From obol-dv-spec cluster_hashing.json (real_keys_3_of_4, operator 0).
        let enr = "enr:-HW4QKQucUpfyYqAJduZ-Q5wkmEUcgAdm0frB-xX98VPs-OGU-OW0O5-dfyf3CLKuEOaoWUvQ3ClKv6RKLSnf1Hig86AgmlkgnY0iXNlY3AyNTZrMaED5orPwCU6EGIN_3BrChsfH1gz6jvrO94iUNXycfNWNgY";
        let key = node_public_key(enr).expect("valid ENR");
        assert_eq!(
            hex::encode(key.to_encoded_point(true).as_bytes()),
            "03e68acfc0253a10620dff706b0a1b1f1f5833ea3beb3bde2250d5f271f3563606"
        );
    }

    #[test]
    fn new_record_round_trips_and_tampering_fails() {
        let key = k256::ecdsa::SigningKey::from_slice(&[9u8; 32]).expect("key");
        let enr = new_record(&key).expect("record");
        assert_eq!(node_public_key(&enr).expect("valid"), *key.verifying_key());
        let mut raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&enr[4..])
            .expect("b64");
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = format!(
            "enr:{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        );
        assert!(node_public_key(&tampered).is_err());
        assert!(node_public_key("enr-xyz").is_err());
    }
}
