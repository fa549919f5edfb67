//! The Docker token flow: the token endpoint (`GET /token` with optional Basic
//! credentials, and `POST /token` with an OAuth2 password grant, as containerd sends it)
//! and the tokens it hands out.
//!
//! A token is `pullsim-<n>-<32 hex>`: `n` counts the tokens this registry issued, and the
//! hex is the first 128 bits of the HMAC-SHA256, under the registry's [`TokenKey`], of
//! the grant's claims (`n`, subject, scope, expiry). The registry keeps the grant under
//! `n` and accepts a token only when the MAC it recomputes from that grant matches
//! (compared in constant time) and the grant has not expired, and uses it only for the
//! scopes it lists. Knowing `n` does not help: without the key a token cannot be computed
//! from the claims, and a token from another registry (another key) never validates. The
//! key is the only secret: the HTTP server draws it from the operating system at start;
//! the simulator derives it from the scenario seed and the registry's host
//! ([`TokenKey::derive`]), so its runs stay reproducible. Tokens keep the length they
//! always had, so the bytes a simulated token answer weighs do not change (docs/semantics.md
//! §7 has the flow itself).
//!
//! A token lists the repository actions it grants: the requested actions the identity is
//! allowed, so an anonymous caller gets a token with only public scopes, and a caller
//! without rights gets a token without them (the registry then answers
//! `insufficient_scope`), as distribution's token servers do. Wrong credentials get 401.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use pullsim_model::SimTime;
use pullsim_model::time::rfc3339;
use serde_json::json;
use sha2::Sha256;

use crate::access::rules::{Action, Credentials};
use crate::api::errcode::{ApiError, ErrorCode, json_response};
use crate::api::protocol::{Method, Request, Response};
use crate::api::route::{Target, parse_query};
use crate::registry::Registry;

/// How long a token is valid, as Docker Hub's are.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// What every token starts with.
const TOKEN_PREFIX: &str = "pullsim-";

/// How many bytes of the MAC a token carries (128 bits, as 32 hex digits).
const TAG_BYTES: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// The 32-byte secret a registry signs its tokens with. Its `Debug` form never shows
/// the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    /// A key from 32 bytes (the HTTP server draws them from the operating system).
    pub const fn from_bytes(bytes: [u8; 32]) -> TokenKey {
        TokenKey(bytes)
    }

    /// The deterministic key of the registry `host` in a simulation with `seed`: the
    /// same seed and host give the same key, and so the same tokens, on every run.
    pub fn derive(seed: u64, host: &str) -> TokenKey {
        let mut material = b"pullsim token key\0".to_vec();
        material.extend_from_slice(&seed.to_be_bytes());
        material.extend_from_slice(host.as_bytes());
        TokenKey(<Sha256 as sha2::Digest>::digest(&material).into())
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; 32 bytes never fail.
        <HmacSha256 as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }
}

impl Default for TokenKey {
    /// The key of a registry nobody keyed: fixed, for in-process use and tests. The HTTP
    /// server replaces it with a random one before it answers anything.
    fn default() -> TokenKey {
        TokenKey::derive(0, "")
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    /// The account it was issued to; `None` for anonymous.
    pub(crate) user: Option<String>,
    /// Repository and action pairs.
    pub(crate) access: Vec<(String, Action)>,
    /// When it stops being valid.
    pub(crate) expires: SimTime,
}

impl Grant {
    /// Whether the token covers `action` on `repository`.
    pub(crate) fn covers(&self, repository: &str, action: Action) -> bool {
        self.access
            .iter()
            .any(|(name, granted)| name == repository && *granted == action)
    }

    /// The claims a token's MAC covers, each field length-prefixed so that no two grants
    /// share a text.
    fn claims(&self, serial: u64) -> Vec<u8> {
        let mut text = format!("pullsim token v1\nserial {serial}\n");
        match &self.user {
            Some(user) => text.push_str(&format!("subject {}:{user}\n", user.len())),
            None => text.push_str("subject anonymous\n"),
        }
        text.push_str(&format!(
            "expires {}\n",
            self.expires.since_epoch().as_nanos()
        ));
        for (repository, action) in &self.access {
            text.push_str(&format!(
                "scope {}:{repository}:{}\n",
                repository.len(),
                action.as_str()
            ));
        }
        text.into_bytes()
    }
}

/// Tokens issued so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens {
    key: TokenKey,
    issued: u64,
    /// Grants by issue number.
    grants: BTreeMap<u64, Grant>,
}

