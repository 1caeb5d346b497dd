//! Every EIP-3076 rejection rule: a test that it fires and one a step inside the boundary that
//! it does not; plus namespaces, batches, import/export and the lock, through the public API.

use mosaic_slashing::{
    AttestationRequest, Error, Interchange, InterchangeValidator, NotSafe, Safe, SignedAttestation,
    SignedBlock, SlashingDb,
};

const GVR: [u8; 32] = [0x11; 32];
const OTHER_GVR: [u8; 32] = [0x22; 32];
const V1: [u8; 48] = [0xa1; 48];
const V2: [u8; 48] = [0xa2; 48];
const A: Option<[u8; 32]> = Some([0x0a; 32]);
const B: Option<[u8; 32]> = Some([0x0b; 32]);

struct Fixture {
    _dir: tempfile::TempDir,
    db: SlashingDb,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = SlashingDb::open(dir.path().join("slashing.sqlite")).expect("open");
    db.namespace(GVR)
        .expect("namespace")
        .register_validators(&[V1])
        .expect("register");
    Fixture { _dir: dir, db }
}

fn interchange(
    gvr: [u8; 32],
    pubkey: [u8; 48],
    blocks: &[(u64, Option<[u8; 32]>)],
    atts: &[(u64, u64, Option<[u8; 32]>)],
) -> Interchange {
    let mut interchange = Interchange::new(gvr);
    interchange.data.push(InterchangeValidator {
        pubkey,
        signed_blocks: blocks
            .iter()
            .map(|&(slot, signing_root)| SignedBlock { slot, signing_root })
            .collect(),
        signed_attestations: atts
            .iter()
            .map(
                |&(source_epoch, target_epoch, signing_root)| SignedAttestation {
                    source_epoch,
                    target_epoch,
                    signing_root,
                },
            )
            .collect(),
    });
    interchange
}

impl Fixture {
    fn block(&mut self, slot: u64, root: Option<[u8; 32]>) -> Result<Safe, NotSafe> {
        self.db
            .namespace(GVR)
            .expect("ns")
            .check_and_insert_block(&V1, slot, root)
    }

    fn att(&mut self, source: u64, target: u64, root: Option<[u8; 32]>) -> Result<Safe, NotSafe> {
        self.db
            .namespace(GVR)
            .expect("ns")
            .check_and_insert_attestation(&V1, source, target, root)
    }

    fn import(
        &mut self,
        blocks: &[(u64, Option<[u8; 32]>)],
        atts: &[(u64, u64, Option<[u8; 32]>)],
    ) {
        self.db
            .import_interchange(&interchange(GVR, V1, blocks, atts), GVR)
            .expect("import");
    }
}

// ---- registration ----

#[test]
fn unregistered_validator_is_refused_and_registered_one_is_not() {
    let mut f = fixture();
    let mut chain = f.db.namespace(GVR).expect("ns");
    assert!(matches!(
        chain.check_and_insert_block(&V2, 1, A),
        Err(NotSafe::UnregisteredValidator { pubkey }) if pubkey.0 == V2
    ));
    assert!(matches!(
        chain.check_and_insert_attestation(&V2, 0, 1, A),
        Err(NotSafe::UnregisteredValidator { .. })
    ));
    assert!(!chain.is_registered(&V2).expect("lookup"));
    chain
        .register_validators(&[V2, V2])
        .expect("register twice in one call");
    assert!(chain.is_registered(&V2).expect("lookup"));
    assert_eq!(
        chain.check_and_insert_block(&V2, 1, A).expect("safe"),
        Safe::Valid
    );
    assert_eq!(chain.validators().expect("list"), vec![V1, V2]);
}

// ---- blocks ----

#[test]
fn double_block_proposal_fires_for_another_root_and_repeat_is_same_data() {
    let mut f = fixture();
    assert_eq!(f.block(10, A).expect("first"), Safe::Valid);
    assert!(matches!(
        f.block(10, B),
        Err(NotSafe::DoubleBlockProposal { slot: 10, existing_signing_root: Some(root) }) if Some(root.0) == A
    ));
    assert!(matches!(
        f.block(10, None),
        Err(NotSafe::DoubleBlockProposal { .. })
    ));
    assert_eq!(f.block(10, A).expect("repeat"), Safe::SameData);
    assert_eq!(f.block(11, B).expect("next slot"), Safe::Valid);
}

