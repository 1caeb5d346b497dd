//! The partial-signature database: verifies every partial signature against the public share
//! of its claimed share index before storing it, keeps one partial per share index per
//! `(duty, DV public key)`, and reports "threshold reached" exactly once per
//! `(duty, DV public key, signing root)` when `threshold` partials over that same root are
//! stored (Obol spec, sigagg.md "Threshold Trigger").
//!
//! Partials are grouped by signing root: a Byzantine operator signing a different root forms its
//! own group and cannot block or pollute the honest quorum. Storing the identical partial again is
//! a no-op; a different partial from the same share index for the same duty and validator is
//! rejected as equivocation. Every rejection is counted by reason ([`RejectionCounts`]).
//!
//! The database is synchronous and owns no lock; the node wraps it as it needs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_crypto::tbls::ShareIndex;

use crate::duty::{Duty, SigningRoot};
use crate::keys::ValidatorShares;

/// One operator's partial signature for a duty and validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialSignature {
    /// The signer's 1-based share index (operator position + 1).
    pub share_index: ShareIndex,
    /// The root that was signed.
    pub signing_root: SigningRoot,
    /// The partial signature (by the key share of `share_index`).
    pub signature: Signature,
}

/// Why a partial signature was rejected; the key of [`RejectionCounts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The DV public key is not one of the cluster's validators.
    UnknownValidator,
    /// The share index has no public share for that validator.
    UnknownShareIndex,
    /// The signature does not verify under the share index's public share over the root.
    InvalidSignature,
    /// A different partial from the same share index was already stored for the duty.
    Equivocation,
    /// The duty's slot is older than the last [`ParSigDb::trim`] boundary.
    Expired,
}

/// Why the database could not be built or a partial signature was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ParSigDbError {
    /// The threshold is 0 or larger than a validator's number of shares.
    #[error("invalid threshold {threshold}: validator {dv_pubkey} has {shares} public shares")]
    InvalidThreshold {
        /// The threshold given.
        threshold: u64,
        /// The validator whose share count it exceeds (hex).
        dv_pubkey: String,
        /// That validator's number of public shares.
        shares: usize,
    },
    /// The threshold is 0.
    #[error("invalid threshold 0: at least one partial signature is needed")]
    ZeroThreshold,
    /// The same DV public key was given twice.
    #[error("validator {dv_pubkey} is listed twice")]
    DuplicateValidator {
        /// The repeated DV public key (hex).
        dv_pubkey: String,
    },
    /// The DV public key is not one of the cluster's validators.
    #[error("{duty:?}: validator {dv_pubkey} is not part of the cluster lock")]
    UnknownValidator {
        /// The duty.
        duty: Duty,
        /// The claimed DV public key (hex).
        dv_pubkey: String,
    },
    /// The share index has no public share for the validator.
    #[error("{duty:?}: validator {dv_pubkey} has no share index {share_index}")]
    UnknownShareIndex {
        /// The duty.
        duty: Duty,
        /// The DV public key (hex).
        dv_pubkey: String,
        /// The claimed share index.
        share_index: ShareIndex,
    },
    /// The signature does not verify under the public share over the signing root.
    #[error(
        "{duty:?}: validator {dv_pubkey}: partial signature of share index {share_index} does not verify over root 0x{}",
        hex_root(signing_root)
    )]
    InvalidSignature {
        /// The duty.
        duty: Duty,
        /// The DV public key (hex).
        dv_pubkey: String,
        /// The claimed share index.
        share_index: ShareIndex,
        /// The claimed signing root.
        signing_root: SigningRoot,
    },
    /// A different partial from this share index is already stored.
    #[error(
        "{duty:?}: validator {dv_pubkey}: share index {share_index} already signed a different partial (root 0x{} stored, 0x{} received)",
        hex_root(stored_root),
        hex_root(received_root)
    )]
    Equivocation {
        /// The duty.
        duty: Duty,
        /// The DV public key (hex).
        dv_pubkey: String,
        /// The equivocating share index.
        share_index: ShareIndex,
        /// The root of the stored partial.
        stored_root: SigningRoot,
        /// The root of the rejected partial.
        received_root: SigningRoot,
    },
    /// The duty is older than the trim boundary.
    #[error("{duty:?}: expired (duties before slot {trimmed_before} were trimmed)")]
    Expired {
        /// The duty.
        duty: Duty,
        /// The current trim boundary.
        trimmed_before: u64,
    },
}

