//! Password hashing: argon2id, in PHC string form, with configurable cost.
//!
//! Passwords are never stored or returned: stores keep only the PHC string this module makes,
//! which records its own parameters, so a hash made under older parameters still verifies and
//! [`PasswordHasher::needs_rehash`] tells when it should be replaced.
//!
//! Hashes carried over by `nerve import` from NERVE's Python application verify too
//! ([`HashFormat`]): bcrypt (`$2a$`, `$2b$`, `$2y$`), PBKDF2-SHA256 as werkzeug
//! (`pbkdf2:sha256:ITERATIONS$SALT$HEX`) and passlib (`$pbkdf2-sha256$ROUNDS$SALT$CHECKSUM`)
//! write it, and argon2 of any variant; each needs a rehash, so the first successful login
//! replaces it with argon2id. A hash of any other format is never a match: verifying it is
//! [`Denial::PasswordResetRequired`].

use crate::error::{Denial, Error, Field, Result};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted, in characters.
pub const PASSWORD_MIN: usize = 8;
/// Longest password accepted, in characters.
pub const PASSWORD_MAX: usize = 1024;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB (at least 8 × `parallelism`).
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl PasswordParams {
    /// OWASP's recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
    pub const RECOMMENDED: PasswordParams = PasswordParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The cheapest valid setting, for tests only: it offers no protection.
    pub const INSECURE_FOR_TESTS: PasswordParams = PasswordParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for PasswordParams {
    fn default() -> Self {
        PasswordParams::RECOMMENDED
    }
}

/// Hashes and verifies passwords with argon2id under one set of [`PasswordParams`].
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: PasswordParams,
}

impl PasswordHasher {
    /// A hasher using `params`; fails with [`Error::Validation`] on `password_params` when
    /// argon2 rejects them (for example memory below 8 KiB per lane).
    pub fn new(params: PasswordParams) -> Result<Self> {
        let hasher = PasswordHasher { params };
        hasher.argon2()?;
        Ok(hasher)
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    fn argon2(&self) -> Result<Argon2<'static>> {
        let p = Params::new(
            self.params.memory_kib,
            self.params.iterations,
            self.params.parallelism,
            None,
        )
        .map_err(|e| Field::new("-", "password_params").invalid(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
    }

    /// Checks `password` against the length rules for `field` and returns its argon2id PHC
    /// string with a fresh random salt. The password is never echoed in an error.
    pub fn hash(&self, field: Field, password: &str) -> Result<String> {
        crate::validate::secret_length(field, password, PASSWORD_MIN, PASSWORD_MAX)?;
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Backend {
                table: field.table,
                operation: "hash password",
                source: e.to_string().into(),
            })
    }

    /// `true` when `password` matches `stored`: an argon2 PHC string (any parameters) or one of
    /// the imported formats of [`HashFormat`]. A stored hash of an unknown format is
    /// [`Error::Denied`] with [`Denial::PasswordResetRequired`]; an argon2 string that cannot be
    /// parsed is an [`Error::Backend`]; neither is ever a match.
    pub fn verify(&self, table: &'static str, stored: &str, password: &str) -> Result<bool> {
        match HashFormat::of(stored) {
            HashFormat::Argon2 => {}
            HashFormat::Bcrypt => return Ok(bcrypt::verify(password, stored).unwrap_or(false)),
            HashFormat::WerkzeugPbkdf2 | HashFormat::PasslibPbkdf2 => {
                return Ok(verify_pbkdf2(stored, password).unwrap_or(false))
            }
            HashFormat::Unknown => {
                return Err(Error::Denied {
                    reason: Denial::PasswordResetRequired,
                })
            }
        }
        let parsed = PasswordHash::new(stored).map_err(|e| Error::Backend {
            table,
            operation: "parse stored password hash",
            source: e.to_string().into(),
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    }

    /// `true` when `phc` was not made by argon2id with this hasher's parameters (every
    /// imported format included).
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm != Algorithm::Argon2id.ident()
            || params.m_cost() != self.params.memory_kib
            || params.t_cost() != self.params.iterations
            || params.p_cost() != self.params.parallelism
    }
}

/// The formats of stored password hashes NERVE recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HashFormat {
    /// An argon2 PHC string (`$argon2id$`, `$argon2i$`, `$argon2d$`): what NERVE writes.
    Argon2,
    /// bcrypt, `$2a$`, `$2b$` or `$2y$` (Python's `bcrypt`, passlib).
    Bcrypt,
    /// werkzeug's `pbkdf2:sha256:ITERATIONS$SALT$HEX` (the salt's text is the salt).
    WerkzeugPbkdf2,
    /// passlib's `$pbkdf2-sha256$ROUNDS$SALT$CHECKSUM` (adapted base64, `.` for `+`, no
    /// padding).
    PasslibPbkdf2,
    /// Anything else: carried, never a match; the user must reset the password.
    Unknown,
}

impl HashFormat {
    /// The format of `stored`, from its prefix.
    pub fn of(stored: &str) -> HashFormat {
        if stored.starts_with("$argon2id$")
            || stored.starts_with("$argon2i$")
            || stored.starts_with("$argon2d$")
        {
            HashFormat::Argon2
        } else if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|p| stored.starts_with(p))
        {
            HashFormat::Bcrypt
        } else if stored.starts_with("pbkdf2:sha256:") {
            HashFormat::WerkzeugPbkdf2
        } else if stored.starts_with("$pbkdf2-sha256$") {
            HashFormat::PasslibPbkdf2
        } else {
            HashFormat::Unknown
        }
    }
}

