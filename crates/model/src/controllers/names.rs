//! How controllers name what they create (docs/semantics.md §10.6): a Deployment's
//! ReplicaSet is `<deployment>-<pod-template-hash>`, the hash an FNV-32a of the pod
//! template (salted with `collisionCount` when set) printed in decimal and re-encoded with
//! apimachinery's `SafeEncodeString`; a ReplicaSet's or DaemonSet's pod is `generateName`
//! `<owner>-` (cut to 58 characters) plus five characters of `rand.String`'s alphabet.
//!
//! Upstream hashes Go's `%#v` dump of its `PodTemplateSpec` structure, which has no
//! counterpart outside Go; pullsim hashes a canonical text of the template it models (the
//! caller's), so its hashes have the real shape and change exactly when the template
//! does, but are not the values a cluster would print for the same manifest.

/// `rand.String`'s alphabet: no vowels, "to reduce the chances of bad words being formed".
pub const ALPHANUMS: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";
/// The length of `generateName`'s random suffix.
pub const SUFFIX_LENGTH: usize = 5;
/// The longest `generateName` base kept (`maxNameLength` 63 minus the suffix).
pub const MAX_GENERATED_BASE_LENGTH: usize = 63 - SUFFIX_LENGTH;

/// FNV-1a, 32 bits (Go's `hash/fnv.New32a`).
pub fn fnv32a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

/// `SafeEncodeString`: each character replaced by `ALPHANUMS[code point % 27]`.
pub fn safe_encode(text: &str) -> String {
    text.chars()
        .map(|c| char::from(ALPHANUMS[(u32::from(c) % 27) as usize]))
        .collect()
}

/// `ComputeHash` over `template` (the caller's canonical text of a pod template): FNV-32a,
/// then, when `collision_count` is set, its 8 little-endian bytes (a `uint32` in the
/// first four), printed in decimal and safe-encoded.
pub fn pod_template_hash(template: &str, collision_count: Option<u32>) -> String {
    let mut bytes = template.as_bytes().to_vec();
    if let Some(count) = collision_count {
        let mut salt = [0u8; 8];
        salt[..4].copy_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&salt);
    }
    safe_encode(&fnv32a(&bytes).to_string())
}

/// A generated name: `base` cut to [`MAX_GENERATED_BASE_LENGTH`] bytes (at a character
/// boundary) and a suffix of [`SUFFIX_LENGTH`] characters, each chosen by `draw(27)`, which
/// gives a number below its argument (the caller's seeded generator).
pub fn generate_name(base: &str, mut draw: impl FnMut(u32) -> u32) -> String {
    let mut cut = base.len().min(MAX_GENERATED_BASE_LENGTH);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut name = String::with_capacity(cut + SUFFIX_LENGTH);
    name.push_str(&base[..cut]);
    for _ in 0..SUFFIX_LENGTH {
        let index = draw(27).min(26) as usize;
        name.push(char::from(ALPHANUMS[index]));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv32a_matches_the_reference_vectors() {
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(fnv32a(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn hashes_are_digits_safe_encoded() {
        // Decimal digits map to 4 5 6 7 8 9 b c d f: the characters real hashes show
        // (`5d4f8c7b9`, `775855699b`).
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
        let hash = pod_template_hash("containers: [app: registry.example.com/app:v1]", None);
        assert!(hash.chars().all(|c| "456789bcdf".contains(c)), "{hash}");
        assert!((1..=10).contains(&hash.len()));
        assert_eq!(
            hash,
            safe_encode(&fnv32a(b"containers: [app: registry.example.com/app:v1]").to_string())
        );
        // A collision count salts the hash with its 8 little-endian bytes (a uint32 in the
        // first four), after the template.
        assert_eq!(
            pod_template_hash("t", Some(0x0102_0304)),
            safe_encode(&fnv32a(b"t\x04\x03\x02\x01\0\0\0\0").to_string())
        );
        // A collision count changes the hash, and each template has its own.
        assert_ne!(
            pod_template_hash("t", Some(1)),
            pod_template_hash("t", None)
        );
        assert_ne!(pod_template_hash("t", None), pod_template_hash("u", None));
    }

    #[test]
    fn generated_names_keep_a_cut_base_and_five_safe_characters() {
        let mut next = 0;
        let name = generate_name("web-5d4f8c7b9-", |n| {
            next += 1;
            (next * 7) % n
        });
        // Draws 7, 14, 21, 1, 8: k, s, 4, c, l.
        assert_eq!(name, "web-5d4f8c7b9-ks4cl");
        let long = "x".repeat(70);
        let cut = generate_name(&long, |_| 0);
        assert_eq!(cut.len(), 63);
        assert!(cut.ends_with("bbbbb"));
    }
}
