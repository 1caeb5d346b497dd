//! Signature aggregation (Obol spec, sigagg.md): Lagrange-combine `threshold` partial signatures
//! over one message (x-coordinates are the 1-based share indices) and verify the result under
//! the DV public key before anything is broadcast.
//!
//! Partials are verified before they are stored, so the first combination normally verifies. If
//! it does not (a bad partial slipped in) and more than `threshold` partials are available, other
//! `threshold`-sized subsets are tried in lexicographic order of share indices, at most
//! [`MAX_SUBSETS`] in all, so a node never spends unbounded time on one duty.

use std::collections::BTreeMap;

use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_crypto::tbls::{self, ShareIndex};

/// The most `threshold`-sized subsets [`aggregate`] combines and verifies for one call.
pub const MAX_SUBSETS: usize = 128;

/// Why no verified aggregate signature was produced.
#[derive(Debug, thiserror::Error)]
pub enum SigAggError {
    /// The threshold is 0.
    #[error("invalid threshold 0: at least one partial signature is needed")]
    ZeroThreshold,
    /// A share index is 0 (share indices are 1-based).
    #[error("share index 0 is invalid (share indices are 1-based)")]
    ZeroShareIndex,
    /// Fewer partials than the threshold.
    #[error("not enough partial signatures: {available} of threshold {threshold}")]
    NotEnoughPartials {
        /// The threshold.
        threshold: u64,
        /// Partials given.
        available: usize,
    },
    /// No subset combined into a signature that verifies under the DV public key.
    #[error(
        "no aggregate verifies under DV public key {dv_pubkey}: tried {subsets_tried} subset(s) of {threshold} from {available} partial(s) (share indices {share_indices:?})"
    )]
    VerificationFailed {
        /// The DV public key (hex).
        dv_pubkey: String,
        /// The threshold.
        threshold: u64,
        /// Partials given.
        available: usize,
        /// Their share indices.
        share_indices: Vec<ShareIndex>,
        /// Subsets combined and verified.
        subsets_tried: usize,
    },
}

/// A verified group signature and the share indices whose partials produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    /// The group signature; verifies under the DV public key over the message.
    pub signature: Signature,
    /// The `threshold` share indices that were combined.
    pub share_indices: Vec<ShareIndex>,
}

/// Combines `threshold` of `partials` (share index → partial signature over `message`, usually
/// a 32-byte signing root) and returns the first combination that verifies under `dv_pubkey`.
pub fn aggregate(
    partials: &BTreeMap<ShareIndex, Signature>,
    threshold: u64,
    dv_pubkey: &PublicKey,
    message: &[u8],
) -> Result<Aggregate, SigAggError> {
    if threshold == 0 {
        return Err(SigAggError::ZeroThreshold);
    }
    if partials.contains_key(&0) {
        return Err(SigAggError::ZeroShareIndex);
    }
    let available = partials.len();
    let size = usize::try_from(threshold).unwrap_or(usize::MAX);
    if available < size {
        return Err(SigAggError::NotEnoughPartials {
            threshold,
            available,
        });
    }
    let entries: Vec<(ShareIndex, Signature)> = partials.iter().map(|(i, s)| (*i, *s)).collect();
    let mut subsets_tried = 0;
    let mut positions: Vec<usize> = (0..size).collect();
    loop {
        let subset: BTreeMap<ShareIndex, Signature> =
            positions.iter().map(|&p| entries[p]).collect();
        subsets_tried += 1;
        // A degenerate combination (the point at infinity) is just another failed subset.
        if let Ok(signature) = tbls::combine_signatures(&subset, threshold) {
            if signature.verify(dv_pubkey, message) {
                return Ok(Aggregate {
                    signature,
                    share_indices: subset.into_keys().collect(),
                });
            }
        }
        if subsets_tried >= MAX_SUBSETS || !next_combination(&mut positions, available) {
            break;
        }
    }
    Err(SigAggError::VerificationFailed {
        dv_pubkey: dv_pubkey.to_hex(),
        threshold,
        available,
        share_indices: partials.keys().copied().collect(),
        subsets_tried,
    })
}

/// One aggregation of [`aggregate_many`]: the partials by share index, the DV public key and
/// the message they signed.
pub type AggregationInput = (BTreeMap<ShareIndex, Signature>, PublicKey, Vec<u8>);

/// Aggregates many validators' partials at once, with one batch verification for all the
/// first combinations (signatures over one message, such as a slot's attestations, then share
/// one pairing). Only if that batch fails is each input aggregated on its own by
/// [`aggregate`] (so a bad partial is routed around as there). The results are in input order
/// and equal what [`aggregate`] returns for each.
pub fn aggregate_many(
    inputs: &[AggregationInput],
    threshold: u64,
) -> Vec<Result<Aggregate, SigAggError>> {
    if let Some(aggregates) = aggregate_all_first(inputs, threshold) {
        return aggregates.into_iter().map(Ok).collect();
    }
    inputs
        .iter()
        .map(|(partials, dv_pubkey, message)| aggregate(partials, threshold, dv_pubkey, message))
        .collect()
}

