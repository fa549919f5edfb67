//! The HTTP side of authentication: `GET /v2/`, the challenge a protected repository
//! answers with, and the 401-versus-403 decision every repository request goes through.
//! Who may do what is [`crate::access::rules`]; tokens are [`crate::access::token`].

use serde_json::json;

use crate::access::rules::{Action, AuthMode, Credentials};
use crate::api::errcode::{ApiError, ErrorCode, json_response};
use crate::api::protocol::{Request, Response};
use crate::registry::{Caller, Registry, RegistryConfig};
use pullsim_model::SimTime;

impl Registry {
    /// `GET /v2/`: 200 with valid credentials (a password in Basic mode, a token in
    /// either mode) or when the registry has no accounts at all, else 401 with the
    /// configured challenge, so clients learn the scheme before they pull.
    pub(crate) fn base(
        &mut self,
        request: &Request,
        credentials: &Credentials,
        caller: &mut Caller,
        now: SimTime,
    ) -> Response {
        // In token mode only a token counts, as distribution's token controller has it.
        let valid = match credentials {
            Credentials::Basic { user, password } if self.config.auth == AuthMode::Basic => {
                let ok = self.access.password_ok(user, password, now);
                if ok {
                    caller.user = Some(user.clone());
                }
                ok
            }
            Credentials::Bearer(token) => match self.tokens.lookup(token, now) {
                Some(grant) => {
                    caller.user.clone_from(&grant.user);
                    true
                }
                None => false,
            },
            _ => false,
        };
        if valid || self.access_is_open() {
            return json_response(200, &json!({}));
        }
        let invalid_token = matches!(credentials, Credentials::Bearer(_));
        self.challenge(request, None, invalid_token, false)
    }

    /// Resolves the caller and decides whether it may do `action` on `repository`:
    /// `Ok` to go on, or the 401/403 response.
    ///
    /// Basic mode: wrong credentials get 401; an anonymous caller without rights gets 401
    /// with the Basic challenge; an authenticated caller without rights gets 403 `DENIED`.
    /// (distribution's htpasswd controller has no per-repository rules at all; 403 for a
    /// known user without rights is what registries with such rules, and the issue, ask.)
    ///
    /// Token mode: a request without a token may do what anonymous may; a valid token
    /// that lacks the scope gets 401 with `error="insufficient_scope"`, an unknown or
    /// expired one 401 with `error="invalid_token"`, as distribution's token controller
    /// answers.
    pub(crate) fn authorize(
        &mut self,
        request: &Request,
        credentials: &Credentials,
        caller: &mut Caller,
        repository: &str,
        action: Action,
        now: SimTime,
    ) -> Result<(), Response> {
        let scope = Some((repository, action));
        match (self.config.auth, credentials) {
            (_, Credentials::Bearer(token)) => {
                let Some(grant) = self.tokens.lookup(token, now) else {
                    return Err(self.challenge(request, scope, true, false));
                };
                caller.user.clone_from(&grant.user);
                if grant.covers(repository, action) || self.access.allows(None, repository, action)
                {
                    return Ok(());
                }
                let insufficient = self.config.auth == AuthMode::Token;
                if insufficient || caller.user.is_none() {
                    return Err(self.challenge(request, scope, false, insufficient));
                }
                Err(denied(repository, action))
            }
            (AuthMode::Basic, Credentials::Basic { user, password }) => {
                if !self.access.password_ok(user, password, now) {
                    return Err(self.challenge(request, scope, false, false));
                }
                caller.user = Some(user.clone());
                if self.access.allows(Some(user), repository, action) {
                    Ok(())
                } else {
                    Err(denied(repository, action))
                }
            }
            (AuthMode::Basic, Credentials::Unusable { scheme }) if scheme == "basic" => {
                Err(self.challenge(request, scope, false, false))
            }
            _ => {
                if self.access.allows(None, repository, action) {
                    Ok(())
                } else {
                    Err(self.challenge(request, scope, false, false))
                }
            }
        }
    }

    /// 401 `UNAUTHORIZED` with the configured challenge (see [`challenge`]).
    pub(crate) fn challenge(
        &self,
        request: &Request,
        scope: Option<(&str, Action)>,
        invalid_token: bool,
        insufficient_scope: bool,
    ) -> Response {
        challenge(
            &self.config,
            request,
            scope,
            invalid_token,
            insufficient_scope,
        )
    }

    /// Whether no account exists, so `/v2/` has nobody to ask credentials of.
    fn access_is_open(&self) -> bool {
        !self.access.has_accounts()
    }

    /// The user a request's credentials prove, without refusing anything: for listings
    /// that filter rather than fail.
    pub(crate) fn identify(&self, credentials: &Credentials, now: SimTime) -> Option<String> {
        match credentials {
            Credentials::Basic { user, password }
                if self.access.password_ok(user, password, now) =>
            {
                Some(user.clone())
            }
            Credentials::Bearer(token) => self
                .tokens
                .lookup(token, now)
                .and_then(|grant| grant.user.clone()),
            _ => None,
        }
    }
}

/// 401 `UNAUTHORIZED` with the configured challenge; the Bearer challenge carries the
/// scope and, when asked, `error="invalid_token"` or `error="insufficient_scope"`.
pub(crate) fn challenge(
    config: &RegistryConfig,
    request: &Request,
    scope: Option<(&str, Action)>,
    invalid_token: bool,
    insufficient_scope: bool,
) -> Response {
    let mut error = ApiError::new(ErrorCode::Unauthorized);
    if let Some((repository, action)) = scope {
        error = error.detail(access_record(repository, action));
    }
    let mut response = error.into_response();
    let value = match config.auth {
        AuthMode::Basic => "Basic realm=\"pullsim\"".to_owned(),
        AuthMode::Token => {
            let host = request.headers.get("host").unwrap_or("pullsim.invalid");
            let mut value = format!(
                "Bearer realm=\"http://{host}/token\",service=\"{}\"",
                config.service
            );
            if let Some((repository, action)) = scope {
                let actions = match action {
                    Action::Pull => "pull",
                    Action::Push => "pull,push",
                };
                value.push_str(&format!(",scope=\"repository:{repository}:{actions}\""));
            }
            if invalid_token {
                value.push_str(",error=\"invalid_token\"");
            } else if insufficient_scope {
                value.push_str(",error=\"insufficient_scope\"");
            }
            value
        }
    };
    response.headers.append("WWW-Authenticate", value);
    response
}

/// distribution's `auth.Access` record, the detail of 401 and 403 answers.
fn access_record(repository: &str, action: Action) -> serde_json::Value {
    json!([{"Type": "repository", "Class": "", "Name": repository, "Action": action.as_str()}])
}

/// 403 `DENIED` with the access record as detail.
fn denied(repository: &str, action: Action) -> Response {
    ApiError::new(ErrorCode::Denied)
        .detail(access_record(repository, action))
        .into_response()
}
