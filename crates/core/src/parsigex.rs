//! Partial signature exchange messages (`/charon/parsigex/2.0.0`, `ParSigExMsg`): encoding the
//! partials a node made, and decoding and checking the partials a peer sent.
//!
//! A received message is accepted only if every partial in it claims the share index the
//! cluster assigned to its authenticated sender (Mosaic binds partials to their sender; see
//! [`mosaic_qbft::parsigex_binding`]), its duty is within the slot horizon, and its data
//! decodes as the object of the duty type. The signature itself is verified afterwards, against
//! the public share of that index, by [`crate::parsigdb::ParSigDb`].

use std::collections::BTreeMap;

use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_crypto::tbls::ShareIndex;
use mosaic_qbft::parsigex_binding::{verify_peer_share_idx, BindingError};
use mosaic_qbft::pb;
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsSignature, Slot};
use prost::Message;

use crate::duty::Duty;
use crate::keys::KnownKeys;
use crate::signeddata::{SignedData, SignedDataError};

/// One partial signature of one validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialSigned<P: Preset> {
    /// The distributed validator.
    pub dv_pubkey: PublicKey,
    /// The signed object, carrying the partial signature.
    pub data: SignedData<P>,
    /// The partial signature `data` carries, decoded once (a valid G2 point) so that no later
    /// stage decompresses it again.
    pub signature: Signature,
    /// The signer's share index.
    pub share_index: ShareIndex,
}

/// Why a received `ParSigExMsg` was dropped.
#[derive(Debug, thiserror::Error)]
pub enum ParSigExError {
    /// The protobuf does not decode.
    #[error("ParSigExMsg does not decode: {0}")]
    Decode(String),
    /// The message has no duty or an unknown duty type.
    #[error("ParSigExMsg has no valid duty")]
    MissingDuty,
    /// The message carries no partial signature.
    #[error("ParSigExMsg for {0} carries no partial signature")]
    Empty(Duty),
    /// The duty is too far from the current slot.
    #[error("{duty} is outside the accepted slots {earliest}..={latest}")]
    OutsideHorizon {
        /// The duty.
        duty: Duty,
        /// The oldest slot accepted.
        earliest: Slot,
        /// The newest slot accepted.
        latest: Slot,
    },
    /// A partial claims a share index other than its sender's.
    #[error("{duty}: {0}", duty = .1)]
    Binding(BindingError, Duty),
    /// A key of the set is not a BLS public key.
    #[error("{duty}: key {key:?} is not a BLS public key")]
    BadKey {
        /// The duty.
        duty: Duty,
        /// The key.
        key: String,
    },
    /// A partial signature is not a valid compressed G2 point.
    #[error("{duty}: partial signature for {key} is malformed")]
    BadSignature {
        /// The duty.
        duty: Duty,
        /// The validator key.
        key: String,
    },
    /// The data does not decode as the duty type's object.
    #[error("{duty}: data for {key}: {source}")]
    Data {
        /// The duty.
        duty: Duty,
        /// The validator key.
        key: String,
        /// Why.
        source: SignedDataError,
    },
}

impl ParSigExError {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Decode(_) => "decode",
            Self::MissingDuty => "missing_duty",
            Self::Empty(_) => "empty",
            Self::OutsideHorizon { .. } => "outside_horizon",
            Self::Binding(error, _) => error.reason(),
            Self::BadKey { .. } => "bad_key",
            Self::BadSignature { .. } => "bad_signature",
            Self::Data { .. } => "bad_data",
        }
    }
}

/// Which slots a node accepts partials for: from `behind` slots before the current slot to
/// `ahead` slots after it (duties are resolved at most two epochs ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotHorizon {
    /// Slots accepted before the current slot.
    pub behind: u64,
    /// Slots accepted after the current slot.
    pub ahead: u64,
}

