//! Where the node's blocking work (decoding and checking signatures) runs.
//!
//! Work a duty waits for runs on the async runtime's blocking pool. Surplus work, such as a
//! peer's set of partial signatures whose every validator already has its aggregate (it is
//! still verified, stored and, if bad, rejected and counted, but it completes nothing), runs on
//! one worker thread at the lowest scheduling priority, in arrival order. It then takes only CPU
//! time nothing else wants: in a slot's burst, when every node of a cluster checks its peers'
//! sets at once, it gives way to the checks that complete duties, in this process and in others
//! on the same machine, and it runs as soon as the burst is over.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

/// How soon a piece of blocking work is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Something waits for it (a duty can complete with its result).
    Needed,
    /// Nothing waits for it: it can give way to any other work.
    Surplus,
}

/// Why blocking work has no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unfinished {
    /// The work panicked, or the runtime shut down before it ended.
    #[error("blocking work did not run to the end: {0}")]
    Interrupted(String),
    /// The surplus worker is gone (it is stopped only with the node).
    #[error("the surplus worker has stopped")]
    WorkerStopped,
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs blocking work by [`Urgency`]: needed work on the blocking pool, surplus work on a
/// lowest-priority thread of its own, which ends when this is dropped.
#[derive(Debug)]
pub struct Offload {
    surplus: mpsc::Sender<Job>,
}

/// The nice value of the surplus worker: the lowest priority there is.
pub const SURPLUS_NICE: i32 = 19;

impl Offload {
    /// Starts the surplus worker thread.
    pub fn start() -> std::io::Result<Self> {
        let (surplus, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("mosaic-surplus".into())
            .spawn(move || {
                lower_this_threads_priority();
                while let Ok(job) = jobs.recv() {
                    job();
                }
            })?;
        Ok(Self { surplus })
    }

    /// Runs `job` off the async runtime's workers, as soon as `urgency` asks, and returns its
    /// result.
    pub async fn run<R: Send + 'static>(
        &self,
        urgency: Urgency,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, Unfinished> {
        match urgency {
            Urgency::Needed => tokio::task::spawn_blocking(job)
                .await
                .map_err(|error| Unfinished::Interrupted(error.to_string())),
            Urgency::Surplus => {
                let (result_tx, result_rx) = tokio::sync::oneshot::channel();
                let wrapped: Job = Box::new(move || {
                    // A panic ends this job only: the worker goes on with the next one, and the
                    // caller learns of it by the dropped sender.
                    if let Ok(result) = std::panic::catch_unwind(AssertUnwindSafe(job)) {
                        let _ = result_tx.send(result);
                    }
                });
                self.surplus
                    .send(wrapped)
                    .map_err(|_| Unfinished::WorkerStopped)?;
                result_rx
                    .await
                    .map_err(|_| Unfinished::Interrupted("surplus work panicked".into()))
            }
        }
    }
}

/// Sets the calling thread's nice value to [`SURPLUS_NICE`]. On Linux a thread has its own nice
/// value (`setpriority` on a thread ID changes that thread only); elsewhere the call would
/// change the whole process, so the worker keeps the default priority there.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    if let Err(error) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), SURPLUS_NICE)
    {
        tracing::warn!(%error, "the surplus worker runs at the default priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    fn this_threads_nice() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
    }

    #[tokio::test]
    async fn surplus_work_runs_in_order_on_one_lowest_priority_thread() {
        let offload = Offload::start().unwrap();
        let first = offload
            .run(Urgency::Surplus, || std::thread::current().id())
            .await
            .unwrap();
        let second = offload
            .run(Urgency::Surplus, || std::thread::current().id())
            .await
            .unwrap();
        assert_eq!(first, second);
        assert_ne!(first, std::thread::current().id());
        #[cfg(target_os = "linux")]
        assert_eq!(
            offload
                .run(Urgency::Surplus, this_threads_nice)
                .await
                .unwrap(),
            SURPLUS_NICE
        );
    }

    #[tokio::test]
    async fn needed_work_keeps_the_default_priority() {
        let offload = Offload::start().unwrap();
        assert_eq!(offload.run(Urgency::Needed, || 6 * 7).await, Ok(42));
        #[cfg(target_os = "linux")]
        {
            let callers = this_threads_nice();
            assert_eq!(
                offload.run(Urgency::Needed, this_threads_nice).await,
                Ok(callers)
            );
            assert_ne!(callers, SURPLUS_NICE);
        }
    }

    #[tokio::test]
    async fn a_panicking_surplus_job_is_reported_and_the_worker_goes_on() {
        let offload = Offload::start().unwrap();
        let failed = offload
            .run(Urgency::Surplus, || -> u8 { panic!("a bad job") })
            .await;
        assert!(matches!(failed, Err(Unfinished::Interrupted(_))));
        assert_eq!(offload.run(Urgency::Surplus, || 7).await, Ok(7));
        let failed = offload
            .run(Urgency::Needed, || -> u8 { panic!("a bad job") })
            .await;
        assert!(matches!(failed, Err(Unfinished::Interrupted(_))));
    }
}
