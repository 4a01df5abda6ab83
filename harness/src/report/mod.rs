//! Reports: the JSON run record is canonical; every other format is rendered from it.

pub mod console;
pub mod json;
pub mod record;
