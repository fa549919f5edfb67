//! From a request target to what it asks for: the distribution API's routes, the token
//! endpoint and the control API, with percent-decoding and query parsing done once here.
//!
//! The repository name is everything between `/v2/` and the last `/manifests/`,
//! `/blobs/uploads/`, `/blobs/` or `/tags/list`, as distribution's router reads it; the
//! name is validated by the handlers (`NAME_INVALID`), so `..` and empty segments are
//! refused there rather than cleaned away.

/// What a request target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/v2/`: the API version check.
    Base,
    /// `/v2/_catalog`.
    Catalog,
    /// `/v2/<name>/tags/list`.
    TagsList { name: String },
    /// `/v2/<name>/manifests/<reference>` (a tag or a digest).
    Manifest { name: String, reference: String },
    /// `/v2/<name>/blobs/<digest>`.
    Blob { name: String, digest: String },
    /// `/v2/<name>/blobs/uploads/`: start an upload.
    UploadStart { name: String },
    /// `/v2/<name>/blobs/uploads/<id>`: one upload session.
    Upload { name: String, id: String },
    /// `/token`: the token endpoint of the Docker token flow.
    Token,
    /// `/_pullsim/<rest>`: the control API.
    Control { rest: String },
    /// A path with a malformed percent-escape or one that decodes to invalid UTF-8.
    Malformed,
    /// Anything else.
    NotFound,
}

impl Route {
    /// The repository the route is about, when it names one.
    pub(crate) fn repository(&self) -> Option<&str> {
        match self {
            Route::TagsList { name }
            | Route::Manifest { name, .. }
            | Route::Blob { name, .. }
            | Route::UploadStart { name }
            | Route::Upload { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// A target split into its decoded path, its route and its query pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) path: String,
    pub(crate) route: Route,
    pub(crate) query: Vec<(String, String)>,
}

impl Target {
    /// The first value of query parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of query parameter `name`, in order.
    pub(crate) fn params<'t>(&'t self, name: &'t str) -> impl Iterator<Item = &'t str> + 't {
        self.query
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses a request target.
pub(crate) fn parse(target: &str) -> Target {
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let query = parse_query(raw_query);
    let Some(path) = percent_decode(raw_path, false) else {
        return Target {
            path: raw_path.to_owned(),
            route: Route::Malformed,
            query,
        };
    };
    let route = route_of(&path);
    Target { path, route, query }
}

fn route_of(path: &str) -> Route {
    if let Some(rest) = path.strip_prefix("/_pullsim/") {
        return Route::Control {
            rest: rest.to_owned(),
        };
    }
    if path == "/_pullsim" {
        return Route::Control {
            rest: String::new(),
        };
    }
    if path == "/token" || path == "/token/" {
        return Route::Token;
    }
    if path == "/v2" || path == "/v2/" {
        return Route::Base;
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return Route::NotFound;
    };
    if rest == "_catalog" {
        return Route::Catalog;
    }
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Route::TagsList {
            name: name.to_owned(),
        };
    }
    if let Some(name) = rest
        .strip_suffix("/blobs/uploads/")
        .or(rest.strip_suffix("/blobs/uploads"))
    {
        return Route::UploadStart {
            name: name.to_owned(),
        };
    }
    if let Some(at) = rfind_segment(rest, "/blobs/uploads/") {
        let id = &rest[at + "/blobs/uploads/".len()..];
        if !id.contains('/') {
            return Route::Upload {
                name: rest[..at].to_owned(),
                id: id.to_owned(),
            };
        }
    }
    if let Some(at) = rfind_segment(rest, "/manifests/") {
        let reference = &rest[at + "/manifests/".len()..];
        if !reference.is_empty() && !reference.contains('/') {
            return Route::Manifest {
                name: rest[..at].to_owned(),
                reference: reference.to_owned(),
            };
        }
    }
    if let Some(at) = rfind_segment(rest, "/blobs/") {
        let digest = &rest[at + "/blobs/".len()..];
        if !digest.is_empty() && !digest.contains('/') {
            return Route::Blob {
                name: rest[..at].to_owned(),
                digest: digest.to_owned(),
            };
        }
    }
    Route::NotFound
}

/// `application/x-www-form-urlencoded` pairs (also how query strings are read): `&`
/// separated, `+` is a space, percent-escapes decoded; undecodable pairs are dropped.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(key, true)?, percent_decode(value, true)?))
        })
        .collect()
}

