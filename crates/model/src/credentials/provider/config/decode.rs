//! The kubelet's `decode` of one credential-provider config file: the universal decoder's
//! group/version/kind checks, then its strict decoding into the versioned type.
//!
//! Upstream: `pkg/credentialprovider/plugin/config.go` (`decode`), the scheme built in
//! `plugin.go` (`init`, `codecs = serializer.NewCodecFactory(scheme, serializer.EnableStrict)`),
//! apimachinery `runtime/serializer/json/meta.go` (`Interpret`), `json.go` (`Decode`: missing
//! kind, missing version, strict errors after type errors), `runtime/error.go`
//! (`NewMissingKindErr`, `NewStrictDecodingError`, `notRegisteredErr`), and sigs.k8s.io/json's
//! field paths (`unknown field "providers[0].x"`). Rules kept:
//! - a document that is not an object, or whose `apiVersion`/`kind` are not strings: `couldn't
//!   get version/kind; json parse error: ...`;
//! - an empty `kind`, then an empty `apiVersion`: `Object 'Kind' is missing in '<document>'`,
//!   `Object 'apiVersion' is missing in '<document>'`;
//! - a group/version/kind the kubelet's scheme does not hold: `no kind "K" is registered for
//!   version "G/V"` (the kubelet adds ` in scheme "<Go file:line>"`, left out here);
//! - a registered kind other than `CredentialProviderConfig`: `failed to decode "K" (wrong Kind)`;
//! - a value of the wrong type: Go's first `json: cannot unmarshal ...`, which wins over
//!   unknown fields; otherwise every unknown field, in document order, in one
//!   `strict decoding error: unknown field "P", unknown field "Q"`. Field names are
//!   case-sensitive (the Kubernetes decoders are); `tokenAttributes` exists only in `v1`;
//! - `null` leaves a field unset (so `defaultCacheDuration: null` is "Required").

use crate::go::duration::parse_go_duration;
use crate::go::fmt::GoDuration;
use crate::go::json::GoTypeError;
use crate::go::text::quote;

use super::super::document::{Node, Position, Value, read_document};
use super::{ExecEnvVar, ProviderConfigError};

/// The kubelet configuration API group.
pub const CONFIG_GROUP: &str = "kubelet.config.k8s.io";
/// The one kind this file may hold.
pub const CONFIG_KIND: &str = "CredentialProviderConfig";
/// The versions of [`CONFIG_GROUP`] that hold [`CONFIG_KIND`].
pub const CONFIG_VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha1"];

/// Kinds the kubelet's scheme also registers, which therefore fail as "wrong Kind" rather than
/// "not registered".
const OTHER_REGISTERED: [(&str, &str); 8] = [
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
    (
        "kubelet.config.k8s.io/v1beta1",
        "SerializedNodeConfigSource",
    ),
    (
        "credentialprovider.kubelet.k8s.io/v1",
        "CredentialProviderRequest",
    ),
    (
        "credentialprovider.kubelet.k8s.io/v1",
        "CredentialProviderResponse",
    ),
    (
        "credentialprovider.kubelet.k8s.io/v1beta1",
        "CredentialProviderRequest",
    ),
    (
        "credentialprovider.kubelet.k8s.io/v1beta1",
        "CredentialProviderResponse",
    ),
    (
        "credentialprovider.kubelet.k8s.io/v1alpha1",
        "CredentialProviderRequest",
    ),
    (
        "credentialprovider.kubelet.k8s.io/v1alpha1",
        "CredentialProviderResponse",
    ),
];

/// A value as decoded, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Located<T> {
    pub(crate) value: T,
    pub(crate) position: Option<Position>,
}

/// One file decoded but not yet validated: what [`merge_configs`](super::merge_configs) takes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodedConfig {
    /// The file's `apiVersion` (`kubelet.config.k8s.io/v1`).
    pub api_version: String,
    pub(crate) providers: Vec<DecodedProvider>,
}

impl DecodedConfig {
    /// The providers' names, in file order.
    pub fn provider_names(&self) -> Vec<&str> {
        self.providers
            .iter()
            .map(|p| p.name.value.as_str())
            .collect()
    }
}

/// A provider as the versioned type holds it (pointers as `Option`), with positions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct DecodedProvider {
    /// The file it came from, once merged.
    pub(crate) file: Option<String>,
    pub(crate) position: Option<Position>,
    pub(crate) name: Located<String>,
    pub(crate) match_images: Vec<Located<String>>,
    pub(crate) default_cache_duration: Option<Located<GoDuration>>,
    pub(crate) api_version: Located<String>,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<ExecEnvVar>,
    pub(crate) token_attributes: Option<Located<DecodedTokenAttributes>>,
}