impl Tokens {
    /// Signs every later token with `key`; tokens issued before no longer validate.
    pub(crate) fn set_key(&mut self, key: TokenKey) {
        self.key = key;
        self.grants.clear();
    }

    /// Issues a token for `grant`.
    pub(crate) fn issue(&mut self, grant: Grant) -> String {
        self.issued += 1;
        let mut mac = self.key.mac();
        mac.update(&grant.claims(self.issued));
        let tag = hex(&mac.finalize().into_bytes()[..TAG_BYTES]);
        self.grants.insert(self.issued, grant);
        format!("{TOKEN_PREFIX}{}-{tag}", self.issued)
    }

    /// The grant of a valid, unexpired token: one this registry issued under its current
    /// key, whose MAC matches (compared in constant time).
    pub(crate) fn lookup(&self, token: &str, now: SimTime) -> Option<&Grant> {
        let (serial, tag) = token.strip_prefix(TOKEN_PREFIX)?.split_once('-')?;
        if tag.len() != 2 * TAG_BYTES || !serial.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let presented = tag
            .as_bytes()
            .chunks(2)
            .map(hex_byte)
            .collect::<Option<Vec<u8>>>()?;
        let serial: u64 = serial
            .parse()
            .ok()
            .filter(|n: &u64| n.to_string() == serial)?;
        let grant = self.grants.get(&serial)?;
        let mut mac = self.key.mac();
        mac.update(&grant.claims(serial));
        mac.verify_truncated_left(&presented).ok()?;
        (now < grant.expires).then_some(grant)
    }

    /// Forgets every token.
    pub(crate) fn clear(&mut self) {
        self.grants.clear();
    }
}

/// Whether two secrets are equal, in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |diff, (x, y)| diff | std::hint::black_box(x ^ y));
    diff == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Two lowercase hex digits as a byte.
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    match pair {
        [high, low] => Some(digit(*high)? << 4 | digit(*low)?),
        _ => None,
    }
}

/// One `scope` entry: `repository:<name>:<action>[,<action>...]`. Other resource types
/// (`registry:catalog:*`) are read and granted nothing.
pub(crate) fn parse_scope(scope: &str) -> Option<(String, Vec<Action>)> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    if kind != "repository" && !kind.starts_with("repository(") {
        return None;
    }
    let actions = actions
        .split(',')
        .filter_map(|action| match action.trim() {
            "pull" => Some(vec![Action::Pull]),
            "push" => Some(vec![Action::Push]),
            "*" => Some(vec![Action::Pull, Action::Push]),
            _ => None,
        })
        .flatten()
        .collect();
    Some((name.to_owned(), actions))
}

