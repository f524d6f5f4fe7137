//! Password hashing with argon2id at OWASP's minimum cost (m = 19 MiB, t = 2,
//! p = 1).
//!
//! Hashing is deliberately slow and memory-hungry, and anyone can ask for it
//! (signing in, registering), so it is bounded twice:
//! * at most one hash per core at a time ([`HASHING_SLOTS`]), on tokio's
//!   blocking pool so it never stalls the async workers that serve streams;
//!   a request that cannot get a slot within [`QUEUE_TIMEOUT`] is answered
//!   503 "try again shortly" instead of queueing without end. Memory stays
//!   at cores × 19 MiB however many arrive.
//! * at most [`PER_CLIENT`] hashes queued or running per client address
//!   ([`HashTurns`], one per server), so one client cannot fill the queue in
//!   front of everybody else: its extra requests get 429 at once.
//!
//! Throttles and duplicate checks run before any of this (`actions::accounts`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::NewPassword;
use crate::error::AppError;
use crate::ssr::auth::client::ClientAddr;

/// How long a request waits for a hashing slot before 503.
pub const QUEUE_TIMEOUT: Duration = Duration::from_secs(3);
/// Hashes one client may have queued or running at once.
pub const PER_CLIENT: usize = 2;

/// One slot per core: more would only make every hash slower.
pub static HASHING_SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Hashes each client has queued or running on this server.
#[derive(Debug, Default)]
pub struct HashTurns(Mutex<HashMap<String, usize>>);

impl HashTurns {
    /// Takes a turn for `client`, or refuses (429) if it already has
    /// [`PER_CLIENT`] hashes waiting or running. Requests without a client
    /// (the command line) always get one.
    pub fn take(self: &Arc<Self>, client: Option<ClientAddr>) -> Result<HashTurn, AppError> {
        let Some(key) = client.map(|c| c.throttle_key()) else {
            return Ok(HashTurn(None));
        };
        let mut in_flight = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = in_flight.entry(key.clone()).or_default();
        if *count >= PER_CLIENT {
            return Err(AppError::TooManyRequests { retry_after_secs: 1 });
        }
        *count += 1;
        Ok(HashTurn(Some((Arc::clone(self), key))))
    }
}

/// A client's turn to have a password hashed; the turn ends when dropped.
#[derive(Debug)]
pub struct HashTurn(Option<(Arc<HashTurns>, String)>);

impl Drop for HashTurn {
    fn drop(&mut self) {
        if let Some((turns, key)) = self.0.take() {
            let mut in_flight = turns.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(count) = in_flight.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    in_flight.remove(&key);
                }
            }
        }
    }
}

/// The cost of new hashes: OWASP's minimum for argon2id.
fn new_hash_params() -> anyhow::Result<Params> {
    Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))
}

/// Argon2's working memory (19 MiB per hash), kept between hashes and reused:
/// one buffer per hash in progress, so never more than [`HASHING_SLOTS`].
/// Allocating it afresh each time made the allocator keep freed buffers per
/// thread: a sign-in flood grew the server by 250–440 MB (`scripts/flood`).
static WORKING_MEMORY: LazyLock<Mutex<Vec<Vec<Block>>>> = LazyLock::new(Default::default);

/// Computes the argon2 hash of `password` with `params` and `salt`, in
/// reused working memory, as a PHC string's parts.
fn compute<'a>(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: Salt<'a>,
) -> anyhow::Result<PasswordHash<'a>> {
    let blocks = params.block_count();
    let taken = WORKING_MEMORY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .pop()
        .filter(|memory| memory.len() == blocks);
    let mut memory = taken.unwrap_or_else(|| vec![Block::default(); blocks]);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("password salt: {e}"))?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(output_len, |out| {
        argon2
            .hash_password_into_with_memory(password, salt_bytes, out, &mut memory)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?;
    WORKING_MEMORY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(memory);
    Ok(PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?,
        salt: Some(salt),
        hash: Some(output),
    })
}

/// Runs `work` on the blocking pool once a hashing slot is free, or answers
/// 503 (`AppError::Unavailable`) after [`QUEUE_TIMEOUT`].
async fn in_a_slot<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    let permit = match tokio::time::timeout(QUEUE_TIMEOUT, HASHING_SLOTS.acquire()).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_closed)) => return Err(AppError::Internal),
        Err(_elapsed) => {
            metrics::counter!("shipwatch_hashing_queue_timeouts_total").increment(1);
            tracing::warn!("no password hashing slot within the queue timeout");
            return Err(AppError::Unavailable);
        }
    };
    let result = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| anyhow::anyhow!("password hashing task: {e}"))?;
    drop(permit);
    Ok(result?)
}

/// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash_password(password: NewPassword) -> Result<String, AppError> {
    in_a_slot(move || {
        let salt = SaltString::generate(&mut OsRng);
        let hash = compute(
            Algorithm::Argon2id,
            Version::V0x13,
            new_hash_params()?,
            password.expose().as_bytes(),
            salt.as_salt(),
        )?;
        Ok(hash.to_string())
    })
    .await
}

/// Whether `password` matches a stored PHC string (with the cost it was made
/// with). A malformed stored hash is an error, not a mismatch, so it gets
/// noticed.
pub async fn verify_password(password: String, stored_hash: String) -> Result<bool, AppError> {
    in_a_slot(move || {
        let stored = PasswordHash::new(&stored_hash)
            .map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
        let malformed = |what: &str| anyhow::anyhow!("stored password hash is malformed: {what}");
        let algorithm = Algorithm::try_from(stored.algorithm).map_err(|_| malformed("algorithm"))?;
        let version = stored
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|_| malformed("version"))?
            .unwrap_or_default();
        let params = Params::try_from(&stored).map_err(|_| malformed("parameters"))?;
        let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
            return Err(malformed("no salt or hash"));
        };
        let computed = compute(algorithm, version, params, password.as_bytes(), salt)?;
        // `Output` compares in constant time.
        Ok(computed.hash == Some(expected))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let password = NewPassword::parse("demo-password".into()).expect("valid");
        let hash = hash_password(password).await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("demo-password".into(), hash.clone())
            .await
            .expect("verify"));
        assert!(!verify_password("demo-passwore".into(), hash)
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let params = Params::new(19 * 1024, 2, 1, None).expect("params");
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"an older password", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password("an older password".into(), stored.clone())
            .await
            .expect("verify"));
        assert!(!verify_password("an older passwore".into(), stored)
            .await
            .expect("verify"));
    }
}