impl ParSigDbError {
    /// The rejection reason, or `None` for a construction error.
    pub fn reason(&self) -> Option<RejectReason> {
        match self {
            Self::InvalidThreshold { .. }
            | Self::ZeroThreshold
            | Self::DuplicateValidator { .. } => None,
            Self::UnknownValidator { .. } => Some(RejectReason::UnknownValidator),
            Self::UnknownShareIndex { .. } => Some(RejectReason::UnknownShareIndex),
            Self::InvalidSignature { .. } => Some(RejectReason::InvalidSignature),
            Self::Equivocation { .. } => Some(RejectReason::Equivocation),
            Self::Expired { .. } => Some(RejectReason::Expired),
        }
    }
}

fn hex_root(root: &SigningRoot) -> String {
    root.iter().map(|b| format!("{b:02x}")).collect()
}

/// How many partial signatures were rejected, by reason and by claimed share index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectionCounts {
    by_reason: BTreeMap<RejectReason, u64>,
    by_share_index: BTreeMap<ShareIndex, u64>,
}

impl RejectionCounts {
    /// Rejections for `reason`.
    pub fn count(&self, reason: RejectReason) -> u64 {
        self.by_reason.get(&reason).copied().unwrap_or(0)
    }

    /// Rejections of partials that claimed `share_index` (for telling which operator misbehaves;
    /// a claimed index is not proof of the sender).
    pub fn count_for_share(&self, share_index: ShareIndex) -> u64 {
        self.by_share_index.get(&share_index).copied().unwrap_or(0)
    }

    /// All rejections.
    pub fn total(&self) -> u64 {
        self.by_reason.values().sum()
    }

    fn record(&mut self, reason: RejectReason, share_index: ShareIndex) {
        *self.by_reason.entry(reason).or_default() += 1;
        *self.by_share_index.entry(share_index).or_default() += 1;
    }
}

/// `threshold` partial signatures over one signing root are stored for a duty and validator:
/// the input of [`crate::sigagg::aggregate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdReached {
    /// The duty.
    pub duty: Duty,
    /// The distributed validator.
    pub dv_pubkey: PublicKey,
    /// The root every partial signed.
    pub signing_root: SigningRoot,
    /// Exactly `threshold` verified partials by share index.
    pub partials: BTreeMap<ShareIndex, Signature>,
}

/// What storing a verified partial did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored; its root group has not (or had already) reached the threshold.
    Stored,
    /// The identical partial was already stored; nothing changed.
    Duplicate,
    /// Stored, and its root group just reached the threshold (reported once per group).
    ThresholdReached(Box<ThresholdReached>),
}

#[derive(Debug, Default)]
struct DutyEntry {
    /// Partials by share index and root (one root per share index unless the duty type
    /// signs several objects per validator, see [`signs_several_objects`]).
    by_share: BTreeMap<(ShareIndex, SigningRoot), PartialSignature>,
    fired: BTreeSet<SigningRoot>,
}

impl DutyEntry {
    /// The stored partials over `signing_root`, by share index.
    fn group(&self, signing_root: &SigningRoot) -> BTreeMap<ShareIndex, Signature> {
        self.by_share
            .values()
            .filter(|p| &p.signing_root == signing_root)
            .map(|p| (p.share_index, p.signature))
            .collect()
    }

    /// The partial stored from `partial`'s share index that it would duplicate or contradict:
    /// one over the same root, or, unless the duty type signs several objects, over any root.
    fn conflicting(&self, duty: Duty, partial: &PartialSignature) -> Option<&PartialSignature> {
        self.by_share
            .range((partial.share_index, [0; 32])..=(partial.share_index, [0xff; 32]))
            .map(|(_, stored)| stored)
            .find(|stored| {
                stored.signing_root == partial.signing_root
                    || !signs_several_objects(duty.duty_type)
            })
    }
}

