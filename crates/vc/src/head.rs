//! The beacon node's head, followed through its `head` events, so that sync committee messages
//! can be signed as soon as the slot's block is in.
//!
//! `validator.md` (altair): a sync committee member signs "either when (a) the validator has
//! received a valid block from the expected block proposer for the current slot or (b)
//! one-third of the slot has transpired — whichever comes first". The client learns (a) from
//! the `head` event stream; without it (a node that does not serve events, or a stream that
//! broke) every message waits for (b), as before.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use mosaic_beacon::{Event, EventTopic};
use mosaic_types::consensus::Preset;
use mosaic_types::{Root, Slot};
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::client::Inner;

/// Waits before the first retry of a broken or refused event stream; doubled per failure.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest wait between attempts.
const LAST_RETRY: Duration = Duration::from_secs(30);

/// A head the beacon node announced: its block's slot and root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// The head block's slot.
    pub(crate) slot: Slot,
    /// The head block's root.
    pub(crate) root: Root,
}

/// The root of `slot`'s own block once `heads` shows it as the head, or `None` if
/// `deadline` comes first or the head is already past `slot` (the caller is late: a later
/// slot's block is not the one to sign).
pub(crate) async fn block_of_slot(
    heads: &watch::Sender<Option<Head>>,
    slot: Slot,
    deadline: tokio::time::Instant,
) -> Option<Root> {
    let mut heads = heads.subscribe();
    let reached = heads.wait_for(|head| head.is_some_and(|head| head.slot >= slot));
    let root = match tokio::time::timeout_at(deadline, reached).await {
        Ok(Ok(head)) => head.filter(|head| head.slot == slot).map(|head| head.root),
        // The sender cannot close while borrowed; a timeout gives nothing.
        Ok(Err(_)) | Err(_) => None,
    };
    root
}

impl<P: Preset> Inner<P> {
    /// Follows the beacon node's `head` events into `self.heads` until the client stops,
    /// opening the stream again (with backoff) whenever it cannot be opened or ends.
    /// Heads of optimistically imported blocks are left out: nothing is signed for them
    /// before a third of the slot.
    pub(crate) async fn follow_heads(self: Arc<Self>) {
        let mut retry = FIRST_RETRY;
        let mut warned = false;
        loop {
            match self.beacon.events(&[EventTopic::Head]).await {
                Ok(mut stream) => {
                    while let Some(event) = stream.next().await {
                        match event {
                            Ok(Event::Head(head)) => {
                                retry = FIRST_RETRY;
                                warned = false;
                                if !head.execution_optimistic {
                                    self.heads.send_replace(Some(Head {
                                        slot: head.slot,
                                        root: head.block,
                                    }));
                                }
                            }
                            Ok(_) => {}
                            Err(error) => {
                                debug!(%error, "the head event stream broke");
                                break;
                            }
                        }
                    }
                }
                Err(error) if !warned => {
                    warned = true;
                    warn!(
                        %error,
                        "cannot follow the beacon node's head events: sync committee messages wait for a third of the slot"
                    );
                }
                Err(error) => debug!(%error, "head events still unavailable"),
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(LAST_RETRY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    fn head(slot: Slot, byte: u8) -> Option<Head> {
        Some(Head {
            slot,
            root: Root([byte; 32]),
        })
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_millis(300)
    }

    #[tokio::test]
    async fn the_slots_block_is_taken_at_once_if_it_is_the_head() {
        let (heads, _) = watch::channel(head(7, 1));
        let started = Instant::now();
        assert_eq!(block_of_slot(&heads, 7, soon()).await, Some(Root([1; 32])));
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn the_slots_block_is_awaited_until_it_arrives() {
        let (heads, _) = watch::channel(head(6, 1));
        let announce = heads.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            announce.send_replace(head(7, 2));
        });
        let started = Instant::now();
        assert_eq!(block_of_slot(&heads, 7, soon()).await, Some(Root([2; 32])));
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(40), "{waited:?}");
        assert!(waited < Duration::from_millis(250), "{waited:?}");
    }

    #[tokio::test]
    async fn an_older_head_waits_for_the_deadline_and_gives_nothing() {
        let (heads, _) = watch::channel(head(6, 1));
        let started = Instant::now();
        assert_eq!(block_of_slot(&heads, 7, soon()).await, None);
        assert!(started.elapsed() >= Duration::from_millis(290));
        let (nothing, _) = watch::channel(None);
        assert_eq!(block_of_slot(&nothing, 7, soon()).await, None);
    }

    #[tokio::test]
    async fn a_later_head_gives_nothing_at_once() {
        let (heads, _) = watch::channel(head(8, 1));
        let started = Instant::now();
        assert_eq!(block_of_slot(&heads, 7, soon()).await, None);
        assert!(started.elapsed() < Duration::from_millis(100));
    }
}
