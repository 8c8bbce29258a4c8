//! Secrets: Argon2id password hashes, random session and API-token secrets stored only as
//! SHA-256 digests, and the sign-in rate limiter.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Shortest password accepted for a new user.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// An Argon2id hash (PHC string) of `password`, with the crate's recommended parameters.
/// CPU-heavy: call it on a blocking thread.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword);
    }
    hash_any(password)
}

fn hash_any(password: &str) -> Result<String, AuthError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`. CPU-heavy: call it on a blocking thread.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password, verified against when the user does not exist, so that a
/// failed sign-in costs the same time either way.
pub fn dummy_hash() -> Result<String, AuthError> {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hash_any(&hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random secret: `prefix` and 256 random bits in hex.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex(&bytes))
}

/// What the database keeps of a secret.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Sign-in attempts per key (an account or an address) within a sliding window.
#[derive(Debug)]
pub struct Limiter {
    window: Duration,
    attempts: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt under `key` unless `limit` attempts are already in the window; when
    /// refused, returns the seconds until the oldest attempt leaves the window.
    pub fn attempt(&self, key: &str, limit: u32, now: Instant) -> Result<(), u64> {
        let mut map = self
            .attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Keep the map small: forget keys whose attempts have all left the window.
        if map.len() > 10_000 {
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        let entry = map.entry(key.to_owned()).or_default();
        entry.retain(|t| now.duration_since(*t) < self.window);
        if entry.len() >= limit as usize {
            let oldest = entry.first().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        entry.push(now);
        Ok(())
    }

    /// Forgets the attempts under `key` (after a successful sign-in to the account).
    pub fn clear(&self, key: &str) {
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterz"));
        assert!(!verify_password("not a hash", "x"));
        assert!(matches!(
            hash_password("short"),
            Err(AuthError::WeakPassword)
        ));
    }

    #[test]
    fn secrets_are_random_and_digests_fixed() {
        let (a, b) = (new_secret("coa_"), new_secret("coa_"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert_eq!(digest("x"), digest("x"));
        assert_ne!(digest(&a), a);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[test]
    fn limiter_refuses_past_the_limit_until_the_window_moves() {
        let l = Limiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.attempt("k", 2, t0).is_ok());
        assert!(l.attempt("k", 2, t0).is_ok());
        assert!(l.attempt("k", 2, t0).is_err());
        assert!(l.attempt("other", 2, t0).is_ok());
        assert!(l.attempt("k", 2, t0 + Duration::from_secs(61)).is_ok());
        l.clear("k");
        assert!(l.attempt("k", 1, t0).is_ok());
    }
}
