//! Errors located in an input file: `file:line: message`.

use std::path::Path;

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Formats a TOML error as `file:line: message`.
pub fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> String {
    let line = e.span().map(|s| line_of(text, s.start));
    let msg = e.message().trim().replace('\n', " ");
    match line {
        Some(l) => format!("{}:{l}: {msg}", file.display()),
        None => format!("{}: {msg}", file.display()),
    }
}
