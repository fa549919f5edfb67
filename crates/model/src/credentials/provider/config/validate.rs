//! `validateCredentialProviderConfig`: every rule and message of the kubelet's validation, as
//! apimachinery's `field.ErrorList` prints them, in the kubelet's order.
//!
//! Upstream: `pkg/credentialprovider/plugin/config.go` (`validateCredentialProviderConfig`,
//! `validateServiceAccountAnnotationKeys`), apimachinery `util/validation/field/errors.go`
//! (`Error.Error`, `ErrorBody`, `NotSupported`), `util/validation/validation.go`
//! (`IsQualifiedName`, `IsDNS1123Subdomain`, `RegexError`), and `util/errors/errors.go`
//! (`aggregate.Error`: one message alone, several as `[a, b]`, repeated messages once). Field
//! paths carry no index (`providers.name`), as upstream's do, so the same mistake in two
//! providers prints once.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use crate::go::text::{quote, to_lower};
use crate::go::url::parse_schemeless_url;

use super::decode::{DecodedProvider, DecodedTokenAttributes, Located};
use super::{
    CredentialProvider, CredentialProviderConfig, PROTOCOL_V1, PROTOCOL_VERSIONS, Position,
    ProviderConfigError, ServiceAccountTokenCacheType, TokenAttributes,
};

/// One `field.Error`, with where it was written (and the file, for a merged directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field path (`providers.tokenAttributes.cacheType`).
    pub path: String,
    /// What is wrong.
    pub kind: FieldErrorKind,
    /// Where, when known.
    pub position: Option<Position>,
    /// The file, when the configuration was merged from a directory.
    pub file: Option<String>,
}

/// The `field.ErrorType`s the kubelet's validation uses, with their bad value already printed
/// as apimachinery prints it (strings quoted, lists as JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// `Required value[: detail]`.
    Required(String),
    /// `Invalid value: <value>: detail`.
    Invalid {
        /// The printed value.
        value: String,
        /// Why.
        detail: String,
    },
    /// `Duplicate value: <value>`.
    Duplicate(String),
    /// `Unsupported value: <value>: supported values: "a", "b"`.
    NotSupported {
        /// The printed value.
        value: String,
        /// The supported values, in the order printed.
        supported: Vec<String>,
    },
    /// `Forbidden: detail`.
    Forbidden(String),
}

/// `providers.name: Invalid value: "a/b": provider name cannot contain '/'`: `field.Error.Error()`.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match &self.kind {
            FieldErrorKind::Required(detail) if detail.is_empty() => f.write_str("Required value"),
            FieldErrorKind::Required(detail) => write!(f, "Required value: {detail}"),
            FieldErrorKind::Invalid { value, detail } => {
                write!(f, "Invalid value: {value}: {detail}")
            }
            FieldErrorKind::Duplicate(value) => write!(f, "Duplicate value: {value}"),
            FieldErrorKind::NotSupported { value, supported } => {
                let quoted: Vec<String> = supported.iter().map(|v| quote(v)).collect();
                write!(
                    f,
                    "Unsupported value: {value}: supported values: {}",
                    quoted.join(", ")
                )
            }
            FieldErrorKind::Forbidden(detail) => write!(f, "Forbidden: {detail}"),
        }
    }
}

/// `field.ErrorList.ToAggregate().Error()`: one message alone, several in brackets, each
/// distinct message once.
pub fn aggregate(errors: &[FieldError]) -> String {
    let mut seen = BTreeSet::new();
    let mut messages = Vec::new();
    for error in errors {
        let message = error.to_string();
        if seen.insert(message.clone()) {
            messages.push(message);
        }
    }
    if messages.len() == 1 {
        messages.remove(0)
    } else {
        format!("[{}]", messages.join(", "))
    }
}

/// The kubelet's `qualifiedNameFmt`.
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MESSAGE: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MESSAGE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/// apimachinery's `RegexError(msg, fmt, examples...)`, with its double spaces.
fn regex_error(message: &str, format: &str, examples: &[&str]) -> String {
    let mut text = format!("{message} (e.g. ");
    for (index, example) in examples.iter().enumerate() {
        if index > 0 {
            text.push_str(" or ");
        }
        text.push_str(&format!("'{example}', "));
    }
    text.push_str(&format!("regex used for validation is '{format}')"));
    text
}

fn is_qualified_name_part(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first)
                && alnum(last)
                && bytes
                    .iter()
                    .all(|b| alnum(b) || matches!(b, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

fn is_dns1123_subdomain(value: &str) -> bool {
    value.split('.').all(|label| {
        let bytes = label.as_bytes();
        let ok = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        match (bytes.first(), bytes.last()) {
            (Some(first), Some(last)) => {
                ok(first) && ok(last) && bytes.iter().all(|b| ok(b) || *b == b'-')
            }
            _ => false,
        }
    })
}

/// apimachinery's `IsQualifiedName(value)`: every message, in its order.
pub(crate) fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_owned());
            } else {
                if prefix.len() > 253 {
                    errors.push("prefix part must be no more than 253 characters".to_owned());
                }
                if !is_dns1123_subdomain(prefix) {
                    errors.push(format!(
                        "prefix part {}",
                        regex_error(
                            DNS1123_SUBDOMAIN_MESSAGE,
                            DNS1123_SUBDOMAIN_FMT,
                            &["example.com"]
                        )
                    ));
                }
            }
            *name
        }
        _ => {
            errors.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_MESSAGE,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            ));
            return errors;
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_owned());
    } else if name.len() > 63 {
        errors.push("name part must be no more than 63 characters".to_owned());
    }
    if !is_qualified_name_part(name) {
        errors.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MESSAGE,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errors
}

