//! corsprobe: a conformance suite for the CORS behaviour of object stores.

pub mod clock;
pub mod cors_config;
pub mod dialect;
pub mod exchange;
pub mod redact;
pub mod scenario;
pub mod target;
pub mod xml;
pub mod check;
pub mod fetch;