impl SlotHorizon {
    /// The horizon for a chain with `slots_per_epoch`: two epochs back (attestations expire
    /// after two slots; exits and registrations use the current slot), two epochs ahead.
    pub fn for_epoch_length(slots_per_epoch: u64) -> Self {
        Self {
            behind: slots_per_epoch.saturating_mul(2),
            ahead: slots_per_epoch.saturating_mul(2),
        }
    }

    fn check(&self, duty: Duty, current_slot: Slot) -> Result<(), ParSigExError> {
        let earliest = current_slot.saturating_sub(self.behind);
        let latest = current_slot.saturating_add(self.ahead);
        // Builder registrations and exits are signed over fixed epochs, not the current slot:
        // the node files them under the slot it received them, so they pass the same check.
        if duty.slot < earliest || duty.slot > latest {
            return Err(ParSigExError::OutsideHorizon {
                duty,
                earliest,
                latest,
            });
        }
        Ok(())
    }
}

/// Encodes this node's partials of `duty` as as few `ParSigExMsg`s as the wire allows: a
/// message's set is keyed by validator, so a validator with several objects for one duty (sync
/// committee selections and contributions, one per subcommittee) needs one message per object.
pub fn encode_all<P: Preset>(duty: Duty, partials: &[PartialSigned<P>]) -> Vec<Vec<u8>> {
    let mut batches: Vec<Vec<PartialSigned<P>>> = Vec::new();
    for partial in partials {
        let free = batches
            .iter_mut()
            .find(|batch| batch.iter().all(|p| p.dv_pubkey != partial.dv_pubkey));
        match free {
            Some(batch) => batch.push(partial.clone()),
            None => batches.push(vec![partial.clone()]),
        }
    }
    batches.iter().map(|batch| encode(duty, batch)).collect()
}

/// Encodes partials of `duty` as one `ParSigExMsg`. The set is keyed by validator: of several
/// partials of one validator only the last survives (see [`encode_all`]).
pub fn encode<P: Preset>(duty: Duty, partials: &[PartialSigned<P>]) -> Vec<u8> {
    let set = partials
        .iter()
        .map(|partial| {
            (
                partial.dv_pubkey.to_hex(),
                pb::ParSignedData {
                    data: partial.data.to_wire(),
                    signature: partial.data.signature().0.to_vec(),
                    share_idx: i32::try_from(partial.share_index).unwrap_or(i32::MAX),
                },
            )
        })
        .collect();
    pb::ParSigExMsg {
        duty: Some(duty.to_pb()),
        data_set: Some(pb::ParSignedDataSet { set }),
    }
    .encode_to_vec()
}

/// A `ParSigExMsg` read off the wire: it decodes and names a duty within the slot horizon.
/// Its partials are not checked yet ([`Received::check`]); the duty is enough to decide when
/// to check them.
#[derive(Debug, Clone)]
pub struct Received {
    duty: Duty,
    set: BTreeMap<String, pb::ParSignedData>,
}

impl Received {
    /// Parses `bytes` as a `ParSigExMsg` and checks its duty is within `horizon` of
    /// `current_slot` and that it carries partials.
    pub fn parse(
        bytes: &[u8],
        current_slot: Slot,
        horizon: SlotHorizon,
    ) -> Result<Self, ParSigExError> {
        let message =
            pb::ParSigExMsg::decode(bytes).map_err(|e| ParSigExError::Decode(e.to_string()))?;
        let duty = message
            .duty
            .as_ref()
            .and_then(Duty::from_pb)
            .ok_or(ParSigExError::MissingDuty)?;
        horizon.check(duty, current_slot)?;
        let set: BTreeMap<String, pb::ParSignedData> = message
            .data_set
            .map(|set| set.set.into_iter().collect())
            .unwrap_or_default();
        if set.is_empty() {
            return Err(ParSigExError::Empty(duty));
        }
        Ok(Self { duty, set })
    }

    /// The duty the message names.
    pub fn duty(&self) -> Duty {
        self.duty
    }

