//! The email a batch of notifications becomes. It names the changes (status,
//! place, time) and links back to each shipment; it never names who made a
//! change, so no other person's address can appear in it. Every email carries
//! a signed unsubscribe link that works without signing in, also as the
//! one-click `List-Unsubscribe` header (RFC 8058).

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::domain::{format_timestamp, EventKind, ShipmentEvent};
use crate::ssr::auth::signing::{Purpose, SigningKey};

/// Where links in emails point, and who they come from.
#[derive(Debug, Clone)]
pub struct Letterhead {
    /// The origin browsers reach Shipwatch at (`https://track.example.com`).
    pub public_origin: String,
    pub from: Mailbox,
}

/// The unsubscribe link for one account.
pub fn unsubscribe_url(origin: &str, key: &SigningKey, user_id: i64) -> String {
    format!(
        "{origin}/unsubscribe?token={}",
        key.sign(Purpose::Unsubscribe, &user_id.to_string())
    )
}

/// What happened, in a few words: "Out for delivery", "Problem reported".
fn headline(event: &ShipmentEvent) -> &'static str {
    match (event.kind, event.status) {
        (EventKind::Status, Some(status)) => status.label(),
        (EventKind::ProblemReported, _) => "Problem reported",
        (EventKind::ProblemResolved, _) => "Problem resolved",
        (EventKind::InstructionsSet, _) => "Delivery instructions changed",
        (EventKind::Status, None) => "Updated",
    }
}

fn subject(events: &[ShipmentEvent]) -> String {
    match events {
        [one] => format!("{}: {}", one.tracking_number.as_str(), headline(one)),
        many => {
            let mut parcels: Vec<&str> = many.iter().map(|e| e.tracking_number.as_str()).collect();
            parcels.sort_unstable();
            parcels.dedup();
            match parcels.len() {
                1 => format!("{}: {} updates", parcels[0], many.len()),
                n => format!("{n} of your shipments changed"),
            }
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The plain-text and HTML bodies.
fn bodies(origin: &str, events: &[ShipmentEvent], unsubscribe: &str) -> (String, String) {
    let mut text = String::from("What changed:\n\n");
    let mut html =
        String::from("<!doctype html><html><body style=\"font-family:sans-serif\"><p>What changed:</p><ul>");
    for event in events {
        let number = event.tracking_number.as_str();
        let link = format!("{origin}/shipments/{number}");
        let at = format_timestamp(event.occurred_at);
        let place = event
            .location
            .as_deref()
            .map(|l| format!(", {l}"))
            .unwrap_or_default();
        let note = event
            .note
            .as_deref()
            .map(|n| format!("\n  {n}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "* {number}: {}{place}, {at}{note}\n  {link}\n\n",
            headline(event)
        ));
        html.push_str(&format!(
            "<li><a href=\"{}\">{number}</a>: <strong>{}</strong>{}, {at}{}</li>",
            escape(&link),
            headline(event),
            escape(&place),
            event
                .note
                .as_deref()
                .map(|n| format!("<br>{}", escape(n)))
                .unwrap_or_default(),
        ));
    }
    let footer_text = format!(
        "You get this email because of your notification settings: {origin}/settings\n\
         Stop all Shipwatch emails: {unsubscribe}\n"
    );
    text.push_str(&footer_text);
    html.push_str(&format!(
        "</ul><p style=\"color:#555;font-size:small\">You get this email because of your \
         <a href=\"{}\">notification settings</a>. <a href=\"{}\">Stop all Shipwatch emails</a>.</p></body></html>",
        escape(&format!("{origin}/settings")),
        escape(unsubscribe),
    ));
    (text, html)
}

/// The email for one batch. `ids` are the notifications it settles: the
/// Message-ID is made from them, so a retry of the same batch is recognisably
/// the same message.
pub fn compose(
    letterhead: &Letterhead,
    key: &SigningKey,
    to: Mailbox,
    user_id: i64,
    ids: &[i64],
    events: &[ShipmentEvent],
) -> Result<Message, lettre::error::Error> {
    let origin = letterhead.public_origin.as_str();
    let unsubscribe = unsubscribe_url(origin, key, user_id);
    let (text, html) = bodies(origin, events, &unsubscribe);
    let domain = letterhead.from.email.domain();
    let first = ids.first().copied().unwrap_or_default();
    let last = ids.last().copied().unwrap_or_default();
    Message::builder()
        .from(letterhead.from.clone())
        .to(to)
        .subject(subject(events))
        .message_id(Some(format!(
            "<notifications.{first}-{last}.{}@{domain}>",
            ids.len()
        )))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{unsubscribe}>"),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(text, html))
}
