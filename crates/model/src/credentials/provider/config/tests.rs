//! The credential-provider configuration read, merged and validated: upstream's
//! `config_test.go` rows as files, every validation message, and the positions of errors.

use super::*;

const HEAD: &str = "kind: CredentialProviderConfig\napiVersion: kubelet.config.k8s.io/v1\n";

/// A v1 file whose one provider has `fields` (indented under `- `).
fn one_provider(fields: &str) -> String {
    let mut text = format!("{HEAD}providers:\n");
    for (index, line) in fields.lines().enumerate() {
        text.push_str(if index == 0 { "  - " } else { "    " });
        text.push_str(line);
        text.push('\n');
    }
    text
}

const GOOD: &str = "name: foobar\nmatchImages: [foobar.registry.io]\ndefaultCacheDuration: 1m\napiVersion: credentialprovider.kubelet.k8s.io/v1";

fn error_of(text: &str) -> String {
    parse_credential_provider_config(text)
        .expect_err("refused")
        .message()
}

/// Upstream `Test_readCredentialProviderConfig`, the single-file rows.
#[test]
fn reads_what_the_kubelet_reads() {
    let yaml = "---\nkind: CredentialProviderConfig\napiVersion: kubelet.config.k8s.io/v1alpha1\n\
        providers:\n  - name: test\n    matchImages:\n    - \"registry.io/foobar\"\n    \
        defaultCacheDuration: 10m\n    apiVersion: credentialprovider.kubelet.k8s.io/v1alpha1\n    \
        args:\n    - --v=5\n    env:\n    - name: FOO\n      value: BAR";
    let want = CredentialProviderConfig {
        providers: vec![CredentialProvider {
            name: "test".to_owned(),
            match_images: vec!["registry.io/foobar".to_owned()],
            default_cache_duration: Duration::from_secs(600),
            api_version: "credentialprovider.kubelet.k8s.io/v1alpha1".to_owned(),
            args: vec!["--v=5".to_owned()],
            env: vec![ExecEnvVar {
                name: "FOO".to_owned(),
                value: "BAR".to_owned(),
            }],
            token_attributes: None,
        }],
    };
    assert_eq!(parse_credential_provider_config(yaml), Ok(want.clone()));
    // The same as JSON, indented with tabs as upstream's test is.
    let json = "{\n\t\"kind\": \"CredentialProviderConfig\",\n\t\"apiVersion\": \"kubelet.config.k8s.io/v1alpha1\",\n\
        \t\"providers\": [\n\t\t{\n\t\t\t\"name\": \"test\",\n\t\t\t\"matchImages\": [\"registry.io/foobar\"],\n\
        \t\t\t\"defaultCacheDuration\": \"10m\",\n\t\t\t\"apiVersion\": \"credentialprovider.kubelet.k8s.io/v1alpha1\",\n\
        \t\t\t\"args\": [\"--v=5\"],\n\t\t\t\"env\": [{\"name\": \"FOO\", \"value\": \"BAR\"}]\n\t\t}\n\t]\n}";
    assert_eq!(parse_credential_provider_config(json), Ok(want));
    for version in CONFIG_VERSIONS {
        let text = one_provider(GOOD).replace(
            "kubelet.config.k8s.io/v1\n",
            &format!("kubelet.config.k8s.io/{version}\n"),
        );
        assert!(parse_credential_provider_config(&text).is_ok(), "{version}");
    }
}

#[test]
fn kind_group_and_version_are_checked_first() {
    let wrong_kind =
        one_provider(GOOD).replace("kind: CredentialProviderConfig", "kind: WrongKind");
    assert_eq!(
        error_of(&wrong_kind),
        r#"no kind "WrongKind" is registered for version "kubelet.config.k8s.io/v1""#
    );
    let wrong_group = one_provider(GOOD).replace(
        "apiVersion: kubelet.config.k8s.io/v1\n",
        "apiVersion: foobar/v1alpha1\n",
    );
    assert_eq!(
        error_of(&wrong_group),
        r#"no kind "CredentialProviderConfig" is registered for version "foobar/v1alpha1""#
    );
    let other_kind = "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\n";
    assert_eq!(
        error_of(other_kind),
        r#"failed to decode "KubeletConfiguration" (wrong Kind)"#
    );
    let no_kind = "apiVersion: kubelet.config.k8s.io/v1\nproviders: []\n";
    assert_eq!(
        error_of(no_kind),
        format!("Object 'Kind' is missing in '{no_kind}'")
    );
    let no_version = "kind: CredentialProviderConfig\n";
    assert_eq!(
        error_of(no_version),
        format!("Object 'apiVersion' is missing in '{no_version}'")
    );
    assert_eq!(
        error_of("kind: CredentialProviderConfig\napiVersion: a/b/c\n"),
        "unexpected GroupVersion string: a/b/c"
    );
    assert_eq!(
        error_of("[1, 2]"),
        "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }"
    );
    assert_eq!(
        error_of("kind: 5\napiVersion: v1\n"),
        "couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string"
    );
}

