//! Free TCP ports on 127.0.0.1 for local clusters (`mosaic simnet` and the tests that start
//! nodes), chosen so that nothing else takes them before the node binds them.
//!
//! A port the OS hands out for port 0 comes from the kernel's ephemeral range, the range it
//! also draws the local port of every outgoing connection from: between choosing such a port
//! and a node binding it (at start-up, or at a restart many slots later) a connection of this
//! or another process can take it, and the node then fails with "address already in use".
//! Ports below (or above) the ephemeral range are only ever taken by deliberate binds, so this
//! module chooses from there, and each process walks that range from its own starting point
//! with one cursor, so that two calls never hand out the same port.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Linux's default ephemeral range, used when `/proc` cannot be read.
const DEFAULT_EPHEMERAL_RANGE: (u16, u16) = (32_768, 60_999);

/// Why free ports could not be found.
#[derive(Debug, thiserror::Error)]
#[error("found only {found} of {wanted} free loopback ports in {first}..={last}")]
pub struct PortsExhausted {
    /// Ports asked for.
    pub wanted: usize,
    /// Ports found free.
    pub found: usize,
    /// First port of the range searched.
    pub first: u16,
    /// Last port of the range searched.
    pub last: u16,
}

/// `count` distinct TCP ports on 127.0.0.1 that were free when chosen, from outside the
/// kernel's ephemeral port range. Every port found is held until all are chosen, and a
/// process-wide cursor moves past each one, so ports from one call differ and later calls in
/// the same process (tests running in parallel) do not hand them out again.
pub fn free_loopback_ports(count: usize) -> Result<Vec<u16>, PortsExhausted> {
    let range = ports_outside_ephemeral_range(ephemeral_port_range());
    search(count, range, next_offset)
}

/// `count` ports of `first..=last` free to bind, trying the port at each offset `next` gives.
fn search(
    count: usize,
    (first, last): (u16, u16),
    mut next: impl FnMut() -> u64,
) -> Result<Vec<u16>, PortsExhausted> {
    let span = u64::from(last - first) + 1;
    // Each port found stays bound until the search is over, so the walk cannot find it twice.
    let mut held = Vec::with_capacity(count);
    for _ in 0..span {
        if held.len() == count {
            break;
        }
        let port = first + u16::try_from(next() % span).expect("offset below a u16 span");
        if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            held.push((port, listener));
        }
    }
    if held.len() < count {
        return Err(PortsExhausted {
            wanted: count,
            found: held.len(),
            first,
            last,
        });
    }
    Ok(held.into_iter().map(|(port, _)| port).collect())
}

/// [`free_loopback_ports`] as socket addresses on 127.0.0.1.
pub fn free_loopback_addresses(count: usize) -> Result<Vec<SocketAddr>, PortsExhausted> {
    Ok(free_loopback_ports(count)?
        .into_iter()
        .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .collect())
}

/// One free port on 127.0.0.1, as [`free_loopback_ports`] chooses them.
///
/// # Panics
/// When no port outside the ephemeral range is free (meant for tests).
pub fn free_loopback_port() -> u16 {
    free_loopback_ports(1).expect("a free loopback port")[0]
}

/// The process-wide cursor: starts at a place derived from the process ID and the time, so
/// that processes started together look in different places, then moves by one per port tried.
fn next_offset() -> u64 {
    static CURSOR: OnceLock<AtomicU64> = OnceLock::new();
    CURSOR
        .get_or_init(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::from(d.subsec_nanos()));
            AtomicU64::new(u64::from(std::process::id()) * 7_919 + nanos)
        })
        .fetch_add(1, Ordering::Relaxed)
}

/// The kernel's ephemeral (outgoing) port range, Linux's default if it cannot be read.
pub fn ephemeral_port_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut parts = text.split_whitespace().map(str::parse::<u16>);
            Some((parts.next()?.ok()?, parts.next()?.ok()?))
        })
        .unwrap_or(DEFAULT_EPHEMERAL_RANGE)
}

/// Ports to choose from given the ephemeral range: 10000 up to just below it when there is
/// room (at least 1,000 ports), else just above it to 65535, else (an ephemeral range that
/// leaves no room either side) every unprivileged port.
fn ports_outside_ephemeral_range((low, high): (u16, u16)) -> (u16, u16) {
    const FLOOR: u16 = 10_000;
    const ROOM: u16 = 1_000;
    if low >= FLOOR + ROOM {
        (FLOOR, low - 1)
    } else if high <= u16::MAX - ROOM {
        (high + 1, u16::MAX)
    } else {
        (1_024, u16::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_range_searched_lies_outside_the_ephemeral_range() {
        assert_eq!(
            ports_outside_ephemeral_range((32_768, 60_999)),
            (10_000, 32_767)
        );
        assert_eq!(
            ports_outside_ephemeral_range((11_000, 60_999)),
            (10_000, 10_999)
        );
        assert_eq!(
            ports_outside_ephemeral_range((10_999, 60_999)),
            (61_000, 65_535)
        );
        assert_eq!(
            ports_outside_ephemeral_range((10_999, 64_535)),
            (64_536, 65_535)
        );
        assert_eq!(
            ports_outside_ephemeral_range((10_999, 64_536)),
            (1_024, 65_535)
        );
    }

    #[test]
    fn ports_are_distinct_across_calls_free_and_not_ephemeral() {
        let (low, high) = ephemeral_port_range();
        let mut seen = BTreeSet::new();
        for _ in 0..4 {
            for port in free_loopback_ports(6).unwrap() {
                assert!(seen.insert(port), "port {port} handed out twice");
                assert!(port < low || port > high, "{port} is ephemeral");
                TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("a free port");
            }
        }
        assert_eq!(seen.len(), 24);
    }

    #[test]
    fn a_port_in_use_is_skipped_and_a_full_range_is_an_error() {
        let ports = free_loopback_ports(2).unwrap();
        let (taken, free) = (ports[0], ports[1]);
        let _listener = TcpListener::bind((Ipv4Addr::LOCALHOST, taken)).unwrap();
        let range = (taken.min(free), taken.max(free));
        let mut tries = [taken, free].into_iter().map(|p| u64::from(p - range.0));
        let found = search(1, range, || tries.next().unwrap()).unwrap();
        assert_eq!(found, vec![free]);
        let error = search(1, (taken, taken), || 0).unwrap_err();
        assert_eq!((error.wanted, error.found), (1, 0));
        assert!(error.to_string().contains(&format!("{taken}..={taken}")));
    }
}
