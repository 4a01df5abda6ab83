//! Reports and the release gate: the JSON run record is canonical; every other format is
//! rendered from it, and the gate turns it into the exit code.

pub mod console;
pub mod gate;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod record;
pub mod tap;
