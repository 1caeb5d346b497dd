//! `mosaic simnet --exit VALIDATOR@SLOT`: a voluntary exit signed by every operator with its key
//! share and sent to its own node's validator API, as each operator's validator client would
//! (`lighthouse account validator exit`, Teku `voluntary-exit`, ...). The nodes exchange the
//! partial exits, combine them and broadcast the validator's exit.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{ensure, Context};
use mosaic_cluster::Lock;
use mosaic_crypto::bls::SecretKey;
use mosaic_types::consensus::phase0::{SignedVoluntaryExit, VoluntaryExit};
use mosaic_types::consensus::SignedRoot as _;
use mosaic_types::{BlsSignature, Domain};

use super::cluster::SimCluster;
use super::options::ExitSpec;

/// How long one node's validator API gets to take a partial exit.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Every node's key shares, `shares[node][validator]` in lock order, each checked against the
/// lock's public share.
pub(crate) fn share_keys(cluster: &SimCluster) -> anyhow::Result<Vec<Vec<SecretKey>>> {
    let mut shares = Vec::with_capacity(cluster.node_dirs.len());
    for node in 0..cluster.node_dirs.len() {
        let lock = Lock::load(&cluster.lock_file(node))?;
        let files = mosaic_crypto::keystore::decrypt_dir(&cluster.keys_dir(node))
            .with_context(|| format!("node {node}'s share keystores"))?;
        let mut keys = Vec::with_capacity(lock.validators.len());
        for (validator, dv) in lock.validators.iter().enumerate() {
            let expected = dv.public_shares.get(node).with_context(|| {
                format!("the lock has no public share of node {node} for validator {validator}")
            })?;
            let file = files
                .iter()
                .find(|file| file.secret.public_key().to_bytes().as_slice() == expected.as_slice())
                .with_context(|| {
                    format!("node {node} has no keystore for validator {validator}'s share")
                })?;
            keys.push(file.secret.clone());
        }
        shares.push(keys);
    }
    Ok(shares)
}

/// Signs `exit` (at `epoch`, under `domain`) with each node's share and posts it to each node
/// whose validator API is in `validator_apis` (`None`: the node is down, its operator does not
/// sign). Returns one line per node that refused or could not be reached.
pub(crate) async fn submit(
    exit: ExitSpec,
    epoch: u64,
    domain: Domain,
    shares: &[Vec<SecretKey>],
    validator_apis: &[Option<SocketAddr>],
) -> Vec<String> {
    let message = VoluntaryExit {
        epoch,
        validator_index: exit.validator,
    };
    let root = message.signing_root(domain);
    let client = match reqwest::Client::builder().timeout(SUBMIT_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => return vec![format!("--exit {exit}: no HTTP client: {error}")],
    };
    let mut problems = Vec::new();
    // All at once: a node may hold its answer until enough partials arrived.
    let mut posts = Vec::new();
    for (node, api) in validator_apis.iter().enumerate() {
        let Some(api) = api else { continue };
        let Some(share) = shares
            .get(node)
            .and_then(|keys| keys.get(exit.validator as usize))
        else {
            problems.push(format!("--exit {exit}: node {node} holds no share of it"));
            continue;
        };
        let signed = SignedVoluntaryExit {
            message,
            signature: BlsSignature(share.sign(&root.0).to_bytes()),
        };
        let url = format!("http://{api}/eth/v1/beacon/pool/voluntary_exits");
        let client = client.clone();
        posts.push((
            node,
            tokio::spawn(async move { post(&client, &url, &signed).await }),
        ));
    }
    for (node, post) in posts {
        match post.await {
            Ok(Ok(())) => {}
            Ok(Err(problem)) => problems.push(format!("--exit {exit}: node {node}: {problem}")),
            Err(error) => problems.push(format!("--exit {exit}: node {node}: {error}")),
        }
    }
    problems
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    exit: &SignedVoluntaryExit,
) -> anyhow::Result<()> {
    let response = client.post(url).json(exit).send().await?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    ensure!(status.is_success(), "HTTP {status}: {body}");
    Ok(())
}
