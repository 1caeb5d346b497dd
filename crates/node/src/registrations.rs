//! The lock's pre-signed builder registrations (signed by the whole cluster at creation), in
//! the beacon API's form.

use mosaic_cluster::Lock;
use mosaic_types::{
    BlsPubkey, BlsSignature, ExecutionAddress, SignedValidatorRegistrationV1,
    ValidatorRegistrationV1,
};

/// Every non-empty, well-formed builder registration of `lock`; malformed ones are logged and
/// skipped (lock verification already checked their signatures).
pub fn from_lock(lock: &Lock) -> Vec<SignedValidatorRegistrationV1> {
    lock.validators
        .iter()
        .enumerate()
        .filter(|(_, validator)| !validator.builder_registration.is_empty())
        .filter_map(|(index, validator)| {
            let registration = &validator.builder_registration;
            let converted = (|| {
                Some(SignedValidatorRegistrationV1 {
                    message: ValidatorRegistrationV1 {
                        fee_recipient: ExecutionAddress::from_slice(
                            &registration.message.fee_recipient,
                        )
                        .ok()?,
                        gas_limit: registration.message.gas_limit,
                        timestamp: registration.message.timestamp,
                        pubkey: BlsPubkey::from_slice(&registration.message.pubkey).ok()?,
                    },
                    signature: BlsSignature::from_slice(&registration.signature).ok()?,
                })
            })();
            if converted.is_none() {
                tracing::warn!(
                    validator = index,
                    "malformed builder registration in the lock"
                );
            }
            converted
        })
        .collect()
}
