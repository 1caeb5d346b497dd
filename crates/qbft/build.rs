//! Build script: compiles `proto/*.proto` with the pure-Rust `protox` compiler
//! (no `protoc` needed) and generates prost types from the descriptor set.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    const FILES: [&str; 5] = [
        "proto/core.proto",
        "proto/consensus.proto",
        "proto/parsigex.proto",
        "proto/peerinfo.proto",
        "proto/priority.proto",
    ];
    for file in FILES {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(FILES, ["proto"])?;
    prost_build::Config::new()
        .compile_well_known_types()
        .btree_map(["."])
        .compile_fds(descriptors)?;
    Ok(())
}
