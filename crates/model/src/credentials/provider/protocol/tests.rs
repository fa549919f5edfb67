//! The plugin protocol: requests and responses encoded as the kubelet encodes them, read with
//! its checks, and every message it prints for an answer it does not use.

use super::*;

const V1: &str = "credentialprovider.kubelet.k8s.io/v1";

fn response_text(body: &str) -> String {
    format!(r#"{{"kind":"CredentialProviderResponse","apiVersion":"{V1}",{body}}}"#)
}

#[test]
fn requests_are_encoded_as_the_kubelet_encodes_them() {
    let request = CredentialProviderRequest::new(V1, "registry.example.com/team/app");
    assert_eq!(
        request.to_json(),
        "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"image\":\"registry.example.com/team/app\"}\n"
    );
    let with_token = CredentialProviderRequest {
        service_account_token: Some("tok<en>&".to_owned()),
        service_account_annotations: [
            ("z.io/role".to_owned(), "puller".to_owned()),
            ("a.io/id".to_owned(), "1".to_owned()),
        ]
        .into_iter()
        .collect(),
        ..request.clone()
    };
    assert_eq!(
        with_token.to_json(),
        "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"image\":\"registry.example.com/team/app\",\
         \"serviceAccountToken\":\"tok\\u003cen\\u003e\\u0026\",\"serviceAccountAnnotations\":{\"a.io/id\":\"1\",\"z.io/role\":\"puller\"}}\n"
    );
    // An empty token is omitted, as `omitempty` omits it.
    let empty = CredentialProviderRequest {
        service_account_token: Some(String::new()),
        ..request.clone()
    };
    assert_eq!(empty.to_json(), request.to_json());
    assert_eq!(
        CredentialProviderRequest::parse(&with_token.to_json()),
        Ok(with_token)
    );
    assert_eq!(
        CredentialProviderRequest::parse(&request.to_json()),
        Ok(request)
    );
}

#[test]
fn malformed_requests_are_refused_with_the_field_named() {
    let rows: &[(&str, &str)] = &[
        ("", "the request is empty (nothing on standard input)"),
        (
            "{\"kind\":",
            "the request is not JSON: line 1 column 8: EOF while parsing a value",
        ),
        ("[]", "the request is a JSON array, not an object"),
        (
            r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x"}"#,
            "the request has no kind (want CredentialProviderRequest)",
        ),
        (
            r#"{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x"}"#,
            r#"kind is "CredentialProviderResponse", want "CredentialProviderRequest""#,
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"v2","image":"x"}"#,
            r#"apiVersion "v2" is not one of "credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1alpha1", "credentialprovider.kubelet.k8s.io/v1beta1""#,
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}"#,
            "the request has no image",
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":5}"#,
            r#"field "image": want a string, found a number"#,
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x","extra":1}"#,
            r#"unknown field "extra" in the request"#,
        ),
    ];
    for (text, want) in rows {
        let got = CredentialProviderRequest::parse(text).expect_err("refused");
        assert!(got.starts_with(want), "{text}: {got}");
    }
}

#[test]
fn responses_round_trip() {
    let mut response = CredentialProviderResponse::new(V1, CacheKeyType::Registry);
    response.cache_duration = Some(Duration::from_secs(12 * 3600));
    response.auth.insert(
        "*.dkr.ecr.us-east-1.amazonaws.com".to_owned(),
        AuthConfig {
            username: "AWS".to_owned(),
            password: "p&ss".to_owned(),
        },
    );
    let json = response.to_json();
    assert_eq!(
        json,
        "{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"cacheKeyType\":\"Registry\",\
         \"cacheDuration\":\"12h0m0s\",\"auth\":{\"*.dkr.ecr.us-east-1.amazonaws.com\":{\"username\":\"AWS\",\"password\":\"p\\u0026ss\"}}}\n"
    );
    assert_eq!(
        CredentialProviderResponse::parse(&json, V1),
        Ok(response.clone())
    );
    let bare = CredentialProviderResponse::new(V1, CacheKeyType::Global);
    assert_eq!(
        bare.to_json(),
        "{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"cacheKeyType\":\"Global\"}\n"
    );
    assert_eq!(
        CredentialProviderResponse::parse(&bare.to_json(), V1),
        Ok(bare)
    );
    let config = response.docker_config();
    let entry = config
        .get("*.dkr.ecr.us-east-1.amazonaws.com")
        .expect("entry");
    assert_eq!(
        (entry.username.as_str(), entry.password.as_str()),
        ("AWS", "p&ss")
    );
}

