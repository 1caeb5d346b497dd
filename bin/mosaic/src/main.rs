//! The `mosaic` command-line tool: parses arguments, wires the library crates, prints results.
//! Protocol logic lives in the crates under `crates/`.

mod commands;
mod run_config;
mod timefmt;

use clap::{Parser, Subcommand};

/// Mosaic: a distributed validator for Ethereum.
#[derive(Debug, Parser)]
#[command(name = "mosaic", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create node keys (ENR) and clusters.
    #[command(subcommand)]
    Create(commands::create::CreateCommand),
    /// Recover the validator keys from a threshold of node folders.
    Combine(commands::combine::CombineArgs),
    /// Network presets and Ephemery iteration details.
    #[command(subcommand)]
    Network(commands::network::NetworkCommand),
    /// Verify and inspect cluster lock files.
    #[command(subcommand)]
    Lock(commands::lock::LockCommand),
    /// Import and export EIP-3076 slashing-protection history.
    #[command(subcommand)]
    Slashing(commands::slashing::SlashingCommand),
    /// Sign this operator's part of a distributed validator's voluntary exit and send it to the
    /// node.
    Exit(commands::exit::ExitArgs),
    /// Run this operator's distributed validator node.
    Run(Box<run_config::RunArgs>),
    /// Run a whole cluster locally against a simulated beacon chain and report every duty.
    Simnet(commands::simnet::SimnetArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Create(command) => commands::create::run(command),
        Command::Combine(args) => commands::combine::run(args),
        Command::Network(command) => commands::network::run(command),
        Command::Lock(command) => commands::lock::run(command),
        Command::Slashing(command) => commands::slashing::run(command),
        Command::Exit(args) => commands::exit::run(args),
        Command::Run(args) => commands::run::run(*args),
        Command::Simnet(args) => commands::simnet::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