/// The partial-signature database of one node.
#[derive(Debug)]
pub struct ParSigDb {
    threshold: u64,
    validators: HashMap<PublicKey, ValidatorShares>,
    entries: BTreeMap<(Duty, PublicKey), DutyEntry>,
    trimmed_before: u64,
    rejections: RejectionCounts,
}

impl ParSigDb {
    /// A database for the cluster's validators; `threshold` partials over one root trigger
    /// aggregation. Fails if the threshold is 0 or exceeds a validator's number of shares, or a
    /// validator is listed twice.
    pub fn new(
        threshold: u64,
        validators: impl IntoIterator<Item = ValidatorShares>,
    ) -> Result<Self, ParSigDbError> {
        if threshold == 0 {
            return Err(ParSigDbError::ZeroThreshold);
        }
        let mut by_key = HashMap::new();
        for validator in validators {
            let shares = validator.public_shares().len();
            if threshold > shares as u64 {
                return Err(ParSigDbError::InvalidThreshold {
                    threshold,
                    dv_pubkey: validator.dv_pubkey().to_hex(),
                    shares,
                });
            }
            let dv_pubkey = *validator.dv_pubkey();
            if by_key.insert(dv_pubkey, validator).is_some() {
                return Err(ParSigDbError::DuplicateValidator {
                    dv_pubkey: dv_pubkey.to_hex(),
                });
            }
        }
        Ok(Self {
            threshold,
            validators: by_key,
            entries: BTreeMap::new(),
            trimmed_before: 0,
            rejections: RejectionCounts::default(),
        })
    }

    /// The aggregation threshold.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    /// Verifies and stores `partial` for `duty` and the validator `dv_pubkey`.
    ///
    /// Checks, in order: the duty is not expired, the validator is known, the share index has a
    /// public share, the identical partial is not already stored (then [`StoreOutcome::Duplicate`]),
    /// the signature verifies over its root, and the share index has not stored a different
    /// partial. Each rejection is counted.
    pub fn store(
        &mut self,
        duty: Duty,
        dv_pubkey: &PublicKey,
        partial: PartialSignature,
    ) -> Result<StoreOutcome, ParSigDbError> {
        let result = self.try_store(duty, dv_pubkey, partial);
        if let Err(error) = &result {
            if let Some(reason) = error.reason() {
                self.rejections.record(reason, partial.share_index);
            }
        }
        result
    }

    /// Like [`ParSigDb::store`] for a partial whose signature the caller has already verified
    /// against [`ParSigDb::public_share`] (e.g. in a batch, off the async runtime); every other
    /// check still applies.
    pub fn store_verified(
        &mut self,
        duty: Duty,
        dv_pubkey: &PublicKey,
        partial: PartialSignature,
    ) -> Result<StoreOutcome, ParSigDbError> {
        let result = self.try_store_checked(duty, dv_pubkey, partial, false);
        if let Err(error) = &result {
            if let Some(reason) = error.reason() {
                self.rejections.record(reason, partial.share_index);
            }
        }
        result
    }

    /// Counts a partial rejected before it reached the database (its signature did not
    /// verify in the caller's batch).
    pub fn record_invalid(&mut self, share_index: ShareIndex) {
        self.rejections
            .record(RejectReason::InvalidSignature, share_index);
    }

    /// The public share of `share_index` for validator `dv_pubkey`.
    pub fn public_share(
        &self,
        dv_pubkey: &PublicKey,
        share_index: ShareIndex,
    ) -> Option<PublicKey> {
        self.validators
            .get(dv_pubkey)
            .and_then(|validator| validator.public_share(share_index))
            .copied()
    }

    fn try_store(
        &mut self,
        duty: Duty,
        dv_pubkey: &PublicKey,
        partial: PartialSignature,
    ) -> Result<StoreOutcome, ParSigDbError> {
        self.try_store_checked(duty, dv_pubkey, partial, true)
    }

