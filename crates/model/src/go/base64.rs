//! Go's `encoding/base64` decoder, because the kubelet decodes the `auth` field of docker configs
//! with it and the API server decodes Secret `data` with it, and both report Go's exact error,
//! `illegal base64 data at input byte N`, which users paste into searches.
//!
//! Upstream: `golang/go` `src/encoding/base64/base64.go` (`decodeQuantum`, `Decode`). Facts kept:
//! - `\r` and `\n` are skipped anywhere in the input, every other byte outside the alphabet is an
//!   error (a space included);
//! - `StdEncoding` needs padding to a multiple of four characters, `RawStdEncoding` rejects `=`;
//! - decoding is not strict: unused trailing bits need not be zero;
//! - the offset `N` is Go's: for a bad byte its index; for a missing end of input the index of the
//!   first character of the incomplete quantum; for `=` in the wrong place its index; for bytes
//!   after the padding the index of the first of them.
//!
//! The `base64` crate reports different offsets and does not skip newlines, hence this file.

use thiserror::Error;

/// Go's `base64.CorruptInputError`, with Go's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("illegal base64 data at input byte {offset}")]
pub struct Base64Error {
    /// The byte offset Go reports.
    pub offset: usize,
}

/// Which of Go's two standard-alphabet encodings to decode with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64Padding {
    /// `base64.StdEncoding`: `=` padding required.
    Padded,
    /// `base64.RawStdEncoding`: no padding allowed.
    Unpadded,
}

/// The value of a standard-alphabet character, or `None` for any other byte.
fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

fn is_newline(byte: u8) -> bool {
    byte == b'\n' || byte == b'\r'
}

