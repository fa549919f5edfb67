//! Ports of the Go standard library pieces that kubelet and containerd behaviour shows
//! through, reproduced so pullsim's answers and messages match the Go binaries byte for byte.
//! Each file names the upstream source it follows.
//!
//! - [`text`]: `strconv.Quote` (`%q`) and `strings.ToLower` (re-exported as `go_text`).
//! - [`fmt`]: `time.Duration.String()` and truncation (re-exported as `go_fmt`).
//! - [`duration`]: `time.ParseDuration`, signed, with Go's errors (`metav1.Duration` fields).
//! - [`json`]: `encoding/json` as the kubelet's docker config decoding walks it.
//! - [`base64`]: `encoding/base64` decoding with Go's error offsets.
//! - [`url`]: the `net/url.Parse` subset behind the kubelet's `ParseSchemelessURL` and `SplitURL`.
//! - [`ip_literal`]: `net/netip.ParseAddr`, for bracketed URL hosts.
//! - [`glob`]: `path/filepath.Match` on Linux.
//!
//! The credential rules use the last five, and [`crate::credentials`] re-exports them under
//! their former names (`credentials::go_json`, `credentials::url`, ...).

pub mod base64;
pub mod duration;
pub mod fmt;
pub mod glob;
pub mod ip_literal;
pub mod json;
pub mod text;
pub mod url;
