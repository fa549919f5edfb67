//! The Docker token flow: the token endpoint (`GET /token` with optional Basic
//! credentials, and `POST /token` with an OAuth2 password grant, as containerd sends it)
//! and the tokens it hands out.
//!
//! Tokens are opaque and deterministic: `pullsim-<n>-<hash>`, where `n` counts tokens
//! issued and the hash is over the grant, so no randomness is involved and a token from
//! another registry never validates. A token lists the repository actions it grants: the
//! requested actions the identity is allowed, so an anonymous caller gets a token with
//! only public scopes, and a caller without rights gets a token without them (the
//! registry then answers `insufficient_scope`), as distribution's token servers do.
//! Wrong credentials get 401.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::{Digest, SimTime};
use serde_json::json;

use crate::access::{Action, Credentials};
use crate::errcode::{ApiError, ErrorCode, json_response};
use crate::protocol::{Method, Request, Response};
use crate::registry::Registry;
use crate::route::{Target, parse_query};

/// How long a token is valid, as Docker Hub's are.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

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
}

/// Tokens issued so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens {
    issued: u64,
    grants: BTreeMap<String, Grant>,
}

impl Tokens {
    /// Issues a token for `grant`.
    pub(crate) fn issue(&mut self, grant: Grant) -> String {
        self.issued += 1;
        let mut material = format!("{}|{:?}|", self.issued, grant.user);
        for (repository, action) in &grant.access {
            material.push_str(repository);
            material.push(':');
            material.push_str(action.as_str());
            material.push('|');
        }
        let hash = Digest::sha256_of(material.as_bytes());
        let token = format!("pullsim-{}-{}", self.issued, &hash.encoded()[..32]);
        self.grants.insert(token.clone(), grant);
        token
    }

    /// The grant of a valid, unexpired token.
    pub(crate) fn lookup(&self, token: &str, now: SimTime) -> Option<&Grant> {
        self.grants.get(token).filter(|grant| now < grant.expires)
    }

    /// Forgets every token.
    pub(crate) fn clear(&mut self) {
        self.grants.clear();
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
            && !self.access.password_ok(user, &password)
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

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic Gregorian, UTC).
pub(crate) fn rfc3339(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let rem = unix_seconds % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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

    #[test]
    fn tokens_expire_and_are_deterministic() {
        let grant = Grant {
            user: Some("alice".into()),
            access: vec![("private/app".into(), Action::Pull)],
            expires: SimTime::from_secs(300),
        };
        let mut a = Tokens::default();
        let mut b = Tokens::default();
        let token = a.issue(grant.clone());
        assert_eq!(token, b.issue(grant));
        assert!(a.lookup(&token, SimTime::from_secs(299)).is_some());
        assert!(a.lookup(&token, SimTime::from_secs(300)).is_none());
        assert!(a.lookup("pullsim-9-x", SimTime::EPOCH).is_none());
    }

    #[test]
    fn timestamps_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_747_200 + 3661), "2026-11-27T03:41:01Z");
    }
}
