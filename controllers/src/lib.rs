//! `flotilla-controllers` owns Flotilla's controllers. Each is an API client (kube-rs over HTTP),
//! never a caller into the apiserver's internals, so it runs the same against a remote control
//! plane. Today: the resource [`detector`], which turns resource templates and propagation
//! policies into ResourceBindings.

pub mod detector;

pub use detector::{DetectorOptions, Error, ReleasedBindings, run_detector};
