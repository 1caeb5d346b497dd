//! Mosaic cluster crate (under construction).