#[test]
fn block_without_signing_root_can_never_be_repeated() {
    let mut f = fixture();
    assert_eq!(f.block(10, None).expect("first"), Safe::Valid);
    assert!(matches!(
        f.block(10, None),
        Err(NotSafe::DoubleBlockProposal {
            existing_signing_root: None,
            ..
        })
    ));
    assert!(matches!(
        f.block(10, A),
        Err(NotSafe::DoubleBlockProposal { .. })
    ));
}

#[test]
fn zero_signing_root_is_an_ordinary_root() {
    let mut f = fixture();
    let zero = Some([0u8; 32]);
    assert_eq!(f.block(3, zero).expect("first"), Safe::Valid);
    assert_eq!(f.block(3, zero).expect("repeat"), Safe::SameData);
    assert!(f.block(3, A).is_err());
}

#[test]
fn block_below_low_watermark_fires_one_below_and_not_one_above() {
    let mut f = fixture();
    f.import(&[(100, None), (120, None)], &[]);
    assert!(matches!(
        f.block(99, A),
        Err(NotSafe::BlockBelowLowWatermark {
            slot: 99,
            min_slot: 100
        })
    ));
    assert!(matches!(
        f.block(100, A),
        Err(NotSafe::DoubleBlockProposal { slot: 100, .. })
    ));
    assert_eq!(f.block(101, A).expect("above watermark"), Safe::Valid);
}

#[test]
fn block_watermark_also_comes_from_blocks_signed_here() {
    let mut f = fixture();
    assert_eq!(f.block(50, A).expect("first"), Safe::Valid);
    assert!(matches!(
        f.block(49, B),
        Err(NotSafe::BlockBelowLowWatermark {
            slot: 49,
            min_slot: 50
        })
    ));
    assert_eq!(f.block(51, B).expect("later slot"), Safe::Valid);
}

#[test]
fn slots_beyond_i64_are_refused_and_i64_max_is_not() {
    let mut f = fixture();
    let too_big = u64::try_from(i64::MAX).expect("fits") + 1;
    assert!(matches!(
        f.block(too_big, A),
        Err(NotSafe::ValueOutOfRange { field: "slot", .. })
    ));
    assert_eq!(f.block(too_big - 1, A).expect("i64::MAX"), Safe::Valid);
    assert!(matches!(
        f.att(0, too_big, A),
        Err(NotSafe::ValueOutOfRange {
            field: "target_epoch",
            ..
        })
    ));
}

// ---- attestations ----

#[test]
fn source_exceeding_target_fires_and_equal_epochs_do_not() {
    let mut f = fixture();
    assert!(matches!(
        f.att(5, 4, A),
        Err(NotSafe::SourceExceedsTarget {
            source_epoch: 5,
            target_epoch: 4
        })
    ));
    assert_eq!(f.att(5, 5, A).expect("source == target"), Safe::Valid);
}

#[test]
fn double_vote_fires_for_another_root_and_repeat_is_same_data() {
    let mut f = fixture();
    assert_eq!(f.att(1, 5, A).expect("first"), Safe::Valid);
    assert!(matches!(
        f.att(2, 5, B),
        Err(NotSafe::DoubleVote {
            target_epoch: 5,
            existing_source: 1,
            ..
        })
    ));
    assert!(matches!(f.att(1, 5, B), Err(NotSafe::DoubleVote { .. })));
    assert!(matches!(f.att(1, 5, None), Err(NotSafe::DoubleVote { .. })));
    assert_eq!(f.att(1, 5, A).expect("repeat"), Safe::SameData);
    assert_eq!(f.att(1, 6, B).expect("next target"), Safe::Valid);
}

