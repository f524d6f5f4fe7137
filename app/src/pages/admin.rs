//! `/admin` — accounts' roles and API tokens, for admins.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::current_account;
use crate::api::admin::{list_tokens, list_users, ChangeRole, EndSessions, IssueToken, RevokeToken};
use crate::components::form_feedback::{field_error, form_error, max_chars};
use crate::components::reload::reload_when;
use crate::domain::{format_timestamp, Role, TokenInfo, UserInfo};
use crate::error::AppError;
use crate::pages::forbidden::{refusal, Audience};

#[component]
pub fn AdminPage() -> impl IntoView {
    let account = Resource::new(|| (), |_| current_account());
    let users = Resource::new(|| (), |_| list_users());
    let tokens = Resource::new(|| (), |_| list_tokens());
    view! {
        <Title text="Admin" />
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading accounts…"</p> }>
            {move || Suspend::new(async move {
                if let Some(refusal) = refusal(Audience::Admins, account).await {
                    return refusal;
                }
                let users = users.await;
                let tokens = tokens.await;
                view! { <Admin users tokens /> }.into_any()
            })}
        </Suspense>
    }
}

/// The page's part that lives in the browser (an island). Each list is read
/// again after a change to it.
// An island in the `admin` browser bundle only (see `crate::bundles`).
#[cfg_attr(any(not(feature = "bundle"), feature = "bundle-admin"), island)]
#[cfg_attr(all(feature = "bundle", not(feature = "bundle-admin")), component)]
fn Admin(users: Result<Vec<UserInfo>, AppError>, tokens: Result<Vec<TokenInfo>, AppError>) -> impl IntoView {
    let change_role = ServerAction::<ChangeRole>::new();
    let issue = ServerAction::<IssueToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let users = RwSignal::new(users);
    let tokens = RwSignal::new(tokens);
    reload_when(users, move || change_role.version().track(), list_users);
    reload_when(
        tokens,
        move || {
            issue.version().track();
            revoke.version().track();
        },
        list_tokens,
    );
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <section class="admin" data-hydrated=move || hydrated.get().to_string()>
            {move || match users.get() {
                Ok(users) => view! { <h1>"Admin"</h1> <UsersTable users change_role /> }.into_any(),
                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            }}
            {move || tokens.get().ok().map(|tokens| view! { <TokensSection tokens issue revoke /> })}
        </section>
    }
}

#[component]
fn UsersTable(users: Vec<UserInfo>, change_role: ServerAction<ChangeRole>) -> impl IntoView {
    let end_sessions = ServerAction::<EndSessions>::new();
    view! {
        <section aria-labelledby="users-heading">
            <h2 id="users-heading">"Accounts"</h2>
            {form_error(change_role.value(), &[])}
            {form_error(end_sessions.value(), &[])}
            {move || end_sessions.value().with(|done| matches!(done, Some(Ok(()))).then(|| view! {
                <p class="success" role="status">"Signed out everywhere: every browser of that account must sign in again."</p>
            }))}
            <div class="table-wrap">
                <table class="users">
                    <thead><tr><th scope="col">"Email"</th><th scope="col">"Since"</th><th scope="col">"Role"</th><th scope="col">"Sessions"</th></tr></thead>
                    <tbody>
                        {users.into_iter().map(|user| {
                            let id = format!("role-{}", user.id);
                            let email = user.email.clone();
                            let label = format!("Role of {}", user.email);
                            let end_label = format!("Sign {} out everywhere", user.email);
                            let end_email = user.email.clone();
                            view! {
                                <tr data-email=user.email.clone()>
                                    <th scope="row">{user.email.clone()}</th>
                                    <td>{format_timestamp(user.created_at)}</td>
                                    <td>
                                        <ActionForm action=change_role attr:class="inline-fields">
                                            <input type="hidden" name="email" value=email />
                                            <label for=id.clone() class="visually-hidden">{label}</label>
                                            <select id=id name="role">
                                                {Role::ALL.iter().map(|r| view! {
                                                    <option value=r.as_str() selected=*r == user.role>{r.as_str()}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit">"Save"</button>
                                        </ActionForm>
                                    </td>
                                    <td>
                                        <ActionForm action=end_sessions attr:class="inline-form">
                                            <input type="hidden" name="email" value=end_email />
                                            <button type="submit" class="danger" aria-label=end_label>"Sign out everywhere"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn TokensSection(
    tokens: Vec<TokenInfo>,
    issue: ServerAction<IssueToken>,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    let result = issue.value();
    view! {
        <section aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <ActionForm action=issue attr:class="inline-fields">
                <div class="field">
                    <label for="token-email">"Account email"</label>
                    <input id="token-email" name="email" type="email" required maxlength=max_chars("email") />
                    {field_error(result, "email")}
                </div>
                <div class="field">
                    <label for="token-name">"What it is for"</label>
                    <input id="token-name" name="name" type="text" required maxlength=max_chars("name")
                        placeholder="Scanner, depot 3" />
                    {field_error(result, "name")}
                </div>
                <div class="field">
                    <label for="token-expiry">"Expires"</label>
                    <select id="token-expiry" name="expires_in_days">
                        <option value="">"Never (until revoked)"</option>
                        <option value="30">"In 30 days"</option>
                        <option value="90">"In 90 days"</option>
                        <option value="365">"In a year"</option>
                    </select>
                    {field_error(result, "expires_in_days")}
                </div>
                <button type="submit" class="primary">"Issue token"</button>
            </ActionForm>
            {form_error(result, &["email", "name", "expires_in_days"])}
            {move || result.with(|r| match r {
                Some(Ok(issued)) => Some(view! {
                    <div class="success" role="status">
                        <p>"Copy this token now: it is shown only once."</p>
                        <code class="token">{issued.token.clone()}</code>
                    </div>
                }),
                _ => None,
            })}
            {form_error(revoke.value(), &[])}
            <div class="table-wrap">
                <table class="tokens">
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Account"</th><th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col">"State"</th>
                    </tr></thead>
                    <tbody>
                        {tokens.into_iter().map(|t| view! {
                            <tr>
                                <th scope="row">{t.name.clone()}</th>
                                <td>{t.email.clone()}</td>
                                <td>{t.last_used_at.map(format_timestamp).unwrap_or_else(|| "never".to_owned())}</td>
                                <td>{t.expires_at.map(format_timestamp).unwrap_or_else(|| "never".to_owned())}</td>
                                <td>{match t.revoked_at {
                                    Some(at) => view! { <span>{format!("revoked {}", format_timestamp(at))}</span> }.into_any(),
                                    None => view! {
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <input type="hidden" name="id" value=t.id />
                                            <button type="submit" class="danger" aria-label=format!("Revoke {}", t.name)>"Revoke"</button>
                                        </ActionForm>
                                    }.into_any(),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
