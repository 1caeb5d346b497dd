//! One module per top-level command.

pub(crate) mod lock;
pub(crate) mod network;