/// `ServiceAccountTokenAttributes` as decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct DecodedTokenAttributes {
    pub(crate) audience: Located<String>,
    pub(crate) require_service_account: Option<Located<bool>>,
    pub(crate) required_keys: Located<Vec<Located<String>>>,
    pub(crate) optional_keys: Located<Vec<Located<String>>>,
    pub(crate) cache_type: Located<String>,
}

const META_STRUCT: &str = "struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }";

/// Decodes one file (YAML or JSON) as the kubelet's `decode` does, without validating it.
pub fn decode_credential_provider_config(text: &str) -> Result<DecodedConfig, ProviderConfigError> {
    let root = read_document(text).map_err(ProviderConfigError::Syntax)?;
    let decode_error = |message: String, position: Option<Position>| {
        Err(ProviderConfigError::Decode { message, position })
    };
    let Value::Object(members) = &root.value else {
        return decode_error(
            format!(
                "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type {META_STRUCT}",
                root.value.go_kind()
            ),
            root.position,
        );
    };
    // `Interpret` reads apiVersion and kind loosely (last one wins, case-insensitive keys).
    let mut api_version = (String::new(), root.position);
    let mut kind = (String::new(), root.position);
    for (key, node) in members {
        let (slot, field) = if key.eq_ignore_ascii_case("apiVersion") {
            (&mut api_version, "apiVersion")
        } else if key.eq_ignore_ascii_case("kind") {
            (&mut kind, "kind")
        } else {
            continue;
        };
        match &node.value {
            Value::String(text) => *slot = (text.clone(), node.position),
            Value::Null => {}
            other => {
                return decode_error(
                    format!(
                        "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go struct field .{field} of type string",
                        other.go_kind()
                    ),
                    node.position,
                );
            }
        }
    }
    if kind.0.is_empty() {
        return decode_error(
            format!("Object 'Kind' is missing in '{text}'"),
            root.position,
        );
    }
    if api_version.0.is_empty() {
        return decode_error(
            format!("Object 'apiVersion' is missing in '{text}'"),
            root.position,
        );
    }
    if api_version.0.matches('/').count() > 1 {
        return decode_error(
            format!("unexpected GroupVersion string: {}", api_version.0),
            api_version.1,
        );
    }
    let ours = api_version
        .0
        .strip_prefix(CONFIG_GROUP)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|version| CONFIG_VERSIONS.contains(&version));
    let registered = (ours && kind.0 == CONFIG_KIND)
        || OTHER_REGISTERED.contains(&(api_version.0.as_str(), kind.0.as_str()));
    if !registered {
        return decode_error(
            format!(
                "no kind {} is registered for version {}",
                quote(&kind.0),
                quote(&api_version.0)
            ),
            kind.1,
        );
    }
    if kind.0 != CONFIG_KIND {
        return decode_error(
            format!("failed to decode {} (wrong Kind)", quote(&kind.0)),
            kind.1,
        );
    }
    let with_tokens = api_version.0 == format!("{CONFIG_GROUP}/v1");
    let mut walk = Walk::default();
    let mut providers = Vec::new();
    for (key, node) in members {
        match key.as_str() {
            "apiVersion" | "kind" => {}
            "providers" => match &node.value {
                Value::Null => {}
                Value::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        if let Some(provider) =
                            walk.provider(item, &format!("providers[{index}]"), with_tokens)
                        {
                            providers.push(provider);
                        }
                    }
                }
                other => walk.type_error(
                    GoTypeError {
                        value: other.go_kind(),
                        go_type: "[]v1.CredentialProvider",
                        field: Some(("CredentialProviderConfig", "providers".to_owned())),
                    },
                    node.position,
                ),
            },
            _ => walk.unknown(key, node.position),
        }
    }
    walk.finish()?;
    Ok(DecodedConfig {
        api_version: api_version.0,
        providers,
    })
}

/// The strict decoder's findings: the first type error, and every unknown field.
#[derive(Default)]
struct Walk {
    /// An error returned by an `UnmarshalJSON` method (`metav1.Duration`'s), which ends
    /// decoding and wins over everything else.
    fatal: Option<(String, Option<Position>)>,
    type_error: Option<(GoTypeError, Option<Position>)>,
    unknown: Vec<(String, Option<Position>)>,
}

