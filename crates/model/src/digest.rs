//! Content digests (`sha256:<hex>`), validated exactly as go-digest v1.0.0 does in the kubelet.
//!
//! The kubelet imports `crypto/sha256` and `crypto/sha512`, so go-digest's `Available()` is true
//! for sha256, sha384 and sha512 and false for everything else (docs/semantics.md §1.1, 1.4). The
//! registry addresses content with [`Digest::of_bytes`], so the same type names blobs on both
//! sides of a pull.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// A hash algorithm the kubelet can verify: the ones its binary registers with go-digest.
///
/// Upstream: opencontainers/go-digest `algorithm.go` (`SHA256`, `SHA384`, `SHA512`), made
/// available by the blank imports in kubernetes `pkg/util/parsers/parsers.go`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DigestAlgorithm {
    /// `sha256`, the canonical algorithm of the distribution spec.
    Sha256,
    /// `sha384`.
    Sha384,
    /// `sha512`.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's name as it appears before the `:` of a digest.
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }

    /// How many hex characters the encoded part has: twice the hash size in bytes
    /// (go-digest `Algorithm.Size()*2`).
    pub fn encoded_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 64,
            DigestAlgorithm::Sha384 => 96,
            DigestAlgorithm::Sha512 => 128,
        }
    }

    /// The algorithm named exactly `name` (case-sensitive, as go-digest's map lookup is).
    fn from_name(name: &str) -> Option<DigestAlgorithm> {
        match name {
            "sha256" => Some(DigestAlgorithm::Sha256),
            "sha384" => Some(DigestAlgorithm::Sha384),
            "sha512" => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why go-digest refused a digest string. The texts are go-digest v1.0.0's error values,
/// which distribution/reference returns unwrapped, so they reach kubelet messages verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// No `:`, nothing before or after it, a bad algorithm name, or an encoded part that is
    /// not lowercase hex (`ErrDigestInvalidFormat`).
    #[error("invalid checksum digest format")]
    InvalidFormat,
    /// A known algorithm whose encoded part has the wrong number of characters
    /// (`ErrDigestInvalidLength`).
    #[error("invalid checksum digest length")]
    InvalidLength,
    /// A well-formed digest whose algorithm the kubelet does not register
    /// (`ErrDigestUnsupported`).
    #[error("unsupported digest algorithm")]
    Unsupported,
}

/// A validated digest: an algorithm and its lowercase hex encoding.
///
/// Construct one with [`Digest::parse`] (go-digest `Parse`/`Validate`) or by hashing bytes
/// with [`Digest::of_bytes`]. Serialises as its string form `alg:hex`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    encoded: String,
}

impl Digest {
    /// Parses and validates `s` exactly as go-digest v1.0.0 `Digest.Validate` does, in its order:
    /// 1. the first `:` must exist, not be first and not be last, else `InvalidFormat`;
    /// 2. an algorithm other than sha256/sha384/sha512 gives `InvalidFormat` when the whole
    ///    string does not match `^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`, and
    ///    `Unsupported` when it does;
    /// 3. an encoded part whose byte length is not the algorithm's gives `InvalidLength`;
    /// 4. an encoded part that is not lowercase hex gives `InvalidFormat`.
    pub fn parse(s: &str) -> Result<Digest, DigestError> {
        let colon = match s.find(':') {
            Some(i) if i > 0 && i + 1 < s.len() => i,
            _ => return Err(DigestError::InvalidFormat),
        };
        let (name, encoded) = (&s[..colon], &s[colon + 1..]);
        let Some(algorithm) = DigestAlgorithm::from_name(name) else {
            return Err(if matches_go_digest_pattern(name, encoded) {
                DigestError::Unsupported
            } else {
                DigestError::InvalidFormat
            });
        };
        if encoded.len() != algorithm.encoded_len() {
            return Err(DigestError::InvalidLength);
        }
        if !encoded
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(DigestError::InvalidFormat);
        }
        Ok(Digest {
            algorithm,
            encoded: encoded.to_owned(),
        })
    }

    /// The digest of `content` under `algorithm` (go-digest `Algorithm.FromBytes`).
    pub fn of_bytes(algorithm: DigestAlgorithm, content: &[u8]) -> Digest {
        let encoded = match algorithm {
            DigestAlgorithm::Sha256 => lower_hex(&sha2::Sha256::digest(content)),
            DigestAlgorithm::Sha384 => lower_hex(&sha2::Sha384::digest(content)),
            DigestAlgorithm::Sha512 => lower_hex(&sha2::Sha512::digest(content)),
        };
        Digest { algorithm, encoded }
    }

    /// The sha256 digest of `content`, the algorithm registries address content with
    /// (go-digest `FromBytes`, which uses `Canonical`).
    pub fn sha256_of(content: &[u8]) -> Digest {
        Digest::of_bytes(DigestAlgorithm::Sha256, content)
    }

    /// The algorithm before the `:`.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The lowercase hex after the `:` (go-digest `Encoded()`).
    pub fn encoded(&self) -> &str {
        &self.encoded
    }
}

