//! `mosaic run` configuration: command-line flags, `MOSAIC_*` environment variables and an
//! optional TOML file, resolved with the precedence flag > environment > file > default into a
//! validated [`RunConfig`]; and the node's logging set-up ([`init_logging`]).
//!
//! Every flag `--foo-bar` has the environment variable `MOSAIC_FOO_BAR` and the TOML key
//! `foo_bar` (the file is named by `--config`/`MOSAIC_CONFIG` and cannot name another file).
//! Errors name the setting's flag, where the rejected value came from (flag, environment
//! variable, or file and key) and why it was rejected. Relative paths, wherever they are given,
//! are relative to the working directory.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use clap::builder::TypedValueParser;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};
use url::Url;

const DEFAULT_DATA_DIR: &str = ".mosaic";
const DEFAULT_VALIDATOR_API_ADDRESS: &str = "127.0.0.1:3600";
const DEFAULT_P2P_TCP_ADDRESS: &str = "0.0.0.0:3610";
const DEFAULT_MONITORING_ADDRESS: &str = "127.0.0.1:3620";

/// What kind of value a setting takes, which decides the TOML types it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A TOML string.
    Text,
    /// A TOML array of strings, or one string holding a comma-separated list.
    List,
    /// A TOML boolean.
    Bool,
}

/// Every setting a config file may hold: (arg id = TOML key, kind). `config` is not one of them.
const FILE_KEYS: &[(&str, Kind)] = &[
    ("data_dir", Kind::Text),
    ("lock_file", Kind::Text),
    ("private_key_file", Kind::Text),
    ("beacon_node_endpoints", Kind::List),
    ("validator_api_address", Kind::Text),
    ("p2p_tcp_address", Kind::List),
    ("p2p_peers", Kind::List),
    ("monitoring_address", Kind::Text),
    ("log_level", Kind::Text),
    ("log_format", Kind::Text),
    ("builtin_vc", Kind::Bool),
    ("validator_keys_dir", Kind::Text),
    ("byzantine", Kind::Bool),
    ("fee_recipient", Kind::Text),
    ("builder_api", Kind::Bool),
    ("signer", Kind::Bool),
    ("builtin_aggregator", Kind::Bool),
    ("scale_consensus_timers", Kind::Bool),
];

/// The flag of a setting: arg id `lock_file` is `--lock-file`.
fn flag_name(id: &str) -> String {
    format!("--{}", id.replace('_', "-"))
}

/// The environment variable of a setting: arg id `lock_file` is `MOSAIC_LOCK_FILE`.
fn env_name(id: &str) -> String {
    format!("MOSAIC_{}", id.to_ascii_uppercase())
}

/// Paths exactly as given; clap's own path parser would reject an empty one without saying
/// whether it came from the flag or the environment.
fn raw_path() -> impl TypedValueParser<Value = PathBuf> {
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

// The flags of `mosaic run` as clap parses them. Every value is kept raw (strings, paths taken
// as given, even empty) so that validation happens in one place, after the file is merged, with
// errors that name the source.
/// Run one operator's distributed validator node.
#[derive(Debug, Clone, Default, Args)]
struct RunFlags {
    /// TOML file with settings; keys are flag names with '-' replaced by '_'
    /// (lock_file = "..."). Flags and environment variables override it.
    #[arg(long, env = "MOSAIC_CONFIG", value_name = "FILE", value_parser = raw_path())]
    config: Option<PathBuf>,
    /// Folder for everything the node writes [default: .mosaic]
    #[arg(long, env = "MOSAIC_DATA_DIR", value_name = "DIR", value_parser = raw_path())]
    data_dir: Option<PathBuf>,
    /// Cluster lock file [default: <data-dir>/cluster-lock.json]
    #[arg(long, env = "MOSAIC_LOCK_FILE", value_name = "FILE", value_parser = raw_path())]
    lock_file: Option<PathBuf>,
    /// The node's secp256k1 (ENR) private key file
    /// [default: <data-dir>/charon-enr-private-key]
    #[arg(long, env = "MOSAIC_PRIVATE_KEY_FILE", value_name = "FILE", value_parser = raw_path())]
    private_key_file: Option<PathBuf>,
    /// Beacon node HTTP(S) endpoints, comma-separated or repeated; at least one is required
    #[arg(
        long,
        env = "MOSAIC_BEACON_NODE_ENDPOINTS",
        value_name = "URL",
        value_delimiter = ','
    )]
    beacon_node_endpoints: Vec<String>,
    /// Listen address (IP:port) of the validator API [default: 127.0.0.1:3600]
    #[arg(long, env = "MOSAIC_VALIDATOR_API_ADDRESS", value_name = "ADDR")]
    validator_api_address: Option<String>,
    /// P2P TCP listen addresses (IP:port), comma-separated or repeated [default: 0.0.0.0:3610]
    #[arg(
        long,
        env = "MOSAIC_P2P_TCP_ADDRESS",
        value_name = "ADDR",
        value_delimiter = ','
    )]
    p2p_tcp_address: Vec<String>,
    /// Extra peer addresses, /ip4|ip6|dns/<host>/tcp/<port>/p2p/<peer-id>, comma-separated or
    /// repeated (in addition to the addresses in the cluster lock's ENRs)
    #[arg(
        long,
        env = "MOSAIC_P2P_PEERS",
        value_name = "MULTIADDR",
        value_delimiter = ','
    )]
    p2p_peers: Vec<String>,
    /// Listen address (IP:port) of /metrics, /livez and /readyz [default: 127.0.0.1:3620]
    #[arg(long, env = "MOSAIC_MONITORING_ADDRESS", value_name = "ADDR")]
    monitoring_address: Option<String>,
    /// Log level: error, warn, info, debug or trace [default: info]
    #[arg(long, env = "MOSAIC_LOG_LEVEL", value_name = "LEVEL")]
    log_level: Option<String>,
    /// Log format: text or json [default: text]
    #[arg(long, env = "MOSAIC_LOG_FORMAT", value_name = "FORMAT")]
    log_format: Option<String>,
    /// Run the built-in validator client against this node's own validator API
    #[arg(
        long,
        env = "MOSAIC_BUILTIN_VC",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    builtin_vc: Option<String>,
    /// Share keystores for the built-in validator client [default: <data-dir>/validator_keys]
    #[arg(long, env = "MOSAIC_VALIDATOR_KEYS_DIR", value_name = "DIR", value_parser = raw_path())]
    validator_keys_dir: Option<PathBuf>,
    /// Test only: behave Byzantine (equivocate as leader, send bad partial signatures)
    #[arg(
        long,
        env = "MOSAIC_BYZANTINE",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        hide = true
    )]
    byzantine: Option<String>,
    /// Fee recipient address 0x + 40 hex digits [default: the cluster lock's]
    #[arg(long, env = "MOSAIC_FEE_RECIPIENT", value_name = "ADDRESS")]
    fee_recipient: Option<String>,
    /// Produce blinded blocks through the builder API
    #[arg(
        long,
        env = "MOSAIC_BUILDER_API",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    builder_api: Option<String>,
    /// Signer mode: run the built-in validator client with the share keystores and EIP-3076
    /// slashing protection in <data-dir>/slashing-protection.sqlite (implies --builtin-vc)
    #[arg(
        long,
        env = "MOSAIC_SIGNER",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    signer: Option<String>,
    /// Perform attestation aggregation and sync committee contributions with the share
    /// keystores, beside an external validator client that cannot aggregate for a distributed
    /// validator (one without a distributed mode, e.g. Lodestar before 1.6); that client still
    /// attests, proposes and signs sync committee messages
    #[arg(
        long,
        env = "MOSAIC_BUILTIN_AGGREGATOR",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    builtin_aggregator: Option<String>,
    /// Scale consensus round timeouts to the slot duration (a quarter of the spec's at 3 s
    /// slots and below, the spec's at 12 s) instead of the spec's, made for 12 s slots. For
    /// short-slot devnets where every node of the cluster runs Mosaic with this setting
    #[arg(
        long,
        env = "MOSAIC_SCALE_CONSENSUS_TIMERS",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    scale_consensus_timers: Option<String>,
}

