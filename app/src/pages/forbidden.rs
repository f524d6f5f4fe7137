//! Pages for one role only (`/operator` for staff, `/admin` for admins): a
//! signed-in visitor without that role gets a 403 page that says so and
//! leads home, not the page's empty shell. The server checks every action
//! again; this only decides what the page shows.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::current_account;
use crate::domain::Role;

/// Who a page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Admins,
}

impl Audience {
    fn admits(self, role: Role) -> bool {
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

/// Shows `children` to the page's audience and the 403 page to anyone else.
#[component]
pub fn OnlyFor(audience: Audience, children: ChildrenFn) -> impl IntoView {
    let account = Resource::new(|| (), |_| current_account());
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(account)) if audience.admits(account.role) => {
                        children.with_value(|children| children()).into_any()
                    }
                    Ok(Some(account)) => view! { <ForbiddenPage audience role=account.role /> }.into_any(),
                    Ok(None) => view! {
                        <section class="empty-state">
                            <h1>"Signed out"</h1>
                            <p><a href="/login">"Sign in"</a>" to continue."</p>
                        </section>
                    }.into_any(),
                    Err(error) => view! {
                        <p class="error" role="alert">{format!("Could not load this page: {error}")}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ForbiddenPage(audience: Audience, role: Role) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::FORBIDDEN);
        }
    }
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
