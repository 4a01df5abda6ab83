//! Reports: the JSON run record is canonical; every other format is rendered from it.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod record;
pub mod tap;
