//! Checks: one expectation about one observation, judged with its expected and actual values
//! and the scenario line it is written at kept. A check of a raw exchange and a check of what a
//! page saw are different types, so neither can meet the other kind of step.

pub mod exchange;
pub mod page;

pub use exchange::{Digest, ExchangeSubject, FetchOutcome, HeaderPredicate, browser_decision};
pub use page::PageSubject;

use crate::vocabulary::{BrowserKind, Dialect, Level};
use serde::{Deserialize, Serialize};

/// An expected status: an exact code or a class such as `"2xx"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StatusSpec {
    /// Exactly this code.
    Code(u16),
    /// Any code of this class, written `"2xx"`.
    Class(String),
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StatusSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a status code such as 200 or a class such as \"2xx\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<StatusSpec, E> {
                u16::try_from(v)
                    .map(StatusSpec::Code)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StatusSpec, E> {
                u16::try_from(v)
                    .map(StatusSpec::Code)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StatusSpec, E> {
                Ok(StatusSpec::Class(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl StatusSpec {
    /// Rejects classes other than `1xx`..`5xx`.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            StatusSpec::Code(c) if (100..600).contains(c) => Ok(()),
            StatusSpec::Code(c) => Err(format!("`status = {c}` is not an HTTP status")),
            StatusSpec::Class(s)
                if s.len() == 3
                    && s.ends_with("xx")
                    && ('1'..='5').contains(&s.chars().next().unwrap_or('0')) =>
            {
                Ok(())
            }
            StatusSpec::Class(s) => Err(format!(
                "`status = \"{s}\"`: write a code (200) or a class (\"2xx\")"
            )),
        }
    }

    pub(crate) fn matches(&self, status: u16) -> bool {
        match self {
            StatusSpec::Code(c) => *c == status,
            StatusSpec::Class(s) => s.starts_with(&(status / 100).to_string()),
        }
    }

    /// As written: `200` or `2xx`.
    pub fn text(&self) -> String {
        match self {
            StatusSpec::Code(c) => c.to_string(),
            StatusSpec::Class(s) => s.clone(),
        }
    }
}

/// One expectation of a step, about what `S` looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Check<S> {
    /// How bad its failure is.
    pub level: Level,
    /// Only judged on targets of this dialect.
    pub dialect: Option<Dialect>,
    /// Only judged in these browsers (where another browser's behaviour is unreliable); empty
    /// means every browser.
    pub browser: Vec<BrowserKind>,
    /// What it looks at and what must hold.
    pub subject: S,
    /// Where it is written: `suites/<id>.toml:<line>` (empty for checks made in code).
    pub source: String,
}

/// A check of a raw request's exchange with the store.
pub type ExchangeCheck = Check<ExchangeSubject>;

/// A check of what a page saw in a real browser.
pub type PageCheck = Check<PageSubject>;

/// A step's checks: of its exchange, or (for a `page` step) of what the page saw.
#[derive(Debug, Clone, PartialEq)]
pub enum StepChecks {
    /// Judged on the raw exchange.
    Exchange(Vec<ExchangeCheck>),
    /// Judged on the page's view.
    Page(Vec<PageCheck>),
}

impl StepChecks {
    /// How many checks the step has.
    pub fn len(&self) -> usize {
        match self {
            StepChecks::Exchange(c) => c.len(),
            StepChecks::Page(c) => c.len(),
        }
    }

    /// True when the step has no check (validation keeps this from happening).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each check's level and source line, in the order written.
    pub fn written(&self) -> Vec<(Level, &str)> {
        match self {
            StepChecks::Exchange(c) => c.iter().map(|c| (c.level, c.source.as_str())).collect(),
            StepChecks::Page(c) => c.iter().map(|c| (c.level, c.source.as_str())).collect(),
        }
    }
}

/// The judged check: what was expected, what was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The step it belongs to.
    pub step: String,
    /// What was checked, e.g. `header access-control-allow-origin`.
    pub check: String,
    /// Its level.
    pub level: Level,
    /// The expected value, in words.
    pub expected: String,
    /// The observed value, in words.
    pub actual: String,
    /// Whether it held.
    pub ok: bool,
    /// The scenario file and line the check is written at, as hurl's asserts keep theirs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl CheckResult {
    /// One line for humans: `step: check: expected X, got Y`.
    pub fn summary(&self) -> String {
        format!(
            "{}: {}: expected {}, got {}",
            self.step, self.check, self.expected, self.actual
        )
    }
}

impl<S> Check<S> {
    /// A must check made in code, in every dialect and browser.
    pub fn must(subject: S) -> Check<S> {
        Check {
            level: Level::Must,
            dialect: None,
            browser: Vec::new(),
            subject,
            source: String::new(),
        }
    }

    /// True when the check is judged on this dialect and, for a page step, in this browser.
    pub fn applies(&self, dialect: Dialect, browser: Option<BrowserKind>) -> bool {
        self.dialect.is_none_or(|d| d == dialect)
            && (self.browser.is_empty() || browser.is_some_and(|b| self.browser.contains(&b)))
    }

    /// The result of this check: what it looked at, expected and actual, and whether it held.
    fn judged(
        &self,
        step: &str,
        check: String,
        expected: String,
        actual: String,
        ok: bool,
    ) -> CheckResult {
        CheckResult {
            step: step.to_string(),
            check,
            level: self.level,
            expected,
            actual,
            ok,
            source: self.source.clone(),
        }
    }
}

/// How a check's `readable`/`unreadable` expectation is written in its result.
fn readability(readable: bool) -> String {
    if readable { "readable" } else { "not readable" }.to_string()
}
