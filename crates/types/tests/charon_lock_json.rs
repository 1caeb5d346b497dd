//! Charon's lock files carry deposit data (amount as a decimal string) and builder registrations
//! (gas limit and timestamp as JSON numbers); both parse into this crate's containers and the
//! registration timestamp is the network's genesis time, as Charon sets it.

use mosaic_types::{DepositData, Network, SignedValidatorRegistrationV1, Version};

#[test]
fn lock_deposits_and_registrations_parse() {
    let Some(vectors) = mosaic_test_vectors::load_json("obol-dv-spec/cluster_hashing.json") else {
        return;
    };
    let locks = vectors["lock"].as_array().expect("lock cases");
    let mut deposits = 0;
    let mut registrations = 0;
    for case in locks {
        let lock = &case["input"];
        let fork_version: Version =
            serde_json::from_value(lock["cluster_definition"]["fork_version"].clone())
                .expect("fork_version");
        let network = Network::by_fork_version_at(fork_version, 0).expect("known network");
        for validator in lock["distributed_validators"]
            .as_array()
            .expect("validators")
        {
            if let Some(list) = validator["partial_deposit_data"].as_array() {
                for deposit in list {
                    let parsed: DepositData =
                        serde_json::from_value(deposit.clone()).expect("deposit data");
                    assert_eq!(parsed.pubkey.to_string(), deposit["pubkey"]);
                    assert_eq!(parsed.amount.to_string(), deposit["amount"]);
                    deposits += 1;
                }
            }
            let registration: SignedValidatorRegistrationV1 =
                serde_json::from_value(validator["builder_registration"].clone())
                    .expect("builder registration");
            assert_eq!(registration.message.timestamp, network.genesis_time);
            assert_eq!(registration.message.gas_limit, 30_000_000);
            registrations += 1;
        }
    }
    assert!(deposits >= 4, "only {deposits} deposits seen");
    assert!(
        registrations >= 4,
        "only {registrations} registrations seen"
    );
}