impl Walk {
    fn type_error(&mut self, error: GoTypeError, position: Option<Position>) {
        self.type_error.get_or_insert((error, position));
    }

    fn unknown(&mut self, path: &str, position: Option<Position>) {
        self.unknown.push((path.to_owned(), position));
    }

    fn finish(self) -> Result<(), ProviderConfigError> {
        if let Some((message, position)) = self.fatal {
            return Err(ProviderConfigError::Decode { message, position });
        }
        if let Some((error, position)) = self.type_error {
            return Err(ProviderConfigError::Decode {
                message: error.to_string(),
                position,
            });
        }
        if self.unknown.is_empty() {
            return Ok(());
        }
        let fields: Vec<String> = self
            .unknown
            .iter()
            .map(|(path, _)| format!("unknown field {}", quote(path)))
            .collect();
        Err(ProviderConfigError::Decode {
            message: format!("strict decoding error: {}", fields.join(", ")),
            position: self.unknown.first().and_then(|(_, position)| *position),
        })
    }

    /// A string field; `None` when null or of the wrong type (the error is saved).
    fn string(&mut self, node: &Node, go_struct: &'static str, field: &str) -> Option<String> {
        match &node.value {
            Value::String(text) => Some(text.clone()),
            Value::Null => None,
            other => {
                self.type_error(
                    GoTypeError {
                        value: other.go_kind(),
                        go_type: "string",
                        field: Some((go_struct, field.to_owned())),
                    },
                    node.position,
                );
                None
            }
        }
    }

    /// A `[]string` field, each item with its position.
    fn strings(
        &mut self,
        node: &Node,
        go_struct: &'static str,
        field: &str,
    ) -> Vec<Located<String>> {
        match &node.value {
            Value::Array(items) => items
                .iter()
                .filter_map(|item| {
                    self.string(item, go_struct, field).map(|value| Located {
                        value,
                        position: item.position,
                    })
                })
                .collect(),
            Value::Null => Vec::new(),
            other => {
                self.type_error(
                    GoTypeError {
                        value: other.go_kind(),
                        go_type: "[]string",
                        field: Some((go_struct, field.to_owned())),
                    },
                    node.position,
                );
                Vec::new()
            }
        }
    }

