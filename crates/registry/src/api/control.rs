//! The control API under `/_pullsim/` (JSON in, JSON out), so tests and scripts drive
//! a running registry the way the simulator drives the core directly:
//!
//! | request | does |
//! | --- | --- |
//! | `POST /_pullsim/catalog` | load a [`Catalog`] (JSON or YAML body); answers the loaded images |
//! | `POST /_pullsim/push` | build and tag an [`ImageSpec`]; answers the loaded image |
//! | `GET /_pullsim/tags` | every live tag |
//! | `GET /_pullsim/tags/<repo>/<tag>` | one tag with its history |
//! | `PUT /_pullsim/tags/<repo>/<tag>` | `{"digest": ...}`: move the tag |
//! | `DELETE /_pullsim/tags/<repo>/<tag>` | delete the tag |
//! | `GET /_pullsim/faults` | installed fault rules with their counters |
//! | `POST /_pullsim/faults` | install one rule or a list; answers `{"ids": [...]}` |
//! | `DELETE /_pullsim/faults` | remove every rule; `DELETE /_pullsim/faults/<id>` one |
//! | `GET /_pullsim/log?since=N&limit=L` | one page of log entries from index N, as JSON lines (see `control_log`) |
//! | `POST /_pullsim/reset` | empty content, tags, faults and the log |
//!
//! Errors are `{"error": "..."}` with a 4xx status. When the registry has a control
//! token, every request needs `Authorization: Bearer <token>`.

use bytes::Bytes;
use pullsim_model::document::parse_json_or_yaml;
use pullsim_model::{Digest, SimTime};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::access::token::constant_time_eq;
use crate::api::errcode::json_response;
use crate::api::protocol::{Method, Request, Response};
use crate::api::route::Target;
use crate::catalog::{Catalog, ImageSpec};
use crate::registry::Registry;
use crate::state::fault::{FaultId, FaultRule};
use crate::state::log::{LOG_PAGE_DEFAULT, LOG_PAGE_MAX};

/// The body of `PUT /_pullsim/tags/<repo>/<tag>`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveTag {
    digest: Digest,
}

fn error(status: u16, message: impl Into<String>) -> Response {
    json_response(status, &json!({ "error": message.into() }))
}

/// Reads a JSON (or YAML) body.
fn body<T: DeserializeOwned>(request: &Request) -> Result<T, Response> {
    let text =
        std::str::from_utf8(&request.body).map_err(|_| error(400, "the body is not UTF-8"))?;
    // JSON first, for serde_json's messages; text that is not JSON at all is read as YAML
    // (flow style such as `{status: 503}` included).
    parse_json_or_yaml(text).map_err(|err| error(400, format!("invalid body: {err}")))
}

/// One rule, or a list of them (a body that starts with `[` or `-`), so each shape
/// gets its own error messages.
fn fault_rules(request: &Request) -> Result<Vec<FaultRule>, Response> {
    let text = String::from_utf8_lossy(&request.body);
    if text.trim_start().starts_with(['[', '-']) {
        body::<Vec<FaultRule>>(request)
    } else {
        body::<FaultRule>(request).map(|rule| vec![rule])
    }
}

/// Splits `<repo>/<tag>` at the last slash.
fn repository_and_tag(path: &str) -> Option<(&str, &str)> {
    path.rsplit_once('/')
        .filter(|(repo, tag)| !repo.is_empty() && !tag.is_empty())
}

