//! The `mosaic` command-line tool.
fn main() {}