struct Errors<'p> {
    list: Vec<FieldError>,
    file: Option<&'p str>,
}

impl Errors<'_> {
    fn push(&mut self, path: &str, kind: FieldErrorKind, position: Option<Position>) {
        self.list.push(FieldError {
            path: path.to_owned(),
            kind,
            position,
            file: self.file.map(str::to_owned),
        });
    }
}

/// Validates decoded providers and, when nothing is wrong, returns them typed.
pub(crate) fn validate(
    providers: &[DecodedProvider],
    service_account_tokens: bool,
) -> Result<CredentialProviderConfig, ProviderConfigError> {
    let mut all = Vec::new();
    if providers.is_empty() {
        all.push(FieldError {
            path: "providers".to_owned(),
            kind: FieldErrorKind::Required("at least 1 item in plugins is required".to_owned()),
            position: None,
            file: None,
        });
    }
    let mut seen_names = BTreeSet::new();
    for provider in providers {
        let mut errors = Errors {
            list: Vec::new(),
            file: provider.file.as_deref(),
        };
        validate_provider(
            provider,
            service_account_tokens,
            &mut seen_names,
            &mut errors,
        );
        all.extend(errors.list);
    }
    if !all.is_empty() {
        return Err(ProviderConfigError::Invalid(all));
    }
    Ok(CredentialProviderConfig {
        providers: providers.iter().map(typed).collect(),
    })
}

fn validate_provider(
    provider: &DecodedProvider,
    service_account_tokens: bool,
    seen_names: &mut BTreeSet<String>,
    errors: &mut Errors<'_>,
) {
    let name = &provider.name;
    let invalid_name = |detail: &str| FieldErrorKind::Invalid {
        value: quote(&name.value),
        detail: detail.to_owned(),
    };
    if name.value.contains('/') {
        errors.push(
            "providers.name",
            invalid_name("provider name cannot contain '/'"),
            name.position,
        );
    }
    if name.value.contains(' ') {
        errors.push(
            "providers.name",
            invalid_name("provider name cannot contain spaces"),
            name.position,
        );
    }
    if name.value == "." {
        errors.push(
            "providers.name",
            invalid_name("provider name cannot be '.'"),
            name.position,
        );
    }
    if name.value == ".." {
        errors.push(
            "providers.name",
            invalid_name("provider name cannot be '..'"),
            name.position,
        );
    }
    if !seen_names.insert(name.value.clone()) {
        errors.push(
            "providers.name",
            FieldErrorKind::Duplicate(quote(&name.value)),
            name.position,
        );
    }
    let api_version = &provider.api_version;
    if api_version.value.is_empty() {
        errors.push(
            "providers.apiVersion",
            FieldErrorKind::Required(String::new()),
            api_version.position,
        );
    } else if !PROTOCOL_VERSIONS.contains(&api_version.value.as_str()) {
        errors.push(
            "providers.apiVersion",
            FieldErrorKind::NotSupported {
                value: quote(&api_version.value),
                supported: PROTOCOL_VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            },
            api_version.position,
        );
    }
    if provider.match_images.is_empty() {
        errors.push(
            "providers.matchImages",
            FieldErrorKind::Required("at least 1 item in matchImages is required".to_owned()),
            provider.position,
        );
    }
    for glob in &provider.match_images {
        if let Err(error) = parse_schemeless_url(&glob.value) {
            errors.push(
                "providers.matchImages",
                FieldErrorKind::Invalid {
                    value: quote(&glob.value),
                    detail: format!("match image is invalid: {error}"),
                },
                glob.position,
            );
        }
    }
    match &provider.default_cache_duration {
        None => errors.push(
            "providers.defaultCacheDuration",
            FieldErrorKind::Required(String::new()),
            provider.position,
        ),
        Some(duration) if duration.value.as_nanos() < 0 => errors.push(
            "providers.defaultCacheDuration",
            FieldErrorKind::Invalid {
                value: quote(&duration.value.to_string()),
                detail: "must be greater than or equal to 0".to_owned(),
            },
            duration.position,
        ),
        Some(_) => {}
    }
    if let Some(attributes) = &provider.token_attributes {
        validate_token_attributes(
            &attributes.value,
            attributes.position,
            &api_version.value,
            service_account_tokens,
            errors,
        );
    }
}