/// Decodes `input` as Go's `DecodeString` does, with Go's errors.
pub fn go_base64_decode(input: &[u8], padding: Base64Padding) -> Result<Vec<u8>, Base64Error> {
    let padded = padding == Base64Padding::Padded;
    let mut decoded = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut at = 0;
    // One iteration per quantum of up to four characters, as Go's `decodeQuantum`.
    while at < input.len() {
        let mut quantum = [0u8; 4];
        let mut filled = 0;
        let mut garbage_after_padding = None;
        while filled < 4 {
            let Some(&byte) = input.get(at) else {
                if filled == 0 {
                    return Ok(decoded);
                }
                if filled == 1 || padded {
                    return Err(Base64Error {
                        offset: at - filled,
                    });
                }
                break;
            };
            at += 1;
            if let Some(value) = sextet(byte) {
                quantum[filled] = value;
                filled += 1;
                continue;
            }
            if is_newline(byte) {
                continue;
            }
            if !padded || byte != b'=' || filled < 2 {
                return Err(Base64Error { offset: at - 1 });
            }
            // Padding: after two characters a second `=` must follow (newlines allowed between).
            if filled == 2 {
                while input.get(at).copied().is_some_and(is_newline) {
                    at += 1;
                }
                match input.get(at) {
                    None => {
                        return Err(Base64Error {
                            offset: input.len(),
                        });
                    }
                    Some(&b'=') => at += 1,
                    Some(_) => return Err(Base64Error { offset: at - 1 }),
                }
            }
            while input.get(at).copied().is_some_and(is_newline) {
                at += 1;
            }
            if at < input.len() {
                garbage_after_padding = Some(Base64Error { offset: at });
            }
            break;
        }
        let bits = quantum
            .iter()
            .fold(0u32, |acc, &value| acc << 6 | u32::from(value));
        let bytes = bits.to_be_bytes();
        decoded.extend(bytes.iter().skip(1).take(filled.saturating_sub(1)));
        if let Some(error) = garbage_after_padding {
            return Err(error);
        }
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use proptest::prelude::*;

    type Row = (&'static str, Base64Padding, Result<&'static [u8], usize>);

    fn check(rows: &[Row]) {
        for (input, padding, expected) in rows {
            let got = go_base64_decode(input.as_bytes(), *padding).map_err(|e| e.offset);
            assert_eq!(
                got,
                expected.map(<[u8]>::to_vec),
                "{padding:?} decode of {input:?}"
            );
        }
    }

    /// Offsets follow golang/go `src/encoding/base64/base64_test.go` (`TestDecodeCorrupt`) for
    /// `StdEncoding`, plus the unpadded shapes the kubelet's `auth` decoding meets.
    #[test]
    fn decodes_and_fails_like_go() {
        use Base64Padding::{Padded, Unpadded};
        check(&[
            ("", Padded, Ok(b"")),
            ("\n", Padded, Ok(b"")),
            ("AAA=", Padded, Ok(&[0, 0])),
            ("AAAA", Padded, Ok(&[0, 0, 0])),
            ("!!!!", Padded, Err(0)),
            ("====", Padded, Err(0)),
            ("x===", Padded, Err(1)),
            ("=AAA", Padded, Err(0)),
            ("A=AA", Padded, Err(1)),
            ("AA=A", Padded, Err(2)),
            ("AA==A", Padded, Err(4)),
            ("AAA=AAAA", Padded, Err(4)),
            ("AAAAA", Padded, Err(4)),
            ("AAAAAA", Padded, Err(4)),
            ("A=", Padded, Err(1)),
            ("A==", Padded, Err(1)),
            ("AA=", Padded, Err(3)),
            ("AA==", Padded, Ok(&[0])),
            ("AAA=", Padded, Ok(&[0, 0])),
            ("AAAA", Padded, Ok(&[0, 0, 0])),
            ("AAAAAA=", Padded, Err(7)),
            ("YWJjZA=====", Padded, Err(8)),
            ("A!\n", Padded, Err(1)),
            ("A=\n", Padded, Err(1)),
            ("Zm9vOmJhcg==", Padded, Ok(b"foo:bar")),
            ("Zm9vOm\nJhcg==\n", Padded, Ok(b"foo:bar")),
            ("Zm9vOmJhcg\r\n==", Padded, Ok(b"foo:bar")),
            ("Zm9vOmJhcg== ", Padded, Err(12)),
            ("Zm9vOmJhcg=\n=x", Padded, Err(13)),
            ("Zm9vOmJhcg=x", Padded, Err(10)),
            ("Zm9vOmJhcg", Padded, Err(8)),
            ("Zm9vOmJhcg", Unpadded, Ok(b"foo:bar")),
            ("Zm9vOmJhcg==", Unpadded, Err(10)),
            ("pants", Unpadded, Err(4)),
            ("pant", Unpadded, Ok(&[0xa5, 0xa9, 0xed])),
            ("cGFudHM", Unpadded, Ok(b"pants")),
            ("Zm9v Omp", Unpadded, Err(4)),
            ("Zm\n9v", Unpadded, Ok(b"foo")),
        ]);
    }

    proptest! {
        /// Whatever Go's standard encoders produce, this decodes back (with newlines sprinkled in).
        #[test]
        fn round_trips_encoder_output(data in prop::collection::vec(any::<u8>(), 0..40), newline_every in 1usize..9) {
            let padded = base64::engine::general_purpose::STANDARD.encode(&data);
            let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&data);
            let wrapped: String = padded.chars().enumerate().flat_map(|(i, c)| {
                let newline = (i % newline_every == 0).then_some('\n');
                newline.into_iter().chain(std::iter::once(c))
            }).collect();
            prop_assert_eq!(go_base64_decode(padded.as_bytes(), Base64Padding::Padded), Ok(data.clone()));
            prop_assert_eq!(go_base64_decode(wrapped.as_bytes(), Base64Padding::Padded), Ok(data.clone()));
            prop_assert_eq!(go_base64_decode(unpadded.as_bytes(), Base64Padding::Unpadded), Ok(data));
        }

        #[test]
        fn error_offsets_point_into_the_input(input in prop::collection::vec(prop::sample::select(b"AZaz09+/=\n -".to_vec()), 0..20)) {
            for padding in [Base64Padding::Padded, Base64Padding::Unpadded] {
                if let Err(error) = go_base64_decode(&input, padding) {
                    prop_assert!(error.offset <= input.len());
                }
            }
        }
    }
}