#[test]
fn strict_decoding_names_every_unknown_field() {
    let typo = one_provider(&format!("{GOOD}\nunknownField: should not be here"));
    let error = parse_credential_provider_config(&typo).expect_err("unknown field");
    assert_eq!(
        error.to_string(),
        r#"line 8 column 19: strict decoding error: unknown field "providers[0].unknownField""#
    );
    let several = format!(
        "{HEAD}extra: 1\nproviders:\n  - {}\n    env:\n    - name: A\n      valu: B\n",
        GOOD.replace('\n', "\n    ")
    );
    assert_eq!(
        error_of(&several),
        r#"strict decoding error: unknown field "extra", unknown field "providers[0].env[0].valu""#
    );
    // Field names are case-sensitive.
    assert_eq!(
        error_of(&one_provider(&GOOD.replace("matchImages", "MatchImages"))),
        r#"strict decoding error: unknown field "providers[0].MatchImages""#
    );
    // tokenAttributes exists only in kubelet.config.k8s.io/v1.
    for version in ["v1alpha1", "v1beta1"] {
        let text = one_provider(&format!(
            "{GOOD}\ntokenAttributes:\n  serviceAccountTokenAudience: audience"
        ))
        .replace(
            "kubelet.config.k8s.io/v1\n",
            &format!("kubelet.config.k8s.io/{version}\n"),
        );
        assert_eq!(
            error_of(&text),
            r#"strict decoding error: unknown field "providers[0].tokenAttributes""#,
            "{version}"
        );
    }
}

#[test]
fn wrong_types_get_go_messages_before_unknown_fields() {
    let text = one_provider(&format!(
        "{}\nargs: [1]\nbogus: x",
        GOOD.replace("name: foobar", "name: 5")
    ));
    assert_eq!(
        error_of(&text),
        "json: cannot unmarshal number into Go struct field CredentialProvider.providers.name of type string"
    );
    assert_eq!(
        error_of(&format!("{HEAD}providers: x\n")),
        "json: cannot unmarshal string into Go struct field CredentialProviderConfig.providers of type []v1.CredentialProvider"
    );
    assert_eq!(
        error_of(&one_provider(&GOOD.replace(
            "matchImages: [foobar.registry.io]",
            "matchImages: foobar.registry.io"
        ))),
        "json: cannot unmarshal string into Go struct field CredentialProvider.providers.matchImages of type []string"
    );
    assert_eq!(
        error_of(&one_provider(&GOOD.replace("1m", "5"))),
        "json: cannot unmarshal number into Go struct field CredentialProvider.providers.defaultCacheDuration of type string"
    );
    let bad_duration = one_provider(&GOOD.replace("1m", "10 minutes"));
    let error = parse_credential_provider_config(&bad_duration).expect_err("bad duration");
    assert_eq!(
        error.to_string(),
        r#"line 6 column 27: time: unknown unit " minutes" in duration "10 minutes""#
    );
    let flag = one_provider(&format!(
        "{GOOD}\ntokenAttributes:\n  serviceAccountTokenAudience: a\n  requireServiceAccount: \"yes\"\n  cacheType: Token"
    ));
    assert_eq!(
        error_of(&flag),
        "json: cannot unmarshal string into Go struct field ServiceAccountTokenAttributes.providers.tokenAttributes.requireServiceAccount of type bool"
    );
}

