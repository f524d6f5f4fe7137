//! Pages for one role only (`/operator` for staff, `/admin` for admins): a
//! signed-in visitor without that role gets a 403 page that says so and
//! leads home, not the page's empty shell. The server checks every action
//! again; this only decides what the page shows.
//!
//! The check runs inside the page's own `Suspense`, not as a wrapper around
//! it: a page whose resources are created inside a further `Suspense` level
//! does not hydrate (Leptos 0.8 finds a different node than it rendered).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::domain::{Account, Role};
use crate::error::AppError;

/// Who a page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Admins,
}

impl Audience {
    pub fn admits(self, role: Role) -> bool {
        match self {
            Audience::Staff => role.is_staff(),
            Audience::Admins => role == Role::Admin,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Audience::Staff => "operators and admins",
            Audience::Admins => "admins",
        }
    }
}

/// The 403 page if the signed-in visitor is not in `audience`; `None` lets
/// the page render (a signed-out visitor never gets here: the server sends
/// them to the login page first). Await it first in the page's `Suspense`.
pub async fn refusal(
    audience: Audience,
    account: Resource<Result<Option<Account>, AppError>>,
) -> Option<AnyView> {
    match account.await {
        Ok(Some(account)) if !audience.admits(account.role) => {
            Some(view! { <ForbiddenPage audience role=account.role /> }.into_any())
        }
        _ => None,
    }
}

/// The 403 page: what this page is for, and a way home.
#[component]
pub fn ForbiddenPage(audience: Audience, role: Role) -> impl IntoView {
    crate::respond_with(403);
    view! {
        <Title text="Not allowed" />
        <section class="empty-state">
            <h1>"This page is not for your account"</h1>
            <p>
                {format!("This page is for {}; you are signed in as a {role}. ", audience.name())}
                <a href="/">"Go to your shipments"</a>"."
            </p>
        </section>
    }
}
