//! Who is acting: a signed-in account, or the system itself (the `server`
//! command line and the demo seed). Every action of the server-side core takes
//! one, so the same rules apply whichever door a request came through.

use serde::{Deserialize, Serialize};

use super::Role;

/// A signed-in account, as re-read from the database for each request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

/// Who performs an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// A person or integration, signed in by session or API token.
    User(CurrentUser),
    /// Whoever runs the `server` command on the host: they hold the database
    /// credentials already, so they act with an admin's rights, and their
    /// events are recorded as "system".
    System,
}

impl Viewer {
    /// The rights this viewer acts with.
    pub fn role(&self) -> Role {
        match self {
            Viewer::User(user) => user.role,
            Viewer::System => Role::Admin,
        }
    }

    pub fn is_staff(&self) -> bool {
        self.role().is_staff()
    }

    /// The account recorded as the actor of an event (`None`: the system).
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Viewer::User(user) => Some(user.id),
            Viewer::System => None,
        }
    }

    /// The signed-in account, for actions only a person can take (watching a
    /// shipment, reporting a problem): the system has no list of its own.
    pub fn person(&self) -> Option<&CurrentUser> {
        match self {
            Viewer::User(user) => Some(user),
            Viewer::System => None,
        }
    }
}

impl From<CurrentUser> for Viewer {
    fn from(user: CurrentUser) -> Self {
        Viewer::User(user)
    }
}