/// Each row of upstream `Test_validateCredentialProviderConfig`, as a file.
#[test]
fn every_validation_message() {
    let v1alpha1 = |fields: &str| {
        fields.replace(
            "apiVersion: credentialprovider.kubelet.k8s.io/v1",
            "apiVersion: credentialprovider.kubelet.k8s.io/v1alpha1",
        )
    };
    let token = |attributes: &str| {
        let mut fields = format!("{GOOD}\ntokenAttributes:");
        for line in attributes.lines() {
            fields.push_str("\n  ");
            fields.push_str(line);
        }
        fields
    };
    let rows: Vec<(String, &str)> = vec![
        (
            format!("{HEAD}providers: []\n"),
            "providers: Required value: at least 1 item in plugins is required",
        ),
        (
            one_provider(&GOOD.replace("matchImages: [foobar.registry.io]", "matchImages: []")),
            "providers.matchImages: Required value: at least 1 item in matchImages is required",
        ),
        (
            one_provider(&GOOD.replace("defaultCacheDuration: 1m\n", "")),
            "providers.defaultCacheDuration: Required value",
        ),
        (
            one_provider(&GOOD.replace("defaultCacheDuration: 1m", "defaultCacheDuration: null")),
            "providers.defaultCacheDuration: Required value",
        ),
        (
            one_provider(&GOOD.replace("foobar\n", "foo/../bar\n")),
            r#"providers.name: Invalid value: "foo/../bar": provider name cannot contain '/'"#,
        ),
        (
            one_provider(&GOOD.replace("name: foobar", "name: \".\"")),
            r#"providers.name: Invalid value: ".": provider name cannot be '.'"#,
        ),
        (
            one_provider(&GOOD.replace("name: foobar", "name: \"..\"")),
            r#"providers.name: Invalid value: "..": provider name cannot be '..'"#,
        ),
        (
            one_provider(&GOOD.replace("name: foobar", "name: foo bar")),
            r#"providers.name: Invalid value: "foo bar": provider name cannot contain spaces"#,
        ),
        (
            format!(
                "{HEAD}providers:\n  - {}\n  - {}\n",
                GOOD.replace('\n', "\n    "),
                GOOD.replace("foobar.registry.io", "bar.registry.io")
                    .replace('\n', "\n    ")
            ),
            r#"providers.name: Duplicate value: "foobar""#,
        ),
        (
            one_provider(&GOOD.replace(
                "apiVersion: credentialprovider.kubelet.k8s.io/v1",
                "apiVersion: \"\"",
            )),
            "providers.apiVersion: Required value",
        ),
        (
            one_provider(&GOOD.replace("kubelet.k8s.io/v1", "kubelet.k8s.io/v1alpha0")),
            r#"providers.apiVersion: Unsupported value: "credentialprovider.kubelet.k8s.io/v1alpha0": supported values: "credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1alpha1", "credentialprovider.kubelet.k8s.io/v1beta1""#,
        ),
        (
            one_provider(&GOOD.replace("1m", "-1m")),
            r#"providers.defaultCacheDuration: Invalid value: "-1m0s": must be greater than or equal to 0"#,
        ),
        (
            one_provider(&GOOD.replace("[foobar.registry.io]", "[\"%invalid%\"]")),
            r#"providers.matchImages: Invalid value: "%invalid%": match image is invalid: parse "https://%invalid%": invalid URL escape "%in""#,
        ),
        (
            one_provider(&token(
                "cacheType: Token\nrequiredServiceAccountAnnotationKeys: [prefix.io/annotation-1, prefix.io/annotation-2]\nrequireServiceAccount: true",
            )),
            "providers.tokenAttributes.serviceAccountTokenAudience: Required value",
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\nrequireServiceAccount: true",
            )),
            "providers.tokenAttributes.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token",
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: invalid-cache-type\nrequireServiceAccount: true",
            )),
            r#"providers.tokenAttributes.cacheType: Unsupported value: "invalid-cache-type": supported values: "ServiceAccount", "Token""#,
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: ServiceAccount\nrequiredServiceAccountAnnotationKeys: [prefix.io/annotation-1, prefix.io/annotation-2]",
            )),
            "providers.tokenAttributes.requireServiceAccount: Required value",
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: Token\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: [cantendwithadash-, now-with-dashes/simple]",
            )),
            r#"providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Invalid value: "cantendwithadash-": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: ServiceAccount\nrequireServiceAccount: true\noptionalServiceAccountAnnotationKeys: [cantendwithadash-, now-with-dashes/simple]",
            )),
            r#"providers.tokenAttributes.optionalServiceAccountAnnotationKeys: Invalid value: "cantendwithadash-": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: Token\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: [now-with-dashes/simple, now-with-dashes/simple]",
            )),
            r#"providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Duplicate value: "now-with-dashes/simple""#,
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: ServiceAccount\nrequireServiceAccount: true\noptionalServiceAccountAnnotationKeys: [now-with-dashes/simple, now-with-dashes/simple]",
            )),
            r#"providers.tokenAttributes.optionalServiceAccountAnnotationKeys: Duplicate value: "now-with-dashes/simple""#,
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: Token\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: [now-with-dashes/simple-1, now-with-dashes/simple-2]\noptionalServiceAccountAnnotationKeys: [now-with-dashes/simple-2, now-with-dashes/simple-3]",
            )),
            r#"providers.tokenAttributes: Invalid value: ["now-with-dashes/simple-2"]: annotation keys cannot be both required and optional"#,
        ),
        (
            one_provider(&token(
                "serviceAccountTokenAudience: audience\ncacheType: ServiceAccount\nrequireServiceAccount: false\nrequiredServiceAccountAnnotationKeys: [now-with-dashes/simple-1, now-with-dashes/simple-2]",
            )),
            "providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Forbidden: requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set",
        ),
        (
            one_provider(&v1alpha1(&token(
                "serviceAccountTokenAudience: audience\ncacheType: Token\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: [now-with-dashes/simple]",
            ))),
            "providers.tokenAttributes: Forbidden: tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version",
        ),
    ];
    for (text, want) in rows {
        assert_eq!(
            error_of(&text),
            format!("failed to validate credential provider config: {want}"),
            "{text}"
        );
    }
    let gated = one_provider(&token(
        "serviceAccountTokenAudience: audience\ncacheType: ServiceAccount\nrequireServiceAccount: true",
    ));
    assert_eq!(
        parse_credential_provider_config_with_gate(&gated, false)
            .expect_err("gate off")
            .message(),
        "failed to validate credential provider config: providers.tokenAttributes: Forbidden: tokenAttributes is not supported when KubeletServiceAccountTokenForCredentialProviders feature gate is disabled"
    );
    let valid = one_provider(&token(
        "serviceAccountTokenAudience: audience\ncacheType: Token\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: [now-with-dashes/simple-1, now-with-dashes/simple-2]\noptionalServiceAccountAnnotationKeys: [now-with-dashes/simple-3]",
    ));
    let config = parse_credential_provider_config(&valid).expect("valid");
    assert_eq!(
        config.providers[0].token_attributes,
        Some(TokenAttributes {
            service_account_token_audience: "audience".to_owned(),
            require_service_account: true,
            required_service_account_annotation_keys: vec![
                "now-with-dashes/simple-1".to_owned(),
                "now-with-dashes/simple-2".to_owned()
            ],
            optional_service_account_annotation_keys: vec!["now-with-dashes/simple-3".to_owned()],
            cache_type: ServiceAccountTokenCacheType::Token,
        })
    );
}

