//! argon2id hashing of passwords and codes, as pure functions. The service
//! runs them off the async threads and bounds how many run at once.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

/// argon2id cost parameters. The defaults are OWASP's minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    pub const OWASP_MINIMUM: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// True when these costs are at least OWASP's minimum in memory and time.
    pub fn meets_minimum(&self) -> bool {
        self.memory_kib >= Self::OWASP_MINIMUM.memory_kib
            && self.iterations >= Self::OWASP_MINIMUM.iterations
            && self.parallelism >= 1
    }

    fn hasher(&self) -> Result<Argon2<'static>, HashError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| HashError::Parameters(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for HashCost {
    fn default() -> Self {
        Self::OWASP_MINIMUM
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("argon2 parameters refused: {0}")]
    Parameters(String),
    #[error("hashing failed: {0}")]
    Failed(String),
    #[error("a stored hash is unreadable")]
    BadStoredHash,
}

/// Hashes a secret with a fresh random salt; returns the PHC string.
pub fn hash_secret(secret: &[u8], cost: &HashCost) -> Result<String, HashError> {
    let hash = cost
        .hasher()?
        .hash_password(secret)
        .map_err(|e| HashError::Failed(e.to_string()))?;
    Ok(hash.to_string())
}

/// Checks a secret against a PHC string. The parameters come from the
/// string, so hashes made with older, cheaper settings still verify.
pub fn verify_secret(secret: &[u8], phc: &str) -> Result<bool, HashError> {
    let hasher = HashCost::OWASP_MINIMUM.hasher()?;
    match PasswordVerifier::<str>::verify_password(&hasher, secret, phc) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(HashError::BadStoredHash),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_only() {
        let phc = hash_secret(b"correct horse", &HashCost::default()).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_secret(b"correct horse", &phc).unwrap());
        assert!(!verify_secret(b"correct horsf", &phc).unwrap());
    }

    #[test]
    fn salts_differ_between_hashes_of_one_secret() {
        let a = hash_secret(b"same", &HashCost::default()).unwrap();
        let b = hash_secret(b"same", &HashCost::default()).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn stronger_hashes_still_verify() {
        let strong = HashCost {
            memory_kib: 32 * 1024,
            iterations: 3,
            parallelism: 1,
        };
        let phc = hash_secret(b"pw", &strong).unwrap();
        assert!(verify_secret(b"pw", &phc).unwrap());
    }

    #[test]
    fn a_garbled_hash_is_an_error_not_a_mismatch() {
        assert_eq!(
            verify_secret(b"pw", "$argon2id$garbage"),
            Err(HashError::BadStoredHash)
        );
    }

    #[test]
    fn weak_costs_are_recognised() {
        assert!(HashCost::default().meets_minimum());
        let weak = HashCost {
            memory_kib: 4096,
            ..HashCost::default()
        };
        assert!(!weak.meets_minimum());
    }
}
