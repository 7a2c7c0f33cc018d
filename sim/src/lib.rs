//! Simulated member clusters (`flotilla member-sim`): the apiserver code in member mode plus
//! kwok-style workload simulation. Not built yet — member clusters, Works and `flotilla up` are
//! the next piece of work; this crate only reserves its place in the workspace.
