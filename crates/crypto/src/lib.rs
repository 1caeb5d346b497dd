//! Mosaic crypto crate (under construction).
