//! Signing a delivery as the Standard Webhooks specification (v1) says:
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`,
//! keyed with the secret's bytes (`whsec_<base64>`). During a rotation's
//! overlap both secrets sign, space-separated, and a receiver holding either
//! verifies.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// Random bytes in a new secret (the specification asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A fresh secret, `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The secrets that sign now: the current one, and the previous one while
/// a rotation's overlap lasts.
pub fn signing_secrets<'a>(
    current: &'a str,
    previous: Option<&'a str>,
    previous_until: Option<chrono::DateTime<chrono::Utc>>,
) -> Vec<&'a str> {
    let overlapping = previous.filter(|_| previous_until.is_some_and(|until| until > chrono::Utc::now()));
    std::iter::once(current).chain(overlapping).collect()
}

/// The `webhook-signature` value for one message, signed with each of
/// `secrets` (a secret that does not decode is left out: it cannot have
/// been made by [`new_secret`]).
pub fn sign(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| key(secret))
        .map(|key| {
            let mut mac = <Hmac<Sha256>>::new_from_slice(&key).expect("HMAC takes a key of any length");
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference libraries: this secret,
    /// id, timestamp and body sign to this value.
    #[test]
    fn signs_the_specifications_example() {
        let signature = sign(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn both_secrets_sign_during_a_rotation() {
        let (old, new) = (new_secret(), new_secret());
        let both = sign(&[&new, &old], "msg_1", 1, b"{}");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(
            parts,
            [sign(&[&new], "msg_1", 1, b"{}"), sign(&[&old], "msg_1", 1, b"{}")]
        );
        assert_ne!(parts[0], parts[1]);
    }
}
