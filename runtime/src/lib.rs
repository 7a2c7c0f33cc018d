//! `flotilla-runtime` owns the controller machinery that Flotilla's controllers and the member
//! simulator share, in the spirit of client-go's workqueue and kube-runtime's controller loop:
//!
//! * [`queue`]: the [`WorkQueue`] — a waiting key is queued once, one key is never handled by two
//!   workers at once, failed keys come back after an exponential backoff;
//! * [`workers`]: the worker pool that takes keys from a queue, reconciles them and hands them
//!   back ([`spawn_workers`]), what a reconcile asks for next ([`Action`]), the periodic
//!   [`resync`], and the options every queue-driven controller has ([`QueueOptions`]).

pub mod queue;
pub mod workers;

pub use queue::WorkQueue;
pub use workers::{Action, QueueOptions, resync, spawn_workers, work};
