//! Strict checks of everything validators submit: duty membership and every signature, with
//! the domain and fork of the consensus specs. Each check returns the accepted record or a
//! message naming what failed.

use std::sync::LazyLock;

use mosaic_crypto::bls::{self, PublicKey, Signature};
use mosaic_crypto::memo::Memo;
use mosaic_types::{
    builder_domain, compute_signing_root, BlsSignature, Root, SignedValidatorRegistrationV1,
    DOMAIN_AGGREGATE_AND_PROOF, DOMAIN_BEACON_ATTESTER, DOMAIN_CONTRIBUTION_AND_PROOF,
    DOMAIN_RANDAO, DOMAIN_SELECTION_PROOF, DOMAIN_SYNC_COMMITTEE,
    DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
};
use serde::{Deserialize, Serialize};
use tree_hash::TreeHash;

use crate::chain::Chain;
use crate::containers::{
    container_root, Attestation, AttestationData, Bitlist, SignedVoluntaryExit, SingleAttestation,
    SyncCommitteeMessage,
};
use crate::record::{DutyKind, Submission, Vote};
use crate::spec;

/// A signature check to run (possibly batched with others).
#[derive(Debug, Clone)]
pub struct SigCheck {
    /// Signer key (aggregated for aggregate signatures).
    pub key: PublicKey,
    /// Signing root.
    pub message: Root,
    /// Signature.
    pub signature: Signature,
    /// What the signature is, for the error message.
    pub what: &'static str,
}

/// An item that passed its structural checks, with the signatures it still needs.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Signatures to verify.
    pub checks: Vec<SigCheck>,
    /// What to record once they verify.
    pub submission: Submission,
}

/// A signature check that passed: (key, signing root, signature), all as bytes.
type PassedCheck = ([u8; 48], [u8; 32], [u8; 96]);

/// Checks that passed and signatures that decoded, remembered (see [`mosaic_crypto::memo`]): enough
/// for the duplicates of a few slots at 10,000 validators.
static PASSED: LazyLock<Memo<PassedCheck, ()>> = LazyLock::new(|| Memo::new(1 << 13));
static DECODED: LazyLock<Memo<[u8; 96], Signature>> = LazyLock::new(|| Memo::new(1 << 13));

fn passed_key(check: &SigCheck) -> PassedCheck {
    (
        check.key.to_bytes(),
        check.message.0,
        check.signature.to_bytes(),
    )
}

/// Verifies `items`' signatures, batched (checks that passed before, on exactly the same key,
/// root and signature, are not repeated); returns per item `Ok` or the message of the first
/// signature that failed.
pub fn verify_batch(items: &[Checked]) -> Vec<Result<(), String>> {
    // Each check's memo key (two point compressions) is built once.
    let fresh: Vec<(&SigCheck, PassedCheck)> = items
        .iter()
        .flat_map(|item| item.checks.iter())
        .map(|check| (check, passed_key(check)))
        .filter(|(_, key)| PASSED.get(key).is_none())
        .collect();
    let triples: Vec<(PublicKey, Vec<u8>, Signature)> = fresh
        .iter()
        .map(|(c, _)| (c.key, c.message.0.to_vec(), c.signature))
        .collect();
    if triples.is_empty() || bls::batch_verify(&triples) {
        for (_, key) in fresh {
            PASSED.insert(key, ());
        }
        return items.iter().map(|_| Ok(())).collect();
    }
    items
        .iter()
        .map(|item| {
            for check in &item.checks {
                let key = passed_key(check);
                if PASSED.get(&key).is_some() {
                    continue;
                }
                if !check.signature.verify(&check.key, &check.message.0) {
                    return Err(format!("invalid {} signature", check.what));
                }
                PASSED.insert(key, ());
            }
            Ok(())
        })
        .collect()
}

/// `sig` decoded (and subgroup-checked), remembered for its duplicates.
pub(crate) fn decoded_signature(sig: &BlsSignature) -> Option<Signature> {
    signature(sig, "signature").ok()
}

