//! Links that carry their own authority: an unsubscribe link in an email, a
//! public tracking link. Whoever holds one may do that one thing without
//! signing in, so it is signed (HMAC-SHA256) and names its purpose; a changed
//! byte, another purpose or an expired link is refused.
//!
//! The key is made once per database (`signing_keys`) and shared by every
//! server on it, so a link made by one instance works on all, and survives
//! restarts. It never leaves the database and the servers' memory.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::Sha256;
use sqlx::PgPool;

use crate::error::AppError;

/// The longest token accepted: anything longer is refused before it is
/// decoded or hashed.
pub const MAX_TOKEN_LEN: usize = 512;

/// What a signed token allows; part of what is signed, so a token made for one
/// purpose is refused for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Turn off email notifications for one account.
    Unsubscribe,
    /// Open one shipment's public tracking page (the shareable link).
    Track,
    /// Follow one shipment's public changes live, for a few minutes.
    TrackStream,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Unsubscribe => b"unsubscribe",
            Purpose::Track => b"track",
            Purpose::TrackStream => b"track-stream",
        }
    }
}

#[derive(Clone)]
pub struct SigningKey([u8; 32]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

impl SigningKey {
    /// The database's link-signing key, made on first use. Servers starting
    /// together agree: only one insert wins, and all read the winner.
    pub async fn load(pool: &PgPool) -> Result<Self, AppError> {
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        sqlx::query!(
            "INSERT INTO signing_keys (name, secret) VALUES ('links', $1) ON CONFLICT (name) DO NOTHING",
            &fresh[..],
        )
        .execute(pool)
        .await?;
        let secret = sqlx::query_scalar!("SELECT secret FROM signing_keys WHERE name = 'links'")
            .fetch_one(pool)
            .await?;
        let key: [u8; 32] = secret
            .get(..32)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(AppError::Internal)?;
        Ok(Self(key))
    }

    /// A key for tests of this module.
    #[cfg(test)]
    fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self, purpose: Purpose, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(purpose.label());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// `payload` signed for `purpose`, as URL-safe text.
    pub fn sign(&self, purpose: Purpose, payload: &str) -> String {
        let tag = self.mac(purpose, payload.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// A token for `purpose` naming `id`, valid until `expires` (Unix
    /// seconds): `"<id>.<expires>"` signed.
    pub fn sign_until(&self, purpose: Purpose, id: i64, expires: i64) -> String {
        self.sign(purpose, &format!("{id}.{expires}"))
    }

    /// The id and expiry of a token made by [`SigningKey::sign_until`] for
    /// `purpose` that has not expired at `now` (Unix seconds).
    pub fn verify_until(&self, purpose: Purpose, token: &str, now: i64) -> Option<(i64, i64)> {
        let payload = self.verify(purpose, token)?;
        let (id, expires) = payload.split_once('.')?;
        let (id, expires) = (id.parse().ok()?, expires.parse::<i64>().ok()?);
        (expires > now).then_some((id, expires))
    }

    /// The payload of a token this key signed for `purpose`; `None` for
    /// anything else (tampered, another purpose, malformed, too long).
    pub fn verify(&self, purpose: Purpose, token: &str) -> Option<String> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Constant-time comparison.
        self.mac(purpose, &payload).verify_slice(&tag).ok()?;
        String::from_utf8(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_unchanged_with_its_key_and_purpose() {
        let key = SigningKey::from_bytes([7; 32]);
        let token = key.sign(Purpose::Unsubscribe, "42");
        assert_eq!(key.verify(Purpose::Unsubscribe, &token).as_deref(), Some("42"));
        assert_eq!(key.verify(Purpose::Track, &token), None, "another purpose");
        assert_eq!(
            SigningKey::from_bytes([8; 32]).verify(Purpose::Unsubscribe, &token),
            None
        );
        let forged = key.sign(Purpose::Unsubscribe, "43");
        let (_, their_tag) = forged.split_once('.').expect("two parts");
        let (payload, _) = token.split_once('.').expect("two parts");
        assert_eq!(
            key.verify(Purpose::Unsubscribe, &format!("{payload}.{their_tag}")),
            None
        );
        let mut flipped = token.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        assert_eq!(key.verify(Purpose::Unsubscribe, &flipped), None);
        assert_eq!(key.verify(Purpose::Unsubscribe, "not a token"), None);
        assert_eq!(
            key.verify(Purpose::Unsubscribe, &"a".repeat(MAX_TOKEN_LEN + 1)),
            None
        );
    }
}