#[test]
fn surrounding_vote_fires_and_equal_source_does_not() {
    let mut f = fixture();
    f.att(3, 4, A).expect("first");
    assert!(matches!(
        f.att(2, 5, B),
        Err(NotSafe::SourceBelowLowWatermark { .. })
    ));
    // A surround that passes the watermarks: history (1,2), (3,4); new (2,5) surrounds (3,4).
    let mut f = fixture();
    f.att(1, 2, A).expect("first");
    f.att(3, 4, A).expect("second");
    assert!(matches!(
        f.att(2, 5, B),
        Err(NotSafe::SurroundingVote {
            prev_source: 3,
            prev_target: 4
        })
    ));
    assert_eq!(
        f.att(3, 5, B).expect("same source, not surrounding"),
        Safe::Valid
    );
}

#[test]
fn surrounded_vote_fires_and_equal_source_does_not() {
    let mut f = fixture();
    f.att(0, 1, A).expect("first");
    f.att(2, 5, A).expect("second");
    assert!(matches!(
        f.att(3, 4, B),
        Err(NotSafe::SurroundedVote {
            prev_source: 2,
            prev_target: 5
        })
    ));
    assert_eq!(
        f.att(2, 4, B).expect("same source, not surrounded"),
        Safe::Valid
    );
}

#[test]
fn surrounded_vote_boundary_on_target() {
    let mut f = fixture();
    f.att(0, 1, A).expect("first");
    f.att(2, 5, A).expect("second");
    assert!(matches!(
        f.att(3, 4, B),
        Err(NotSafe::SurroundedVote { .. })
    ));
    assert_eq!(
        f.att(3, 6, B).expect("later target, not surrounded"),
        Safe::Valid
    );
}

#[test]
fn source_below_low_watermark_fires_one_below_and_not_at_it() {
    let mut f = fixture();
    f.import(&[], &[(5, 10, None)]);
    assert!(matches!(
        f.att(4, 11, A),
        Err(NotSafe::SourceBelowLowWatermark {
            source_epoch: 4,
            min_source: 5
        })
    ));
    assert_eq!(f.att(5, 11, A).expect("source == min source"), Safe::Valid);
}

#[test]
fn target_at_or_below_low_watermark_fires_and_one_above_does_not() {
    let mut f = fixture();
    f.import(&[], &[(5, 10, A)]);
    assert!(matches!(
        f.att(5, 9, B),
        Err(NotSafe::TargetBelowLowWatermark {
            target_epoch: 9,
            min_target: 10
        })
    ));
    // target == min target with another root: refused (the record at the minimum is a double vote).
    assert!(matches!(
        f.att(5, 10, B),
        Err(NotSafe::DoubleVote {
            target_epoch: 10,
            ..
        })
    ));
    // ... but the same attestation is a repeat signing (EIP-3076 condition 5's exception).
    assert_eq!(
        f.att(5, 10, A).expect("repeat at min target"),
        Safe::SameData
    );
    assert_eq!(
        f.att(5, 11, B).expect("target == min target + 1"),
        Safe::Valid
    );
}

#[test]
fn gap_between_imports_is_signable_but_below_the_first_import_is_not() {
    let mut f = fixture();
    f.import(&[], &[(5, 10, None)]);
    f.import(&[], &[(20, 30, None)]);
    // Between the two imports (complete semantics): not surrounded, above the minimums.
    assert_eq!(f.att(10, 15, A).expect("in the gap"), Safe::Valid);
    assert!(matches!(
        f.att(4, 31, A),
        Err(NotSafe::SourceBelowLowWatermark { .. })
    ));
}

// ---- batches ----

#[test]
fn batch_checks_items_in_order_in_one_transaction() {
    let mut f = fixture();
    let request = |pubkey, source, target, signing_root| AttestationRequest {
        pubkey,
        source_epoch: source,
        target_epoch: target,
        signing_root,
    };
    let verdicts =
        f.db.namespace(GVR)
            .expect("ns")
            .check_and_insert_attestations_batch(&[
                request(V1, 1, 2, A),
                request(V1, 1, 2, B),
                request(V2, 1, 2, A),
                request(V1, 1, 2, A),
                request(V1, 0, 3, A),
            ])
            .expect("batch");
    assert!(matches!(verdicts[0], Ok(Safe::Valid)));
    assert!(matches!(verdicts[1], Err(NotSafe::DoubleVote { .. })));
    assert!(matches!(
        verdicts[2],
        Err(NotSafe::UnregisteredValidator { .. })
    ));
    assert!(matches!(verdicts[3], Ok(Safe::SameData)));
    assert!(matches!(
        verdicts[4],
        Err(NotSafe::SourceBelowLowWatermark { .. })
    ));
    assert_eq!(verdicts.len(), 5);
    // Durable: a later single check sees the batch's record.
    assert!(matches!(f.att(1, 2, B), Err(NotSafe::DoubleVote { .. })));
}

