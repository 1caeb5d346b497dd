//! One module per top-level command.

pub(crate) mod combine;
pub(crate) mod create;
pub(crate) mod exit;
pub(crate) mod lock;
pub(crate) mod network;
pub(crate) mod run;
pub(crate) mod signer;
pub(crate) mod simnet;
pub(crate) mod slashing;
