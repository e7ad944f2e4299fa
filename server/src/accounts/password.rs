//! Password hashing: argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane).
//!
//! Each hash needs 19 MiB of working memory. Allocating it per hash lets the allocator keep a
//! freed block in every thread's arena, so a burst of logins grows the process far beyond the
//! hashes actually running; [`Memory`] instead lends out blocks that are allocated once and reused,
//! one per concurrent hash.

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;

fn params() -> Params {
    // OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
    Params::new(19_456, 2, 1, None).expect("constant argon2 parameters are valid")
}

/// Reusable argon2 working memory.
#[derive(Debug, Default)]
pub struct Memory {
    free: Mutex<Vec<Vec<Block>>>,
}

impl Memory {
    /// Runs `f` with at least `blocks` blocks of working memory, then keeps them for the next.
    fn with<R>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
        let mut mem = self
            .free
            .lock()
            .ok()
            .and_then(|mut free| free.pop())
            .filter(|m| m.len() >= blocks)
            .unwrap_or_else(|| vec![Block::default(); blocks]);
        let out = f(&mut mem[..blocks]);
        if let Ok(mut free) = self.free.lock() {
            free.push(mem);
        }
        out
    }
}

/// The PHC string of `password`, with a fresh random salt.
pub fn hash(password: &str, memory: &Memory) -> Result<String, argon2::Error> {
    let params = params();
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    memory.with(params.block_count(), |blocks| {
        argon.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|_| argon2::Error::OutputTooLong)?,
        salt: Some(Salt::new(&salt).map_err(|_| argon2::Error::SaltTooShort)?),
        hash: Some(Output::new(&out).map_err(|_| argon2::Error::OutputTooShort)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`; an unreadable hash matches nothing.
pub fn verify(password: &str, stored: &str, memory: &Memory) -> bool {
    let check = || -> Result<bool, String> {
        let parsed = PasswordHash::new(stored).map_err(|e| e.to_string())?;
        let algorithm =
            Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| e.to_string())?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|e| e.to_string())?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err("no salt or hash".into());
        };
        let mut out = vec![0u8; expected.len()];
        let argon = Argon2::new(algorithm, version, params.clone());
        memory
            .with(params.block_count(), |blocks| {
                argon.hash_password_into_with_memory(
                    password.as_bytes(),
                    salt.as_ref(),
                    &mut out,
                    blocks,
                )
            })
            .map_err(|e| e.to_string())?;
        // `Output`'s equality is constant-time.
        Ok(Output::new(&out).map_err(|e| e.to_string())? == expected)
    };
    match check() {
        Ok(same) => same,
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is unreadable");
            false
        }
    }
}

/// A real hash of a random password, computed once, for timing-safe "unknown user" answers.
pub static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random = uuid::Uuid::new_v4().to_string();
    hash(&random, &Memory::default()).unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let memory = Memory::default();
        let h = hash("correct horse battery", &memory).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h, &memory));
        assert!(!verify("correct horse battery!", &h, &memory));
        assert!(!verify("anything", "not a hash", &memory));
        assert_eq!(
            memory.free.lock().unwrap().len(),
            1,
            "one block set, reused"
        );
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_verifier() {
        let memory = Memory::default();
        let ours = hash("correct horse battery", &memory).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        assert!(argon
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        // And a hash the crate made verifies with ours.
        use argon2::password_hash::PasswordHasher;
        let theirs = argon.hash_password(b"tr0ub4dor&3").unwrap().to_string();
        assert!(verify("tr0ub4dor&3", &theirs, &memory));
        assert!(!verify("tr0ub4dor&4", &theirs, &memory));
    }
}
