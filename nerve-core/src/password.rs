//! Password hashing: argon2id, in PHC string form, with configurable cost.
//!
//! Passwords are never stored or returned: stores keep only the PHC string this module makes,
//! which records its own parameters, so a hash made under older parameters still verifies and
//! [`PasswordHasher::needs_rehash`] tells when it should be replaced.

use crate::error::{Error, Field, Result};
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

    /// `true` when `password` matches `phc` (made by any argon2 parameters). A stored hash that
    /// cannot be parsed is an [`Error::Backend`], never a match.
    pub fn verify(&self, table: &'static str, phc: &str, password: &str) -> Result<bool> {
        let parsed = PasswordHash::new(phc).map_err(|e| Error::Backend {
            table,
            operation: "parse stored password hash",
            source: e.to_string().into(),
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    }

    /// `true` when `phc` was not made by argon2id with this hasher's parameters.
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
}
