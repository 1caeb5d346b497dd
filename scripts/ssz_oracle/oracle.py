#!/usr/bin/env python3
"""SSZ oracle for mosaic-types' consensus containers.

Builds deterministic pseudo-random instances of consensus containers with the classes of the
`eth-consensus-specs` package (the executable consensus specs) and prints one JSON object per
line:

    {"fork": ..., "preset": ..., "type": ..., "json": <beacon-API JSON>,
     "ssz_hex": "0x...", "root_hex": "0x..."}

Containers that the beacon and builder APIs define but the consensus specs do not (blinded
blocks, block contents, builder registrations) are assembled here from the spec's own field
types, so their roots are still computed by the spec's SSZ implementation.

Usage: oracle.py [--seed N] [--per-type N] [--forks phase0,altair,...] [--presets mainnet,minimal]
"""

import argparse
import hashlib
import importlib
import json
import random
import sys

from eth_consensus_specs.debug.random_value import RandomizationMode, get_random_ssz_object
from ssz.bitfields import BitList, BitVector
from ssz.boolean import Boolean
from ssz.byte_arrays import ByteList
from ssz.collections import List, Vector
from ssz.container import Container
from ssz.uint import BaseUint

FORKS = ["phase0", "altair", "bellatrix", "capella", "deneb", "electra", "fulu"]
PRESETS = ["mainnet", "minimal"]

PHASE0_TYPES = [
    "Fork",
    "ForkData",
    "Checkpoint",
    "AttestationData",
    "Attestation",
    "IndexedAttestation",
    "AggregateAndProof",
    "SignedAggregateAndProof",
    "BeaconBlockHeader",
    "SignedBeaconBlockHeader",
    "ProposerSlashing",
    "AttesterSlashing",
    "DepositMessage",
    "DepositData",
    "Deposit",
    "VoluntaryExit",
    "SignedVoluntaryExit",
    "Eth1Data",
    "SigningData",
    "BeaconBlockBody",
    "BeaconBlock",
    "SignedBeaconBlock",
    # Builder specs, assembled below.
    "ValidatorRegistrationV1",
    "SignedValidatorRegistrationV1",
]
BLOCK_TYPES = ["BeaconBlockBody", "BeaconBlock", "SignedBeaconBlock"]
BLINDED_TYPES = ["BlindedBeaconBlockBody", "BlindedBeaconBlock", "SignedBlindedBeaconBlock"]
CONTENTS_TYPES = ["BlockContents", "SignedBlockContents"]

TYPES_BY_FORK = {
    "phase0": PHASE0_TYPES,
    "altair": [
        "SyncAggregate",
        "SyncCommitteeMessage",
        "SyncCommitteeContribution",
        "ContributionAndProof",
        "SignedContributionAndProof",
        "SyncAggregatorSelectionData",
    ]
    + BLOCK_TYPES,
    "bellatrix": ["ExecutionPayload", "ExecutionPayloadHeader"] + BLOCK_TYPES + BLINDED_TYPES,
    "capella": [
        "Withdrawal",
        "BLSToExecutionChange",
        "SignedBLSToExecutionChange",
        "ExecutionPayload",
        "ExecutionPayloadHeader",
    ]
    + BLOCK_TYPES
    + BLINDED_TYPES,
    "deneb": ["ExecutionPayload", "ExecutionPayloadHeader"]
    + BLOCK_TYPES
    + BLINDED_TYPES
    + CONTENTS_TYPES,
    "electra": [
        "Attestation",
        "IndexedAttestation",
        "AttesterSlashing",
        "AggregateAndProof",
        "SignedAggregateAndProof",
        "SingleAttestation",
        "DepositRequest",
        "WithdrawalRequest",
        "ConsolidationRequest",
        "ExecutionRequests",
    ]
    + BLOCK_TYPES
    + BLINDED_TYPES
    + CONTENTS_TYPES,
    "fulu": BLOCK_TYPES + BLINDED_TYPES + CONTENTS_TYPES,
}

# (mode, max list length) per instance index: random content first, then the edge cases.
MODES = [
    (RandomizationMode.mode_random, 3),
    (RandomizationMode.mode_max, 2),
    (RandomizationMode.mode_zero, 2),
    (RandomizationMode.mode_one_count, 1),
    (RandomizationMode.mode_random, 3),
]
MAX_BYTES_LENGTH = 40


def sized_list(element, limit, name):
    """A spec-style `List[element, limit]` type."""
    return type(name, (List[element],), {"LIMIT": limit})


def container(name, fields):
    """A spec-style container with the given ordered fields."""
    return type(name, (Container,), {"__annotations__": dict(fields)})