#[test]
fn durations_and_nulls_in_responses() {
    let zero = CredentialProviderResponse::parse(
        &response_text(r#""cacheKeyType":"Image","cacheDuration":"0s","auth":null"#),
        V1,
    )
    .expect("valid");
    assert_eq!(zero.cache_duration, Some(Duration::ZERO));
    assert!(zero.auth.is_empty());
    let negative = CredentialProviderResponse::parse(
        &response_text(r#""cacheKeyType":"Image","cacheDuration":"-5m""#),
        V1,
    )
    .expect("valid");
    assert_eq!(negative.cache_duration, Some(Duration::ZERO));
    let absent = CredentialProviderResponse::parse(
        &response_text(r#""cacheKeyType":"Image","cacheDuration":null"#),
        V1,
    )
    .expect("valid");
    assert_eq!(absent.cache_duration, None);
}

#[test]
fn the_kubelets_checks_and_messages() {
    let rows: Vec<(String, &str)> = vec![
        (
            "not json".to_owned(),
            "error reading GVK from response: couldn't get version/kind; json parse error: expected ident",
        ),
        (
            "[]".to_owned(),
            "error reading GVK from response: couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct",
        ),
        (
            r#"{"apiVersion":5}"#.to_owned(),
            "error reading GVK from response: couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string",
        ),
        (
            r#"{"kind":"CredentialProviderResponse","apiVersion":"a/b/c"}"#.to_owned(),
            "error reading GVK from response: unexpected GroupVersion string: a/b/c",
        ),
        (
            r#"{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","cacheKeyType":"Image"}"#.to_owned(),
            "apiVersion from credential plugin response did not match expected apiVersion:credentialprovider.kubelet.k8s.io/v1, actual apiVersion:credentialprovider.kubelet.k8s.io/v1beta1",
        ),
        (
            r#"{"cacheKeyType":"Image"}"#.to_owned(),
            "apiVersion from credential plugin response did not match expected apiVersion:credentialprovider.kubelet.k8s.io/v1, actual apiVersion:",
        ),
        (
            response_text(r#""cacheKeyType":"Image","extra":true"#),
            "error decoding credential provider plugin response from stdout",
        ),
        (
            response_text(r#""cacheKeyType":"Image","auth":{"r.io":{"username":"u","token":"t"}}"#),
            "error decoding credential provider plugin response from stdout",
        ),
        (
            response_text(r#""cacheKeyType":"Image","cacheDuration":"1 hour""#),
            "error decoding credential provider plugin response from stdout",
        ),
        (
            response_text(r#""cacheKeyType":"Image","cacheDuration":60"#),
            "error decoding credential provider plugin response from stdout",
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x"}"#.to_owned(),
            "error decoding credential provider plugin response from stdout",
        ),
        (
            response_text(r#""cacheKeyType":"image""#),
            r#"credential provider plugin did not return a valid cacheKeyType: "image""#,
        ),
        (
            response_text(r#""auth":{}"#),
            r#"credential provider plugin did not return a valid cacheKeyType: """#,
        ),
    ];
    for (text, want) in rows {
        let error = CredentialProviderResponse::parse(&text, V1).expect_err("refused");
        assert!(error.to_string().starts_with(want), "{text}: {error}");
    }
    let decode = CredentialProviderResponse::parse(
        &response_text(r#""cacheKeyType":"Image","extra":1"#),
        V1,
    )
    .expect_err("unknown field");
    assert_eq!(
        decode.kubelet_log(),
        "Failed getting credential from external registry credential provider: error decoding credential provider plugin response from stdout"
    );
    assert!(matches!(decode, ProtocolError::Decode { detail } if detail.contains("\"extra\"")));
    let key = ProtocolError::InvalidCacheKeyType("x".to_owned());
    assert_eq!(
        key.kubelet_log(),
        r#"credential provider plugin did not return a valid cacheKeyType: "x""#
    );
}

#[test]
fn exec_failures_read_as_the_kubelet_logs_them() {
    assert_eq!(
        exec_error_text("ecr", "r.io/app", &ExecFailure::Exit(1), "no credentials\n"),
        "error execing credential provider plugin ecr for image r.io/app: exit status 1: no credentials\n"
    );
    assert_eq!(
        exec_error_text("ecr", "r.io/app", &ExecFailure::Timeout, ""),
        "error execing credential provider plugin ecr for image r.io/app: context deadline exceeded: "
    );
}

#[test]
fn an_echoed_token_is_refused_unless_cached_per_token() {
    use crate::credentials::provider::config::ServiceAccountTokenCacheType;
    let mut response = CredentialProviderResponse::new(V1, CacheKeyType::Image);
    response.auth.insert(
        "r.io".to_owned(),
        AuthConfig {
            username: "sa".to_owned(),
            password: "the-token".to_owned(),
        },
    );
    assert_eq!(
        echoed_token_error(&response, "the-token", ServiceAccountTokenCacheType::ServiceAccount, "r.io/app"),
        Some("Credential provider plugin returned the service account token as the password for image \"r.io/app\", which is not allowed when service account cache type is not set to 'Token'".to_owned())
    );
    assert_eq!(
        echoed_token_error(
            &response,
            "the-token",
            ServiceAccountTokenCacheType::Token,
            "r.io/app"
        ),
        None
    );
    assert_eq!(
        echoed_token_error(
            &response,
            "other",
            ServiceAccountTokenCacheType::ServiceAccount,
            "r.io/app"
        ),
        None
    );
    assert_eq!(
        echoed_token_error(
            &response,
            "",
            ServiceAccountTokenCacheType::ServiceAccount,
            "r.io/app"
        ),
        None
    );
}
