//! The JSON report: the canonical run record, written as pretty JSON.

use super::record::RunRecord;
use crate::model::redact::Redactor;
use std::path::Path;

/// Serialises a record; the redactor scrubs the whole text once more as a last line of defence.
pub fn render(record: &RunRecord, redactor: &Redactor) -> String {
    let text = serde_json::to_string_pretty(record).expect("the run record serialises");
    redactor.text(&text)
}

/// Writes the record to `path`, creating its directory.
pub fn write_report(path: &Path, record: &RunRecord, redactor: &Redactor) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, render(record, redactor) + "\n")
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a record back (for merging runs into reports).
pub fn read(path: &Path) -> Result<RunRecord, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let record: RunRecord = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a corsprobe run record: {e}", path.display()))?;
    if record.schema != super::record::SCHEMA {
        return Err(format!(
            "{}: schema `{}` is not `{}`",
            path.display(),
            record.schema,
            super::record::SCHEMA
        ));
    }
    Ok(record)
}