    /// The members of an object-typed field, or `None` (null, or a type error saved).
    fn object<'n>(
        &mut self,
        node: &'n Node,
        go_type: &'static str,
        context: (&'static str, &str),
    ) -> Option<&'n [(String, Node)]> {
        match &node.value {
            Value::Object(members) => Some(members),
            Value::Null => None,
            other => {
                self.type_error(
                    GoTypeError {
                        value: other.go_kind(),
                        go_type,
                        field: Some((context.0, context.1.to_owned())),
                    },
                    node.position,
                );
                None
            }
        }
    }

    fn provider(&mut self, node: &Node, path: &str, with_tokens: bool) -> Option<DecodedProvider> {
        const STRUCT: &str = "CredentialProvider";
        // A `null` item decodes to an empty provider, which validation then refuses.
        let members = match &node.value {
            Value::Null => &[][..],
            _ => self.object(
                node,
                "v1.CredentialProvider",
                ("CredentialProviderConfig", "providers"),
            )?,
        };
        let mut provider = DecodedProvider {
            position: node.position,
            name: Located {
                value: String::new(),
                position: node.position,
            },
            api_version: Located {
                value: String::new(),
                position: node.position,
            },
            ..DecodedProvider::default()
        };
        for (key, value) in members {
            match key.as_str() {
                "name" => {
                    provider.name = Located {
                        value: self
                            .string(value, STRUCT, "providers.name")
                            .unwrap_or_default(),
                        position: value.position,
                    };
                }
                "matchImages" => {
                    provider.match_images = self.strings(value, STRUCT, "providers.matchImages");
                }
                "defaultCacheDuration" => {
                    provider.default_cache_duration = match &value.value {
                        Value::Null => None,
                        Value::String(text) => match parse_go_duration(text) {
                            Ok(duration) => Some(Located {
                                value: duration,
                                position: value.position,
                            }),
                            Err(error) => {
                                // An `UnmarshalJSON` error stops decoding at once.
                                self.fatal
                                    .get_or_insert((error.to_string(), value.position));
                                None
                            }
                        },
                        other => {
                            self.type_error(
                                GoTypeError {
                                    value: other.go_kind(),
                                    go_type: "string",
                                    field: Some((
                                        STRUCT,
                                        "providers.defaultCacheDuration".to_owned(),
                                    )),
                                },
                                value.position,
                            );
                            None
                        }
                    };
                }
                "apiVersion" => {
                    provider.api_version = Located {
                        value: self
                            .string(value, STRUCT, "providers.apiVersion")
                            .unwrap_or_default(),
                        position: value.position,
                    };
                }
                "args" => {
                    provider.args = self
                        .strings(value, STRUCT, "providers.args")
                        .into_iter()
                        .map(|arg| arg.value)
                        .collect();
                }
                "env" => provider.env = self.env(value, &format!("{path}.env")),
                "tokenAttributes" if with_tokens => {
                    provider.token_attributes =
                        self.token_attributes(value, &format!("{path}.tokenAttributes"));
                }
                _ => self.unknown(&format!("{path}.{key}"), value.position),
            }
        }
        Some(provider)
    }

    fn env(&mut self, node: &Node, path: &str) -> Vec<ExecEnvVar> {
        const STRUCT: &str = "ExecEnvVar";
        let items = match &node.value {
            Value::Array(items) => items,
            Value::Null => return Vec::new(),
            other => {
                self.type_error(
                    GoTypeError {
                        value: other.go_kind(),
                        go_type: "[]v1.ExecEnvVar",
                        field: Some(("CredentialProvider", "providers.env".to_owned())),
                    },
                    node.position,
                );
                return Vec::new();
            }
        };
        let mut env = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Some(members) = self.object(
                item,
                "v1.ExecEnvVar",
                ("CredentialProvider", "providers.env"),
            ) else {
                continue;
            };
            let mut var = ExecEnvVar {
                name: String::new(),
                value: String::new(),
            };
            for (key, value) in members {
                match key.as_str() {
                    "name" => {
                        var.name = self
                            .string(value, STRUCT, "providers.env.name")
                            .unwrap_or_default();
                    }
                    "value" => {
                        var.value = self
                            .string(value, STRUCT, "providers.env.value")
                            .unwrap_or_default();
                    }
                    _ => self.unknown(&format!("{path}[{index}].{key}"), value.position),
                }
            }
            env.push(var);
        }
        env
    }

    fn token_attributes(
        &mut self,
        node: &Node,
        path: &str,
    ) -> Option<Located<DecodedTokenAttributes>> {
        const STRUCT: &str = "ServiceAccountTokenAttributes";
        let members = self.object(
            node,
            "v1.ServiceAccountTokenAttributes",
            ("CredentialProvider", "providers.tokenAttributes"),
        )?;
        let mut attributes = DecodedTokenAttributes {
            audience: Located {
                value: String::new(),
                position: node.position,
            },
            cache_type: Located {
                value: String::new(),
                position: node.position,
            },
            required_keys: Located {
                value: Vec::new(),
                position: node.position,
            },
            optional_keys: Located {
                value: Vec::new(),
                position: node.position,
            },
            require_service_account: None,
        };
        for (key, value) in members {
            let field = format!("providers.tokenAttributes.{key}");
            match key.as_str() {
                "serviceAccountTokenAudience" => {
                    attributes.audience = Located {
                        value: self.string(value, STRUCT, &field).unwrap_or_default(),
                        position: value.position,
                    };
                }
                "cacheType" => {
                    attributes.cache_type = Located {
                        value: self.string(value, STRUCT, &field).unwrap_or_default(),
                        position: value.position,
                    };
                }
                "requireServiceAccount" => match &value.value {
                    Value::Bool(flag) => {
                        attributes.require_service_account = Some(Located {
                            value: *flag,
                            position: value.position,
                        });
                    }
                    Value::Null => {}
                    other => self.type_error(
                        GoTypeError {
                            value: other.go_kind(),
                            go_type: "bool",
                            field: Some((STRUCT, field)),
                        },
                        value.position,
                    ),
                },
                "requiredServiceAccountAnnotationKeys" => {
                    attributes.required_keys = Located {
                        value: self.strings(value, STRUCT, &field),
                        position: value.position,
                    };
                }
                "optionalServiceAccountAnnotationKeys" => {
                    attributes.optional_keys = Located {
                        value: self.strings(value, STRUCT, &field),
                        position: value.position,
                    };
                }
                _ => self.unknown(&format!("{path}.{key}"), value.position),
            }
        }
        Some(Located {
            value: attributes,
            position: node.position,
        })
    }
}