fn validate_token_attributes(
    attributes: &DecodedTokenAttributes,
    position: Option<Position>,
    api_version: &str,
    service_account_tokens: bool,
    errors: &mut Errors<'_>,
) {
    const PATH: &str = "providers.tokenAttributes";
    if !service_account_tokens {
        errors.push(
            PATH,
            FieldErrorKind::Forbidden(
                "tokenAttributes is not supported when KubeletServiceAccountTokenForCredentialProviders feature gate is disabled"
                    .to_owned(),
            ),
            position,
        );
    }
    if attributes.audience.value.is_empty() {
        errors.push(
            "providers.tokenAttributes.serviceAccountTokenAudience",
            FieldErrorKind::Required(String::new()),
            attributes.audience.position,
        );
    }
    if attributes.require_service_account.is_none() {
        errors.push(
            "providers.tokenAttributes.requireServiceAccount",
            FieldErrorKind::Required(String::new()),
            position,
        );
    }
    if api_version != PROTOCOL_V1 {
        errors.push(
            PATH,
            FieldErrorKind::Forbidden(format!(
                "tokenAttributes is only supported for {PROTOCOL_V1} API version"
            )),
            position,
        );
    }
    if attributes
        .require_service_account
        .as_ref()
        .is_some_and(|required| !required.value)
        && !attributes.required_keys.value.is_empty()
    {
        errors.push(
            "providers.tokenAttributes.requiredServiceAccountAnnotationKeys",
            FieldErrorKind::Forbidden(
                "requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set"
                    .to_owned(),
            ),
            attributes.required_keys.position,
        );
    }
    annotation_keys(
        "providers.tokenAttributes.requiredServiceAccountAnnotationKeys",
        &attributes.required_keys.value,
        errors,
    );
    annotation_keys(
        "providers.tokenAttributes.optionalServiceAccountAnnotationKeys",
        &attributes.optional_keys.value,
        errors,
    );
    let required: BTreeSet<&str> = attributes
        .required_keys
        .value
        .iter()
        .map(|k| k.value.as_str())
        .collect();
    let optional: BTreeSet<&str> = attributes
        .optional_keys
        .value
        .iter()
        .map(|k| k.value.as_str())
        .collect();
    let both: Vec<&str> = required.intersection(&optional).copied().collect();
    if !both.is_empty() {
        errors.push(
            PATH,
            FieldErrorKind::Invalid {
                value: serde_json::to_string(&both).unwrap_or_default(),
                detail: "annotation keys cannot be both required and optional".to_owned(),
            },
            position,
        );
    }
    let cache_type = &attributes.cache_type;
    let supported: Vec<String> = ["ServiceAccount", "Token"]
        .iter()
        .map(|v| (*v).to_owned())
        .collect();
    if cache_type.value.is_empty() {
        errors.push(
            "providers.tokenAttributes.cacheType",
            FieldErrorKind::Required(format!(
                "cacheType is required to be set when tokenAttributes is specified. Supported values are: {}",
                supported.join(", ")
            )),
            cache_type.position,
        );
    } else if ServiceAccountTokenCacheType::from_api(&cache_type.value).is_none() {
        errors.push(
            "providers.tokenAttributes.cacheType",
            FieldErrorKind::NotSupported {
                value: quote(&cache_type.value),
                supported,
            },
            cache_type.position,
        );
    }
}

/// `validateServiceAccountAnnotationKeys`: each key a qualified name (checked lower-cased),
/// each at most once.
fn annotation_keys(path: &str, keys: &[Located<String>], errors: &mut Errors<'_>) {
    let mut seen = BTreeSet::new();
    for key in keys {
        for message in is_qualified_name(&to_lower(&key.value)) {
            errors.push(
                path,
                FieldErrorKind::Invalid {
                    value: quote(&key.value),
                    detail: message,
                },
                key.position,
            );
        }
        if !seen.insert(key.value.as_str()) {
            errors.push(
                path,
                FieldErrorKind::Duplicate(quote(&key.value)),
                key.position,
            );
        }
    }
}

/// A validated provider as the public type.
fn typed(provider: &DecodedProvider) -> CredentialProvider {
    let nanos = provider
        .default_cache_duration
        .as_ref()
        .map_or(0, |d| d.value.as_nanos());
    CredentialProvider {
        name: provider.name.value.clone(),
        match_images: provider
            .match_images
            .iter()
            .map(|g| g.value.clone())
            .collect(),
        default_cache_duration: Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)),
        api_version: provider.api_version.value.clone(),
        args: provider.args.clone(),
        env: provider.env.clone(),
        token_attributes: provider.token_attributes.as_ref().map(|a| {
            let a = &a.value;
            TokenAttributes {
                service_account_token_audience: a.audience.value.clone(),
                require_service_account: a
                    .require_service_account
                    .as_ref()
                    .is_some_and(|r| r.value),
                required_service_account_annotation_keys: a
                    .required_keys
                    .value
                    .iter()
                    .map(|k| k.value.clone())
                    .collect(),
                optional_service_account_annotation_keys: a
                    .optional_keys
                    .value
                    .iter()
                    .map(|k| k.value.clone())
                    .collect(),
                cache_type: ServiceAccountTokenCacheType::from_api(&a.cache_type.value)
                    .unwrap_or(ServiceAccountTokenCacheType::ServiceAccount),
            }
        }),
    }
}
