//! The task that empties the email outbox over SMTP: claim a person's batch,
//! compose one email, send it, settle it; back off after failures. Every
//! server runs one; `outbox` keeps them from sending anything twice.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport as _, Tokio1Executor};
use sqlx::PgPool;

use super::message::{compose, Letterhead};
use super::outbox::{self, Batch};
use crate::ssr::auth::signing::SigningKey;

/// How email goes out. Built from the server's settings; absent when no SMTP
/// server is configured (email is then off, and notifications stay in the
/// app).
#[derive(Clone)]
pub struct EmailSettings {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` (STARTTLS)
    /// or `smtps://user:pass@host:465`. Holds a password: never logged.
    pub smtp_url: String,
    pub from: Mailbox,
    /// How long the first of a person's notifications waits for others to
    /// join it in one email.
    pub batch_window: Duration,
    /// The wait after the first failed attempt; it doubles with each
    /// further one, up to an hour.
    pub retry_base: Duration,
    /// Attempts before a notification's email is given up.
    pub max_attempts: i32,
    /// How often the outbox is looked at when it was empty.
    pub poll: Duration,
}

impl std::fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSettings")
            .field("smtp_url", &"…")
            .field("from", &self.from.to_string())
            .field("batch_window", &self.batch_window)
            .finish_non_exhaustive()
    }
}

/// The longest backoff between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// The longest an SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl EmailSettings {
    /// Defaults for everything but where to send and from whom.
    pub fn new(smtp_url: String, from: Mailbox) -> Self {
        Self {
            smtp_url,
            from,
            batch_window: Duration::from_secs(30),
            retry_base: Duration::from_secs(10),
            max_attempts: 12,
            poll: Duration::from_secs(1),
        }
    }

    /// The wait before attempt `attempts + 1`, or `None` to give up.
    fn backoff(&self, attempts: i32) -> Option<Duration> {
        if attempts + 1 >= self.max_attempts {
            return None;
        }
        let factor = 1u32 << attempts.clamp(0, 16);
        Some(self.retry_base.saturating_mul(factor).min(MAX_BACKOFF))
    }
}

/// Checks the settings (a malformed SMTP URL stops the server at start, with
/// the reason, rather than failing every email later).
pub fn transport(settings: &EmailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
        .map(|builder| builder.timeout(Some(SMTP_TIMEOUT)).build())
        .map_err(|_| "SHIPWATCH_SMTP_URL is not a valid smtp:// or smtps:// URL".to_owned())
}

/// Runs the sender until the runtime ends. A batch being sent when it ends is
/// released unsent and sent by the next claim.
pub async fn run(
    pool: PgPool,
    settings: EmailSettings,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    letterhead: Letterhead,
    key: SigningKey,
) {
    loop {
        match outbox::claim(&pool, settings.batch_window).await {
            Ok(Some(batch)) => {
                let settled = deliver(&settings, &transport, &letterhead, &key, batch).await;
                if let Err(error) = settled {
                    tracing::warn!(%error, "could not record an email's outcome; it will be sent again");
                    tokio::time::sleep(settings.poll).await;
                }
            }
            Ok(None) => tokio::time::sleep(settings.poll).await,
            Err(error) => {
                tracing::warn!(%error, "could not read the email outbox; trying again shortly");
                tokio::time::sleep(settings.poll.max(Duration::from_secs(1))).await;
            }
        }
    }
}

async fn deliver(
    settings: &EmailSettings,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    letterhead: &Letterhead,
    key: &SigningKey,
    batch: Batch,
) -> Result<(), crate::error::AppError> {
    let Ok(to) = batch.recipient.email.parse::<Mailbox>() else {
        return batch
            .failed("the account's email address cannot be mailed", None)
            .await;
    };
    let message = match compose(
        letterhead,
        key,
        to,
        batch.recipient.user_id,
        &batch.ids,
        &batch.events,
    ) {
        Ok(message) => message,
        Err(error) => return batch.failed(&format!("composing: {error}"), None).await,
    };
    match transport.send(message).await {
        Ok(_) => {
            metrics::counter!("shipwatch_emails_sent_total").increment(1);
            metrics::counter!("shipwatch_email_notifications_sent_total").increment(batch.ids.len() as u64);
            batch.sent().await
        }
        Err(error) => {
            metrics::counter!("shipwatch_email_failures_total").increment(1);
            let retry = if error.is_permanent() {
                None
            } else {
                settings.backoff(batch.attempts)
            };
            tracing::warn!(
                user_id = batch.recipient.user_id,
                attempts = batch.attempts + 1,
                retrying = retry.is_some(),
                %error,
                "sending a notification email failed"
            );
            batch.failed(&error.to_string(), retry).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour_and_gives_up_at_the_limit() {
        let from: Mailbox = "Shipwatch <noreply@example.com>".parse().expect("mailbox");
        let settings = EmailSettings::new("smtp://127.0.0.1:25".into(), from);
        assert_eq!(settings.backoff(0), Some(Duration::from_secs(10)));
        assert_eq!(settings.backoff(1), Some(Duration::from_secs(20)));
        assert_eq!(settings.backoff(10), Some(MAX_BACKOFF));
        assert_eq!(settings.backoff(11), None);
        assert!(format!("{settings:?}").contains('…') && !format!("{settings:?}").contains("127.0.0.1"));
    }
}
