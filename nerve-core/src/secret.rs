//! Secrets that are shown once and stored only as hashes: session tokens and API keys.
//!
//! A secret is generated from the operating system's random source, handed to the caller once
//! as a [`Secret`], and stored as its SHA-256 hash ([`sha256_hex`]). Stored hashes are compared
//! in constant time ([`hashes_match`]).

use base64ct::{Base64UrlUnpadded, Encoding};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// A secret value handed to the caller once (a session token, an API key). Its `Debug` and
/// `Display` never show it; [`Secret::expose`] does.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret itself: give it to its owner, never log or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `bytes` random bytes from the operating system, as unpadded URL-safe base64.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    Base64UrlUnpadded::encode_string(&buf)
}

/// `chars` random lower-case hexadecimal digits.
pub fn random_hex(chars: usize) -> String {
    let mut buf = vec![0u8; chars.div_ceil(2)];
    OsRng.fill_bytes(&mut buf);
    let mut hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    hex
}

/// A password masked for display: its first and last characters kept and every other one
/// replaced by `*`; a password shorter than 8 characters is all `*` (keeping two of few
/// characters would give most of it away). Shows the length, never the password.
pub fn mask(password: &str) -> String {
    let chars: Vec<char> = password.chars().collect();
    match chars.len() {
        0..=7 => "*".repeat(chars.len()),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// The SHA-256 of `value`, as 64 lower-case hexadecimal digits.
pub fn sha256_hex(value: &str) -> String {
    format!("{:x}", Sha256::digest(value.as_bytes()))
}

/// Compares two stored hashes in constant time (for equal lengths).
pub fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let h = random_hex(8);
        assert_eq!(h.len(), 8);
        assert!(h
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hashes_match(&sha256_hex("x"), &sha256_hex("x")));
        assert!(!hashes_match(&sha256_hex("x"), &sha256_hex("y")));
        let s = Secret::new("top".into());
        assert_eq!(format!("{s:?} {s}"), "Secret(<redacted>) <redacted>");
    }
}
