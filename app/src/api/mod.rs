//! Server functions: thin wrappers that parse input, (soon) authorize, and call
//! the server-only code below `ssr`.

pub mod shipments;
