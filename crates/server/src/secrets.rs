//! The server's secrets, drawn from the operating system's random source: the key its
//! registry signs bearer tokens with (so tokens are unguessable and valid on this server
//! only), and control tokens for callers that want one. The pure crates never draw
//! randomness; this is the one place that does.

use std::io;
use std::sync::{Mutex, PoisonError};

use pullsim_registry::{Registry, TokenKey};

/// How many random bytes a control token holds (it prints as twice as many hex digits).
const CONTROL_TOKEN_BYTES: usize = 32;

/// 32 random bytes as a [`TokenKey`].
///
/// # Errors
///
/// Fails when the operating system has no random source to give.
pub fn random_token_key() -> io::Result<TokenKey> {
    let mut bytes = [0; 32];
    fill(&mut bytes)?;
    Ok(TokenKey::from_bytes(bytes))
}

/// A fresh control token: 64 lowercase hex digits of operating-system randomness.
///
/// # Errors
///
/// Fails when the operating system has no random source to give.
pub fn random_control_token() -> io::Result<String> {
    let mut bytes = [0; CONTROL_TOKEN_BYTES];
    fill(&mut bytes)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Gives `registry` a random token key, so that its tokens validate on this server only.
///
/// # Errors
///
/// Fails when the operating system has no random source to give.
pub fn key_registry(registry: &Mutex<Registry>) -> io::Result<()> {
    let key = random_token_key()?;
    registry
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .set_token_key(key);
    Ok(())
}

fn fill(bytes: &mut [u8]) -> io::Result<()> {
    getrandom::fill(bytes).map_err(|err| {
        io::Error::other(format!(
            "cannot draw random bytes from the operating system: {err}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_tokens_are_64_hex_digits_and_differ() {
        let a = random_control_token().unwrap();
        let b = random_control_token().unwrap();
        assert_eq!(a.len(), 64);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }
}
