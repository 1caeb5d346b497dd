#!/usr/bin/env python3
"""Duty-assignment oracle for mosaic-simnet, computed by the executable consensus specs.

Reads one JSON request per line on stdin and prints one JSON answer per line, using only the
`eth-consensus-specs` package's own functions:

* ``{"kind": "shuffle", "preset": P, "cases": [[index, count, seed_hex], ...]}``
  -> ``{"results": [compute_shuffled_index(index, count, seed), ...]}``
* ``{"kind": "chain", "preset": P, "fork": F, "validators": N, "exits": {"index": epoch},
  "mixes": {"epoch": mix_hex}, "epochs": [e, ...], "sync_periods": [p, ...],
  "slot_signatures": [sig_hex, ...]}``
  -> a ``BeaconState`` of the fork with ``N`` validators at 32 ETH effective balance (the
  listed ones exiting at the given epoch) whose RANDAO mixes make ``get_seed(state, e, ...)``
  use ``mixes[e]``; answers, per epoch, ``committees_per_slot``, every
  ``get_beacon_committee`` and the proposers (``get_beacon_proposer_index`` at each slot, or
  ``get_beacon_proposer_indices`` from Fulu), per period ``p >= 1`` the
  ``get_next_sync_committee_indices`` computed in the last epoch of period ``p - 1``, and per
  slot signature ``is_aggregator`` for the first committee of the first epoch's first slot and
  ``is_sync_committee_aggregator``.

Usage: shuffling.py < requests.jsonl
"""

import importlib
import json
import sys


def spec_module(fork, preset):
    return importlib.import_module(f"eth_consensus_specs.{fork}.{preset}")


def unhex(text):
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def shuffle(request):
    spec = spec_module("fulu", request["preset"])
    return {
        "results": [
            int(spec.compute_shuffled_index(spec.Uint64(i), spec.Uint64(n), spec.Bytes32(unhex(s))))
            for i, n, s in request["cases"]
        ]
    }


def build_state(spec, request):
    far = spec.FAR_FUTURE_EPOCH
    exits = {int(k): int(v) for k, v in request.get("exits", {}).items()}
    validators = []
    for index in range(request["validators"]):
        validators.append(
            spec.Validator(
                pubkey=spec.BLSPubkey(index.to_bytes(48, "little")),
                withdrawal_credentials=spec.Bytes32(b"\x01" + b"\x00" * 31),
                effective_balance=spec.MAX_EFFECTIVE_BALANCE,
                slashed=False,
                activation_eligibility_epoch=0,
                activation_epoch=0,
                exit_epoch=exits.get(index, far),
                withdrawable_epoch=far,
            )
        )
    state = spec.BeaconState()
    for validator in validators:
        state.validators.append(validator)
        state.balances.append(spec.MAX_EFFECTIVE_BALANCE)
    for epoch, mix in request["mixes"].items():
        # get_seed reads the mix at epoch + EPOCHS_PER_HISTORICAL_VECTOR - MIN_SEED_LOOKAHEAD - 1.
        position = (
            int(epoch) + spec.EPOCHS_PER_HISTORICAL_VECTOR - spec.MIN_SEED_LOOKAHEAD - 1
        ) % spec.EPOCHS_PER_HISTORICAL_VECTOR
        state.randao_mixes[position] = spec.Bytes32(unhex(mix))
    return state


def chain(request):
    fork = request["fork"]
    spec = spec_module(fork, request["preset"])
    state = build_state(spec, request)
    spe = int(spec.SLOTS_PER_EPOCH)
    epochs = []
    for epoch in request["epochs"]:
        epoch = spec.Epoch(epoch)
        per_slot = int(spec.get_committee_count_per_slot(state, epoch))
        start = spec.compute_start_slot_at_epoch(epoch)
        committees = [
            [int(v) for v in spec.get_beacon_committee(state, spec.Slot(start + s), spec.CommitteeIndex(c))]
            for s in range(spe)
            for c in range(per_slot)
        ]
        if hasattr(spec, "get_beacon_proposer_indices"):
            proposers = [int(v) for v in spec.get_beacon_proposer_indices(state, epoch)]
        else:
            proposers = []
            for s in range(spe):
                state.slot = spec.Slot(start + s)
                proposers.append(int(spec.get_beacon_proposer_index(state)))
            state.slot = spec.Slot(0)
        epochs.append(
            {"epoch": int(epoch), "committees_per_slot": per_slot, "committees": committees, "proposers": proposers}
        )
    sync = []
    for period in request.get("sync_periods", []):
        assert period >= 1, "the next sync committee of period p is computed in period p - 1"
        last_epoch = period * int(spec.EPOCHS_PER_SYNC_COMMITTEE_PERIOD) - 1
        state.slot = spec.compute_start_slot_at_epoch(spec.Epoch(last_epoch))
        sync.append({"period": period, "members": [int(v) for v in spec.get_next_sync_committee_indices(state)]})
        state.slot = spec.Slot(0)
    aggregators = []
    first = request["epochs"][0] if request["epochs"] else 0
    slot = spec.compute_start_slot_at_epoch(spec.Epoch(first))
    for signature in request.get("slot_signatures", []):
        sig = spec.BLSSignature(unhex(signature))
        aggregators.append(
            {
                "is_aggregator": bool(spec.is_aggregator(state, slot, spec.CommitteeIndex(0), sig)),
                "is_sync_committee_aggregator": bool(spec.is_sync_committee_aggregator(sig)),
            }
        )
    return {"epochs": epochs, "sync": sync, "aggregators": aggregators}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        answer = shuffle(request) if request["kind"] == "shuffle" else chain(request)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
