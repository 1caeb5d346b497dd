//! The monitoring crate's error type.

use std::net::SocketAddr;

/// Everything that can go wrong while exposing metrics and health.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The monitoring server could not bind its listening socket.
    #[error("monitoring server: cannot bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// Why the bind failed.
        #[source]
        source: std::io::Error,
    },
    /// The bound listener could not report its local address.
    #[error("monitoring server: cannot read the bound address of {addr}: {source}")]
    LocalAddr {
        /// The address that was asked for.
        addr: SocketAddr,
        /// Why the lookup failed.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an I/O error while serving.
    #[error("monitoring server on {addr} failed: {source}")]
    Serve {
        /// The bound address of the server.
        addr: SocketAddr,
        /// The I/O error that stopped it.
        #[source]
        source: std::io::Error,
    },
    /// The metrics registry could not be encoded in the OpenMetrics text format.
    #[error("cannot encode the metrics registry as OpenMetrics text")]
    Encode,
}
