//! One configured beacon node: its base URL (credentials split off), the name used in errors,
//! and when it last failed. Only `http` is accepted: the client is built without TLS.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Url;

use crate::error::Error;

/// HTTP basic-auth credentials taken from a beacon node URL's user-info. `Debug` hides them.
#[derive(Clone)]
pub(crate) struct BasicAuth {
    pub(crate) username: String,
    pub(crate) password: Option<String>,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BasicAuth(..)")
    }
}

/// A beacon node the client talks to.
#[derive(Debug)]
pub(crate) struct Node {
    /// Base URL without user-info; its path prefix and query (e.g. an API key) are kept.
    pub(crate) base: Url,
    /// `scheme://host:port/path` only: safe to show in errors and logs.
    pub(crate) name: String,
    pub(crate) auth: Option<BasicAuth>,
    failed_until: Mutex<Option<Instant>>,
}

impl Node {
    /// Parses a beacon node URL (`http` or `https`).
    pub(crate) fn parse(url: &str) -> Result<Self, Error> {
        let mut base = Url::parse(url.trim()).map_err(|error| Error::InvalidUrl {
            url: redact_unparsed(url),
            reason: error.to_string(),
        })?;
        let name = display_name(&base);
        match base.scheme() {
            "http" => {}
            "https" => {
                return Err(Error::InvalidUrl {
                    url: name,
                    reason: "https is not supported by this build (no TLS): use http".to_owned(),
                })
            }
            other => {
                return Err(Error::InvalidUrl {
                    url: name,
                    reason: format!("scheme {other:?} is not http"),
                })
            }
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(Error::InvalidUrl {
                url: name,
                reason: "no host".to_owned(),
            });
        }
        let auth = (!base.username().is_empty() || base.password().is_some()).then(|| BasicAuth {
            username: base.username().to_owned(),
            password: base.password().map(str::to_owned),
        });
        // Both setters only fail for URLs without a host, excluded above.
        let _ = base.set_username("");
        let _ = base.set_password(None);
        base.set_fragment(None);
        Ok(Self {
            base,
            name,
            auth,
            failed_until: Mutex::new(None),
        })
    }

    /// The URL of `path` (already filled in) with `query` (already encoded) on this node: the
    /// base path is a prefix and the base query is kept in front.
    pub(crate) fn url(&self, path: &str, query: &str) -> Url {
        let mut url = self.base.clone();
        let prefix = self.base.path().trim_end_matches('/');
        let mut full_path = String::with_capacity(prefix.len() + path.len());
        full_path.push_str(prefix);
        full_path.push_str(path);
        url.set_path(&full_path);
        match (self.base.query(), query.is_empty()) {
            (_, true) => {}
            (None | Some(""), false) => url.set_query(Some(query)),
            (Some(base_query), false) => url.set_query(Some(&format!("{base_query}&{query}"))),
        }
        url
    }

    /// Whether the node failed less than the retry delay ago.
    pub(crate) fn is_failing(&self, now: Instant) -> bool {
        self.failed_until
            .lock()
            .map(|until| until.is_some_and(|until| now < until))
            .unwrap_or(false)
    }

    /// Records a node fault: the node is tried after the healthy ones for `retry_after`.
    pub(crate) fn mark_failed(&self, retry_after: Duration) {
        if let Ok(mut until) = self.failed_until.lock() {
            *until = Some(Instant::now() + retry_after);
        }
    }

    /// Records a success.
    pub(crate) fn mark_ok(&self) {
        if let Ok(mut until) = self.failed_until.lock() {
            *until = None;
        }
    }
}

/// `scheme://host[:port]/path` of a parsed URL.
fn display_name(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// Something printable for a URL that did not parse: everything up to the user-info or the
/// first `?`, `#` or `@` is dropped or cut so that no credential is shown.
fn redact_unparsed(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    if scheme.is_empty() {
        rest.to_owned()
    } else {
        format!("{scheme}://{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_query_never_reach_the_name() {
        let node = Node::parse("http://user:secret@bn.example:5052/prefix/?apikey=k#frag").unwrap();
        assert_eq!(node.name, "http://bn.example:5052/prefix/");
        let auth = node.auth.as_ref().unwrap();
        assert_eq!(auth.username, "user");
        assert_eq!(auth.password.as_deref(), Some("secret"));
        assert_eq!(format!("{node:?}").matches("secret").count(), 0);
        let url = node.url("/eth/v1/node/version", "");
        assert_eq!(
            url.as_str(),
            "http://bn.example:5052/prefix/eth/v1/node/version?apikey=k"
        );
        let url = node.url("/eth/v1/events", "topics=head");
        assert_eq!(url.query(), Some("apikey=k&topics=head"));
    }

    #[test]
    fn plain_urls_join_paths() {
        let node = Node::parse("http://127.0.0.1:5052").unwrap();
        assert!(node.auth.is_none());
        assert_eq!(node.name, "http://127.0.0.1:5052/");
        assert_eq!(
            node.url("/eth/v1/beacon/genesis", "a=1").as_str(),
            "http://127.0.0.1:5052/eth/v1/beacon/genesis?a=1"
        );
    }

    #[test]
    fn bad_urls_are_rejected_without_showing_secrets() {
        for bad in [
            "ftp://host/",
            "https://user:pw@host/",
            "mailto:x@y",
            "not a url",
            "http://user:pw@:5052",
        ] {
            let error = Node::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(!error.to_string().contains("pw"), "{error}");
        }
        assert_eq!(redact_unparsed("http://u:p@h:1/x?k=v"), "http://h:1/x");
    }

    #[test]
    fn failure_marks_expire() {
        let node = Node::parse("http://127.0.0.1:1").unwrap();
        let now = Instant::now();
        assert!(!node.is_failing(now));
        node.mark_failed(Duration::from_secs(60));
        assert!(node.is_failing(Instant::now()));
        assert!(!node.is_failing(Instant::now() + Duration::from_secs(61)));
        node.mark_ok();
        assert!(!node.is_failing(Instant::now()));
    }
}
