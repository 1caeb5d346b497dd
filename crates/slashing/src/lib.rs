//! Mosaic slashing crate (under construction).
