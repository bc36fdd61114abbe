//! argon2id hashing of passwords and codes, as pure functions. The service
//! runs them off the async threads and bounds how many run at once.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;

const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;
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

thread_local! {
    /// argon2's working memory (19 MiB at the minimum cost), allocated once
    /// by each thread that hashes and reused by its next hash. Allocated
    /// anew for every hash, the allocator kept the freed buffers: a daemon
    /// hashing on two threads grew to several hundred MiB.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `hash` with this thread's argon2 memory, grown to `blocks`, and
/// wipes it after: it is derived from the secret.
fn with_memory<T>(blocks: usize, hash: impl FnOnce(&mut [Block]) -> T) -> T {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        let out = hash(&mut memory[..blocks]);
        memory[..blocks].fill(Block::new());
        out
    })
}

/// Hashes a secret with a fresh random salt; returns the PHC string.
pub fn hash_secret(secret: &[u8], cost: &HashCost) -> Result<String, HashError> {
    let hasher = cost.hasher()?;
    let failed = |e: &dyn std::fmt::Display| HashError::Failed(e.to_string());
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| failed(&e))?;
    let mut out = [0u8; OUTPUT_LEN];
    with_memory(hasher.params().block_count(), |memory| {
        hasher.hash_password_into_with_memory(secret, &salt, &mut out, memory)
    })
    .map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(hasher.params()).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

/// Checks a secret against a PHC string. The parameters come from the
/// string, so hashes made with older, cheaper settings still verify.
pub fn verify_secret(secret: &[u8], phc: &str) -> Result<bool, HashError> {
    fn bad<E>(_: E) -> HashError {
        HashError::BadStoredHash
    }
    let stored = PasswordHash::new(phc).map_err(bad)?;
    let algorithm = Algorithm::try_from(stored.algorithm.as_str()).map_err(bad)?;
    let version = match stored.version {
        Some(v) => Version::try_from(v).map_err(bad)?,
        None => Version::default(),
    };
    let params = Params::try_from(&stored).map_err(bad)?;
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return Err(HashError::BadStoredHash);
    };
    let hasher = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    with_memory(hasher.params().block_count(), |memory| {
        hasher.hash_password_into_with_memory(secret, salt, &mut out, memory)
    })
    .map_err(|_| HashError::BadStoredHash)?;
    // Output's equality is constant-time.
    let computed = Output::new(&out).map_err(bad)?;
    Ok(computed == *expected)
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
    fn hashes_agree_with_the_argon2_crates_own_phc_functions_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = HashCost::default()
            .hasher()
            .unwrap()
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();
        assert!(verify_secret(b"correct horse", &theirs).unwrap());
        assert!(!verify_secret(b"correct horsf", &theirs).unwrap());
        let ours = hash_secret(b"correct horse", &HashCost::default()).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        let crate_verifier = HashCost::OWASP_MINIMUM.hasher().unwrap();
        assert!(
            crate_verifier
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            crate_verifier
                .verify_password(b"correct horsf", &parsed)
                .is_err()
        );
    }

    #[test]
    fn one_thread_reuses_its_memory_across_costs() {
        // A larger cost grows this thread's memory; a smaller one after it
        // must use only its own share and still verify.
        let big = HashCost {
            memory_kib: 32 * 1024,
            iterations: 2,
            parallelism: 1,
        };
        let a = hash_secret(b"one", &big).unwrap();
        let b = hash_secret(b"two", &HashCost::default()).unwrap();
        assert!(verify_secret(b"one", &a).unwrap());
        assert!(verify_secret(b"two", &b).unwrap());
        assert!(!verify_secret(b"one", &b).unwrap());
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