#[test]
fn several_errors_aggregate_in_brackets_once_each() {
    let text = format!(
        "{HEAD}providers:\n  - name: a b\n    matchImages: []\n    defaultCacheDuration: 1m\n    apiVersion: x\n  - name: c d\n    matchImages: [r.io]\n    defaultCacheDuration: 1m\n    apiVersion: x\n"
    );
    let error = parse_credential_provider_config(&text).expect_err("invalid");
    assert_eq!(
        error.message(),
        "failed to validate credential provider config: [providers.name: Invalid value: \"a b\": provider name cannot contain spaces, \
         providers.apiVersion: Unsupported value: \"x\": supported values: \"credentialprovider.kubelet.k8s.io/v1\", \"credentialprovider.kubelet.k8s.io/v1alpha1\", \"credentialprovider.kubelet.k8s.io/v1beta1\", \
         providers.matchImages: Required value: at least 1 item in matchImages is required, \
         providers.name: Invalid value: \"c d\": provider name cannot contain spaces]"
    );
    // Four errors, one per position; the unsupported apiVersion printed once.
    let positions: Vec<Option<u64>> = error
        .field_errors()
        .iter()
        .map(|e| e.position.map(|p| p.line))
        .collect();
    assert_eq!(positions, [Some(4), Some(7), Some(4), Some(8), Some(11)]);
    assert!(
        error
            .to_string()
            .starts_with("line 4 column 11: failed to validate")
    );
}

