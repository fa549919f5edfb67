//! The pod table as the API server stores it: records (deleted pods stay, so ids never
//! move), their names, namespaces and UIDs, the index of live pods by name, and the
//! namespaced stores of Secrets and ServiceAccounts.
//!
//! A fleet creates hundreds of thousands of pods, so a record keeps only what cannot be
//! derived: a replica's name is `<workload>-<replica>` and is printed when shown, a
//! namespace is an index into the namespaces seen, and a UID follows from the id (UIDs
//! are issued in creation order, one per stored pod). Everything that shows a pod prints
//! the same text as if the strings were stored.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::ops::{Index, IndexMut};
use std::sync::Arc;

use crate::api::PodSpec;
use crate::kubelet::PodState;
use crate::sim::Sim;
use crate::trace::{NodeId, PodId, WorkloadId};

/// One pod as stored (deleted pods stay, marked, so ids never move).
#[derive(Debug)]
pub(crate) struct PodRecord {
    /// The name of a pod created on its own; `None` for a workload's replica, whose name
    /// is `<workload>-<replica>`.
    pub(crate) own_name: Option<Box<str>>,
    /// Index into the namespaces seen ([`PodNames`]).
    pub(crate) namespace: u32,
    pub(crate) spec: Arc<PodSpec>,
    pub(crate) node: Option<NodeId>,
    pub(crate) workload: Option<(WorkloadId, u32)>,
    pub(crate) state: PodState,
}

/// The pod records by id, in chunks of [`PodTable::CHUNK`]: a fleet creates pods by the
/// hundred thousand, and one vector copied every record each time it doubled (and held
/// both copies, freshly zeroed pages included, at that moment). Chunks never move.
#[derive(Debug, Default)]
pub(crate) struct PodTable {
    chunks: Vec<Vec<PodRecord>>,
    len: usize,
}

impl PodTable {
    /// Records per chunk (a power of two, so finding one is a shift and a mask).
    const CHUNK: usize = 4096;

    /// How many pods were ever stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores a new pod under the next id.
    pub(crate) fn push(&mut self, record: PodRecord) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.push(record);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// Every record, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &PodRecord> {
        self.chunks.iter().flatten()
    }

    /// Every record, in id order, to change.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut PodRecord> {
        self.chunks.iter_mut().flatten()
    }
}

impl Index<usize> for PodTable {
    type Output = PodRecord;

    fn index(&self, index: usize) -> &PodRecord {
        &self.chunks[index / Self::CHUNK][index % Self::CHUNK]
    }
}

impl IndexMut<usize> for PodTable {
    fn index_mut(&mut self, index: usize) -> &mut PodRecord {
        &mut self.chunks[index / Self::CHUNK][index % Self::CHUNK]
    }
}

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
#[derive(Debug, Default)]
pub(crate) struct PodNames {
    namespaces: Vec<String>,
    namespace_ids: BTreeMap<String, u32>,
    live: BTreeSet<(u32, u64, PodId)>,
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
        self.live.insert((namespace, name_hash(name), pod));
    }

    /// Forgets a live pod, by the hash of its name.
    pub(crate) fn remove(&mut self, namespace: u32, name_hash: u64, pod: PodId) {
        self.live.remove(&(namespace, name_hash, pod));
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
fn prints_as(value: impl fmt::Display, text: &str) -> bool {
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

/// Objects stored by namespace and name, looked up without building an owned key.
#[derive(Debug, Clone)]
pub(crate) struct Namespaced<V> {
    by_namespace: BTreeMap<String, BTreeMap<String, V>>,
}

impl<V> Default for Namespaced<V> {
    fn default() -> Self {
        Namespaced {
            by_namespace: BTreeMap::new(),
        }
    }
}

impl<V> Namespaced<V> {
    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<&V> {
        self.by_namespace.get(namespace)?.get(name)
    }

    pub(crate) fn contains(&self, namespace: &str, name: &str) -> bool {
        self.get(namespace, name).is_some()
    }

    pub(crate) fn insert(&mut self, namespace: &str, name: &str, value: V) {
        self.by_namespace
            .entry(namespace.to_owned())
            .or_default()
            .insert(name.to_owned(), value);
    }

    pub(crate) fn remove(&mut self, namespace: &str, name: &str) {
        if let Some(names) = self.by_namespace.get_mut(namespace) {
            names.remove(name);
        }
    }
}

impl Sim {
    /// A pod's name as it prints.
    pub(crate) fn pod_name(&self, pod: PodId) -> PodName<'_> {
        let record = &self.pods[pod.0 as usize];
        match (&record.own_name, record.workload) {
            (Some(name), _) => PodName::Own(name),
            (None, Some((workload, replica))) => PodName::Replica {
                workload: &self.workloads[workload.0 as usize].workload.name,
                replica,
            },
            (None, None) => PodName::Own(""),
        }
    }

    /// A pod's namespace.
    pub(crate) fn pod_namespace(&self, pod: PodId) -> &str {
        self.pod_names
            .namespace(self.pods[pod.0 as usize].namespace)
    }

    /// `namespace/name` of a pod.
    pub fn pod_key(&self, pod: PodId) -> String {
        format!("{}/{}", self.pod_namespace(pod), self.pod_name(pod))
    }

    /// The live pod `namespace/name`, or the last one of that name that was deleted.
    pub fn pod_id(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.live_pod(namespace, name).or_else(|| {
            (0..self.pods.len() as u32).map(PodId).rev().find(|pod| {
                self.pod_namespace(*pod) == namespace && prints_as(self.pod_name(*pod), name)
            })
        })
    }

    /// The live pod `namespace/name`.
    pub(crate) fn live_pod(&self, namespace: &str, name: &str) -> Option<PodId> {
        let namespace = *self.pod_names.namespace_ids.get(namespace)?;
        let hash = name_hash(name);
        self.pod_names
            .live
            .range((namespace, hash, PodId(0))..=(namespace, hash, PodId(u32::MAX)))
            .map(|(_, _, pod)| *pod)
            .find(|pod| prints_as(self.pod_name(*pod), name))
    }

    /// A pod's UID.
    pub fn pod_uid(&self, pod: PodId) -> String {
        PodUid::of(pod).as_str().to_owned()
    }

    /// The node a pod was bound to.
    pub fn pod_node(&self, pod: PodId) -> Option<NodeId> {
        self.pods[pod.0 as usize].node
    }

    /// A pod's spec as admitted (policies defaulted, images pinned, secrets added).
    pub fn pod_spec(&self, pod: PodId) -> &PodSpec {
        &self.pods[pod.0 as usize].spec
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
    fn uids_count_from_one_in_creation_order() {
        assert_eq!(PodUid::of(PodId(0)).as_str(), "uid-000001");
        assert_eq!(PodUid::of(PodId(41)).as_str(), "uid-000042");
        assert_eq!(PodUid::of(PodId(u32::MAX)).as_str(), "uid-4294967296");
    }
}