    /// Checks the partials as sent by `sender` (a label such as its peer ID): every partial's
    /// share index the one `share_index_by_peer` assigns to `sender`, keys, signatures
    /// (on the curve and in the subgroup) and data well formed. Validator keys found in
    /// `known_keys` are taken from there; others are decoded and checked in full.
    pub fn check<P: Preset, K: Ord + std::borrow::Borrow<str>>(
        self,
        sender: &str,
        share_index_by_peer: &BTreeMap<K, u64>,
        known_keys: &KnownKeys,
    ) -> Result<(Duty, Vec<PartialSigned<P>>), ParSigExError> {
        let duty = self.duty;
        let mut partials = Vec::with_capacity(self.set.len());
        for (key, partial) in self.set {
            verify_peer_share_idx(share_index_by_peer, sender, i64::from(partial.share_idx))
                .map_err(|error| ParSigExError::Binding(error, duty))?;
            let dv_pubkey = known_keys
                .parse_hex(&key)
                .map_err(|_| ParSigExError::BadKey {
                    duty,
                    key: key.clone(),
                })?;
            let signature = Signature::from_bytes(&partial.signature).map_err(|_| {
                ParSigExError::BadSignature {
                    duty,
                    key: key.clone(),
                }
            })?;
            let data =
                SignedData::<P>::from_wire(duty.duty_type, &partial.data).map_err(|source| {
                    ParSigExError::Data {
                        duty,
                        key: key.clone(),
                        source,
                    }
                })?;
            // The bytes as sent: a valid signature has one encoding, so they are its own
            // (no need to compress the decoded point again).
            let encoded = BlsSignature::from_slice(&partial.signature).map_err(|_| {
                ParSigExError::BadSignature {
                    duty,
                    key: key.clone(),
                }
            })?;
            partials.push(PartialSigned {
                dv_pubkey,
                data: data.with_signature(encoded),
                signature,
                share_index: u64::try_from(partial.share_idx).unwrap_or(0),
            });
        }
        Ok((duty, partials))
    }
}

