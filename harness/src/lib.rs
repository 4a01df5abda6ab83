//! corsprobe: a conformance suite for the CORS behaviour of object stores.

pub mod browser;
pub mod cli;
pub use corsprobe_core as model;
pub mod proxy;
pub mod report;
pub mod repro;
pub mod run;
pub mod store;
pub mod tls;
