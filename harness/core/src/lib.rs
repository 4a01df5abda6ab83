//! corsprobe's model: the vocabulary, scenarios and their checks by the Fetch rules, verdicts,
//! known failures, results, snapshots and redaction. Pure functions of data; nothing here sends
//! a request, starts a process or drives a browser, so it builds (and its tests run) without
//! the HTTP client, the WebDriver client or the signing crates. The harness names it `model`.

pub mod capability;
pub mod check;
pub mod clock;
pub mod cors_config;
pub mod diagnosis;
pub mod exchange;
pub mod expectations;
pub mod fetch_rules;
pub mod finding;
pub mod located;
pub mod oracle;
pub mod page_view;
pub mod place;
pub mod plan;
pub mod redact;
pub mod result;
pub mod scenario;
pub mod snapshot;
pub mod template;
pub mod uniform;
pub mod verdict;
pub mod vocabulary;
pub mod xml;