/// Arguments of `mosaic run`: the flags plus, for error messages, which of them clap took from
/// the environment. Use it like a derived `Args` type (`Run(RunArgs)` in a subcommand enum).
#[derive(Debug, Clone, Default)]
pub(crate) struct RunArgs {
    flags: RunFlags,
    /// Arg ids whose value came from an environment variable rather than the command line.
    from_env: HashSet<String>,
}

impl RunArgs {
    fn record_sources(&mut self, matches: &ArgMatches) {
        self.from_env = matches
            .ids()
            .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::EnvVariable))
            .map(|id| id.as_str().to_owned())
            .collect();
    }

    /// Merge the flags and environment with the config file and defaults, and validate.
    pub(crate) fn resolve(&self) -> Result<RunConfig, RunConfigError> {
        let file = match &self.flags.config {
            Some(path) => FileValues::load(path)?,
            None => FileValues::default(),
        };
        Resolver { args: self, file }.resolve()
    }
}

impl FromArgMatches for RunArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = Self {
            flags: RunFlags::from_arg_matches(matches)?,
            from_env: HashSet::new(),
        };
        args.record_sources(matches);
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.flags.update_from_arg_matches(matches)?;
        self.record_sources(matches);
        Ok(())
    }
}

impl Args for RunArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        RunFlags::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        RunFlags::augment_args_for_update(cmd)
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The command line, as this flag.
    Flag(String),
    /// This environment variable.
    Env(String),
    /// This key of this config file.
    File {
        /// The config file.
        path: PathBuf,
        /// The key in it.
        key: String,
    },
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "flag {flag}"),
            Self::Env(name) => write!(f, "environment variable {name}"),
            Self::File { path, key } => write!(f, "config file {} key `{key}`", path.display()),
            Self::Default => f.write_str("default"),
        }
    }
}

/// Why `mosaic run`'s configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    ReadFile {
        /// The config file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The config file is not valid TOML.
    #[error("config file {} is not valid TOML: {reason}", path.display())]
    ParseFile {
        /// The config file.
        path: PathBuf,
        /// The parser's message, with line and column.
        reason: String,
    },
    /// The config file has a key that is not a `mosaic run` setting.
    #[error("config file {}: unknown key `{key}`", path.display())]
    UnknownKey {
        /// The config file.
        path: PathBuf,
        /// The unknown key.
        key: String,
    },
    /// The config file has a value of the wrong TOML type.
    #[error("config file {} key `{key}`: expected {expected}", path.display())]
    WrongType {
        /// The config file.
        path: PathBuf,
        /// The key.
        key: String,
        /// What the key takes.
        expected: &'static str,
    },
    /// A required setting has no value from any source.
    #[error("{flag} is required: give the flag, the environment variable {env} or the key `{key}` in the config file")]
    Missing {
        /// The setting's flag.
        flag: String,
        /// The setting's environment variable.
        env: String,
        /// The setting's config-file key.
        key: String,
    },
    /// A value was rejected.
    #[error("{flag} (from {origin}): {reason}")]
    Invalid {
        /// The setting's flag.
        flag: String,
        /// Where the rejected value came from.
        origin: Source,
        /// Why it was rejected.
        reason: String,
    },
    /// A global logger was installed already.
    #[error("cannot initialise logging: a global logger is already installed")]
    LoggingAlreadyInitialised,
}

