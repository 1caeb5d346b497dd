//! Deposit roots and signatures checked against real `deposit_data-*.json` entries written by
//! staking-deposit-cli (mainnet, holesky, goerli and a private network), as published in public
//! repositories and documentation. The BLS signature of each entry is verified over the signing
//! root this crate computes, which pins `compute_domain` and `compute_signing_root` end to end.

use mosaic_types::{DepositData, Version};

/// One entry of a staking-deposit-cli deposit file (bare hex, numeric amount).
#[derive(serde::Deserialize)]
struct DepositFileEntry {
    #[serde(flatten)]
    deposit: DepositData,
    deposit_message_root: String,
    deposit_data_root: String,
    fork_version: Version,
}

const DEPOSIT_FILE_ENTRIES: &str = r#"[
  {"pubkey": "8bfc0efc0209514a62cda2de8346a3a0849352eb830e0ff5b525642d93b9095d879a2789b284da14e348f85711b6b6d0", "withdrawal_credentials": "010000000000000000000000ac0f906e433d58fa868f936e8a43230473652885", "amount": 32000000000, "signature": "b55612acebde460bb273d100bc1574a21aea12f168ad7921cca855b6bf587646b0da329d4b17944773a876a90d87939a001a3857ca224b300ebe57703dce6be37d074e892fd65aa64e92284092efa14c38c1ed17f9fb4e3cd7a585ea66d46b03", "deposit_message_root": "f39eaed6c4c7e3e4563a3b5f3f1ca195c761f10517a5b303031d453dd3be28be", "deposit_data_root": "2d85d54c2b3d1a593f0f974d41fded6d68910e59adfc2d4e90ec74bb2e91e3c4", "fork_version": "00000000", "network_name": "mainnet", "deposit_cli_version": "2.4.0"},
  {"pubkey": "b06a9e28251e0402af1a7249e6be0f27f1eb986ad8fa00e44619efe0a3b963f9302fe109bc198bdb7f279ced3fcdb652", "withdrawal_credentials": "008cab8f5ba17523d30c8e5d48b0dae637d869e7bb9f5e278f4a710b9634ca3e", "amount": 32000000000, "signature": "abaf385e5814d2c852f038352696943d1f61931195724d934ebfedf561b8709cbb05cf2c465b74029f02a8680c5f5b8d091759bb241fff35c0479a9613f58ae8b86d77a738e9373f5f808d8f8d70f6588ca71c3c1182695ee3402e9a3686278c", "deposit_message_root": "afa202331b64e084dfd6f136cd3d63bc43e1c7e37b3135f02e260facb003bf17", "deposit_data_root": "2f05ccfe2458b98999262cca199a82162d4e8238490587cc016e0cdeb2987045", "fork_version": "00000000", "network_name": "mainnet", "deposit_cli_version": "2.2.0"},
  {"pubkey": "846e4d7e4d58407a9d9a8a1900e8fb72729fdf75f8fda3edb787921b50de45746765394c06f568e233978c52c04e77a8", "withdrawal_credentials": "0033e43b8d20ab691308d708fb88f2af58a5df82f26ecdf9e54ff5d5acc3cd95", "amount": 32000000000, "signature": "a43b64d6c0ee176445a4bde7af42b0de982edce4a7d1e7b40708fb12206e4069a352a58c760cf13e53dc6e849fefae9b05528d5e1b1e4182e108474189bdc20f59fddedb4624315e67ba74cd74deed5023de7f97c2ef80cb4cc5cc995a074bc4", "deposit_message_root": "b1bc5324ee3d1653e95d4320877107274e0fc426371758acab49f26bca1c6b27", "deposit_data_root": "fb3dc81853fad137f534ca816a97a130e9b162cbaba4571e8f00fc1d96998f64", "fork_version": "00000000", "network_name": "mainnet", "deposit_cli_version": "2.2.0"},
  {"pubkey": "b0210e4333812d669b178443b77e1674329e2eeeae17e6b9d7ef6cb8723c8b269de7e152b42445d5ea8d5f582ca45cd7", "withdrawal_credentials": "010000000000000000000000f0179dec45a37423ead4fad5fcb136197872ead9", "amount": 32000000000, "signature": "96b504aec4ced4d680a01a2cde40632809744f967657f4aa31d4bc77701dbeb68e86441999b3559c505e5644eed9c350091af39e3e319befe4a76e796856095912938046ce567ed39a56df13b8f31e9e83b93ca774a9f983b9c0eb673c7f7a4a", "deposit_message_root": "d09880f5dab2c46c7d4e6d7148c54eebd4b33db44b2cd194dff3a8aaff6ad9eb", "deposit_data_root": "aa9bb085dc0410d2013cff51e98ae2a41a81512a0676fbe0397c3cd997f1fb87", "fork_version": "01017000", "network_name": "holesky", "deposit_cli_version": "2.7.0"},
  {"pubkey": "9080aebef302c8f30c90d6b9e6dfe8249179c5f61e7b99df323f535927ef5ee3e83a4fa87bbe87dcf5c77baaac3a23ca", "withdrawal_credentials": "010000000000000000000000000a0660fc6c21b6c8638c56f7a8bbe22dcc9000", "amount": 32000000000, "signature": "b55ccc58ae59450bee99ba39b43ab820509f30944b91d6fb225eb6329537ad2f39a0b5708e692d13b26270e7980ad7f105de2c7630f757154840423858366cc51c2b5da57e7b6142816deecd2f3e35dcfb50a79c73558294c428af97c0178f90", "deposit_message_root": "736a0665a1448aa18a711d8f493a92411c4265cb7da6d2f7a6653e6bb551beae", "deposit_data_root": "046d9ad74df0cb689cf830ea6a4350920440a5f113a1c5c18ca3c0e351766a05", "fork_version": "00001020", "eth2_network_name": "goerli", "deposit_cli_version": "2.3.0"},
  {"pubkey": "b428e5e4991b7cc27b0bb70735bdeb736bd95f01e05a2c4326b2eef9e452f478f7b24bb16c65f8d5720df911243e0523", "withdrawal_credentials": "01000000000000000000000004b8a24201bea7aee98406ca25b2a03bab8f435c", "amount": 32000000000, "signature": "b81b1fe9a374818f04692fd01e35d939bba5a9a9033af88ff9883489db8bdc1ca71456a988db0cb60a6768d5f48c93c00d0e39a81410d51e0c2fee8c9e04cecabe87b645ff802e7c1f872b8b1a9f2fe891ddb2f8946b8cfa5cf661e877e94856", "deposit_message_root": "893f2f01def1c933f4efcbc816994f0dfa0b64be0c416a18fe5c26d9cb45181b", "deposit_data_root": "0324c00aa66dbb00587d5c65fa886baf360b7d86955ab3c3d178c6c2ebe7ffb8", "fork_version": "00000051", "network_name": "joc", "deposit_cli_version": "1.2.2"}
]"#;

