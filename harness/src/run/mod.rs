//! Running scenarios: the session on a target, the engine, signals, and
//! mutation runs of the suite itself.

pub mod engine;
pub mod mutation;
pub mod propagation;
pub mod session;
pub mod signals;
