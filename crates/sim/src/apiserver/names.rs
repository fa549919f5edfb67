//! Pod names and UIDs as the API server prints them, without storing them: a replica's
//! name is `<workload>-<replica>`, a namespace is an index into the namespaces seen, and
//! a UID follows from the pod's id. The index of live pods by name lives here too.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt::{self, Write as _};

use crate::trace::PodId;

/// A pod's name as it prints, without building it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PodName<'a> {
    Own(&'a str),
    Replica { workload: &'a str, replica: u32 },
}

impl fmt::Display for PodName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PodName::Own(name) => f.write_str(name),
            PodName::Replica { workload, replica } => write!(f, "{workload}-{replica}"),
        }
    }
}

/// The namespaces seen and the live pods by name.
///
/// Live pods are indexed by namespace and a hash of the name (FNV-1a, fixed, so the
/// same on every machine; the index is only ever searched, never iterated in an order
/// that matters). A hit is confirmed against the record's name, so colliding names stay
/// apart. Integer keys keep the index free of stored names and string comparisons.
///
/// Each (namespace, hash) has its first live pod in a map, so a lookup is one walk down
/// it (a range over a set of (namespace, hash, pod) was two, at every pod created and
/// deleted); a second live pod whose name has the same hash waits in a list beside it.
#[derive(Debug, Default)]
pub(crate) struct PodNames {
    namespaces: Vec<String>,
    pub(super) namespace_ids: BTreeMap<String, u32>,
    live: BTreeMap<(u32, u64), PodId>,
    live_more: Vec<(u32, u64, PodId)>,
}

impl PodNames {
    /// The id of a namespace, interning it.
    pub(crate) fn intern(&mut self, namespace: &str) -> u32 {
        if let Some(id) = self.namespace_ids.get(namespace) {
            return *id;
        }
        let id = self.namespaces.len() as u32;
        self.namespaces.push(namespace.to_owned());
        self.namespace_ids.insert(namespace.to_owned(), id);
        id
    }

    /// The text of a namespace id.
    pub(crate) fn namespace(&self, id: u32) -> &str {
        &self.namespaces[id as usize]
    }

    /// Records a live pod under its name.
    pub(crate) fn insert(&mut self, namespace: u32, name: &str, pod: PodId) {
        let hash = name_hash(name);
        match self.live.entry((namespace, hash)) {
            Entry::Vacant(entry) => {
                entry.insert(pod);
            }
            Entry::Occupied(_) => self.live_more.push((namespace, hash, pod)),
        }
    }

    /// Forgets a live pod, by the hash of its name.
    pub(crate) fn remove(&mut self, namespace: u32, name_hash: u64, pod: PodId) {
        let key = (namespace, name_hash);
        if self.live.get(&key) == Some(&pod) {
            let other = self.live_more.iter().position(|(n, h, _)| (*n, *h) == key);
            match other {
                Some(at) => {
                    let (_, _, other) = self.live_more.swap_remove(at);
                    self.live.insert(key, other);
                }
                None => {
                    self.live.remove(&key);
                }
            }
        } else if let Some(at) = self
            .live_more
            .iter()
            .position(|entry| *entry == (namespace, name_hash, pod))
        {
            self.live_more.swap_remove(at);
        }
    }

    /// The live pods of `namespace` whose names have `name_hash` (the caller confirms the
    /// name).
    pub(crate) fn candidates(
        &self,
        namespace: u32,
        name_hash: u64,
    ) -> impl Iterator<Item = PodId> + '_ {
        let key = (namespace, name_hash);
        let more = self
            .live_more
            .iter()
            .filter(move |(n, h, _)| (*n, *h) == key);
        (self.live.get(&key).copied().into_iter()).chain(more.map(|(_, _, pod)| *pod))
    }
}

/// FNV-1a over the text a value prints, fed piece by piece as it is formatted.
struct NameHash(u64);

impl fmt::Write for NameHash {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for byte in text.bytes() {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
    }
}

/// The index's hash of a name, from what it prints.
pub(crate) fn name_hash(name: impl fmt::Display) -> u64 {
    let mut hash = NameHash(0xcbf2_9ce4_8422_2325);
    let _ = write!(hash, "{name}");
    hash.0
}

/// Whether `value` prints exactly as `text`, compared piece by piece as it is formatted.
pub(crate) fn prints_as(value: impl fmt::Display, text: &str) -> bool {
    struct Compare<'a>(&'a str);
    impl fmt::Write for Compare<'_> {
        fn write_str(&mut self, piece: &str) -> fmt::Result {
            self.0 = self.0.strip_prefix(piece).ok_or(fmt::Error)?;
            Ok(())
        }
    }
    let mut rest = Compare(text);
    write!(rest, "{value}").is_ok() && rest.0.is_empty()
}

/// A pod's UID (`uid-000042`) written on the stack: back-off keys are built from it at
/// every `EnsureImageExists`, and a fleet makes millions of those.
pub(crate) struct PodUid {
    bytes: [u8; 24],
    len: usize,
}

impl PodUid {
    /// UIDs are issued in creation order from 1, one per stored pod, so a pod's UID is
    /// its id plus one.
    pub(crate) fn of(pod: PodId) -> PodUid {
        let mut uid = PodUid {
            bytes: [0; 24],
            len: 0,
        };
        let _ = write!(uid, "uid-{:06}", u64::from(pod.0) + 1);
        uid
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for PodUid {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_print_compare_and_hash_as_their_text() {
        let replica = PodName::Replica {
            workload: "web",
            replica: 12,
        };
        assert_eq!(replica.to_string(), "web-12");
        assert!(prints_as(replica, "web-12"));
        for other in ["web-1", "web-120", "web-012", "web-12 ", ""] {
            assert!(!prints_as(replica, other), "{other:?}");
        }
        assert_eq!(name_hash(replica), name_hash("web-12"));
        assert_ne!(name_hash("web-12"), name_hash("web-21"));
    }

    #[test]
    fn live_pods_with_the_same_hash_stay_apart() {
        let mut names = PodNames::default();
        let ns = names.intern("default");
        names.insert(ns, "a", PodId(1));
        let hash = name_hash("a");
        // Two more pods filed under the same hash (as a collision would be).
        names.live_more.push((ns, hash, PodId(2)));
        names.live_more.push((ns, hash, PodId(3)));
        let all = |names: &PodNames| names.candidates(ns, hash).collect::<Vec<_>>();
        assert_eq!(all(&names), [PodId(1), PodId(2), PodId(3)]);
        names.remove(ns, hash, PodId(1));
        assert_eq!(all(&names), [PodId(2), PodId(3)]);
        names.remove(ns, hash, PodId(2));
        assert_eq!(all(&names), [PodId(3)]);
        names.remove(ns, hash, PodId(3));
        assert!(all(&names).is_empty() && names.live.is_empty());
        assert_eq!(names.candidates(ns + 1, hash).count(), 0);
    }

    #[test]
    fn uids_count_from_one_in_creation_order() {
        assert_eq!(PodUid::of(PodId(0)).as_str(), "uid-000001");
        assert_eq!(PodUid::of(PodId(41)).as_str(), "uid-000042");
        assert_eq!(PodUid::of(PodId(u32::MAX)).as_str(), "uid-4294967296");
    }
}
