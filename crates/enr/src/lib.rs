//! Ethereum Node Records (EIP-778), under construction.