fn signature(sig: &BlsSignature, what: &str) -> Result<Signature, String> {
    if let Some(decoded) = DECODED.get(&sig.0) {
        return Ok(decoded);
    }
    let decoded = Signature::from_bytes(&sig.0).map_err(|e| format!("{what}: {e}"))?;
    DECODED.insert(sig.0, decoded);
    Ok(decoded)
}

fn key_of(chain: &Chain, index: u64) -> Result<PublicKey, String> {
    chain
        .validators()
        .get(index as usize)
        .map(|v| v.key)
        .ok_or_else(|| format!("validator index {index} is not in the registry"))
}

fn arrival(chain: &Chain, slot: u64, now_ms: u64) -> i64 {
    now_ms as i64 - chain.slot_start_ms(slot) as i64
}

fn check_slot(chain: &Chain, slot: u64) -> Result<(), String> {
    if slot > chain.processed_slot() + 1 {
        return Err(format!(
            "slot {slot} is in the future (current slot {})",
            chain.processed_slot()
        ));
    }
    Ok(())
}

/// A `SingleAttestation` (electra, `pool/attestations` v2).
pub fn single_attestation(
    chain: &mut Chain,
    a: &SingleAttestation,
    now_ms: u64,
) -> Result<Checked, String> {
    check_slot(chain, a.data.slot)?;
    if chain.fork() >= mosaic_types::ForkName::Electra && a.data.index != 0 {
        return Err(format!(
            "data.index must be 0 from electra on, got {}",
            a.data.index
        ));
    }
    let duties = chain.epoch_duties(chain.epoch_of(a.data.slot));
    let committee = duties
        .committee(chain.slots_per_epoch(), a.data.slot, a.committee_index)
        .ok_or_else(|| format!("no committee {} at slot {}", a.committee_index, a.data.slot))?;
    if !committee.contains(&a.attester_index) {
        return Err(format!(
            "attester_index {} is not in committee {} of slot {}",
            a.attester_index, a.committee_index, a.data.slot
        ));
    }
    attestation_record(
        chain,
        &a.data,
        a.attester_index,
        vec![a.attester_index],
        &a.signature,
        now_ms,
        DutyKind::Attestation,
    )
}

fn attestation_record(
    chain: &Chain,
    data: &AttestationData,
    recorded: u64,
    signers: Vec<u64>,
    sig: &BlsSignature,
    now_ms: u64,
    kind: DutyKind,
) -> Result<Checked, String> {
    if data.target.epoch != chain.epoch_of(data.slot) {
        return Err(format!(
            "target epoch {} is not the epoch of slot {}",
            data.target.epoch, data.slot
        ));
    }
    let keys = signers
        .iter()
        .map(|i| key_of(chain, *i))
        .collect::<Result<Vec<_>, _>>()?;
    let key = bls::aggregate_public_keys(&keys).map_err(|e| format!("attesting keys: {e}"))?;
    let domain = chain.domain(DOMAIN_BEACON_ATTESTER, data.target.epoch);
    Ok(Checked {
        checks: vec![SigCheck {
            key,
            message: compute_signing_root(data.tree_hash_root().into(), domain),
            signature: signature(sig, "attestation signature")?,
            what: "attestation",
        }],
        submission: Submission {
            validator_index: recorded,
            kind,
            slot: data.slot,
            arrival_ms: arrival(chain, data.slot, now_ms),
            vote: Vote::Attestation(*data),
        },
    })
}

/// The committee (index, members) an attestation's bits refer to, by fork.
fn attestation_committee(chain: &mut Chain, a: &Attestation) -> Result<(u64, Vec<u64>), String> {
    let electra = chain.fork() >= mosaic_types::ForkName::Electra;
    let preset = chain.config().preset;
    let committee_index = if electra {
        let bits = a
            .committee_bits
            .as_deref()
            .ok_or("committee_bits missing (electra attestation)")?;
        let set =
            crate::containers::bitvector_from_hex(bits, preset.max_committees_per_slot() as usize)
                .map_err(|e| format!("committee_bits: {e}"))?;
        match set.as_slice() {
            [one] => *one as u64,
            _ => {
                return Err(format!(
                    "committee_bits must have exactly one bit set, has {}",
                    set.len()
                ))
            }
        }
    } else {
        if a.committee_bits.is_some() {
            return Err(format!(
                "committee_bits present before electra ({})",
                chain.fork()
            ));
        }
        a.data.index
    };
    let duties = chain.epoch_duties(chain.epoch_of(a.data.slot));
    let committee = duties
        .committee(chain.slots_per_epoch(), a.data.slot, committee_index)
        .ok_or_else(|| format!("no committee {committee_index} at slot {}", a.data.slot))?;
    Ok((committee_index, committee.to_vec()))
}