    fn try_store_checked(
        &mut self,
        duty: Duty,
        dv_pubkey: &PublicKey,
        partial: PartialSignature,
        verify: bool,
    ) -> Result<StoreOutcome, ParSigDbError> {
        if duty.slot < self.trimmed_before {
            return Err(ParSigDbError::Expired {
                duty,
                trimmed_before: self.trimmed_before,
            });
        }
        let validator =
            self.validators
                .get(dv_pubkey)
                .ok_or_else(|| ParSigDbError::UnknownValidator {
                    duty,
                    dv_pubkey: dv_pubkey.to_hex(),
                })?;
        let public_share = validator.public_share(partial.share_index).ok_or_else(|| {
            ParSigDbError::UnknownShareIndex {
                duty,
                dv_pubkey: dv_pubkey.to_hex(),
                share_index: partial.share_index,
            }
        })?;
        let key = (duty, *dv_pubkey);
        let entry = self.entries.get(&key);
        if entry.and_then(|e| e.by_share.get(&(partial.share_index, partial.signing_root)))
            == Some(&partial)
        {
            return Ok(StoreOutcome::Duplicate);
        }
        let stored = entry.and_then(|entry| entry.conflicting(duty, &partial));
        // Verify before judging equivocation: anyone can claim a share index, only its holder
        // can sign for it.
        if verify
            && !partial
                .signature
                .verify(public_share, &partial.signing_root)
        {
            return Err(ParSigDbError::InvalidSignature {
                duty,
                dv_pubkey: dv_pubkey.to_hex(),
                share_index: partial.share_index,
                signing_root: partial.signing_root,
            });
        }
        if let Some(stored) = stored {
            return Err(ParSigDbError::Equivocation {
                duty,
                dv_pubkey: dv_pubkey.to_hex(),
                share_index: partial.share_index,
                stored_root: stored.signing_root,
                received_root: partial.signing_root,
            });
        }

        let entry = self.entries.entry(key).or_default();
        entry
            .by_share
            .insert((partial.share_index, partial.signing_root), partial);
        let group = entry.group(&partial.signing_root);
        if group.len() as u64 >= self.threshold && entry.fired.insert(partial.signing_root) {
            return Ok(StoreOutcome::ThresholdReached(Box::new(ThresholdReached {
                duty,
                dv_pubkey: *dv_pubkey,
                signing_root: partial.signing_root,
                partials: group,
            })));
        }
        Ok(StoreOutcome::Stored)
    }

    /// The `threshold − 1` stored partials that `partial` would complete: `Some` exactly when
    /// storing `partial` for `duty` and `dv_pubkey` now, as verified, would report
    /// [`StoreOutcome::ThresholdReached`] (the duty is not expired, the validator and share
    /// index are known, the share index has stored nothing for this duty that the partial
    /// would duplicate or contradict, and its root group holds `threshold − 1` partials and
    /// has not fired).
    ///
    /// With the cluster's public shares consistent (every share on the DV key's polynomial, as
    /// a verified lock guarantees), a partial in the subgroup that combines with these verified
    /// ones into a signature valid under the DV key is itself valid: the aggregate check can
    /// stand in for checking it alone.
    pub fn completing_group(
        &self,
        duty: Duty,
        dv_pubkey: &PublicKey,
        partial: &PartialSignature,
    ) -> Option<BTreeMap<ShareIndex, Signature>> {
        if duty.slot < self.trimmed_before {
            return None;
        }
        self.validators
            .get(dv_pubkey)?
            .public_share(partial.share_index)?;
        let entry = self.entries.get(&(duty, *dv_pubkey));
        let Some(entry) = entry else {
            // Nothing stored yet: only a threshold of 1 is completed by one partial.
            return (self.threshold == 1).then(BTreeMap::new);
        };
        if entry.fired.contains(&partial.signing_root) || entry.conflicting(duty, partial).is_some()
        {
            return None;
        }
        let group = entry.group(&partial.signing_root);
        (group.len() as u64 + 1 == self.threshold).then_some(group)
    }

