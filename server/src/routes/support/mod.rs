//! Helpers the doors share; no handlers here.

pub mod csv;
pub mod extract;
pub mod url;