fn bits_limit(chain: &Chain) -> usize {
    let preset = chain.config().preset;
    let per_committee = preset.max_validators_per_committee() as usize;
    if chain.fork() >= mosaic_types::ForkName::Electra {
        per_committee * preset.max_committees_per_slot() as usize
    } else {
        per_committee
    }
}

/// The attesting validators of `a` given its committee.
fn attesters(chain: &Chain, a: &Attestation, committee: &[u64]) -> Result<Vec<u64>, String> {
    let bits = Bitlist::from_hex(&a.aggregation_bits, bits_limit(chain))
        .map_err(|e| format!("aggregation_bits: {e}"))?;
    if bits.len() != committee.len() {
        return Err(format!(
            "aggregation_bits has {} bits, the committee has {} members",
            bits.len(),
            committee.len()
        ));
    }
    let set = bits.set_bits();
    if set.is_empty() {
        return Err("aggregation_bits has no bit set".into());
    }
    Ok(set.into_iter().map(|i| committee[i]).collect())
}

/// A phase0-layout `Attestation` (`pool/attestations` v1, or v2 before electra): every set
/// bit's validator is recorded.
pub fn attestation(
    chain: &mut Chain,
    a: &Attestation,
    now_ms: u64,
) -> Result<Vec<Checked>, String> {
    check_slot(chain, a.data.slot)?;
    let (_, committee) = attestation_committee(chain, a)?;
    let signers = attesters(chain, a, &committee)?;
    let first = attestation_record(
        chain,
        &a.data,
        signers[0],
        signers.clone(),
        &a.signature,
        now_ms,
        DutyKind::Attestation,
    )?;
    // One signature check; each signer gets a record.
    let mut out = vec![first.clone()];
    for signer in signers.iter().skip(1) {
        let mut extra = first.clone();
        extra.checks.clear();
        extra.submission.validator_index = *signer;
        out.push(extra);
    }
    Ok(out)
}

/// `AggregateAndProof` as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AggregateAndProof {
    /// `aggregator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub aggregator_index: u64,
    /// `aggregate`.
    pub aggregate: Attestation,
    /// `selection_proof`.
    pub selection_proof: BlsSignature,
}

/// `SignedAggregateAndProof` as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedAggregateAndProof {
    /// `message`.
    pub message: AggregateAndProof,
    /// `signature`.
    pub signature: BlsSignature,
}

/// A `SignedAggregateAndProof`: aggregator in the committee, selection proof selects it, the
/// aggregate's, the selection proof's and the outer signature.
pub fn aggregate_and_proof(
    chain: &mut Chain,
    s: &SignedAggregateAndProof,
    now_ms: u64,
) -> Result<Checked, String> {
    let m = &s.message;
    let data = m.aggregate.data;
    check_slot(chain, data.slot)?;
    let (committee_index, committee) = attestation_committee(chain, &m.aggregate)?;
    if !committee.contains(&m.aggregator_index) {
        return Err(format!(
            "aggregator_index {} is not in committee {committee_index} of slot {}",
            m.aggregator_index, data.slot
        ));
    }
    if !spec::is_aggregator(committee.len(), &m.selection_proof.0) {
        return Err(format!(
            "selection_proof does not select validator {} as aggregator",
            m.aggregator_index
        ));
    }
    let signers = attesters(chain, &m.aggregate, &committee)?;
    let mut checked = attestation_record(
        chain,
        &data,
        m.aggregator_index,
        signers,
        &m.aggregate.signature,
        now_ms,
        DutyKind::Aggregate,
    )?;
    let aggregator = key_of(chain, m.aggregator_index)?;
    let epoch = chain.epoch_of(data.slot);
    checked.checks.push(SigCheck {
        key: aggregator,
        message: compute_signing_root(
            data.slot.tree_hash_root().into(),
            chain.domain(DOMAIN_SELECTION_PROOF, epoch),
        ),
        signature: signature(&m.selection_proof, "selection_proof")?,
        what: "selection proof",
    });
    let preset = chain.config().preset;
    let aggregate_root = m
        .aggregate
        .tree_hash_root(bits_limit(chain), preset.max_committees_per_slot() as usize)
        .map_err(|e| format!("aggregate: {e}"))?;
    let message_root = container_root(&[
        m.aggregator_index.tree_hash_root(),
        aggregate_root,
        m.selection_proof.tree_hash_root(),
    ]);
    checked.checks.push(SigCheck {
        key: aggregator,
        message: compute_signing_root(
            message_root.into(),
            chain.domain(DOMAIN_AGGREGATE_AND_PROOF, epoch),
        ),
        signature: signature(&s.signature, "signature")?,
        what: "aggregate and proof",
    });
    Ok(checked)
}

