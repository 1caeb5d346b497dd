//! The aggregated-signature database.