impl Registry {
    /// Answers a control API request.
    pub(crate) fn control(
        &mut self,
        request: &Request,
        target: &Target,
        rest: &str,
        now: SimTime,
    ) -> Response {
        if let Some(token) = &self.config.control_token {
            let expected = format!("Bearer {token}");
            let presented = request.headers.get("authorization").unwrap_or_default();
            if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
                return error(
                    401,
                    "the control API needs Authorization: Bearer <control token>",
                );
            }
        }
        let result = match (&request.method, rest.trim_end_matches('/')) {
            (Method::Post, "catalog") => self.control_catalog(request, now),
            (Method::Post, "push") => body::<ImageSpec>(request).and_then(|spec| {
                self.push_build(&spec, now)
                    .map(|loaded| json_response(200, &json!(loaded)))
                    .map_err(|err| error(400, err.to_string()))
            }),
            (Method::Get, "tags") => Ok(json_response(200, &json!(self.tags()))),
            (method, path) if path.starts_with("tags/") => {
                self.control_tag(method, &path["tags/".len()..], request, now)
            }
            (Method::Get, "faults") => Ok(json_response(200, &json!(self.faults()))),
            (Method::Post, "faults") => fault_rules(request).map(|rules| {
                let ids: Vec<FaultId> =
                    rules.into_iter().map(|rule| self.add_fault(rule)).collect();
                json_response(200, &json!({ "ids": ids }))
            }),
            (Method::Delete, "faults") => {
                self.clear_faults();
                Ok(json_response(200, &json!({})))
            }
            (Method::Delete, path) if path.starts_with("faults/") => {
                match path["faults/".len()..].parse::<u64>() {
                    Ok(id) if self.remove_fault(FaultId(id)) => Ok(json_response(200, &json!({}))),
                    _ => Err(error(
                        404,
                        format!("no fault rule {:?}", &path["faults/".len()..]),
                    )),
                }
            }
            (Method::Get, "log") => self.control_log(target),
            (Method::Post, "reset") => {
                self.reset();
                Ok(json_response(200, &json!({})))
            }
            (_, "catalog" | "push" | "faults" | "log" | "reset") => Err(error(
                405,
                format!("{} is not allowed here", request.method),
            )),
            (_, path) => Err(error(404, format!("no control endpoint {path:?}"))),
        };
        result.unwrap_or_else(|response| response)
    }

    fn control_catalog(&mut self, request: &Request, now: SimTime) -> Result<Response, Response> {
        let text =
            std::str::from_utf8(&request.body).map_err(|_| error(400, "the body is not UTF-8"))?;
        let catalog = Catalog::parse(text).map_err(|err| error(400, err.to_string()))?;
        let loaded = self
            .load(&catalog, now)
            .map_err(|err| error(400, err.to_string()))?;
        Ok(json_response(200, &json!(loaded)))
    }

    fn control_tag(
        &mut self,
        method: &Method,
        path: &str,
        request: &Request,
        now: SimTime,
    ) -> Result<Response, Response> {
        let (repository, tag) = repository_and_tag(path).ok_or_else(|| {
            error(
                404,
                format!("want /_pullsim/tags/<repository>/<tag>, got {path:?}"),
            )
        })?;
        match method {
            Method::Get => {
                let history = self
                    .tag_history(repository, tag)
                    .ok_or_else(|| error(404, format!("tag {repository}:{tag} does not exist")))?;
                let current = history.last().filter(|event| event.until.is_none());
                Ok(json_response(
                    200,
                    &json!({
                        "repository": repository,
                        "tag": tag,
                        "digest": current.map(|event| event.digest.to_string()),
                        "history": history,
                    }),
                ))
            }
            Method::Put => {
                let MoveTag { digest } = body(request)?;
                self.move_tag(repository, tag, &digest, now)
                    .map_err(|err| error(400, err.to_string()))?;
                Ok(json_response(
                    200,
                    &json!({"repository": repository, "tag": tag, "digest": digest}),
                ))
            }
            Method::Delete => {
                self.delete_tag(repository, tag, now)
                    .map_err(|err| error(404, err.to_string()))?;
                Ok(json_response(200, &json!({})))
            }
            _ => Err(error(405, format!("{method} is not allowed here"))),
        }
    }

    /// One page of the log from `since` as JSON lines: at most `limit` entries
    /// ([`LOG_PAGE_DEFAULT`] unless given, [`LOG_PAGE_MAX`] at most), with
    /// `Pullsim-Log-Next` naming the cursor of the next call, `Pullsim-Log-More: true` when
    /// entries after this page are already there, and `Pullsim-Log-Missed: <count>` when
    /// the cursor asked for entries that fell out of the window. Only the page is copied
    /// and written, so a reader never holds the registry for the whole log.
    fn control_log(&self, target: &Target) -> Result<Response, Response> {
        let since = match target.param("since") {
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| error(400, format!("since must be a log index, got {text:?}")))?,
            None => 0,
        };
        let limit = match target.param("limit") {
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=LOG_PAGE_MAX).contains(limit))
                .ok_or_else(|| {
                    error(
                        400,
                        format!("limit must be a count from 1 to {LOG_PAGE_MAX}, got {text:?}"),
                    )
                })?,
            None => LOG_PAGE_DEFAULT,
        };
        let page = self.log_page(since, limit);
        let mut text = Vec::with_capacity(page.entries.len() * 256);
        for entry in &page.entries {
            // A LogEntry is plain strings and numbers: writing it to memory cannot fail.
            let _ = serde_json::to_writer(&mut text, entry);
            text.push(b'\n');
        }
        let mut response = Response::with_body(200, "application/x-ndjson", Bytes::from(text));
        response
            .headers
            .append("Pullsim-Log-Next", page.next.to_string());
        response
            .headers
            .append("Pullsim-Log-More", if page.more { "true" } else { "false" });
        if page.missed > 0 {
            response
                .headers
                .append("Pullsim-Log-Missed", page.missed.to_string());
        }
        Ok(response)
    }
}
