//! The bar at the top of every page: the brand, and who is signed in with a
//! sign-out button (a form, so it works without JavaScript).

use leptos::prelude::*;

use crate::api::account::current_account;
use crate::api::notifications::unread_notifications;
use crate::components::bell::Bell;

#[component]
pub fn Header() -> impl IntoView {
    let account = Resource::new(|| (), |_| current_account());
    let unread = Resource::new(|| (), |_| unread_notifications());
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◎"</span>
                "Shipwatch"
            </a>
            <crate::live::ConnectionIndicator />
            <nav class="account" aria-label="Account">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match account.await {
                            Ok(Some(account)) => {
                                let unread = unread.await.ok().flatten().unwrap_or(0);
                                view! {
                                <a href="/">"Shipments"</a>
                                <Bell initial=unread />
                                {account.role.is_staff().then(|| view! { <a href="/operator">"Console"</a> })}
                                {(account.role == crate::domain::Role::Admin).then(|| view! { <a href="/admin">"Admin"</a> })}
                                <a href="/settings">"Settings"</a>
                                <span class="who">
                                    {account.email}
                                    <span class="role">{account.role.as_str()}</span>
                                </span>
                                <form method="post" action="/logout" class="inline-form">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                    <button type="submit" name="everywhere" value="1" class="link-button"
                                        title="End this account's sessions in every browser">"Everywhere"</button>
                                </form>
                            }.into_any()
                            }
                            _ => view! { <a href="/login">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}