/// go-digest v1.0.0's anchored `DigestRegexp`, split at the first `:` the caller found: the
/// algorithm is `[a-z0-9]+` components joined by single `.`, `+`, `_` or `-`, and the encoded
/// part is one or more of `[a-zA-Z0-9=_-]` (so no second `:`).
fn matches_go_digest_pattern(name: &str, encoded: &str) -> bool {
    let name_ok = name.split(['.', '+', '_', '-']).all(|part| {
        !part.is_empty() && part.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9'))
    });
    let encoded_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    name_ok && encoded_ok
}

/// Lowercase hex of `bytes`, as Go's `%x` prints a hash sum.
fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.encoded)
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Digest, DigestError> {
        Digest::parse(s)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest::parse(&text).map_err(|err| {
            serde::de::Error::custom(format!("{err}: {}", crate::go::text::quote(&text)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H64: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const D384: &str = "d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d";

    /// One row: input and the expected outcome (`Ok(algorithm)` or the error).
    fn check(rows: &[(String, Result<DigestAlgorithm, DigestError>)]) {
        for (input, want) in rows {
            let got = Digest::parse(input);
            match (want, &got) {
                (Ok(alg), Ok(d)) => {
                    assert_eq!(d.algorithm(), *alg, "{input}");
                    assert_eq!(d.to_string(), *input, "round trip of {input}");
                    assert_eq!(Some(d.encoded()), input.split_once(':').map(|p| p.1));
                }
                (Err(e), Err(g)) => assert_eq!(e, g, "{input}"),
                _ => panic!("{input:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn semantics_1_4_digest_table() {
        use DigestError::*;
        let rows = vec![
            (format!("sha256:{H64}"), Ok(DigestAlgorithm::Sha256)),
            (
                format!("sha384:{}", "a".repeat(96)),
                Ok(DigestAlgorithm::Sha384),
            ),
            (
                format!("sha512:{}", "f".repeat(128)),
                Ok(DigestAlgorithm::Sha512),
            ),
            (format!("sha256:{}", H64.to_uppercase()), Err(InvalidFormat)),
            (format!("sha256:{H64}a"), Err(InvalidLength)),
            ("sha256:abc".to_owned(), Err(InvalidLength)),
            (format!("md5:{}", "d".repeat(32)), Err(Unsupported)),
            (format!("SHA256:{H64}"), Err(InvalidFormat)),
        ];
        check(&rows);
    }

    /// Vectors of opencontainers/go-digest `digest_test.go` (TestParseDigest), with the
    /// outcome go-digest v1.0.0 gives in the kubelet (sha384 registered, blake3 not).
    #[test]
    fn go_digest_parse_table() {
        use DigestError::*;
        let rows = vec![
            (
                "sha256:e58fcf7418d4390dec8e8fb69d88c06ec07039d651fedd3aa72af9972e7d046b"
                    .to_owned(),
                Ok(DigestAlgorithm::Sha256),
            ),
            (format!("sha384:{D384}"), Ok(DigestAlgorithm::Sha384)),
            (
                "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
                    .to_owned(),
                Err(Unsupported),
            ),
            (String::new(), Err(InvalidFormat)),
            ("     ".to_owned(), Err(InvalidFormat)),
            ("sha256:".to_owned(), Err(InvalidFormat)),
            (format!("sha256:{}", " ".repeat(64)), Err(InvalidFormat)),
            (":".to_owned(), Err(InvalidFormat)),
            (
                "d41d8cd98f00b204e9800998ecf8427e".to_owned(),
                Err(InvalidFormat),
            ),
            (
                "sha256:d41d8cd98f00b204e9800m98ecf8427e".to_owned(),
                Err(InvalidLength),
            ),
            ("sha256:abcdef0123456789".to_owned(), Err(InvalidLength)),
            (
                "sha512:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
                    .to_owned(),
                Err(InvalidLength),
            ),
            (
                "blake3:abcdef0123456789abcdef0123456789abcdef01234".to_owned(),
                Err(Unsupported),
            ),
            (
                "foo:d41d8cd98f00b204e9800998ecf8427e".to_owned(),
                Err(Unsupported),
            ),
            (format!("sha384__foo+bar:{D384}"), Err(InvalidFormat)),
            (format!("sha384.foo+bar:{D384}"), Err(Unsupported)),
            (format!("sha384_foo+bar:{D384}"), Err(Unsupported)),
            (
                "sha256+b64:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564".to_owned(),
                Err(Unsupported),
            ),
            (
                "sha256:E58FCF7418D4390DEC8E8FB69D88C06EC07039D651FEDD3AA72AF9972E7D046B"
                    .to_owned(),
                Err(InvalidFormat),
            ),
            // Order checks of our own: length wins over hex, bytes are counted not chars,
            // a second ':' or an uppercase algorithm fails the unsupported-algorithm pattern.
            (format!("sha256:{}", "é".repeat(32)), Err(InvalidFormat)),
            (format!("sha256:{}", "é".repeat(64)), Err(InvalidLength)),
            (format!("sha256:{}", "g".repeat(65)), Err(InvalidLength)),
            ("foo:a:b".to_owned(), Err(InvalidFormat)),
            ("Foo:ab".to_owned(), Err(InvalidFormat)),
            ("foo.:ab".to_owned(), Err(InvalidFormat)),
            ("f-o:a=b_c-D".to_owned(), Err(Unsupported)),
            (format!(":{H64}"), Err(InvalidFormat)),
        ];
        check(&rows);
    }

    #[test]
    fn hashing_matches_known_sums() {
        // The sums of the empty string and of "hello world", as `sha256sum` prints them.
        assert_eq!(Digest::sha256_of(b"").to_string(), format!("sha256:{H64}"));
        assert_eq!(
            Digest::sha256_of(b"hello world").encoded(),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        let d384 = Digest::of_bytes(DigestAlgorithm::Sha384, b"");
        assert_eq!(
            d384.encoded(),
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
        );
        let d512 = Digest::of_bytes(DigestAlgorithm::Sha512, b"");
        assert!(
            d512.encoded()
                .starts_with("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce")
        );
        for d in [Digest::sha256_of(b"x"), d384, d512] {
            assert_eq!(d.encoded().len(), d.algorithm().encoded_len());
            assert_eq!(Digest::parse(&d.to_string()), Ok(d.clone()));
        }
    }

    #[test]
    fn serde_uses_the_string_form() {
        let d = Digest::sha256_of(b"");
        let json = serde_json::to_string(&d).unwrap_or_default();
        assert_eq!(json, format!("\"sha256:{H64}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).ok(), Some(d));
        let err = serde_json::from_str::<Digest>("\"sha256:abc\"")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid checksum digest length: \"sha256:abc\"")
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(s in "\\PC{0,200}|[a-z0-9:+._=-]{0,140}") {
            if let Ok(d) = Digest::parse(&s) {
                prop_assert_eq!(d.to_string(), s);
            }
        }

        #[test]
        fn hashed_digests_always_validate(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512] {
                let d = Digest::of_bytes(alg, &bytes);
                prop_assert_eq!(Digest::parse(&d.to_string()), Ok(d));
            }
        }
    }
}