/// Most PBKDF2 iterations accepted from a stored hash (far above any library's default): a
/// corrupt or hostile hash cannot make a login run for minutes.
const PBKDF2_MAX_ITERATIONS: u32 = 10_000_000;

/// passlib's adapted base64: standard alphabet with `.` for `+`, no padding.
fn ab64_decode(text: &str) -> Option<Vec<u8>> {
    use base64ct::{Base64Unpadded, Encoding};
    Base64Unpadded::decode_vec(&text.replace('.', "+")).ok()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Verifies a werkzeug or passlib PBKDF2-SHA256 hash; `None` when it cannot be parsed.
fn verify_pbkdf2(stored: &str, password: &str) -> Option<bool> {
    use subtle::ConstantTimeEq;
    let (iterations, salt, expected) = if let Some(rest) = stored.strip_prefix("pbkdf2:sha256:") {
        let mut parts = rest.splitn(3, '$');
        let iterations: u32 = parts.next()?.parse().ok()?;
        let salt = parts.next()?.as_bytes().to_vec();
        (iterations, salt, hex_decode(parts.next()?)?)
    } else {
        let rest = stored.strip_prefix("$pbkdf2-sha256$")?;
        let mut parts = rest.splitn(3, '$');
        let iterations: u32 = parts.next()?.parse().ok()?;
        (
            iterations,
            ab64_decode(parts.next()?)?,
            ab64_decode(parts.next()?)?,
        )
    };
    if iterations == 0
        || iterations > PBKDF2_MAX_ITERATIONS
        || expected.is_empty()
        || expected.len() > 64
    {
        return None;
    }
    let mut derived = vec![0u8; expected.len()];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), &salt, iterations, &mut derived);
    Some(bool::from(derived.ct_eq(&expected)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Field = Field::new("users", "password");

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let h = PasswordHasher::new(PasswordParams::INSECURE_FOR_TESTS).unwrap();
        let a = h.hash(F, "correct horse").unwrap();
        let b = h.hash(F, "correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salts differ");
        assert!(!a.contains("correct horse"));
        assert!(h.verify("users", &a, "correct horse").unwrap());
        assert!(!h.verify("users", &a, "wrong horse").unwrap());
        assert!(!h.needs_rehash(&a));
        let stronger = PasswordHasher::new(PasswordParams {
            memory_kib: 16,
            ..PasswordParams::INSECURE_FOR_TESTS
        })
        .unwrap();
        assert!(stronger.needs_rehash(&a));
        assert!(stronger.verify("users", &a, "correct horse").unwrap());
    }

    #[test]
    fn bad_passwords_and_params_are_rejected() {
        let h = PasswordHasher::new(PasswordParams::INSECURE_FOR_TESTS).unwrap();
        assert!(matches!(
            h.hash(F, "short"),
            Err(Error::Validation {
                field: "password",
                ..
            })
        ));
        assert!(PasswordHasher::new(PasswordParams {
            memory_kib: 1,
            iterations: 1,
            parallelism: 1
        })
        .is_err());
        assert!(h.verify("users", "not a hash", "x").is_err());
    }

    /// Hashes as the Python libraries write them, made here with the same crates' primitives
    /// (the formats are the libraries' documented ones).
    #[test]
    fn imported_formats_verify_and_need_a_rehash() {
        let h = PasswordHasher::new(PasswordParams::INSECURE_FOR_TESTS).unwrap();
        let bcrypt_hash = bcrypt::hash("legacy pass 1", 4).unwrap();
        assert!(bcrypt_hash.starts_with("$2b$"));
        let as_2y = bcrypt_hash.replacen("$2b$", "$2y$", 1);
        let mut dk = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"legacy pass 2", b"Ns9kL2", 1000, &mut dk);
        let werkzeug = format!(
            "pbkdf2:sha256:1000$Ns9kL2${}",
            dk.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        use base64ct::{Base64Unpadded, Encoding};
        let salt = [7u8, 200, 13, 99, 1, 2, 3, 250];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"legacy pass 3", &salt, 1000, &mut dk);
        let ab64 = |b: &[u8]| Base64Unpadded::encode_string(b).replace('+', ".");
        let passlib = format!("$pbkdf2-sha256$1000${}${}", ab64(&salt), ab64(&dk));
        for (stored, password, format) in [
            (&bcrypt_hash, "legacy pass 1", HashFormat::Bcrypt),
            (&as_2y, "legacy pass 1", HashFormat::Bcrypt),
            (&werkzeug, "legacy pass 2", HashFormat::WerkzeugPbkdf2),
            (&passlib, "legacy pass 3", HashFormat::PasslibPbkdf2),
        ] {
            assert_eq!(HashFormat::of(stored), format);
            assert!(h.verify("users", stored, password).unwrap(), "{format:?}");
            assert!(!h.verify("users", stored, "wrong").unwrap(), "{format:?}");
            assert!(h.needs_rehash(stored));
        }
        // Corrupt hashes of a known format never match; an unknown format asks for a reset.
        assert!(!h.verify("users", "pbkdf2:sha256:0$x$00", "x").unwrap());
        assert!(!h
            .verify("users", "pbkdf2:sha256:99999999999$x$00", "x")
            .unwrap());
        assert!(!h.verify("users", "$2b$04$short", "x").unwrap());
        assert!(matches!(
            h.verify("users", "5f4dcc3b5aa765d61d8327deb882cf99", "password"),
            Err(Error::Denied {
                reason: Denial::PasswordResetRequired
            })
        ));
    }
}