/// Log verbosity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Informational messages and above.
    Info,
    /// Debug messages and above.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(Self::Error),
            "warn" => Some(Self::Warn),
            "info" => Some(Self::Info),
            "debug" => Some(Self::Debug),
            "trace" => Some(Self::Trace),
            _ => None,
        }
    }

    fn tracing_level(self) -> tracing::Level {
        match self {
            Self::Error => tracing::Level::ERROR,
            Self::Warn => tracing::Level::WARN,
            Self::Info => tracing::Level::INFO,
            Self::Debug => tracing::Level::DEBUG,
            Self::Trace => tracing::Level::TRACE,
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "text" => Some(Self::Text),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// The validated configuration of `mosaic run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunConfig {
    /// Folder for everything the node writes.
    pub(crate) data_dir: PathBuf,
    /// Cluster lock file.
    pub(crate) lock_file: PathBuf,
    /// The node's ENR private key file.
    pub(crate) private_key_file: PathBuf,
    /// Beacon node endpoints, http or https, at least one, no duplicates, in the given order.
    pub(crate) beacon_node_endpoints: Vec<Url>,
    /// Listen address of the validator API.
    pub(crate) validator_api_address: SocketAddr,
    /// P2P TCP listen addresses, at least one, no duplicates.
    pub(crate) p2p_tcp_addresses: Vec<SocketAddr>,
    /// Extra peer multiaddrs, each `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/p2p/<peer-id>`.
    pub(crate) p2p_peers: Vec<String>,
    /// Listen address of the monitoring server.
    pub(crate) monitoring_address: SocketAddr,
    /// Log verbosity.
    pub(crate) log_level: LogLevel,
    /// Log line format.
    pub(crate) log_format: LogFormat,
    /// Whether to run the built-in validator client.
    pub(crate) builtin_vc: bool,
    /// Share keystores for the built-in validator client.
    pub(crate) validator_keys_dir: PathBuf,
    /// Test only: behave Byzantine.
    pub(crate) byzantine: bool,
    /// Fee recipient override; `None` means the cluster lock's.
    pub(crate) fee_recipient: Option<[u8; 20]>,
    /// Whether to produce blinded blocks through the builder API.
    pub(crate) builder_api: bool,
    /// Signer mode: the built-in validator client signs behind slashing protection (then
    /// `builtin_vc` is true as well).
    pub(crate) signer: bool,
    /// Aggregation duties only, with the share keystores, beside an external validator client
    /// (never with `builtin_vc`, whose client aggregates already).
    pub(crate) builtin_aggregator: bool,
    /// Consensus round timeouts scaled to the slot duration instead of the spec's.
    pub(crate) scale_consensus_timers: bool,
}

/// A value of the config file, already checked against its key's kind.
#[derive(Debug, Clone)]
enum FileValue {
    Text(String),
    List(Vec<String>),
    Bool(bool),
}

/// The settings read from a config file (none when no file is given).
#[derive(Debug, Default)]
struct FileValues {
    path: PathBuf,
    values: BTreeMap<String, FileValue>,
}

impl FileValues {
    fn load(path: &Path) -> Result<Self, RunConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RunConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Self, RunConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|error: toml::de::Error| RunConfigError::ParseFile {
                    path: path.to_owned(),
                    reason: error.to_string().trim_end().to_owned(),
                })?;
        let mut values = BTreeMap::new();
        for (key, value) in table {
            let Some(&(_, kind)) = FILE_KEYS.iter().find(|(known, _)| *known == key) else {
                return Err(RunConfigError::UnknownKey {
                    path: path.to_owned(),
                    key,
                });
            };
            let wrong_type = |expected| RunConfigError::WrongType {
                path: path.to_owned(),
                key: key.clone(),
                expected,
            };
            let value = match (kind, value) {
                (Kind::Text, toml::Value::String(text)) => FileValue::Text(text),
                (Kind::Text, _) => return Err(wrong_type("a string")),
                (Kind::Bool, toml::Value::Boolean(flag)) => FileValue::Bool(flag),
                (Kind::Bool, _) => return Err(wrong_type("true or false")),
                (Kind::List, toml::Value::String(text)) => FileValue::List(split_list(&text)),
                (Kind::List, toml::Value::Array(items)) => FileValue::List(
                    items
                        .into_iter()
                        .map(|item| match item {
                            toml::Value::String(text) => Ok(text),
                            _ => Err(wrong_type(
                                "an array of strings or a comma-separated string",
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                (Kind::List, _) => {
                    return Err(wrong_type(
                        "an array of strings or a comma-separated string",
                    ))
                }
            };
            values.insert(key, value);
        }
        Ok(Self {
            path: path.to_owned(),
            values,
        })
    }

    fn source(&self, id: &str) -> Source {
        Source::File {
            path: self.path.clone(),
            key: id.to_owned(),
        }
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::to_owned).collect()
}

/// A raw value and where it came from.
#[derive(Debug, Clone)]
struct Sourced<T> {
    value: T,
    origin: Source,
}

/// Merges the sources of every setting and validates the results.
struct Resolver<'a> {
    args: &'a RunArgs,
    file: FileValues,
}

impl Resolver<'_> {
    fn cli_source(&self, id: &str) -> Source {
        if self.args.from_env.contains(id) {
            Source::Env(env_name(id))
        } else {
            Source::Flag(flag_name(id))
        }
    }

    fn text(&self, id: &str, cli: Option<&String>) -> Option<Sourced<String>> {
        if let Some(value) = cli {
            return Some(Sourced {
                value: value.clone(),
                origin: self.cli_source(id),
            });
        }
        match self.file.values.get(id) {
            Some(FileValue::Text(value)) => Some(Sourced {
                value: value.clone(),
                origin: self.file.source(id),
            }),
            _ => None,
        }
    }

    fn list(&self, id: &str, cli: &[String]) -> Option<Sourced<Vec<String>>> {
        if !cli.is_empty() {
            return Some(Sourced {
                value: cli.to_vec(),
                origin: self.cli_source(id),
            });
        }
        match self.file.values.get(id) {
            Some(FileValue::List(value)) => Some(Sourced {
                value: value.clone(),
                origin: self.file.source(id),
            }),
            _ => None,
        }
    }

    fn boolean(&self, id: &str, cli: Option<&String>) -> Result<bool, RunConfigError> {
        if let Some(text) = cli {
            return match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(invalid(
                    id,
                    self.cli_source(id),
                    format!("`{text}` is not a boolean (true, false, 1, 0, yes, no, on, off)"),
                )),
            };
        }
        Ok(matches!(
            self.file.values.get(id),
            Some(FileValue::Bool(true))
        ))
    }

    fn path(&self, id: &str, cli: Option<&PathBuf>) -> Result<Option<PathBuf>, RunConfigError> {
        let sourced = match cli {
            Some(path) => Sourced {
                value: path.clone(),
                origin: self.cli_source(id),
            },
            None => match self.file.values.get(id) {
                Some(FileValue::Text(text)) => Sourced {
                    value: PathBuf::from(text),
                    origin: self.file.source(id),
                },
                _ => return Ok(None),
            },
        };
        if sourced.value.as_os_str().is_empty() {
            return Err(invalid(id, sourced.origin, "the path is empty".to_owned()));
        }
        Ok(Some(sourced.value))
    }

    fn socket_addr(&self, id: &str, cli: Option<&String>, default: &str) -> Sourced<String> {
        self.text(id, cli).unwrap_or_else(|| Sourced {
            value: default.to_owned(),
            origin: Source::Default,
        })
    }

    fn resolve(&self) -> Result<RunConfig, RunConfigError> {
        let flags = &self.args.flags;
        let data_dir = self
            .path("data_dir", flags.data_dir.as_ref())?
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let lock_file = self
            .path("lock_file", flags.lock_file.as_ref())?
            .unwrap_or_else(|| data_dir.join("cluster-lock.json"));
        let private_key_file = self
            .path("private_key_file", flags.private_key_file.as_ref())?
            .unwrap_or_else(|| data_dir.join("charon-enr-private-key"));
        let validator_keys_dir = self
            .path("validator_keys_dir", flags.validator_keys_dir.as_ref())?
            .unwrap_or_else(|| data_dir.join("validator_keys"));

        let endpoints_id = "beacon_node_endpoints";
        let endpoints = self
            .list(endpoints_id, &flags.beacon_node_endpoints)
            .ok_or_else(|| RunConfigError::Missing {
                flag: flag_name(endpoints_id),
                env: env_name(endpoints_id),
                key: endpoints_id.to_owned(),
            })?;
        let beacon_node_endpoints = parse_each(endpoints_id, endpoints, parse_beacon_url)?;

        let validator_api = self.socket_addr(
            "validator_api_address",
            flags.validator_api_address.as_ref(),
            DEFAULT_VALIDATOR_API_ADDRESS,
        );
        let validator_api_address = parse_one("validator_api_address", &validator_api)?;
        let monitoring = self.socket_addr(
            "monitoring_address",
            flags.monitoring_address.as_ref(),
            DEFAULT_MONITORING_ADDRESS,
        );
        let monitoring_address = parse_one("monitoring_address", &monitoring)?;
        if monitoring_address == validator_api_address {
            return Err(invalid(
                "monitoring_address",
                monitoring.origin,
                format!("{monitoring_address} is also the validator API address"),
            ));
        }

        let p2p_id = "p2p_tcp_address";
        let p2p = self
            .list(p2p_id, &flags.p2p_tcp_address)
            .unwrap_or_else(|| Sourced {
                value: vec![DEFAULT_P2P_TCP_ADDRESS.to_owned()],
                origin: Source::Default,
            });
        let p2p_origin = p2p.origin.clone();
        let p2p_tcp_addresses = parse_each(p2p_id, p2p, parse_socket_addr)?;
        for address in &p2p_tcp_addresses {
            if *address == validator_api_address || *address == monitoring_address {
                return Err(invalid(
                    p2p_id,
                    p2p_origin,
                    format!("{address} is also the validator API or monitoring address"),
                ));
            }
        }

        let p2p_peers = match self.list("p2p_peers", &flags.p2p_peers) {
            Some(peers) => parse_each("p2p_peers", peers, |text| {
                validate_peer_multiaddr(text).map(|()| text.to_owned())
            })?,
            None => Vec::new(),
        };

        let log_level = match self.text("log_level", flags.log_level.as_ref()) {
            Some(level) => LogLevel::parse(&level.value).ok_or_else(|| {
                invalid(
                    "log_level",
                    level.origin.clone(),
                    format!(
                        "`{}` is not one of error, warn, info, debug, trace",
                        level.value
                    ),
                )
            })?,
            None => LogLevel::Info,
        };
        let log_format = match self.text("log_format", flags.log_format.as_ref()) {
            Some(format) => LogFormat::parse(&format.value).ok_or_else(|| {
                invalid(
                    "log_format",
                    format.origin.clone(),
                    format!("`{}` is not one of text, json", format.value),
                )
            })?,
            None => LogFormat::Text,
        };

        let fee_recipient = match self.text("fee_recipient", flags.fee_recipient.as_ref()) {
            Some(address) => Some(parse_one_with("fee_recipient", &address, parse_address)?),
            None => None,
        };

        let signer = self.boolean("signer", flags.signer.as_ref())?;
        let builtin_vc = signer || self.boolean("builtin_vc", flags.builtin_vc.as_ref())?;
        let builtin_aggregator =
            self.boolean("builtin_aggregator", flags.builtin_aggregator.as_ref())?;
        if builtin_aggregator && builtin_vc {
            let origin = if flags.builtin_aggregator.is_some() {
                self.cli_source("builtin_aggregator")
            } else {
                self.file.source("builtin_aggregator")
            };
            return Err(invalid(
                "builtin_aggregator",
                origin,
                "cannot be combined with --builtin-vc or --signer, whose validator client \
                 aggregates already"
                    .into(),
            ));
        }
        Ok(RunConfig {
            data_dir,
            lock_file,
            private_key_file,
            beacon_node_endpoints,
            validator_api_address,
            p2p_tcp_addresses,
            p2p_peers,
            monitoring_address,
            log_level,
            log_format,
            builtin_vc,
            validator_keys_dir,
            byzantine: self.boolean("byzantine", flags.byzantine.as_ref())?,
            fee_recipient,
            builder_api: self.boolean("builder_api", flags.builder_api.as_ref())?,
            signer,
            builtin_aggregator,
            scale_consensus_timers: self.boolean(
                "scale_consensus_timers",
                flags.scale_consensus_timers.as_ref(),
            )?,
        })
    }
}

fn invalid(id: &str, origin: Source, reason: String) -> RunConfigError {
    RunConfigError::Invalid {
        flag: flag_name(id),
        origin,
        reason,
    }
}

fn parse_one(id: &str, sourced: &Sourced<String>) -> Result<SocketAddr, RunConfigError> {
    parse_one_with(id, sourced, parse_socket_addr)
}

fn parse_one_with<T>(
    id: &str,
    sourced: &Sourced<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, RunConfigError> {
    parse(sourced.value.trim()).map_err(|reason| invalid(id, sourced.origin.clone(), reason))
}

/// Parse every item of a list (trimmed); reject an empty list, empty items and duplicates.
fn parse_each<T: PartialEq>(
    id: &str,
    sourced: Sourced<Vec<String>>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, RunConfigError> {
    let fail = |reason: String| invalid(id, sourced.origin.clone(), reason);
    if sourced.value.is_empty() {
        return Err(fail("the list is empty".to_owned()));
    }
    let mut parsed: Vec<T> = Vec::with_capacity(sourced.value.len());
    for (index, item) in sourced.value.iter().enumerate() {
        let item = item.trim();
        if item.is_empty() {
            return Err(fail(format!("item {} is empty", index + 1)));
        }
        let value = parse(item).map_err(&fail)?;
        if parsed.contains(&value) {
            return Err(fail(format!("`{item}` is listed twice")));
        }
        parsed.push(value);
    }
    Ok(parsed)
}

fn parse_beacon_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("`{text}` is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{text}` has scheme `{}`; only http and https are supported",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err(format!("`{text}` has no host"));
    }
    Ok(url)
}

fn parse_socket_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an IP:port socket address (e.g. 127.0.0.1:3600)"))
}

fn parse_address(text: &str) -> Result<[u8; 20], String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("`{text}` does not start with 0x"))?;
    if digits.len() != 40 {
        return Err(format!(
            "`{text}` has {} hex digits; an address has 40",
            digits.len()
        ));
    }
    let mut address = [0u8; 20];
    hex::decode_to_slice(digits, &mut address)
        .map_err(|error| format!("`{text}` is not hex: {error}"))?;
    Ok(address)
}