/// The first step of [`aggregate_many`]: each input's first `threshold` partials combined and
/// all the combinations verified in one batch. `None` if there are no inputs, an input cannot
/// be combined, or the batch fails (then some aggregate is bad, and it does not say which).
pub fn aggregate_all_first(inputs: &[AggregationInput], threshold: u64) -> Option<Vec<Aggregate>> {
    let size = usize::try_from(threshold).unwrap_or(usize::MAX);
    let first: Vec<Aggregate> = inputs
        .iter()
        .map(|(partials, _, _)| {
            if threshold == 0 || partials.contains_key(&0) || partials.len() < size {
                return None;
            }
            let subset: BTreeMap<ShareIndex, Signature> =
                partials.iter().take(size).map(|(i, s)| (*i, *s)).collect();
            let signature = tbls::combine_signatures(&subset, threshold).ok()?;
            Some(Aggregate {
                signature,
                share_indices: subset.into_keys().collect(),
            })
        })
        .collect::<Option<_>>()?;
    let checks: Vec<(PublicKey, Vec<u8>, Signature)> = inputs
        .iter()
        .zip(&first)
        .map(|((_, dv_pubkey, message), aggregate)| {
            (*dv_pubkey, message.clone(), aggregate.signature)
        })
        .collect();
    (!checks.is_empty() && mosaic_crypto::bls::batch_verify(&checks)).then_some(first)
}