// ---- namespaces ----

#[test]
fn namespaces_are_isolated_listed_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slashing.sqlite");
    {
        let mut db = SlashingDb::open(&path).expect("open");
        let mut first = db.namespace(GVR).expect("first chain");
        first.register_validators(&[V1]).expect("register");
        first
            .check_and_insert_block(&V1, 5, A)
            .expect("sign on first chain");
        let mut second = db.namespace(OTHER_GVR).expect("second chain");
        assert!(matches!(
            second.check_and_insert_block(&V1, 5, B),
            Err(NotSafe::UnregisteredValidator { .. })
        ));
        second.register_validators(&[V1, V2]).expect("register");
        assert_eq!(
            second
                .check_and_insert_block(&V1, 5, B)
                .expect("other chain"),
            Safe::Valid
        );
        assert_eq!(second.genesis_validators_root(), OTHER_GVR);
    }
    let mut db = SlashingDb::open(&path).expect("reopen");
    let listed = db.namespaces().expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].genesis_validators_root, GVR);
    assert_eq!(listed[0].validator_count, 1);
    assert_eq!(listed[1].genesis_validators_root, OTHER_GVR);
    assert_eq!(listed[1].validator_count, 2);
    assert!(db.existing_namespace([0x33; 32]).expect("lookup").is_none());
    assert_eq!(
        db.namespaces().expect("list").len(),
        2,
        "existing_namespace creates nothing"
    );
    let mut first = db.existing_namespace(GVR).expect("lookup").expect("kept");
    assert!(matches!(
        first.check_and_insert_block(&V1, 5, B),
        Err(NotSafe::DoubleBlockProposal { .. })
    ));
}

// ---- import and export ----

#[test]
fn import_for_another_chain_is_refused_with_both_roots() {
    let mut f = fixture();
    let other = interchange(OTHER_GVR, V1, &[(1, None)], &[]);
    let err =
        f.db.import_interchange(&other, GVR)
            .expect_err("wrong chain");
    assert!(matches!(err, Error::GenesisValidatorsRootMismatch { .. }));
    let message = err.to_string();
    assert!(
        message.contains(&hex::encode(GVR)) && message.contains(&hex::encode(OTHER_GVR)),
        "{message}"
    );
    let err =
        f.db.namespace(GVR)
            .expect("ns")
            .import_interchange(&other)
            .expect_err("wrong chain");
    assert!(matches!(err, Error::GenesisValidatorsRootMismatch { .. }));
    // The matching chain imports.
    f.db.import_interchange(&other, OTHER_GVR)
        .expect("right chain");
}

#[test]
fn import_is_all_or_nothing() {
    let mut f = fixture();
    let mut bad = interchange(GVR, V2, &[(1, None)], &[]);
    bad.data.push(InterchangeValidator {
        pubkey: [0xa3; 48],
        signed_blocks: vec![SignedBlock {
            slot: u64::MAX,
            signing_root: None,
        }],
        signed_attestations: vec![],
    });
    let err =
        f.db.import_interchange(&bad, GVR)
            .expect_err("slot too large");
    assert!(
        matches!(
            err,
            Error::ValueOutOfRange {
                field: "signed_blocks[].slot",
                ..
            }
        ),
        "{err}"
    );
    assert!(!f
        .db
        .namespace(GVR)
        .expect("ns")
        .is_registered(&V2)
        .expect("lookup"));
}

