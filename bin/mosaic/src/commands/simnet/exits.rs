//! `mosaic simnet --exit VALIDATOR@SLOT`: every operator whose node is up runs `mosaic exit`
//! against its own node, as it would on its own machine: the command signs the voluntary exit
//! with the operator's key share and sends it to the node's validator API. The nodes exchange
//! the partial exits, combine them and broadcast the validator's exit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::options::ExitSpec;

/// What running `mosaic exit` for one operator needs.
#[derive(Debug, Clone)]
pub(crate) struct Operator {
    /// The node's index.
    pub(crate) node: usize,
    /// The node's folder (lock and share keystores).
    pub(crate) data_dir: PathBuf,
    /// The node's validator API.
    pub(crate) validator_api: SocketAddr,
}

/// Runs `exe exit` for each of `operators` at once, for validator `pubkey_hex` (0x-hex) at
/// `epoch`. Returns one line per operator whose command failed.
pub(crate) async fn submit(
    exe: PathBuf,
    exit: ExitSpec,
    pubkey_hex: String,
    epoch: u64,
    operators: Vec<Operator>,
) -> Vec<String> {
    let result = tokio::task::spawn_blocking(move || {
        let mut children = Vec::new();
        let mut problems = Vec::new();
        for operator in operators {
            let spawned = Command::new(&exe)
                .arg("exit")
                .args(["--validator-public-key", &pubkey_hex])
                .args(["--epoch", &epoch.to_string()])
                .arg("--validator-api-url")
                .arg(format!("http://{}", operator.validator_api))
                .arg("--data-dir")
                .arg(&operator.data_dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn();
            match spawned {
                Ok(child) => children.push((operator.node, child)),
                Err(error) => problems.push(format!(
                    "--exit {exit}: node {}: cannot run mosaic exit: {error}",
                    operator.node
                )),
            }
        }
        for (node, child) in children {
            match child.wait_with_output() {
                Ok(output) if output.status.success() => {}
                Ok(output) => problems.push(format!(
                    "--exit {exit}: node {node}: mosaic exit {}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                )),
                Err(error) => problems.push(format!("--exit {exit}: node {node}: {error}")),
            }
        }
        problems
    })
    .await;
    result.unwrap_or_else(|error| vec![format!("--exit {exit}: {error}")])
}