    /// Every stored partial for `duty` and `dv_pubkey` over `signing_root`, by share index
    /// (possibly more than the threshold: sigagg retries other subsets with them).
    pub fn partials(
        &self,
        duty: Duty,
        dv_pubkey: &PublicKey,
        signing_root: &SigningRoot,
    ) -> BTreeMap<ShareIndex, Signature> {
        self.entries
            .get(&(duty, *dv_pubkey))
            .map(|entry| entry.group(signing_root))
            .unwrap_or_default()
    }

    /// Drops every duty with a slot before `before_slot`; later partials for those slots are
    /// rejected as expired. The boundary never moves backwards.
    pub fn trim(&mut self, before_slot: u64) {
        self.trimmed_before = self.trimmed_before.max(before_slot);
        let boundary = self.trimmed_before;
        self.entries.retain(|(duty, _), _| duty.slot >= boundary);
    }

    /// The number of `(duty, validator)` entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entries are held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rejection counters since creation.
    pub fn rejections(&self) -> &RejectionCounts {
        &self.rejections
    }
}

/// Whether one validator legitimately signs several different objects for one duty: sync
/// committee selections and contributions (one per subcommittee it sits in), sync messages
/// (each node signs its own view of the head), exits and registrations (keyed by the slot the
/// node received them). For every other duty type a second root from one share index is
/// equivocation.
pub fn signs_several_objects(duty_type: crate::duty::DutyType) -> bool {
    use crate::duty::DutyType;
    matches!(
        duty_type,
        DutyType::PrepareSyncContribution
            | DutyType::SyncContribution
            | DutyType::SyncMessage
            | DutyType::Exit
            | DutyType::BuilderRegistration
    )
}

#[cfg(test)]
mod tests {
    use mosaic_crypto::bls::SecretKey;
    use mosaic_crypto::tbls;

    use super::*;
    use crate::duty::DutyType;

    const ROOT_A: SigningRoot = [0xaa; 32];
    const ROOT_B: SigningRoot = [0xbb; 32];

    struct Fixture {
        dv: PublicKey,
        shares: BTreeMap<ShareIndex, SecretKey>,
        db: ParSigDb,
    }

    fn fixture() -> Fixture {
        let secret = SecretKey::random();
        let shares = tbls::split(&secret, 4, 3).expect("split");
        let validator = ValidatorShares::new(secret.public_key(), tbls::public_shares(&shares))
            .expect("validator");
        Fixture {
            dv: secret.public_key(),
            shares,
            db: ParSigDb::new(3, [validator]).expect("db"),
        }
    }

    impl Fixture {
        fn partial(&self, share_index: ShareIndex, root: SigningRoot) -> PartialSignature {
            PartialSignature {
                share_index,
                signing_root: root,
                signature: self.shares[&share_index].sign(&root),
            }
        }

        fn store(
            &mut self,
            duty: Duty,
            partial: PartialSignature,
        ) -> Result<StoreOutcome, ParSigDbError> {
            let dv = self.dv;
            self.db.store(duty, &dv, partial)
        }
    }

    fn duty(slot: u64) -> Duty {
        Duty::new(slot, DutyType::Attester)
    }

