//! Authentication: password hashing (accounts and sessions arrive with the
//! accounts issue).

pub mod password;
