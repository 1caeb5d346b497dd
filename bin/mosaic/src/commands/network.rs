//! `mosaic network`: network presets and the current Ephemery iteration, computed offline.

use anyhow::Context;
use clap::Subcommand;
use mosaic_types::ephemery::Iteration;
use mosaic_types::{Network, KNOWN_NETWORKS};

use crate::timefmt::iso8601_utc;

/// `mosaic network …`
#[derive(Debug, Subcommand)]
pub(crate) enum NetworkCommand {
    /// Prints the Ephemery iteration running now (or at `--at`): chain id, genesis times and the
    /// next reset. Computed offline from the reset formula.
    Ephemery {
        /// A unix time (seconds) to evaluate instead of now.
        #[arg(long)]
        at: Option<u64>,
    },
    /// Prints a network preset's parameters.
    Show {
        /// One of mainnet, hoodi, sepolia, ephemery, dev.
        name: String,
    },
}

/// Runs a `mosaic network` subcommand.
pub(crate) fn run(command: NetworkCommand) -> anyhow::Result<()> {
    match command {
        NetworkCommand::Ephemery { at } => {
            let iteration = match at {
                Some(time) => Iteration::at(time),
                None => Iteration::current(),
            }
            .context("computing the Ephemery iteration")?;
            print!("{}", ephemery_summary(&iteration));
            Ok(())
        }
        NetworkCommand::Show { name } => {
            let network = Network::by_name(&name).with_context(|| {
                format!("unknown network (known: {})", KNOWN_NETWORKS.join(", "))
            })?;
            print!("{}", network_summary(&network));
            Ok(())
        }
    }
}

fn ephemery_summary(iteration: &Iteration) -> String {
    let network = iteration.network();
    format!(
        "Ephemery iteration {}\n\
         chain id:               {}\n\
         execution genesis time: {} ({})\n\
         beacon genesis time:    {} ({})\n\
         next reset:             {} ({})\n\
         genesis fork version:   {}\n",
        iteration.iteration,
        iteration.chain_id,
        iteration.execution_genesis_time,
        iso8601_utc(iteration.execution_genesis_time),
        iteration.beacon_genesis_time,
        iso8601_utc(iteration.beacon_genesis_time),
        iteration.next_reset_time,
        iso8601_utc(iteration.next_reset_time),
        network.genesis_fork_version,
    )
}

fn network_summary(network: &Network) -> String {
    let mut out = format!(
        "network:                 {}\n\
         chain id:                {}\n\
         genesis time:            {} ({})\n\
         genesis fork version:    {}\n\
         seconds per slot:        {}\n\
         slots per epoch:         {}\n",
        network.name,
        network.chain_id,
        network.genesis_time,
        iso8601_utc(network.genesis_time),
        network.genesis_fork_version,
        network.seconds_per_slot,
        network.slots_per_epoch,
    );
    if let Some(root) = &network.genesis_validators_root {
        out.push_str(&format!("genesis validators root: {root}\n"));
    }
    for (name, fork) in network.forks.forks() {
        out.push_str(&format!(
            "fork {:<10} version {} at epoch {}\n",
            name.as_str(),
            fork.version,
            fork.epoch
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ephemery_summary_names_iteration_chain_and_reset() {
        let iteration = Iteration::at(1_720_119_600).expect("supported time");
        let text = ephemery_summary(&iteration);
        assert!(text.starts_with(&format!("Ephemery iteration {}\n", iteration.iteration)));
        assert!(text.contains(&format!(
            "chain id:               {}",
            39_438_000 + iteration.iteration
        )));
        assert!(text.contains("(2024-07-04T19:00:00Z)"));
        assert!(text.contains("beacon genesis time:    1720120200 (2024-07-04T19:10:00Z)"));
        assert!(text.contains(&format!(
            "next reset:             {}",
            1_720_119_600 + 2_419_200
        )));
    }
}
