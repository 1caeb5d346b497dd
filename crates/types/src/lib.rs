//! Mosaic types crate (under construction).