    #[test]
    fn threshold_fires_exactly_once_on_the_threshold_th_partial() {
        let mut f = fixture();
        for index in [1, 2] {
            let p = f.partial(index, ROOT_A);
            assert_eq!(f.store(duty(1), p).expect("store"), StoreOutcome::Stored);
        }
        let p = f.partial(3, ROOT_A);
        let StoreOutcome::ThresholdReached(event) = f.store(duty(1), p).expect("store") else {
            panic!("threshold partial must fire");
        };
        assert_eq!(event.duty, duty(1));
        assert_eq!(event.dv_pubkey, f.dv);
        assert_eq!(event.signing_root, ROOT_A);
        assert_eq!(
            event.partials.keys().copied().collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let p = f.partial(4, ROOT_A);
        assert_eq!(f.store(duty(1), p).expect("store"), StoreOutcome::Stored);
        assert_eq!(f.db.partials(duty(1), &f.dv.clone(), &ROOT_A).len(), 4);
        assert_eq!(f.db.rejections().total(), 0);
    }

    #[test]
    fn the_partial_completing_a_threshold_is_told_with_the_group_it_completes() {
        let mut f = fixture();
        let dv = f.dv;
        // Nothing stored: one partial does not complete 3 of 4.
        assert_eq!(
            f.db.completing_group(duty(1), &dv, &f.partial(3, ROOT_A)),
            None
        );
        f.store(duty(1), f.partial(1, ROOT_A)).expect("store");
        // One step inside: two stored would still be one short.
        assert_eq!(
            f.db.completing_group(duty(1), &dv, &f.partial(3, ROOT_A)),
            None
        );
        f.store(duty(1), f.partial(2, ROOT_A)).expect("store");
        let completing = f.partial(3, ROOT_A);
        let group =
            f.db.completing_group(duty(1), &dv, &completing)
                .expect("the third partial completes the threshold");
        assert_eq!(group.keys().copied().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(group[&1], f.partial(1, ROOT_A).signature);
        // Another root, another duty or another validator's group is not completed.
        assert_eq!(
            f.db.completing_group(duty(1), &dv, &f.partial(3, ROOT_B)),
            None
        );
        assert_eq!(f.db.completing_group(duty(2), &dv, &completing), None);
        let other = SecretKey::random().public_key();
        assert_eq!(f.db.completing_group(duty(1), &other, &completing), None);
        // Told exactly when storing it fires.
        assert!(matches!(
            f.store(duty(1), completing).expect("store"),
            StoreOutcome::ThresholdReached(_)
        ));
        // Fired: nothing completes it again.
        assert_eq!(
            f.db.completing_group(duty(1), &dv, &f.partial(4, ROOT_A)),
            None
        );
    }

    #[test]
    fn a_partial_that_would_not_be_stored_completes_nothing() {
        let mut f = fixture();
        let dv = f.dv;
        for index in [1, 2] {
            f.store(duty(1), f.partial(index, ROOT_A)).expect("store");
        }
        // A share index already stored (the same partial, or another root: equivocation).
        assert_eq!(
            f.db.completing_group(duty(1), &dv, &f.partial(2, ROOT_A)),
            None
        );
        assert_eq!(
            f.db.completing_group(duty(1), &dv, &f.partial(2, ROOT_B)),
            None
        );
        // A share index the validator does not have.
        let mut unknown = f.partial(3, ROOT_A);
        unknown.share_index = 5;
        assert_eq!(f.db.completing_group(duty(1), &dv, &unknown), None);
        // An expired duty.
        let mut trimmed = fixture();
        let trimmed_dv = trimmed.dv;
        for index in [1, 2] {
            trimmed
                .store(duty(1), trimmed.partial(index, ROOT_A))
                .expect("store");
        }
        let completing = trimmed.partial(3, ROOT_A);
        assert!(trimmed
            .db
            .completing_group(duty(1), &trimmed_dv, &completing)
            .is_some());
        trimmed.db.trim(2);
        assert_eq!(
            trimmed
                .db
                .completing_group(duty(1), &trimmed_dv, &completing),
            None
        );
    }

    #[test]
    fn sync_duties_hold_one_root_per_object_and_attester_duties_do_not() {
        let mut f = fixture();
        let sync = Duty::new(1, DutyType::SyncContribution);
        for root in [ROOT_A, ROOT_B] {
            for index in [1, 2] {
                let p = f.partial(index, root);
                assert_eq!(f.store(sync, p).expect("store"), StoreOutcome::Stored);
            }
            let p = f.partial(3, root);
            assert!(matches!(
                f.store(sync, p).expect("store"),
                StoreOutcome::ThresholdReached(_)
            ));
        }
        // The same second root from one share index is equivocation for an attester duty.
        let p = f.partial(1, ROOT_A);
        f.store(duty(1), p).expect("store");
        let p = f.partial(1, ROOT_B);
        assert!(matches!(
            f.store(duty(1), p),
            Err(ParSigDbError::Equivocation { .. })
        ));
        assert_eq!(f.db.rejections().count(RejectReason::Equivocation), 1);
    }

    #[test]
    fn duties_and_validators_are_counted_separately() {
        let mut f = fixture();
        for index in [1, 2] {
            let p = f.partial(index, ROOT_A);
            f.store(duty(1), p).expect("store");
        }
        // A third partial for another duty does not complete duty 1's group.
        let p = f.partial(3, ROOT_A);
        assert_eq!(f.store(duty(2), p).expect("store"), StoreOutcome::Stored);
        let p = f.partial(3, ROOT_A);
        let other_type = Duty::new(1, DutyType::Aggregator);
        assert_eq!(f.store(other_type, p).expect("store"), StoreOutcome::Stored);
    }

    #[test]
    fn partials_are_grouped_by_signing_root() {
        let mut f = fixture();
        for index in [1, 2] {
            let p = f.partial(index, ROOT_A);
            f.store(duty(1), p).expect("store");
        }
        // A (validly signed) partial over a different root forms its own group.
        let p = f.partial(3, ROOT_B);
        assert_eq!(f.store(duty(1), p).expect("store"), StoreOutcome::Stored);
        let p = f.partial(4, ROOT_A);
        let StoreOutcome::ThresholdReached(event) = f.store(duty(1), p).expect("store") else {
            panic!("honest quorum must fire");
        };
        assert_eq!(event.signing_root, ROOT_A);
        assert_eq!(
            event.partials.keys().copied().collect::<Vec<_>>(),
            [1, 2, 4]
        );
        assert_eq!(f.db.partials(duty(1), &f.dv.clone(), &ROOT_B).len(), 1);
    }

    #[test]
    fn rejects_unknown_validator_and_accepts_known() {
        let mut f = fixture();
        let stranger = SecretKey::random().public_key();
        let p = f.partial(1, ROOT_A);
        let err = f.db.store(duty(1), &stranger, p).expect_err("unknown");
        assert_eq!(err.reason(), Some(RejectReason::UnknownValidator));
        assert_eq!(f.db.rejections().count(RejectReason::UnknownValidator), 1);
        assert_eq!(f.store(duty(1), p).expect("known"), StoreOutcome::Stored);
        assert_eq!(f.db.rejections().total(), 1);
    }

    #[test]
    fn rejects_unknown_share_index_and_accepts_the_last_one() {
        let mut f = fixture();
        for bad in [0, 5] {
            let mut p = f.partial(4, ROOT_A);
            p.share_index = bad;
            let err = f.store(duty(1), p).expect_err("unknown index");
            assert_eq!(err.reason(), Some(RejectReason::UnknownShareIndex), "{err}");
        }
        assert_eq!(f.db.rejections().count(RejectReason::UnknownShareIndex), 2);
        assert_eq!(f.db.rejections().count_for_share(5), 1);
        let p = f.partial(4, ROOT_A);
        assert_eq!(f.store(duty(1), p).expect("index 4"), StoreOutcome::Stored);
    }

    #[test]
    fn rejects_signature_by_another_share_or_over_another_root() {
        let mut f = fixture();
        // Share 2's signature presented as share 1's.
        let mut p = f.partial(2, ROOT_A);
        p.share_index = 1;
        let err = f.store(duty(1), p).expect_err("wrong signer");
        assert_eq!(err.reason(), Some(RejectReason::InvalidSignature));
        // Share 1's signature over B presented as over A.
        let mut p = f.partial(1, ROOT_B);
        p.signing_root = ROOT_A;
        let err = f.store(duty(1), p).expect_err("wrong root");
        assert_eq!(err.reason(), Some(RejectReason::InvalidSignature));
        assert_eq!(f.db.rejections().count(RejectReason::InvalidSignature), 2);
        assert_eq!(f.db.rejections().count_for_share(1), 2);
        assert!(f.db.is_empty(), "nothing invalid is stored");
        let p = f.partial(1, ROOT_A);
        assert_eq!(f.store(duty(1), p).expect("valid"), StoreOutcome::Stored);
    }

    #[test]
    fn invalid_signature_for_a_stored_index_is_not_equivocation() {
        let mut f = fixture();
        let honest = f.partial(1, ROOT_A);
        f.store(duty(1), honest).expect("store");
        let mut forged = f.partial(2, ROOT_B);
        forged.share_index = 1;
        let err = f.store(duty(1), forged).expect_err("forged");
        assert_eq!(err.reason(), Some(RejectReason::InvalidSignature));
        assert_eq!(f.db.rejections().count(RejectReason::Equivocation), 0);
        assert_eq!(f.db.partials(duty(1), &f.dv.clone(), &ROOT_A).len(), 1);
    }

    #[test]
    fn rejects_equivocation_and_ignores_the_identical_partial() {
        let mut f = fixture();
        let first = f.partial(1, ROOT_A);
        assert_eq!(
            f.store(duty(1), first).expect("first"),
            StoreOutcome::Stored
        );
        assert_eq!(
            f.store(duty(1), first).expect("identical"),
            StoreOutcome::Duplicate
        );
        assert_eq!(f.db.rejections().total(), 0);
        let second = f.partial(1, ROOT_B);
        let err = f.store(duty(1), second).expect_err("equivocation");
        assert_eq!(err.reason(), Some(RejectReason::Equivocation));
        assert!(err.to_string().contains("share index 1"), "{err}");
        assert_eq!(f.db.rejections().count(RejectReason::Equivocation), 1);
        // The stored partial is unchanged, and the same index may sign another duty.
        assert_eq!(f.db.partials(duty(1), &f.dv.clone(), &ROOT_A).len(), 1);
        assert!(f.db.partials(duty(1), &f.dv.clone(), &ROOT_B).is_empty());
        assert_eq!(
            f.store(duty(2), second).expect("other duty"),
            StoreOutcome::Stored
        );
    }

    #[test]
    fn duplicate_of_the_threshold_partial_does_not_fire_again() {
        let mut f = fixture();
        let mut last = None;
        for index in [1, 2, 3] {
            let p = f.partial(index, ROOT_A);
            last = Some(f.store(duty(1), p).expect("store"));
        }
        assert!(matches!(last, Some(StoreOutcome::ThresholdReached(_))));
        let p = f.partial(3, ROOT_A);
        assert_eq!(f.store(duty(1), p).expect("dup"), StoreOutcome::Duplicate);
    }

    #[test]
    fn trim_drops_old_duties_and_rejects_late_partials() {
        let mut f = fixture();
        for slot in [8, 9, 10] {
            let p = f.partial(1, ROOT_A);
            f.store(duty(slot), p).expect("store");
        }
        assert_eq!(f.db.len(), 3);
        f.db.trim(10);
        assert_eq!(f.db.len(), 1);
        let p = f.partial(2, ROOT_A);
        let err = f.store(duty(9), p).expect_err("expired");
        assert_eq!(err.reason(), Some(RejectReason::Expired));
        assert_eq!(f.db.rejections().count(RejectReason::Expired), 1);
        let p = f.partial(2, ROOT_A);
        assert_eq!(
            f.store(duty(10), p).expect("boundary slot"),
            StoreOutcome::Stored
        );
        // The boundary never moves backwards.
        f.db.trim(3);
        let p = f.partial(3, ROOT_A);
        assert!(f.store(duty(9), p).is_err());
    }

    #[test]
    fn construction_checks_the_threshold() {
        let secret = SecretKey::random();
        let shares = tbls::split(&secret, 4, 3).expect("split");
        let validator = ValidatorShares::new(secret.public_key(), tbls::public_shares(&shares))
            .expect("validator");
        assert!(matches!(
            ParSigDb::new(0, [validator.clone()]),
            Err(ParSigDbError::ZeroThreshold)
        ));
        assert!(matches!(
            ParSigDb::new(5, [validator.clone()]),
            Err(ParSigDbError::InvalidThreshold { shares: 4, .. })
        ));
        assert_eq!(
            ParSigDb::new(4, [validator]).expect("4 of 4").threshold(),
            4
        );
        assert_eq!(ParSigDb::new(1, []).expect("1").threshold(), 1);
    }
}