/// A `SyncCommitteeMessage`: the validator is in the current sync committee, signature over
/// the block root.
pub fn sync_message(
    chain: &mut Chain,
    m: &SyncCommitteeMessage,
    now_ms: u64,
) -> Result<Checked, String> {
    check_slot(chain, m.slot)?;
    let epoch = chain.epoch_of(m.slot);
    let committee = chain.sync_committee(chain.sync_period(epoch));
    if !committee.positions.contains_key(&m.validator_index) {
        return Err(format!(
            "validator {} is not in the sync committee of slot {}",
            m.validator_index, m.slot
        ));
    }
    Ok(Checked {
        checks: vec![SigCheck {
            key: key_of(chain, m.validator_index)?,
            message: compute_signing_root(
                m.beacon_block_root,
                chain.domain(DOMAIN_SYNC_COMMITTEE, epoch),
            ),
            signature: signature(&m.signature, "signature")?,
            what: "sync committee message",
        }],
        submission: Submission {
            validator_index: m.validator_index,
            kind: DutyKind::SyncMessage,
            slot: m.slot,
            arrival_ms: arrival(chain, m.slot, now_ms),
            vote: Vote::Root(m.beacon_block_root),
        },
    })
}

/// `SyncCommitteeContribution` as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncCommitteeContribution {
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: u64,
    /// `beacon_block_root`.
    pub beacon_block_root: Root,
    /// `subcommittee_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub subcommittee_index: u64,
    /// `aggregation_bits`: `Bitvector[SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT]`.
    pub aggregation_bits: String,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `ContributionAndProof` as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContributionAndProof {
    /// `aggregator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub aggregator_index: u64,
    /// `contribution`.
    pub contribution: SyncCommitteeContribution,
    /// `selection_proof`.
    pub selection_proof: BlsSignature,
}

/// `SignedContributionAndProof` as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedContributionAndProof {
    /// `message`.
    pub message: ContributionAndProof,
    /// `signature`.
    pub signature: BlsSignature,
}