/// Check `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/p2p/<peer-id>`, nothing more or less.
fn validate_peer_multiaddr(text: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("`{text}` is not a peer multiaddr: {why}"));
    let Some(rest) = text.strip_prefix('/') else {
        return fail("it does not start with /");
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let [protocol, host, "tcp", port, "p2p", peer_id] = parts.as_slice() else {
        return fail("expected /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/p2p/<peer-id>");
    };
    let host_ok = match *protocol {
        "ip4" => host.parse::<Ipv4Addr>().is_ok(),
        "ip6" => host.parse::<Ipv6Addr>().is_ok(),
        "dns" | "dns4" | "dns6" => is_dns_name(host),
        _ => return fail("the first part must be ip4, ip6, dns, dns4 or dns6"),
    };
    if !host_ok {
        return fail(&format!("`{host}` is not a valid {protocol} host"));
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => return fail(&format!("`{port}` is not a TCP port (1-65535)")),
        Ok(_) => {}
    }
    validate_peer_id(peer_id).or_else(|why| fail(&why))
}

fn is_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Multihash codes a libp2p peer ID may use.
const MULTIHASH_IDENTITY: u8 = 0x00;
const MULTIHASH_SHA2_256: u8 = 0x12;
/// libp2p inlines public keys of at most this many bytes with the identity multihash.
const MAX_INLINE_KEY_LEN: usize = 42;