fn entries() -> Vec<DepositFileEntry> {
    serde_json::from_str(DEPOSIT_FILE_ENTRIES).expect("deposit file entries parse")
}

const BLS_DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

fn bls_verifies(deposit: &DepositData, message: &[u8]) -> bool {
    let pubkey = blst::min_pk::PublicKey::from_bytes(deposit.pubkey.as_bytes()).expect("pubkey");
    let signature =
        blst::min_pk::Signature::from_bytes(deposit.signature.as_bytes()).expect("signature");
    signature.verify(true, message, BLS_DST, &[], &pubkey, true) == blst::BLST_ERROR::BLST_SUCCESS
}

#[test]
fn deposit_message_and_data_roots_match_deposit_files() {
    for entry in entries() {
        let deposit = entry.deposit;
        assert_eq!(
            hex::encode(deposit.message().root().as_bytes()),
            entry.deposit_message_root,
            "deposit_message_root of {}",
            deposit.pubkey
        );
        assert_eq!(
            hex::encode(deposit.root().as_bytes()),
            entry.deposit_data_root,
            "deposit_data_root of {}",
            deposit.pubkey
        );
    }
}

#[test]
fn deposit_signatures_verify_over_computed_signing_roots() {
    for entry in entries() {
        let deposit = entry.deposit;
        let signing_root = deposit.message().signing_root(entry.fork_version);
        assert!(
            bls_verifies(&deposit, signing_root.as_bytes()),
            "signature of {} over {signing_root}",
            deposit.pubkey
        );
    }
}

#[test]
fn a_different_fork_version_or_amount_breaks_the_signature() {
    let entry = entries().remove(0);
    let deposit = entry.deposit;
    let wrong_fork = deposit
        .message()
        .signing_root(Version([0x00, 0x00, 0x10, 0x20]));
    assert!(!bls_verifies(&deposit, wrong_fork.as_bytes()));
    let mut message = deposit.message();
    message.amount -= 1;
    assert!(!bls_verifies(
        &deposit,
        message.signing_root(entry.fork_version).as_bytes()
    ));
    // One step inside: the untouched message still verifies.
    let right = deposit.message().signing_root(entry.fork_version);
    assert!(bls_verifies(&deposit, right.as_bytes()));
}