/// Where the last `needle` (which starts with `/`) begins in `text`: what `str::rfind`
/// answers, found by checking only the slashes, since every request's routing asks this
/// of short paths and setting up a general substring search cost more than the search.
fn rfind_segment(text: &str, needle: &str) -> Option<usize> {
    let mut end = text.len();
    while let Some(at) = text[..end].rfind('/') {
        if text[at..].starts_with(needle) {
            return Some(at);
        }
        end = at;
    }
    None
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); `None` for a bad
/// escape or a result that is not UTF-8.
fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    if !text.bytes().any(|byte| byte == b'%' || byte == b'+') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rows: &[(&str, Route)]) {
        for (target, want) in rows {
            assert_eq!(&parse(target).route, want, "{target}");
        }
    }

    fn s(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn rfind_segment_answers_what_rfind_does() {
        let texts = [
            "demo/hello/blobs/sha256:aa",
            "a/blobs/b/blobs/c",
            "blobs/",
            "/blobs/",
            "/blobs",
            "",
            "x/manifests/manifests/v1",
            "dé/blobs/uploads/1",
        ];
        for text in texts {
            for needle in ["/blobs/", "/manifests/", "/blobs/uploads/"] {
                assert_eq!(
                    rfind_segment(text, needle),
                    text.rfind(needle),
                    "{text} {needle}"
                );
            }
        }
    }

    #[test]
    fn targets_route_like_distribution() {
        check(&[
            ("/v2/", Route::Base),
            ("/v2", Route::Base),
            ("/v2/_catalog?n=1", Route::Catalog),
            (
                "/v2/demo/hello/tags/list",
                Route::TagsList {
                    name: s("demo/hello"),
                },
            ),
            (
                "/v2/demo/hello/manifests/v1",
                Route::Manifest {
                    name: s("demo/hello"),
                    reference: s("v1"),
                },
            ),
            (
                "/v2/a/manifests/b/manifests/v1",
                Route::Manifest {
                    name: s("a/manifests/b"),
                    reference: s("v1"),
                },
            ),
            (
                "/v2/demo/hello/blobs/sha256:abc",
                Route::Blob {
                    name: s("demo/hello"),
                    digest: s("sha256:abc"),
                },
            ),
            (
                "/v2/demo/hello/blobs/uploads/",
                Route::UploadStart {
                    name: s("demo/hello"),
                },
            ),
            (
                "/v2/demo/hello/blobs/uploads/0001",
                Route::Upload {
                    name: s("demo/hello"),
                    id: s("0001"),
                },
            ),
            (
                "/v2/demo%2Fhello/tags/list",
                Route::TagsList {
                    name: s("demo/hello"),
                },
            ),
            (
                "/v2/demo/../x/manifests/v1",
                Route::Manifest {
                    name: s("demo/../x"),
                    reference: s("v1"),
                },
            ),
            ("/v2/bad%zz/tags/list", Route::Malformed),
            ("/v2/bad%ff/tags/list", Route::Malformed),
            ("/token?scope=x", Route::Token),
            (
                "/_pullsim/tags/demo/hello/v1",
                Route::Control {
                    rest: s("tags/demo/hello/v1"),
                },
            ),
            ("/v2/demo/hello", Route::NotFound),
            ("/v2/demo/hello/manifests/", Route::NotFound),
            ("/", Route::NotFound),
            ("", Route::NotFound),
        ]);
    }

    #[test]
    fn queries_decode_form_style() {
        let target = parse(
            "/token?scope=repository%3Ademo%2Fhello%3Apull&scope=a+b&service=pullsim&bad=%zz",
        );
        assert_eq!(
            target.params("scope").collect::<Vec<_>>(),
            vec!["repository:demo/hello:pull", "a b"]
        );
        assert_eq!(target.param("service"), Some("pullsim"));
        assert_eq!(target.param("bad"), None);
    }
}