/// A peer ID in its legacy base58btc form: a multihash, identity (inlined key, e.g. the
/// `16Uiu2HA...` secp256k1 IDs Charon uses) or sha2-256 (`Qm...`).
fn validate_peer_id(text: &str) -> Result<(), String> {
    let bytes = decode_base58(text).ok_or_else(|| format!("peer ID `{text}` is not base58"))?;
    let (code, length, digest) = match bytes.as_slice() {
        [code, length, digest @ ..] => (*code, usize::from(*length), digest),
        _ => return Err(format!("peer ID `{text}` is too short")),
    };
    if digest.len() != length {
        return Err(format!(
            "peer ID `{text}` declares {length} digest bytes but has {}",
            digest.len()
        ));
    }
    match code {
        MULTIHASH_IDENTITY if (1..=MAX_INLINE_KEY_LEN).contains(&length) => Ok(()),
        MULTIHASH_SHA2_256 if length == 32 => Ok(()),
        _ => Err(format!(
            "peer ID `{text}` is not an identity or sha2-256 multihash"
        )),
    }
}

const BASE58_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Decode base58btc (Bitcoin alphabet); `None` on an empty input or a character outside it.
fn decode_base58(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    // Big-endian base-256 digits of the number, least significant last.
    let mut number: Vec<u8> = Vec::with_capacity(text.len());
    for character in text.bytes() {
        let digit = BASE58_ALPHABET.iter().position(|&c| c == character)?;
        let mut carry = u32::try_from(digit).ok()?;
        for byte in number.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let leading_zeros = text.bytes().take_while(|&c| c == b'1').count();
    let mut bytes = vec![0u8; leading_zeros];
    bytes.extend(number);
    Some(bytes)
}

/// Install the global logger: `level` and above to stderr, as text or one JSON object per line.
pub(crate) fn init_logging(level: LogLevel, format: LogFormat) -> Result<(), RunConfigError> {
    let builder = tracing_subscriber::fmt()
        .with_max_level(level.tracing_level())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
    installed.map_err(|_| RunConfigError::LoggingAlreadyInitialised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use std::sync::{Mutex, PoisonError};

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(flatten)]
        args: RunArgs,
    }

    /// Serialises the tests that read or write the process environment.
    static ENV_LOCK: Mutex<()> = Mutex::new(());

    const BN: &str = "--beacon-node-endpoints=http://127.0.0.1:5052";
    const PEER_SECP: &str = "16Uiu2HAmA3cBbvMtLjqnkmoLBFuzmsVYnGfNLvr5Ws3Ey7JeRFAa";
    const PEER_SHA: &str = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";

    fn our_env_names() -> Vec<String> {
        FILE_KEYS
            .iter()
            .map(|(id, _)| env_name(id))
            .chain(std::iter::once("MOSAIC_CONFIG".to_owned()))
            .collect()
    }

    /// Parse `mosaic run` with exactly these of our environment variables set.
    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<RunArgs, clap::Error> {
        let _guard = ENV_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let saved: Vec<(String, String)> = our_env_names()
            .into_iter()
            .filter_map(|name| std::env::var(&name).ok().map(|value| (name, value)))
            .collect();
        for (name, _) in &saved {
            std::env::remove_var(name);
        }
        for (name, value) in env {
            std::env::set_var(name, value);
        }
        let parsed = TestCli::try_parse_from(std::iter::once("run").chain(args.iter().copied()))
            .map(|cli| cli.args);
        for (name, _) in env {
            std::env::remove_var(name);
        }
        for (name, value) in saved {
            std::env::set_var(name, value);
        }
        parsed
    }

    fn resolve(args: &[&str], env: &[(&str, &str)]) -> Result<RunConfig, RunConfigError> {
        parse(args, env).unwrap().resolve()
    }

    fn error(args: &[&str], env: &[(&str, &str)]) -> String {
        resolve(args, env).unwrap_err().to_string()
    }

    fn config_file(dir: &tempfile::TempDir, content: &str) -> (PathBuf, String) {
        let path = dir.path().join("mosaic.toml");
        std::fs::write(&path, content).unwrap();
        let flag = format!("--config={}", path.display());
        (path, flag)
    }

    #[test]
    fn defaults_follow_the_data_dir() {
        let config = resolve(&[BN], &[]).unwrap();
        assert_eq!(config.data_dir, PathBuf::from(".mosaic"));
        assert_eq!(config.lock_file, PathBuf::from(".mosaic/cluster-lock.json"));
        assert_eq!(
            config.private_key_file,
            PathBuf::from(".mosaic/charon-enr-private-key")
        );
        assert_eq!(
            config.validator_keys_dir,
            PathBuf::from(".mosaic/validator_keys")
        );
        assert_eq!(
            config.validator_api_address,
            "127.0.0.1:3600".parse().unwrap()
        );
        assert_eq!(
            config.p2p_tcp_addresses,
            vec!["0.0.0.0:3610".parse().unwrap()]
        );
        assert_eq!(config.monitoring_address, "127.0.0.1:3620".parse().unwrap());
        assert_eq!(config.log_level, LogLevel::Info);
        assert_eq!(config.log_format, LogFormat::Text);
        assert!(config.p2p_peers.is_empty());
        assert!(!config.builtin_vc && !config.byzantine && !config.builder_api && !config.signer);
        assert_eq!(config.fee_recipient, None);

        let config = resolve(&[BN, "--data-dir=node0"], &[]).unwrap();
        assert_eq!(config.lock_file, PathBuf::from("node0/cluster-lock.json"));
        assert_eq!(
            config.validator_keys_dir,
            PathBuf::from("node0/validator_keys")
        );
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let (_, config) = config_file(
            &dir,
            "monitoring_address = \"127.0.0.1:1003\"\n\
             log_level = \"warn\"\n\
             data_dir = \"from-file\"\n\
             beacon_node_endpoints = [\"http://file:1\"]\n\
             builtin_vc = true\n",
        );
        let env = [
            ("MOSAIC_MONITORING_ADDRESS", "127.0.0.1:1002"),
            ("MOSAIC_LOG_LEVEL", "debug"),
            ("MOSAIC_BEACON_NODE_ENDPOINTS", "http://env:1,http://env:2"),
        ];
        let resolved = resolve(
            &[
                &config,
                "--monitoring-address=127.0.0.1:1001",
                "--builtin-vc=false",
            ],
            &env,
        )
        .unwrap();
        // Flag over env and file.
        assert_eq!(
            resolved.monitoring_address,
            "127.0.0.1:1001".parse().unwrap()
        );
        assert!(!resolved.builtin_vc);
        // Env over file; env lists are comma-separated.
        assert_eq!(resolved.log_level, LogLevel::Debug);
        assert_eq!(
            resolved
                .beacon_node_endpoints
                .iter()
                .map(Url::as_str)
                .collect::<Vec<_>>(),
            ["http://env:1/", "http://env:2/"]
        );
        // File over default, and defaults derived from the file's data dir.
        assert_eq!(resolved.data_dir, PathBuf::from("from-file"));
        assert_eq!(
            resolved.lock_file,
            PathBuf::from("from-file/cluster-lock.json")
        );
        // Default where nothing is set.
        assert_eq!(resolved.log_format, LogFormat::Text);

        let file_only = resolve(&[&config], &[]).unwrap();
        assert_eq!(
            file_only.monitoring_address,
            "127.0.0.1:1003".parse().unwrap()
        );
        assert!(file_only.builtin_vc);
        assert_eq!(
            file_only.beacon_node_endpoints[0].as_str(),
            "http://file:1/"
        );
    }

    #[test]
    fn the_config_file_itself_can_come_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = config_file(&dir, "log_format = \"json\"\n");
        let path = path.display().to_string();
        let resolved = resolve(&[BN], &[("MOSAIC_CONFIG", &path)]).unwrap();
        assert_eq!(resolved.log_format, LogFormat::Json);
    }

    #[test]
    fn the_builtin_aggregator_goes_beside_an_external_client_only() {
        let alone = resolve(&[BN, "--builtin-aggregator"], &[]).unwrap();
        assert!(alone.builtin_aggregator && !alone.builtin_vc);
        for with in ["--builtin-vc", "--signer"] {
            let message = error(&[BN, "--builtin-aggregator", with], &[]);
            assert!(
                message.contains("--builtin-aggregator (from flag --builtin-aggregator)")
                    && message.contains("cannot be combined"),
                "{message}"
            );
        }
        let message = error(&[BN, "--signer"], &[("MOSAIC_BUILTIN_AGGREGATOR", "true")]);
        assert!(message.contains("MOSAIC_BUILTIN_AGGREGATOR"), "{message}");
    }

    #[test]
    fn boolean_flags_accept_bare_and_explicit_values() {
        assert!(resolve(&[BN, "--builtin-vc"], &[]).unwrap().builtin_vc);
        let signer = resolve(&[BN, "--signer"], &[]).unwrap();
        assert!(
            signer.signer && signer.builtin_vc,
            "--signer implies --builtin-vc"
        );
        let signer = resolve(&[BN], &[("MOSAIC_SIGNER", "true")]).unwrap();
        assert!(signer.signer && signer.builtin_vc);
        let plain = resolve(&[BN, "--signer=false", "--builtin-vc"], &[]).unwrap();
        assert!(!plain.signer && plain.builtin_vc);
        assert!(
            resolve(&[BN, "--builder-api=true"], &[])
                .unwrap()
                .builder_api
        );
        assert!(resolve(&[BN, "--byzantine"], &[]).unwrap().byzantine);
        assert!(
            resolve(&[BN], &[("MOSAIC_BUILTIN_VC", "1")])
                .unwrap()
                .builtin_vc
        );
        assert!(
            !resolve(&[BN], &[("MOSAIC_BUILTIN_VC", "off")])
                .unwrap()
                .builtin_vc
        );
        let message = error(&[BN], &[("MOSAIC_BUILTIN_VC", "maybe")]);
        assert!(message.contains("--builtin-vc"), "{message}");
        assert!(
            message.contains("environment variable MOSAIC_BUILTIN_VC"),
            "{message}"
        );
        assert!(message.contains("`maybe` is not a boolean"), "{message}");
    }

    #[test]
    fn lists_accept_commas_and_repetition() {
        let config = resolve(
            &[
                "--beacon-node-endpoints=http://a:1,https://b:2",
                "--beacon-node-endpoints=http://c:3",
                "--p2p-tcp-address=0.0.0.0:3610,[::]:3610",
                &format!("--p2p-peers=/ip4/127.0.0.1/tcp/3611/p2p/{PEER_SECP}"),
                &format!("--p2p-peers=/dns/node1.example/tcp/3611/p2p/{PEER_SHA}"),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(config.beacon_node_endpoints.len(), 3);
        assert_eq!(config.p2p_tcp_addresses.len(), 2);
        assert_eq!(config.p2p_peers.len(), 2);
    }

    #[test]
    fn missing_beacon_endpoints_name_every_way_to_set_them() {
        let message = error(&[], &[]);
        assert!(
            message.contains("--beacon-node-endpoints is required"),
            "{message}"
        );
        assert!(
            message.contains("MOSAIC_BEACON_NODE_ENDPOINTS"),
            "{message}"
        );
        assert!(message.contains("`beacon_node_endpoints`"), "{message}");
    }

    #[test]
    fn beacon_endpoints_must_be_http_or_https() {
        let message = error(&["--beacon-node-endpoints=ftp://127.0.0.1:5052"], &[]);
        assert!(message.starts_with("--beacon-node-endpoints (from flag --beacon-node-endpoints)"));
        assert!(message.contains("only http and https"), "{message}");
        let message = error(&[], &[("MOSAIC_BEACON_NODE_ENDPOINTS", "ws://bn:1")]);
        assert!(
            message.contains(
                "--beacon-node-endpoints (from environment variable MOSAIC_BEACON_NODE_ENDPOINTS)"
            ),
            "{message}"
        );
        let message = error(&["--beacon-node-endpoints=not a url"], &[]);
        assert!(message.contains("is not a URL"), "{message}");
        let message = error(&["--beacon-node-endpoints=http://a:1,"], &[]);
        assert!(message.contains("item 2 is empty"), "{message}");
        let message = error(&["--beacon-node-endpoints=http://a:1,http://a:1"], &[]);
        assert!(message.contains("listed twice"), "{message}");
        // One step inside: http and https both pass.
        assert!(resolve(&["--beacon-node-endpoints=https://a:1,http://b:1"], &[]).is_ok());
    }

    #[test]
    fn socket_addresses_must_be_ip_and_port() {
        let message = error(&[BN, "--validator-api-address=localhost:3600"], &[]);
        assert!(message.starts_with("--validator-api-address (from flag --validator-api-address)"));
        assert!(message.contains("not an IP:port"), "{message}");
        assert!(
            error(&[BN, "--monitoring-address=127.0.0.1:65536"], &[]).contains("not an IP:port")
        );
        assert!(error(&[BN, "--p2p-tcp-address=0.0.0.0"], &[]).contains("not an IP:port"));
        let ok = resolve(&[BN, "--monitoring-address=127.0.0.1:65535"], &[]).unwrap();
        assert_eq!(ok.monitoring_address.port(), 65535);
    }

    #[test]
    fn listen_addresses_must_not_collide() {
        let message = error(&[BN, "--monitoring-address=127.0.0.1:3600"], &[]);
        assert!(
            message.contains("also the validator API address"),
            "{message}"
        );
        let message = error(&[BN, "--p2p-tcp-address=127.0.0.1:3620"], &[]);
        assert!(message.contains("--p2p-tcp-address"), "{message}");
        assert!(
            message.contains("also the validator API or monitoring address"),
            "{message}"
        );
        assert!(resolve(&[BN, "--monitoring-address=127.0.0.1:3601"], &[]).is_ok());
        assert!(resolve(&[BN, "--p2p-tcp-address=127.0.0.1:3621"], &[]).is_ok());
    }

    #[test]
    fn peer_multiaddrs_accept_ip4_ip6_and_dns() {
        for address in [
            format!("/ip4/10.0.0.1/tcp/3610/p2p/{PEER_SECP}"),
            format!("/ip6/::1/tcp/1/p2p/{PEER_SECP}"),
            format!("/dns4/node-1.example.org/tcp/65535/p2p/{PEER_SHA}"),
            format!("/dns6/node1/tcp/3610/p2p/{PEER_SECP}"),
        ] {
            assert_eq!(validate_peer_multiaddr(&address), Ok(()), "{address}");
        }
    }

    #[test]
    fn peer_multiaddrs_reject_every_malformed_part() {
        for (address, why) in [
            (
                format!("ip4/10.0.0.1/tcp/3610/p2p/{PEER_SECP}"),
                "does not start with /",
            ),
            (format!("/ip4/10.0.0.1/p2p/{PEER_SECP}"), "expected /ip4"),
            ("/ip4/10.0.0.1/tcp/3610".to_owned(), "expected /ip4"),
            (
                format!("/ip4/10.0.0.1/udp/3610/p2p/{PEER_SECP}"),
                "expected /ip4",
            ),
            (
                format!("/ip4/10.0.0.1/tcp/3610/p2p/{PEER_SECP}/x"),
                "expected /ip4",
            ),
            (
                format!("/tcp/3610/ip4/10.0.0.1/p2p/{PEER_SECP}"),
                "expected /ip4",
            ),
            (
                format!("/unix/x/tcp/3610/p2p/{PEER_SECP}"),
                "must be ip4, ip6",
            ),
            (
                format!("/ip4/10.0.0.256/tcp/3610/p2p/{PEER_SECP}"),
                "not a valid ip4 host",
            ),
            (
                format!("/ip4/::1/tcp/3610/p2p/{PEER_SECP}"),
                "not a valid ip4 host",
            ),
            (
                format!("/ip6/10.0.0.1/tcp/3610/p2p/{PEER_SECP}"),
                "not a valid ip6 host",
            ),
            (
                format!("/dns/-bad.example/tcp/3610/p2p/{PEER_SECP}"),
                "not a valid dns host",
            ),
            (
                format!("/dns/a..b/tcp/3610/p2p/{PEER_SECP}"),
                "not a valid dns host",
            ),
            (
                format!("/ip4/10.0.0.1/tcp/0/p2p/{PEER_SECP}"),
                "not a TCP port",
            ),
            (
                format!("/ip4/10.0.0.1/tcp/65536/p2p/{PEER_SECP}"),
                "not a TCP port",
            ),
            ("/ip4/10.0.0.1/tcp/3610/p2p/".to_owned(), "not base58"),
            // '0' and 'l' are not in the base58 alphabet.
            (
                "/ip4/10.0.0.1/tcp/3610/p2p/16Uiu2HAm0".to_owned(),
                "not base58",
            ),
            // One character dropped: the declared digest length no longer matches.
            (
                format!(
                    "/ip4/10.0.0.1/tcp/3610/p2p/{}",
                    &PEER_SECP[..PEER_SECP.len() - 1]
                ),
                "declares",
            ),
            // A single zero byte: no room for a length.
            ("/ip4/10.0.0.1/tcp/3610/p2p/1".to_owned(), "too short"),
        ] {
            let error = validate_peer_multiaddr(&address).unwrap_err();
            assert!(error.contains(why), "{address}: {error}");
        }
        let message = error(&[BN, "--p2p-peers=/ip4/1.2.3.4/tcp/1"], &[]);
        assert!(
            message.starts_with("--p2p-peers (from flag --p2p-peers)"),
            "{message}"
        );
    }

    #[test]
    fn peer_ids_need_a_known_multihash_of_the_right_length() {
        let encode = |bytes: &[u8]| encode_base58(bytes);
        let mut sha = vec![MULTIHASH_SHA2_256, 32];
        sha.extend([7u8; 32]);
        assert_eq!(validate_peer_id(&encode(&sha)), Ok(()));
        let mut short_sha = vec![MULTIHASH_SHA2_256, 31];
        short_sha.extend([7u8; 31]);
        assert!(validate_peer_id(&encode(&short_sha)).is_err());
        let mut identity = vec![MULTIHASH_IDENTITY, 42];
        identity.extend([7u8; 42]);
        assert_eq!(validate_peer_id(&encode(&identity)), Ok(()));
        let mut long_identity = vec![MULTIHASH_IDENTITY, 43];
        long_identity.extend([7u8; 43]);
        assert!(validate_peer_id(&encode(&long_identity)).is_err());
        let mut other = vec![0x13, 32];
        other.extend([7u8; 32]);
        assert!(validate_peer_id(&encode(&other)).is_err());
    }

    /// Test-only encoder, checked against known peer IDs below.
    fn encode_base58(bytes: &[u8]) -> String {
        let mut digits: Vec<u8> = Vec::new();
        for &byte in bytes {
            let mut carry = u32::from(byte);
            for digit in digits.iter_mut() {
                carry += u32::from(*digit) << 8;
                *digit = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        std::iter::repeat_n('1', zeros)
            .chain(
                digits
                    .iter()
                    .rev()
                    .map(|&d| char::from(BASE58_ALPHABET[usize::from(d)])),
            )
            .collect()
    }

    #[test]
    fn base58_decodes_known_peer_ids() {
        let secp = decode_base58(PEER_SECP).unwrap();
        // Identity multihash of a protobuf secp256k1 public key (type 2, 33 bytes).
        assert_eq!(&secp[..6], &[0x00, 0x25, 0x08, 0x02, 0x12, 0x21]);
        assert_eq!(secp.len(), 39);
        let sha = decode_base58(PEER_SHA).unwrap();
        assert_eq!(&sha[..2], &[0x12, 0x20]);
        assert_eq!(encode_base58(&secp), PEER_SECP);
        assert_eq!(decode_base58("1112"), Some(vec![0, 0, 0, 1]));
        assert_eq!(decode_base58(""), None);
        assert_eq!(decode_base58("I"), None);
    }

    #[test]
    fn log_level_and_format_accept_only_known_names() {
        for (name, level) in [
            ("error", LogLevel::Error),
            ("warn", LogLevel::Warn),
            ("info", LogLevel::Info),
            ("DEBUG", LogLevel::Debug),
            ("trace", LogLevel::Trace),
        ] {
            assert_eq!(
                resolve(&[BN, &format!("--log-level={name}")], &[])
                    .unwrap()
                    .log_level,
                level
            );
        }
        let message = error(&[BN], &[("MOSAIC_LOG_LEVEL", "verbose")]);
        assert!(message.starts_with("--log-level (from environment variable MOSAIC_LOG_LEVEL)"));
        assert!(message.contains("`verbose` is not one of"), "{message}");
        assert_eq!(
            resolve(&[BN, "--log-format=json"], &[]).unwrap().log_format,
            LogFormat::Json
        );
        let message = error(&[BN, "--log-format=yaml"], &[]);
        assert!(
            message.contains("`yaml` is not one of text, json"),
            "{message}"
        );
    }

    #[test]
    fn fee_recipient_must_be_a_0x_prefixed_20_byte_address() {
        let ok = format!("--fee-recipient=0x{}", "aB".repeat(20));
        assert_eq!(
            resolve(&[BN, &ok], &[]).unwrap().fee_recipient,
            Some([0xab; 20])
        );
        let short = format!("--fee-recipient=0x{}", "a".repeat(39));
        assert!(error(&[BN, &short], &[]).contains("has 39 hex digits"));
        let long = format!("--fee-recipient=0x{}", "a".repeat(42));
        assert!(error(&[BN, &long], &[]).contains("has 42 hex digits"));
        let bare = format!("--fee-recipient={}", "a".repeat(40));
        assert!(error(&[BN, &bare], &[]).contains("does not start with 0x"));
        let not_hex = format!("--fee-recipient=0x{}", "g".repeat(40));
        assert!(error(&[BN, &not_hex], &[]).contains("is not hex"));
    }

    #[test]
    fn empty_paths_are_rejected() {
        let message = error(&[BN, "--lock-file="], &[]);
        assert_eq!(
            message,
            "--lock-file (from flag --lock-file): the path is empty"
        );
        let message = error(&[BN], &[("MOSAIC_DATA_DIR", "")]);
        assert_eq!(
            message,
            "--data-dir (from environment variable MOSAIC_DATA_DIR): the path is empty"
        );
        let dir = tempfile::tempdir().unwrap();
        let (path, config) = config_file(&dir, "lock_file = \"\"\n");
        let message = error(&[BN, &config], &[]);
        assert_eq!(
            message,
            format!(
                "--lock-file (from config file {} key `lock_file`): the path is empty",
                path.display()
            )
        );
        let (_, config) = config_file(&dir, "lock_file = \"x\"\n");
        assert!(resolve(&[BN, &config], &[]).is_ok());
    }

    #[test]
    fn file_errors_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let (path, config) = config_file(&dir, "log_level = \"info\"\nlock_flie = \"x\"\n");
        let message = error(&[BN, &config], &[]);
        assert_eq!(
            message,
            format!("config file {}: unknown key `lock_flie`", path.display())
        );

        let (_, config) = config_file(&dir, "config = \"other.toml\"\n");
        assert!(error(&[BN, &config], &[]).contains("unknown key `config`"));

        let (_, config) = config_file(&dir, "builtin_vc = \"yes\"\n");
        assert!(error(&[BN, &config], &[]).contains("key `builtin_vc`: expected true or false"));
        let (_, config) = config_file(&dir, "log_level = 3\n");
        assert!(error(&[BN, &config], &[]).contains("key `log_level`: expected a string"));
        let (_, config) = config_file(&dir, "p2p_peers = [1]\n");
        assert!(error(&[BN, &config], &[]).contains("key `p2p_peers`: expected an array"));

        let (path, config) = config_file(&dir, "monitoring_address = \"nowhere\"\n");
        let message = error(&[BN, &config], &[]);
        assert!(
            message.starts_with(&format!(
                "--monitoring-address (from config file {} key `monitoring_address`)",
                path.display()
            )),
            "{message}"
        );

        let (path, config) = config_file(&dir, "log_level = \n");
        let message = error(&[BN, &config], &[]);
        assert!(
            message.starts_with(&format!("config file {} is not valid TOML", path.display())),
            "{message}"
        );

        let missing = dir.path().join("absent.toml");
        let message = error(&[BN, &format!("--config={}", missing.display())], &[]);
        assert!(message.starts_with("cannot read config file"), "{message}");
    }

    #[test]
    fn a_file_with_every_key_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let (_, config) = config_file(
            &dir,
            &format!(
                "data_dir = \"d\"\nlock_file = \"d/lock.json\"\nprivate_key_file = \"d/key\"\n\
                 beacon_node_endpoints = \"http://a:1,http://b:2\"\n\
                 validator_api_address = \"127.0.0.1:4600\"\n\
                 p2p_tcp_address = [\"0.0.0.0:4610\"]\n\
                 p2p_peers = [\"/ip4/127.0.0.1/tcp/4611/p2p/{PEER_SECP}\"]\n\
                 monitoring_address = \"127.0.0.1:4620\"\nlog_level = \"trace\"\n\
                 log_format = \"json\"\nbuiltin_vc = true\nvalidator_keys_dir = \"keys\"\n\
                 byzantine = false\nfee_recipient = \"0x{}\"\nbuilder_api = true\n\
                 signer = true\n",
                "00".repeat(20)
            ),
        );
        let resolved = resolve(&[&config], &[]).unwrap();
        assert_eq!(
            resolved,
            RunConfig {
                data_dir: "d".into(),
                lock_file: "d/lock.json".into(),
                private_key_file: "d/key".into(),
                beacon_node_endpoints: vec![
                    Url::parse("http://a:1").unwrap(),
                    Url::parse("http://b:2").unwrap()
                ],
                validator_api_address: "127.0.0.1:4600".parse().unwrap(),
                p2p_tcp_addresses: vec!["0.0.0.0:4610".parse().unwrap()],
                p2p_peers: vec![format!("/ip4/127.0.0.1/tcp/4611/p2p/{PEER_SECP}")],
                monitoring_address: "127.0.0.1:4620".parse().unwrap(),
                log_level: LogLevel::Trace,
                log_format: LogFormat::Json,
                builtin_vc: true,
                validator_keys_dir: "keys".into(),
                byzantine: false,
                fee_recipient: Some([0; 20]),
                builder_api: true,
                signer: true,
                builtin_aggregator: false,
                scale_consensus_timers: false,
            }
        );
        assert_eq!(FILE_KEYS.len(), 18);
    }

    #[test]
    fn every_flag_has_the_matching_env_var_and_file_key() {
        let command = TestCli::command();
        let mut ids: Vec<String> = Vec::new();
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" {
                continue;
            }
            assert_eq!(
                arg.get_long().map(|l| format!("--{l}")),
                Some(flag_name(id))
            );
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()).map(str::to_owned),
                Some(env_name(id)),
                "{id}"
            );
            ids.push(id.to_owned());
        }
        let mut keys: Vec<String> = FILE_KEYS.iter().map(|(k, _)| (*k).to_owned()).collect();
        keys.push("config".to_owned());
        ids.sort();
        keys.sort();
        assert_eq!(ids, keys);
    }

    #[test]
    fn logging_installs_once() {
        assert!(init_logging(LogLevel::Debug, LogFormat::Json).is_ok());
        assert!(matches!(
            init_logging(LogLevel::Info, LogFormat::Text),
            Err(RunConfigError::LoggingAlreadyInitialised)
        ));
    }
}
