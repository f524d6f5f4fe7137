//! The HTTP edge of the core, its top layer: the state every request handler
//! and server function can reach, and how a request proves who it is (the
//! extractors, and the one typed browser session they and the page guard
//! use). The doors (`crate::api` server functions, the server crate's
//! routes) build on this.

pub mod extract;
pub mod form_echo;
pub mod session;
pub mod state;

pub use crate::ssr::auth::client::{ClientAddr, TrustedProxies};
pub use extract::{client_of_server_fn, from_server_fn, has_bearer_token, SignedIn};
pub use form_echo::FormEcho;
pub use session::{BrowserSession, NewSignIn, SessionUser};
pub use state::{AppState, StreamSettings};
