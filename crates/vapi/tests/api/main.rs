//! End-to-end tests of the validator API: a running server between a fake node backend and a
//! fake beacon node, driven over HTTP as a validator client would.

#![allow(clippy::unwrap_used)]

mod attestations;
mod harness;
mod proposals;
mod proxy;
mod rejections;
mod rewrite;
mod selections;
mod submissions;
mod sync;