#[test]
fn import_merges_and_conflicting_roots_become_unknown() {
    let mut f = fixture();
    let summary =
        f.db.import_interchange(&interchange(GVR, V2, &[(5, A)], &[(1, 2, A)]), GVR)
            .expect("first import");
    assert_eq!(
        (summary.validators_registered, summary.records_added),
        (1, 2)
    );
    let summary =
        f.db.import_interchange(&interchange(GVR, V2, &[(5, A), (6, B)], &[(1, 2, B)]), GVR)
            .expect("second import");
    assert_eq!(summary.validators_registered, 0);
    assert_eq!(summary.records_added, 1);
    assert_eq!(summary.records_already_known, 1);
    assert_eq!(summary.records_conflicting, 1);
    let mut chain = f.db.namespace(GVR).expect("ns");
    assert_eq!(
        chain
            .check_and_insert_block(&V2, 5, A)
            .expect("unchanged record"),
        Safe::SameData
    );
    assert!(matches!(
        chain.check_and_insert_attestation(&V2, 1, 2, A),
        Err(NotSafe::DoubleVote {
            existing_signing_root: None,
            ..
        })
    ));
    assert!(matches!(
        chain.check_and_insert_attestation(&V2, 1, 2, B),
        Err(NotSafe::DoubleVote { .. })
    ));
}

#[test]
fn export_round_trip_preserves_protection_and_is_stable() {
    let mut f = fixture();
    f.block(10, A).expect("block");
    f.block(12, None).expect("block");
    f.att(1, 2, A).expect("att");
    f.att(2, 3, None).expect("att");
    f.db.namespace(GVR)
        .expect("ns")
        .register_validators(&[V2])
        .expect("register");
    let exported = f.db.export_interchange(GVR, None).expect("export");
    assert_eq!(exported.data.len(), 2);
    assert!(
        exported.data[1].signed_blocks.is_empty(),
        "V2 exported with empty history"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let mut copy = SlashingDb::open(dir.path().join("copy.sqlite")).expect("open copy");
    copy.import_interchange(&exported, GVR).expect("import");
    assert_eq!(
        copy.export_interchange(GVR, None).expect("re-export"),
        exported
    );
    let mut chain = copy.namespace(GVR).expect("ns");
    assert_eq!(
        chain.check_and_insert_block(&V1, 10, A).expect("repeat"),
        Safe::SameData
    );
    assert!(chain.check_and_insert_block(&V1, 12, None).is_err());
    assert!(chain.check_and_insert_block(&V1, 9, B).is_err());
    assert!(chain.check_and_insert_attestation(&V1, 2, 3, B).is_err());
    assert!(chain.check_and_insert_attestation(&V1, 0, 4, B).is_err());
    assert_eq!(
        chain
            .check_and_insert_attestation(&V2, 0, 1, B)
            .expect("V2 registered"),
        Safe::Valid
    );
}

#[test]
fn export_filters_pubkeys_and_refuses_unknown_ones() {
    let mut f = fixture();
    f.db.namespace(GVR)
        .expect("ns")
        .register_validators(&[V2])
        .expect("register");
    let only_v2 = f.db.export_interchange(GVR, Some(&[V2])).expect("export");
    assert_eq!(only_v2.data.len(), 1);
    assert_eq!(only_v2.data[0].pubkey, V2);
    let err =
        f.db.export_interchange(GVR, Some(&[[0xa9; 48]]))
            .expect_err("unknown");
    assert!(matches!(err, Error::UnknownValidator { .. }), "{err}");
}

// ---- the lock ----

#[test]
fn a_second_handle_is_refused_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slashing.sqlite");
    let first = SlashingDb::open(&path).expect("open");
    let err = SlashingDb::open(&path).expect_err("second handle");
    match &err {
        Error::AlreadyInUse { db, lock_file } => {
            assert_eq!(db, &path);
            assert_eq!(lock_file, &SlashingDb::lock_path(&path));
        }
        other => panic!("expected AlreadyInUse, got {other:?}"),
    }
    assert!(err.to_string().contains("already in use"), "{err}");
    drop(first);
    SlashingDb::open(&path).expect("open after the first handle closed");
}
