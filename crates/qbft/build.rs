//! Build script: compiles the protobuf definitions (filled in by the QBFT work).
fn main() {}
