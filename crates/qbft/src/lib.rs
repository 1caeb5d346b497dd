//! Mosaic qbft crate (under construction).