/// A `SignedContributionAndProof`.
pub fn contribution_and_proof(
    chain: &mut Chain,
    s: &SignedContributionAndProof,
    now_ms: u64,
) -> Result<Checked, String> {
    let m = &s.message;
    let c = &m.contribution;
    check_slot(chain, c.slot)?;
    let epoch = chain.epoch_of(c.slot);
    let committee = chain.sync_committee(chain.sync_period(epoch));
    if c.subcommittee_index >= spec::SYNC_COMMITTEE_SUBNET_COUNT {
        return Err(format!(
            "subcommittee_index {} is not below {}",
            c.subcommittee_index,
            spec::SYNC_COMMITTEE_SUBNET_COUNT
        ));
    }
    let members = committee.subcommittee(c.subcommittee_index);
    if !members.contains(&m.aggregator_index) {
        return Err(format!(
            "aggregator_index {} is not in sync subcommittee {}",
            m.aggregator_index, c.subcommittee_index
        ));
    }
    let preset = chain.config().preset;
    if !spec::is_sync_committee_aggregator(preset, &m.selection_proof.0) {
        return Err(format!(
            "selection_proof does not select validator {} as sync aggregator",
            m.aggregator_index
        ));
    }
    let size = members.len();
    let set = crate::containers::bitvector_from_hex(&c.aggregation_bits, size)
        .map_err(|e| format!("aggregation_bits: {e}"))?;
    if set.is_empty() {
        return Err("aggregation_bits has no bit set".into());
    }
    let keys = set
        .iter()
        .map(|i| key_of(chain, members[*i]))
        .collect::<Result<Vec<_>, _>>()?;
    let aggregator = key_of(chain, m.aggregator_index)?;
    let selection_data_root = container_root(&[
        c.slot.tree_hash_root(),
        c.subcommittee_index.tree_hash_root(),
    ]);
    let bits_root = crate::containers::bitvector_root(&c.aggregation_bits, size)
        .map_err(|e| format!("aggregation_bits: {e}"))?;
    let contribution_root = container_root(&[
        c.slot.tree_hash_root(),
        c.beacon_block_root.tree_hash_root(),
        c.subcommittee_index.tree_hash_root(),
        bits_root,
        c.signature.tree_hash_root(),
    ]);
    let message_root = container_root(&[
        m.aggregator_index.tree_hash_root(),
        contribution_root,
        m.selection_proof.tree_hash_root(),
    ]);
    Ok(Checked {
        checks: vec![
            SigCheck {
                key: bls::aggregate_public_keys(&keys)
                    .map_err(|e| format!("contribution keys: {e}"))?,
                message: compute_signing_root(
                    c.beacon_block_root,
                    chain.domain(DOMAIN_SYNC_COMMITTEE, epoch),
                ),
                signature: signature(&c.signature, "contribution signature")?,
                what: "contribution",
            },
            SigCheck {
                key: aggregator,
                message: compute_signing_root(
                    selection_data_root.into(),
                    chain.domain(DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, epoch),
                ),
                signature: signature(&m.selection_proof, "selection_proof")?,
                what: "sync selection proof",
            },
            SigCheck {
                key: aggregator,
                message: compute_signing_root(
                    message_root.into(),
                    chain.domain(DOMAIN_CONTRIBUTION_AND_PROOF, epoch),
                ),
                signature: signature(&s.signature, "signature")?,
                what: "contribution and proof",
            },
        ],
        submission: Submission {
            validator_index: m.aggregator_index,
            kind: DutyKind::SyncContribution,
            slot: c.slot,
            arrival_ms: arrival(chain, c.slot, now_ms),
            vote: Vote::Root(c.beacon_block_root),
        },
    })
}

/// A `SignedVoluntaryExit` (EIP-7044 domain from Deneb on).
pub fn voluntary_exit(
    chain: &Chain,
    e: &SignedVoluntaryExit,
    now_ms: u64,
) -> Result<Checked, String> {
    let current_epoch = chain.epoch_of(chain.processed_slot());
    if e.message.epoch > current_epoch {
        return Err(format!(
            "exit epoch {} is after the current epoch {current_epoch}",
            e.message.epoch
        ));
    }
    let validator = chain
        .validators()
        .get(e.message.validator_index as usize)
        .ok_or_else(|| {
            format!(
                "validator index {} is not in the registry",
                e.message.validator_index
            )
        })?;
    if validator.exit_epoch != mosaic_types::FAR_FUTURE_EPOCH {
        return Err(format!(
            "validator {} has already exited",
            e.message.validator_index
        ));
    }
    let slot = chain.processed_slot();
    Ok(Checked {
        checks: vec![SigCheck {
            key: validator.key,
            message: compute_signing_root(
                e.message.tree_hash_root().into(),
                chain.exit_domain(e.message.epoch),
            ),
            signature: signature(&e.signature, "signature")?,
            what: "voluntary exit",
        }],
        submission: Submission {
            validator_index: e.message.validator_index,
            kind: DutyKind::Exit,
            slot,
            arrival_ms: arrival(chain, slot, now_ms),
            vote: Vote::None,
        },
    })
}

