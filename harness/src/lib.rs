//! corsprobe: a conformance suite for the CORS behaviour of object stores.

pub mod browser;
pub mod browser_stage;
pub mod check;
pub mod cli;
pub mod clock;
pub mod cors_config;
pub mod dialect;
pub mod engine;
pub mod exchange;
pub mod expectations;
pub mod fault_proxy;
pub mod fetch;
pub mod gate;
pub mod local_store;
pub mod mutation;
pub mod page_server;
pub mod page_view;
pub mod passthrough;
pub mod redact;
pub mod report;
pub mod scenario;
pub mod snapshot;
pub mod target;
pub mod template;
pub mod verdict;
pub mod xml;