impl Registry {
    /// `GET /token` and `POST /token`.
    pub(crate) fn token_endpoint(
        &mut self,
        request: &Request,
        target: &Target,
        now: SimTime,
    ) -> Response {
        let (user, password, scopes) = match request.method {
            Method::Get | Method::Head => {
                let (user, password) = match Credentials::from_headers(&request.headers) {
                    Credentials::Basic { user, password } => (Some(user), password),
                    _ => (None, String::new()),
                };
                (
                    user,
                    password,
                    target
                        .params("scope")
                        .map(str::to_owned)
                        .collect::<Vec<_>>(),
                )
            }
            Method::Post => {
                let form = parse_query(std::str::from_utf8(&request.body).unwrap_or_default());
                let field = |name: &str| {
                    form.iter()
                        .find(|(key, _)| key == name)
                        .map(|(_, value)| value.clone())
                };
                let grant_type = field("grant_type").unwrap_or_default();
                if grant_type != "password" {
                    return json_response(
                        400,
                        &json!({"error": "unsupported_grant_type", "error_description": format!("grant_type {grant_type:?} is not supported; use password")}),
                    );
                }
                let scopes = form
                    .iter()
                    .filter(|(key, _)| key == "scope")
                    .map(|(_, value)| value.clone())
                    .collect();
                (
                    field("username"),
                    field("password").unwrap_or_default(),
                    scopes,
                )
            }
            _ => {
                let mut response = ApiError::new(ErrorCode::Unsupported).into_response();
                response.headers.append("Allow", "GET, POST");
                return response;
            }
        };
        if let Some(user) = &user
            && !self.access.password_ok(user, &password, now)
        {
            let mut response = json_response(
                401,
                &json!({"errors": [{"code": "UNAUTHORIZED", "message": "incorrect username or password"}]}),
            );
            response
                .headers
                .append("WWW-Authenticate", "Basic realm=\"pullsim\"");
            return response;
        }
        let mut access = Vec::new();
        for scope in scopes.iter().flat_map(|line| line.split(' ')) {
            let Some((repository, actions)) = parse_scope(scope) else {
                continue;
            };
            for action in actions {
                if self.access.allows(user.as_deref(), &repository, action)
                    && !access.contains(&(repository.clone(), action))
                {
                    access.push((repository.clone(), action));
                }
            }
        }
        let grant = Grant {
            user,
            access,
            expires: now + TOKEN_LIFETIME,
        };
        let token = self.tokens.issue(grant);
        let issued_at = rfc3339(self.config.epoch_unix_seconds + now.since_epoch().as_secs());
        json_response(
            200,
            &json!({
                "token": token,
                "access_token": token,
                "expires_in": TOKEN_LIFETIME.as_secs(),
                "issued_at": issued_at,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_like_distribution() {
        assert_eq!(
            parse_scope("repository:demo/hello:pull"),
            Some(("demo/hello".to_owned(), vec![Action::Pull]))
        );
        assert_eq!(
            parse_scope("repository:localhost:5000/x:pull,push"),
            Some((
                "localhost:5000/x".to_owned(),
                vec![Action::Pull, Action::Push]
            ))
        );
        assert_eq!(
            parse_scope("repository(plugin):x:*"),
            Some(("x".to_owned(), vec![Action::Pull, Action::Push]))
        );
        assert_eq!(parse_scope("registry:catalog:*"), None);
        assert_eq!(parse_scope("nonsense"), None);
    }

    fn alice() -> Grant {
        Grant {
            user: Some("alice".into()),
            access: vec![("private/app".into(), Action::Pull)],
            expires: SimTime::from_secs(300),
        }
    }

    #[test]
    fn tokens_expire_and_are_deterministic_per_key() {
        let mut a = Tokens::default();
        let mut b = Tokens::default();
        let token = a.issue(alice());
        assert_eq!(token, b.issue(alice()));
        assert!(
            token.starts_with("pullsim-1-") && token.len() == 10 + 32,
            "{token}"
        );
        assert!(a.lookup(&token, SimTime::from_secs(299)).is_some());
        assert!(a.lookup(&token, SimTime::from_secs(300)).is_none());
        assert!(a.lookup("pullsim-9-x", SimTime::EPOCH).is_none());

        let mut c = Tokens::default();
        c.set_key(TokenKey::derive(1, "registry.example.com"));
        assert_ne!(c.issue(alice()), token);
        assert!(c.lookup(&token, SimTime::EPOCH).is_none());
    }

    #[test]
    fn a_token_with_one_digit_changed_is_refused() {
        let mut tokens = Tokens::default();
        let token = tokens.issue(alice());
        let last = token.chars().last().unwrap();
        let flipped = if last == '0' { '1' } else { '0' };
        let forged = format!("{}{flipped}", &token[..token.len() - 1]);
        assert!(tokens.lookup(&forged, SimTime::EPOCH).is_none());
        assert!(
            tokens
                .lookup(&token.to_uppercase(), SimTime::EPOCH)
                .is_none()
        );
    }

    #[test]
    fn keys_never_print_and_secrets_compare_whole() {
        assert_eq!(
            format!("{:?}", TokenKey::from_bytes([7; 32])),
            "TokenKey(..)"
        );
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
    }
}
