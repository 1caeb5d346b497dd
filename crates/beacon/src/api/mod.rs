//! The endpoint methods of [`crate::BeaconClient`], by area.

mod beacon;
mod blocks;
mod duties;
mod node;
mod pool;
mod validator;