/// Advances `positions` (strictly increasing, each `< n`) to the next combination in
/// lexicographic order; `false` when it was the last.
fn next_combination(positions: &mut [usize], n: usize) -> bool {
    let k = positions.len();
    for i in (0..k).rev() {
        if positions[i] < n - k + i {
            positions[i] += 1;
            for j in i + 1..k {
                positions[j] = positions[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use mosaic_crypto::bls::SecretKey;

    use super::*;

    const ROOT: [u8; 32] = [0x5a; 32];

    fn sharing(total: u64, threshold: u64) -> (SecretKey, BTreeMap<ShareIndex, SecretKey>) {
        let secret = SecretKey::random();
        let shares = tbls::split(&secret, total, threshold).expect("split");
        (secret, shares)
    }

    fn sign_all(
        shares: &BTreeMap<ShareIndex, SecretKey>,
        message: &[u8],
    ) -> BTreeMap<ShareIndex, Signature> {
        shares.iter().map(|(i, s)| (*i, s.sign(message))).collect()
    }

    #[test]
    fn many_aggregations_in_one_batch_equal_each_on_its_own() {
        let validators: Vec<_> = (0..5).map(|_| sharing(4, 3)).collect();
        let inputs: Vec<AggregationInput> = validators
            .iter()
            .map(|(secret, shares)| (sign_all(shares, &ROOT), secret.public_key(), ROOT.to_vec()))
            .collect();
        let results = aggregate_many(&inputs, 3);
        assert_eq!(results.len(), 5);
        for ((secret, _), result) in validators.iter().zip(&results) {
            let aggregate = result.as_ref().expect("aggregated");
            assert_eq!(aggregate.signature, secret.sign(&ROOT));
            assert_eq!(aggregate.share_indices, [1, 2, 3]);
        }
        assert!(aggregate_many(&[], 3).is_empty());
    }

    #[test]
    fn a_bad_partial_in_a_batch_is_routed_around_and_fails_only_its_own_validator() {
        let validators: Vec<_> = (0..4).map(|_| sharing(4, 3)).collect();
        let mut inputs: Vec<AggregationInput> = validators
            .iter()
            .map(|(secret, shares)| (sign_all(shares, &ROOT), secret.public_key(), ROOT.to_vec()))
            .collect();
        // Validator 1: share 2 signed something else, a fourth partial is there to route
        // around it. Validator 2: exactly the threshold with one bad partial: cannot verify.
        // Validator 3: one partial short.
        inputs[1]
            .0
            .insert(2, validators[1].1[&2].sign(b"another message"));
        inputs[2].0.remove(&4);
        inputs[2]
            .0
            .insert(1, validators[2].1[&1].sign(b"another message"));
        inputs[3].0.retain(|i, _| *i <= 2);
        let results = aggregate_many(&inputs, 3);
        assert_eq!(
            results[0].as_ref().expect("untouched").signature,
            validators[0].0.sign(&ROOT)
        );
        let routed = results[1].as_ref().expect("routed around");
        assert_eq!(routed.signature, validators[1].0.sign(&ROOT));
        assert!(!routed.share_indices.contains(&2));
        assert!(matches!(
            results[2],
            Err(SigAggError::VerificationFailed { .. })
        ));
        assert!(matches!(
            results[3],
            Err(SigAggError::NotEnoughPartials { available: 2, .. })
        ));
    }

    #[test]
    fn combinations_are_enumerated_in_order() {
        let mut positions = vec![0, 1];
        let mut seen = vec![positions.clone()];
        while next_combination(&mut positions, 4) {
            seen.push(positions.clone());
        }
        assert_eq!(
            seen,
            [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]].map(|c| c.to_vec())
        );
    }

    #[test]
    fn every_quorum_yields_the_group_signature() {
        let (secret, shares) = sharing(4, 3);
        let partials = sign_all(&shares, &ROOT);
        let expected = secret.sign(&ROOT);
        for skip in 1..=4 {
            let quorum: BTreeMap<_, _> = partials
                .iter()
                .filter(|(i, _)| **i != skip)
                .map(|(i, s)| (*i, *s))
                .collect();
            let aggregate = aggregate(&quorum, 3, &secret.public_key(), &ROOT).expect("aggregate");
            assert_eq!(aggregate.signature, expected);
            assert_eq!(aggregate.share_indices.len(), 3);
            assert!(!aggregate.share_indices.contains(&skip));
        }
    }

    #[test]
    fn threshold_minus_one_partials_are_not_enough() {
        let (secret, shares) = sharing(4, 3);
        let mut partials = sign_all(&shares, &ROOT);
        partials.retain(|i, _| *i <= 2);
        let err = aggregate(&partials, 3, &secret.public_key(), &ROOT).expect_err("too few");
        assert!(matches!(
            err,
            SigAggError::NotEnoughPartials {
                threshold: 3,
                available: 2
            }
        ));
        let partials = sign_all(&shares, &ROOT);
        let three: BTreeMap<_, _> = partials.into_iter().take(3).collect();
        aggregate(&three, 3, &secret.public_key(), &ROOT).expect("threshold is enough");
    }

    #[test]
    fn bad_partial_with_exactly_threshold_fails_clearly() {
        let (secret, shares) = sharing(4, 3);
        let mut partials = sign_all(&shares, &ROOT);
        partials.remove(&4);
        partials.insert(2, shares[&2].sign(b"another message"));
        let err = aggregate(&partials, 3, &secret.public_key(), &ROOT).expect_err("bad partial");
        let SigAggError::VerificationFailed {
            subsets_tried,
            share_indices,
            ..
        } = &err
        else {
            panic!("unexpected {err}");
        };
        assert_eq!(*subsets_tried, 1);
        assert_eq!(share_indices, &[1, 2, 3]);
        assert!(err.to_string().contains(&secret.public_key().to_hex()));
    }

    #[test]
    fn bad_partial_is_routed_around_when_more_are_available() {
        let (secret, shares) = sharing(4, 3);
        let mut partials = sign_all(&shares, &ROOT);
        // Share 1 (in the first subset tried) signed with another key.
        partials.insert(1, SecretKey::random().sign(&ROOT));
        let aggregate = aggregate(&partials, 3, &secret.public_key(), &ROOT).expect("retry");
        assert_eq!(aggregate.signature, secret.sign(&ROOT));
        assert_eq!(aggregate.share_indices, [2, 3, 4]);
    }

    #[test]
    fn wrong_dv_key_or_message_never_verifies() {
        let (secret, shares) = sharing(4, 3);
        let partials = sign_all(&shares, &ROOT);
        let other = SecretKey::random().public_key();
        let err = aggregate(&partials, 3, &other, &ROOT).expect_err("wrong key");
        assert!(matches!(
            err,
            SigAggError::VerificationFailed {
                subsets_tried: 4,
                ..
            }
        ));
        assert!(aggregate(&partials, 3, &secret.public_key(), &[0u8; 32]).is_err());
    }

    #[test]
    fn subsets_tried_are_capped() {
        let (secret, shares) = sharing(20, 2);
        let partials = sign_all(&shares, b"not the root");
        let err = aggregate(&partials, 2, &secret.public_key(), &ROOT).expect_err("all bad");
        assert!(matches!(
            err,
            SigAggError::VerificationFailed {
                subsets_tried: MAX_SUBSETS,
                available: 20,
                ..
            }
        ));
    }

    #[test]
    fn rejects_zero_threshold_and_zero_index() {
        let (secret, shares) = sharing(4, 3);
        let mut partials = sign_all(&shares, &ROOT);
        assert!(matches!(
            aggregate(&partials, 0, &secret.public_key(), &ROOT),
            Err(SigAggError::ZeroThreshold)
        ));
        aggregate(&partials, 1, &secret.public_key(), &ROOT).expect_err("1 share is not the key");
        let one = partials[&1];
        partials.insert(0, one);
        assert!(matches!(
            aggregate(&partials, 3, &secret.public_key(), &ROOT),
            Err(SigAggError::ZeroShareIndex)
        ));
    }
}