/// A `SignedValidatorRegistrationV1` (builder domain: genesis fork version, zero root).
pub fn registration(
    chain: &Chain,
    r: &SignedValidatorRegistrationV1,
    now_ms: u64,
) -> Result<Checked, String> {
    let index = chain
        .index_of(&r.message.pubkey)
        .ok_or_else(|| format!("pubkey {} is not in the registry", r.message.pubkey))?;
    let slot = chain.processed_slot();
    let domain = builder_domain(chain.network().genesis_fork_version);
    Ok(Checked {
        checks: vec![SigCheck {
            key: key_of(chain, index)?,
            message: compute_signing_root(r.message.root(), domain),
            signature: signature(&r.signature, "signature")?,
            what: "validator registration",
        }],
        submission: Submission {
            validator_index: index,
            kind: DutyKind::Registration,
            slot,
            arrival_ms: arrival(chain, slot, now_ms),
            vote: Vote::None,
        },
    })
}

/// A RANDAO reveal of `slot`'s proposer (block production).
pub fn randao_reveal(chain: &mut Chain, slot: u64, reveal: &BlsSignature) -> Result<(), String> {
    let proposer = chain.proposer(slot);
    let epoch = chain.epoch_of(slot);
    let sig = signature(reveal, "randao_reveal")?;
    let message = compute_signing_root(
        epoch.tree_hash_root().into(),
        chain.domain(DOMAIN_RANDAO, epoch),
    );
    if !sig.verify(&key_of(chain, proposer)?, &message.0) {
        return Err(format!(
            "invalid randao_reveal for proposer {proposer} of slot {slot}"
        ));
    }
    Ok(())
}

/// The proposer's signature over a block (`DOMAIN_BEACON_PROPOSER` at the block's epoch): the
/// block root equals its header's, and a blinded block's equals its full block's.
pub fn block_signature(
    chain: &Chain,
    header: &crate::containers::BeaconBlockHeader,
    sig: &BlsSignature,
) -> Result<(), String> {
    let epoch = chain.epoch_of(header.slot);
    let sig = signature(sig, "block signature")?;
    let message = compute_signing_root(
        header.root(),
        chain.domain(mosaic_types::DOMAIN_BEACON_PROPOSER, epoch),
    );
    if !sig.verify(&key_of(chain, header.proposer_index)?, &message.0) {
        return Err(format!(
            "invalid block signature for proposer {} of slot {}",
            header.proposer_index, header.slot
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use mosaic_crypto::bls::SecretKey;

    use super::*;

    fn item(key: &SecretKey, signer: &SecretKey, root: [u8; 32]) -> Checked {
        Checked {
            checks: vec![SigCheck {
                key: key.public_key(),
                message: Root(root),
                signature: signer.sign(&root),
                what: "test",
            }],
            submission: Submission {
                validator_index: 0,
                kind: DutyKind::Attestation,
                slot: 0,
                arrival_ms: 0,
                vote: Vote::None,
            },
        }
    }

    /// A check that passed is not repeated for an exact duplicate, but the same key and root
    /// with another signature are checked, and a bad signature fails however often it comes.
    #[test]
    fn remembered_checks_cover_only_exact_duplicates() {
        let key = SecretKey::random();
        let other = SecretKey::random();
        let root = rand_root();
        let good = item(&key, &key, root);
        assert_eq!(verify_batch(std::slice::from_ref(&good)), vec![Ok(())]);
        assert_eq!(
            verify_batch(&[good.clone(), good.clone()]),
            vec![Ok(()), Ok(())]
        );
        let forged = item(&key, &other, root);
        for _ in 0..2 {
            let results = verify_batch(&[good.clone(), forged.clone()]);
            assert_eq!(results[0], Ok(()));
            assert_eq!(results[1], Err("invalid test signature".to_owned()));
        }
        assert!(verify_batch(&[forged])[0].is_err());
    }

    #[test]
    fn decoded_signatures_are_the_signatures_sent() {
        let signature = SecretKey::random().sign(b"m");
        let bytes = BlsSignature(signature.to_bytes());
        assert_eq!(decoded_signature(&bytes), Some(signature));
        assert_eq!(decoded_signature(&bytes), Some(signature));
        assert_eq!(decoded_signature(&BlsSignature([0xff; 96])), None);
    }

    fn rand_root() -> [u8; 32] {
        SecretKey::random().public_key().to_bytes()[..32]
            .try_into()
            .unwrap()
    }
}