/// Decodes a `ParSigExMsg` from `sender` and checks it: [`Received::parse`] at `current_slot`
/// within `horizon`, then [`Received::check`].
pub fn decode<P: Preset, K: Ord + std::borrow::Borrow<str>>(
    bytes: &[u8],
    sender: &str,
    share_index_by_peer: &BTreeMap<K, u64>,
    current_slot: Slot,
    horizon: SlotHorizon,
    known_keys: &KnownKeys,
) -> Result<(Duty, Vec<PartialSigned<P>>), ParSigExError> {
    Received::parse(bytes, current_slot, horizon)?.check(sender, share_index_by_peer, known_keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signeddata::SignedRandao;
    use mosaic_types::consensus::Minimal;

    fn partial(share_index: ShareIndex) -> PartialSigned<Minimal> {
        let key = mosaic_crypto::bls::SecretKey::from_bytes(&[7; 32]).unwrap();
        let signature = key.sign(b"randao");
        PartialSigned {
            dv_pubkey: key.public_key(),
            data: SignedData::Randao(SignedRandao {
                epoch: 3,
                signature: BlsSignature(signature.to_bytes()),
            }),
            signature,
            share_index,
        }
    }

    fn peers() -> BTreeMap<String, u64> {
        [("alice".to_string(), 1), ("bob".to_string(), 4)].into()
    }

    const HORIZON: SlotHorizon = SlotHorizon {
        behind: 16,
        ahead: 16,
    };

    /// `decode` from `sender` among [`peers`], at `current_slot`, within [`HORIZON`], with no
    /// known keys (every key decoded in full).
    fn decode_from(
        bytes: &[u8],
        sender: &str,
        current_slot: Slot,
    ) -> Result<(Duty, Vec<PartialSigned<Minimal>>), ParSigExError> {
        decode::<Minimal, _>(
            bytes,
            sender,
            &peers(),
            current_slot,
            HORIZON,
            &KnownKeys::default(),
        )
    }

    #[test]
    fn round_trips_and_binds_to_the_sender() {
        let duty = Duty::new(24, crate::DutyType::Randao);
        let bytes = encode(duty, &[partial(4)]);
        let (decoded_duty, partials) = decode_from(&bytes, "bob", 24).unwrap();
        assert_eq!(decoded_duty, duty);
        assert_eq!(partials, vec![partial(4)]);

        // The same message from another sender claims someone else's share index.
        let error = decode_from(&bytes, "alice", 24).unwrap_err();
        assert_eq!(error.reason(), "share_idx_mismatch");
        let error = decode_from(&bytes, "mallory", 24).unwrap_err();
        assert_eq!(error.reason(), "unknown_peer");
    }

    #[test]
    fn several_objects_of_one_validator_travel_in_separate_messages() {
        let duty = Duty::new(24, crate::DutyType::Randao);
        let mut second = partial(4);
        second.data = SignedData::Randao(SignedRandao {
            epoch: 4,
            signature: second.data.signature(),
        });
        let messages = encode_all(duty, &[partial(4), second.clone()]);
        assert_eq!(messages.len(), 2);
        let decoded: Vec<_> = messages
            .iter()
            .flat_map(|bytes| decode_from(bytes, "bob", 24).unwrap().1)
            .collect();
        assert_eq!(decoded, vec![partial(4), second]);
        // Different validators share one message.
        let other_key = mosaic_crypto::bls::SecretKey::from_bytes(&[9; 32]).unwrap();
        let mut other = partial(4);
        other.dv_pubkey = other_key.public_key();
        assert_eq!(encode_all(duty, &[partial(4), other]).len(), 1);
    }

    #[test]
    fn horizon_bounds_are_inclusive() {
        let at = |slot| encode(Duty::new(slot, crate::DutyType::Randao), &[partial(1)]);
        for slot in [8, 24, 40] {
            assert!(decode_from(&at(slot), "alice", 24).is_ok());
        }
        for slot in [7, 41] {
            let error = decode_from(&at(slot), "alice", 24).unwrap_err();
            assert_eq!(error.reason(), "outside_horizon", "slot {slot}");
        }
    }

    #[test]
    fn the_duty_is_read_before_the_partials_are_checked() {
        let duty = Duty::new(24, crate::DutyType::Randao);
        let bytes = encode(duty, &[partial(4)]);
        let received = Received::parse(&bytes, 24, HORIZON).unwrap();
        assert_eq!(received.duty(), duty);
        // Parsing says nothing of the sender: the binding is judged by the check.
        assert_eq!(
            received
                .clone()
                .check::<Minimal, _>("alice", &peers(), &KnownKeys::default())
                .unwrap_err()
                .reason(),
            "share_idx_mismatch"
        );
        let (checked_duty, partials) = received
            .check::<Minimal, _>("bob", &peers(), &KnownKeys::default())
            .unwrap();
        assert_eq!((checked_duty, partials), (duty, vec![partial(4)]));
        let no_duty = pb::ParSigExMsg {
            duty: None,
            data_set: None,
        }
        .encode_to_vec();
        assert_eq!(
            Received::parse(&no_duty, 24, HORIZON).unwrap_err().reason(),
            "missing_duty"
        );
    }

    #[test]
    fn malformed_messages_are_refused() {
        assert_eq!(
            decode_from(b"\xff\xff", "alice", 0).unwrap_err().reason(),
            "decode"
        );
        let empty = encode::<Minimal>(Duty::new(1, crate::DutyType::Randao), &[]);
        assert_eq!(
            decode_from(&empty, "alice", 1).unwrap_err().reason(),
            "empty"
        );
        // Randao data under an attester duty does not decode.
        let wrong = encode(Duty::new(1, crate::DutyType::Attester), &[partial(1)]);
        assert_eq!(
            decode_from(&wrong, "alice", 1).unwrap_err().reason(),
            "bad_data"
        );
    }
}
