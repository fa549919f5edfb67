//! Repository names and tags checked with the distribution grammar that `pullsim-model`
//! already implements, so the registry refuses exactly what distribution refuses.

use pullsim_model::Reference;

use crate::error::RegistryError;

/// The longest repository name distribution accepts in a request path
/// (`reference.NameTotalLengthMax`).
pub(crate) const NAME_LENGTH_MAX: usize = 255;

/// Whether `name` is a repository name: lowercase path components joined by `/` as
/// the reference grammar's remote name has them (no domain, since a registry's own
/// names have none), at most 255 bytes.
pub(crate) fn is_repository(name: &str) -> bool {
    if name.is_empty() || name.len() > NAME_LENGTH_MAX {
        return false;
    }
    // Behind a fixed domain, the grammar can only read `name` as the remote path.
    match Reference::parse(&format!("pullsim.invalid/{name}")) {
        Ok(reference) => {
            reference.domain() == "pullsim.invalid"
                && reference.path() == name
                && reference.tag().is_none()
                && reference.digest().is_none()
        }
        Err(_) => false,
    }
}

/// Whether `tag` matches distribution's tag grammar `[\w][\w.-]{0,127}`.
pub(crate) fn is_tag(tag: &str) -> bool {
    if tag.is_empty() || tag.len() > 128 {
        return false;
    }
    match Reference::parse(&format!("pullsim/tag-check:{tag}")) {
        Ok(reference) => reference.tag() == Some(tag),
        Err(_) => false,
    }
}

/// [`is_repository`] as a `Result` for operations from outside the protocol.
pub(crate) fn check_repository(name: &str) -> Result<(), RegistryError> {
    if is_repository(name) {
        Ok(())
    } else {
        Err(RegistryError::InvalidRepository(name.to_owned()))
    }
}

/// [`is_tag`] as a `Result`.
pub(crate) fn check_tag(tag: &str) -> Result<(), RegistryError> {
    if is_tag(tag) {
        Ok(())
    } else {
        Err(RegistryError::InvalidTag(tag.to_owned()))
    }
}

/// Whether `text` matches `glob`, where `*` is any run of characters (slashes included)
/// and `?` is one character: the patterns of access rules and fault rules.
pub(crate) fn glob_matches(glob: &str, text: &str) -> bool {
    // ASCII text (every repository name and client in practice) is matched byte by byte,
    // where a byte is a character; anything else is matched by `char`. Both walk the same
    // algorithm, so the answer is the same either way.
    if glob.is_ascii() && text.is_ascii() {
        return wildcard_matches(glob.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let glob: Vec<char> = glob.chars().collect();
    let text: Vec<char> = text.chars().collect();
    wildcard_matches(&glob, &text, '*', '?')
}

/// The glob match over units (bytes or characters), with `star` and `one` as the
/// wildcards.
fn wildcard_matches<T: Copy + PartialEq>(glob: &[T], text: &[T], star_unit: T, one: T) -> bool {
    let (mut g, mut t) = (0, 0);
    // Where the last `*` was and how much text it has swallowed, for backtracking.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(&c) if c == star_unit => {
                star = Some((g, t));
                g += 1;
            }
            Some(&c) if c == one || c == text[t] => {
                g += 1;
                t += 1;
            }
            _ => match star {
                Some((star_g, star_t)) => {
                    g = star_g + 1;
                    t = star_t + 1;
                    star = Some((star_g, star_t + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == star_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_shell_patterns_across_slashes() {
        let rows = [
            ("private/*", "private/app", true),
            ("private/*", "private/a/b", true),
            ("private/*", "private", false),
            ("private/*", "privateer/app", false),
            ("*", "", true),
            ("demo/hello", "demo/hello", true),
            ("demo/hello", "demo/hello2", false),
            ("/v2/*/blobs/*", "/v2/demo/hello/blobs/sha256:aa", true),
            ("/v2/*/blobs/*", "/v2/demo/hello/manifests/v1", false),
            ("127.0.0.1:*", "127.0.0.1:5000", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*a*a*", "aaaa", true),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaa", false),
            // `?` is one character, not one byte, outside ASCII.
            ("caf?", "café", true),
            ("caf??", "café", false),
            ("é*", "éclair", true),
        ];
        for (glob, text, want) in rows {
            assert_eq!(glob_matches(glob, text), want, "{glob:?} vs {text:?}");
        }
    }

    #[test]
    fn repository_names_follow_the_grammar() {
        let rows = [
            ("demo/hello", true),
            ("private/app", true),
            ("a", true),
            ("localhost:5000/app", false),
            ("a__b/c-d.e", true),
            ("", false),
            ("Demo/hello", false),
            ("demo/../etc", false),
            ("demo//hello", false),
            ("/demo", false),
            ("demo/", false),
            ("demo/hello:v1", false),
            ("demo/hello@sha256:abc", false),
            ("-demo", false),
        ];
        for (name, want) in rows {
            assert_eq!(is_repository(name), want, "{name:?}");
        }
        assert!(is_repository("a/".repeat(128).trim_end_matches('/')));
        assert!(!is_repository("a/".repeat(129).trim_end_matches('/')));
    }

    #[test]
    fn tags_follow_the_grammar() {
        let long = "t".repeat(128);
        let too_long = "t".repeat(129);
        let rows = [
            ("v1", true),
            ("latest", true),
            ("_x", true),
            ("1.0-rc.1", true),
            (long.as_str(), true),
            (too_long.as_str(), false),
            ("", false),
            (".v1", false),
            ("-v1", false),
            ("v1/x", false),
            ("v:1", false),
        ];
        for (tag, want) in rows {
            assert_eq!(is_tag(tag), want, "{tag:?}");
        }
    }
}