def extra_types(fork, spec):
    """Containers of the beacon and builder APIs, built from the spec's field types."""
    types = {}
    if fork == "phase0":
        registration = container(
            "ValidatorRegistrationV1",
            [
                ("fee_recipient", spec.ExecutionAddress),
                ("gas_limit", spec.Uint64),
                ("timestamp", spec.Uint64),
                ("pubkey", spec.BLSPubkey),
            ],
        )
        types["ValidatorRegistrationV1"] = registration
        types["SignedValidatorRegistrationV1"] = container(
            "SignedValidatorRegistrationV1",
            [("message", registration), ("signature", spec.BLSSignature)],
        )
    if fork in ("bellatrix", "capella", "deneb", "electra", "fulu"):
        body_fields = []
        for field_name, field in spec.BeaconBlockBody.model_fields.items():
            if field_name == "execution_payload":
                body_fields.append(("execution_payload_header", spec.ExecutionPayloadHeader))
            else:
                body_fields.append((field_name, field.annotation))
        body = container("BlindedBeaconBlockBody", body_fields)
        block = container(
            "BlindedBeaconBlock",
            [
                ("slot", spec.Slot),
                ("proposer_index", spec.ValidatorIndex),
                ("parent_root", spec.Root),
                ("state_root", spec.Root),
                ("body", body),
            ],
        )
        types["BlindedBeaconBlockBody"] = body
        types["BlindedBeaconBlock"] = block
        types["SignedBlindedBeaconBlock"] = container(
            "SignedBlindedBeaconBlock", [("message", block), ("signature", spec.BLSSignature)]
        )
    if fork in ("deneb", "electra", "fulu"):
        blobs_limit = int(spec.MAX_BLOB_COMMITMENTS_PER_BLOCK)
        if fork == "fulu":
            # beacon-APIs: fulu block contents carry cell proofs,
            # CELLS_PER_EXT_BLOB * MAX_BLOB_COMMITMENTS_PER_BLOCK of them.
            proofs_limit = int(spec.CELLS_PER_EXT_BLOB) * blobs_limit
        else:
            proofs_limit = blobs_limit
        proofs = sized_list(spec.KZGProof, proofs_limit, "ContentsKZGProofs")
        blobs = sized_list(spec.Blob, blobs_limit, "ContentsBlobs")
        types["BlockContents"] = container(
            "BlockContents",
            [("block", spec.BeaconBlock), ("kzg_proofs", proofs), ("blobs", blobs)],
        )
        types["SignedBlockContents"] = container(
            "SignedBlockContents",
            [
                ("signed_block", spec.SignedBeaconBlock),
                ("kzg_proofs", proofs),
                ("blobs", blobs),
            ],
        )
    return types


def to_json(value):
    """Beacon-API JSON: every integer a decimal string, bytes and bitfields `0x` hex."""
    if isinstance(value, Boolean):
        return bool(value)
    if isinstance(value, BaseUint):
        return str(int(value))
    if isinstance(value, (BitList, BitVector)):
        return "0x" + value.encode_bytes().hex()
    if isinstance(value, (bytes, ByteList)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (List, Vector, list)):
        return [to_json(element) for element in value]
    if isinstance(value, Container):
        return {name: to_json(getattr(value, name)) for name in type(value).model_fields}
    raise TypeError(f"no JSON form for {type(value).__name__}")


def instance_rng(seed, fork, preset, type_name, index):
    digest = hashlib.sha256(f"{seed}/{fork}/{preset}/{type_name}/{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "little"))


def cap_blobs(value):
    """Blobs are 128 KiB each; keep at most two so the run stays fast."""
    for name in ("blobs", "kzg_proofs"):
        items = getattr(value, name, None)
        if items is not None and len(items) > 2:
            setattr(value, name, type(items)(data=list(items)[:2]))
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--per-type", type=int, default=len(MODES))
    parser.add_argument("--forks", default=",".join(FORKS))
    parser.add_argument("--presets", default=",".join(PRESETS))
    args = parser.parse_args()

    out = sys.stdout
    for preset in args.presets.split(","):
        for fork in args.forks.split(","):
            spec = importlib.import_module(f"eth_consensus_specs.{fork}.{preset}")
            extras = extra_types(fork, spec)
            for type_name in TYPES_BY_FORK[fork]:
                typ = extras.get(type_name) or getattr(spec, type_name)
                for index in range(args.per_type):
                    mode, max_list = MODES[index % len(MODES)]
                    rng = instance_rng(args.seed, fork, preset, type_name, index)
                    value = get_random_ssz_object(
                        rng, typ, MAX_BYTES_LENGTH, max_list, mode, chaos=False
                    )
                    if type_name in CONTENTS_TYPES:
                        value = cap_blobs(value)
                    line = {
                        "fork": fork,
                        "preset": preset,
                        "type": type_name,
                        "json": to_json(value),
                        "ssz_hex": "0x" + value.encode_bytes().hex(),
                        "root_hex": "0x" + value.hash_tree_root().hex(),
                    }
                    out.write(json.dumps(line, separators=(",", ":")) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