#[test]
fn qualified_names_as_apimachinery_checks_them() {
    assert_eq!(
        validate::is_qualified_name("example.com/MyName"),
        Vec::<String>::new()
    );
    assert_eq!(
        validate::is_qualified_name("/name"),
        ["prefix part must be non-empty"]
    );
    assert_eq!(
        validate::is_qualified_name("Example.com/name"),
        [
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        ]
    );
    assert_eq!(
        validate::is_qualified_name("a/b/c"),
        [
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    );
    let long = "x".repeat(64);
    assert_eq!(
        validate::is_qualified_name(&long),
        ["name part must be no more than 63 characters"]
    );
    assert_eq!(validate::is_qualified_name("p.io/").len(), 2);
}

fn decoded(names: &[&str]) -> DecodedConfig {
    let mut text = format!("{HEAD}providers:\n");
    for name in names {
        text.push_str(&format!(
            "  - name: {name}\n    matchImages: [{name}.io]\n    defaultCacheDuration: 5m\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
        ));
    }
    decode_credential_provider_config(&text).expect("decodes")
}

#[test]
fn a_directory_merges_in_the_order_given() {
    let files = vec![
        ("00-a.yaml".to_owned(), decoded(&["one", "two"])),
        ("10-b.json".to_owned(), decoded(&["three"])),
    ];
    let names: Vec<String> = merge_configs(&files)
        .expect("merged")
        .providers
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["one", "two", "three"]);
    let clash = vec![
        ("a.yaml".to_owned(), decoded(&["duplicate"])),
        ("b.yaml".to_owned(), decoded(&["duplicate"])),
    ];
    let error = merge_configs(&clash).expect_err("duplicate");
    assert_eq!(
        error.message(),
        r#"duplicate provider name "duplicate" found in configuration file(s)"#
    );
    assert!(
        matches!(&error, ProviderConfigError::DuplicateProvider { file: Some(file), .. } if file == "b.yaml")
    );
    // A file without providers is fine in a directory; only the merged whole needs one.
    let empty = decode_credential_provider_config(&format!("{HEAD}providers: []\n")).unwrap();
    let files = vec![
        ("a.yaml".to_owned(), empty.clone()),
        ("b.yaml".to_owned(), decoded(&["x"])),
    ];
    assert!(merge_configs(&files).is_ok());
    let invalid = vec![("a.yaml".to_owned(), empty)];
    assert_eq!(
        merge_configs(&invalid).expect_err("none").message(),
        "failed to validate credential provider config: providers: Required value: at least 1 item in plugins is required"
    );
    // Validation errors of a merged file name it.
    let bad = decode_credential_provider_config(&one_provider(&GOOD.replace("foobar\n", "a b\n")))
        .unwrap();
    let error = merge_configs(&[("z.yaml".to_owned(), bad)]).expect_err("invalid");
    assert_eq!(error.field_errors()[0].file.as_deref(), Some("z.yaml"));
}

#[test]
fn match_images_decide_which_images_a_provider_is_asked_about() {
    let config = parse_credential_provider_config(&one_provider(
        "name: ecr\nmatchImages: ['*.dkr.ecr.*.amazonaws.com', 'registry.io:5000/team']\ndefaultCacheDuration: 12h\napiVersion: credentialprovider.kubelet.k8s.io/v1",
    ))
    .unwrap();
    let provider = &config.providers[0];
    assert!(provider.matches_image("123.dkr.ecr.us-east-1.amazonaws.com/app"));
    assert!(provider.matches_image("registry.io:5000/team/app"));
    assert!(
        !provider.matches_image("registry.io/team/app"),
        "the port must match"
    );
    assert!(
        !provider.matches_image("registry.io:5000/other"),
        "the path must be a prefix"
    );
    assert!(!provider.matches_image("docker.io/library/nginx"));
    let (glob, _) = provider
        .explain_match("registry.io:5000/team/app")
        .expect("matched");
    assert_eq!(glob, "registry.io:5000/team");
    let misses = provider.explain_match("quay.io/x").expect_err("no match");
    assert_eq!(misses.len(), 2);
    assert_eq!(
        provider.default_cache_duration,
        Duration::from_secs(12 * 3600)
    );
}

#[test]
fn syntax_errors_keep_their_position() {
    let error = parse_credential_provider_config("kind: [\n").expect_err("broken");
    assert!(matches!(error, ProviderConfigError::Syntax(_)));
    assert!(error.position().is_some(), "{error}");
}

#[test]
fn a_null_provider_is_an_empty_one() {
    let error = parse_credential_provider_config(&format!("{HEAD}providers:\n  - null\n"))
        .expect_err("an empty provider");
    assert_eq!(
        error.message(),
        "failed to validate credential provider config: [providers.apiVersion: Required value, \
         providers.matchImages: Required value: at least 1 item in matchImages is required, \
         providers.defaultCacheDuration: Required value]"
    );
}
