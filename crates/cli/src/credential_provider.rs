//! `pullsim credential-provider --from FILE`: a real kubelet exec credential-provider plugin
//! (docs/credential-providers.md §6). It reads one `CredentialProviderRequest` (JSON) on
//! standard input and writes the `CredentialProviderResponse` for it on standard output, from a
//! file of credentials per image glob.
//!
//! Exit codes, as the kubelet reads them: 0 with a response; 1 when the file has no credentials
//! for the image (the kubelet logs the error with what we print on standard error, caches
//! nothing and asks again at the next pull, where an empty `auth` would be cached for the whole
//! cache duration); 2 for a malformed request or a bad file.

use std::io::{BufRead, Write};
use std::time::Duration;

use serde::Deserialize;

use pullsim_model::credentials::provider::{
    AuthConfig, CacheKeyType, CredentialProviderRequest, CredentialProviderResponse,
};
use pullsim_model::credentials::{parse_schemeless_url, urls_match_str};
use pullsim_model::go::duration::parse_go_duration;
use pullsim_model::go_text::quote;

use crate::{CliError, Outcome};

/// The `--from` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CredentialsFile {
    /// The `cacheKeyType` of every answer (default `Image`).
    #[serde(default)]
    cache_key_type: Option<String>,
    /// The `cacheDuration` of every answer (default: none, so the provider's
    /// `defaultCacheDuration`).
    #[serde(default)]
    cache_duration: Option<String>,
    /// Credentials per image glob, in order.
    credentials: Vec<Entry>,
}

/// One `credentials` item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Entry {
    /// The glob matched against the request's image (`URLsMatchStr`), also the `auth` key.
    image: String,
    username: String,
    password: String,
    /// Overrides the file's `cacheKeyType` when this entry is the first that matches.
    #[serde(default)]
    cache_key_type: Option<String>,
    /// Overrides the file's `cacheDuration` when this entry is the first that matches.
    #[serde(default)]
    cache_duration: Option<String>,
}

fn key_type(path: &str, text: Option<&str>) -> Result<CacheKeyType, CliError> {
    match text {
        None => Ok(CacheKeyType::Image),
        Some(text) => CacheKeyType::from_api(text).ok_or_else(|| {
            CliError::input(format!(
                "{path}: cacheKeyType {}: want Image, Registry or Global",
                quote(text)
            ))
        }),
    }
}

fn duration(path: &str, text: Option<&str>) -> Result<Option<Duration>, CliError> {
    let Some(text) = text else { return Ok(None) };
    let parsed = parse_go_duration(text)
        .map_err(|error| CliError::input(format!("{path}: cacheDuration: {error}")))?;
    let nanos = u64::try_from(parsed.as_nanos()).map_err(|_| {
        CliError::input(format!(
            "{path}: cacheDuration {}: must not be negative",
            quote(text)
        ))
    })?;
    Ok(Some(Duration::from_nanos(nanos)))
}

fn read_file(path: &str) -> Result<CredentialsFile, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|err| CliError::input(format!("{path}: cannot read: {err}")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|err| CliError::input(format!("{path}: not UTF-8 text: {err}")))?;
    let file: CredentialsFile = pullsim_model::document::parse_json_or_yaml(text)
        .map_err(|error| CliError::document(path, "invalid credentials file", &error))?;
    key_type(path, file.cache_key_type.as_deref())?;
    duration(path, file.cache_duration.as_deref())?;
    for (index, entry) in file.credentials.iter().enumerate() {
        let at = format!("{path}: credentials[{index}]");
        parse_schemeless_url(&entry.image).map_err(|error| {
            CliError::input(format!("{at}: image {}: {error}", quote(&entry.image)))
        })?;
        key_type(&at, entry.cache_key_type.as_deref())?;
        duration(&at, entry.cache_duration.as_deref())?;
    }
    Ok(file)
}

/// The answer for one request, or `None` when no entry's glob matches its image.
fn answer(
    path: &str,
    file: &CredentialsFile,
    request: &CredentialProviderRequest,
) -> Result<Option<CredentialProviderResponse>, CliError> {
    let matching: Vec<&Entry> = file
        .credentials
        .iter()
        .filter(|entry| urls_match_str(&entry.image, &request.image) == Ok(true))
        .collect();
    let Some(first) = matching.first() else {
        return Ok(None);
    };
    let key_type = key_type(
        path,
        first
            .cache_key_type
            .as_deref()
            .or(file.cache_key_type.as_deref()),
    )?;
    let mut response = CredentialProviderResponse::new(&request.api_version, key_type);
    response.cache_duration = duration(
        path,
        first
            .cache_duration
            .as_deref()
            .or(file.cache_duration.as_deref()),
    )?;
    for entry in matching {
        response
            .auth
            .entry(entry.image.clone())
            .or_insert_with(|| AuthConfig {
                username: entry.username.clone(),
                password: entry.password.clone(),
            });
    }
    Ok(Some(response))
}

/// `pullsim credential-provider --from FILE`.
pub(crate) fn run(
    from: &str,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let file = read_file(from)?;
    let mut text = String::new();
    stdin.read_to_string(&mut text).map_err(|error| {
        CliError::input(format!(
            "cannot read the request on standard input: {error}"
        ))
    })?;
    let request = CredentialProviderRequest::parse(&text).map_err(|message| {
        CliError::input(format!(
            "malformed CredentialProviderRequest on standard input: {message}"
        ))
    })?;
    match answer(from, &file, &request)? {
        Some(response) => {
            out.write_all(response.to_json().as_bytes())
                .map_err(CliError::output)?;
            Ok(Outcome::Yes)
        }
        None => {
            writeln!(
                err,
                "pullsim credential-provider: {from} has no credentials for image {} (no credentials[].image glob matches it)",
                quote(&request.image)
            )
            .map_err(CliError::output)?;
            Ok(Outcome::No)
        }
    }
}
