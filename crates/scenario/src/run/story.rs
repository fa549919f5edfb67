//! The story of a run: the simulator's trace with every id replaced by its name (pods,
//! containers, nodes, hosts, digests in full: the simulator's named form,
//! [`pullsim_sim::trace::Entry`]), plus the pods that took part and what the
//! nodes hold at the end. The
//! transcript, the JSON document and the expectations all read this, so they can never
//! tell different stories, and none of them needs the simulator afterwards.

use serde::Serialize;

use pullsim_model::SimTime;
use pullsim_sim::{PodId, Sim, TraceEvent};

pub(crate) use pullsim_sim::trace::{Credential, Entry, Instance, State};

use crate::run::holdings::{Holding, holdings};

/// One record of the story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Record {
    /// Virtual time, in nanoseconds since the start of the run.
    pub(crate) at_ns: SimTime,
    /// What happened.
    #[serde(flatten)]
    pub(crate) entry: Entry,
}

/// One pod instance that existed during the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PodInfo {
    /// Its name.
    pub(crate) pod: String,
    /// Its namespace.
    pub(crate) namespace: String,
    /// The simulator's deterministic UID.
    pub(crate) uid: String,
    /// Its node, once bound.
    pub(crate) node: Option<String>,
    /// Its workload, when a replica.
    pub(crate) workload: Option<String>,
    /// Init containers, then containers, by name.
    pub(crate) init_containers: Vec<String>,
    /// Regular containers, by name.
    pub(crate) containers: Vec<String>,
    /// The images as admitted (after pinning), init containers first.
    pub(crate) images: Vec<String>,
}

/// The story of a run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Story {
    /// Every record, in the order the simulation made them.
    pub(crate) records: Vec<Record>,
    /// Every pod instance, by instance number.
    pub(crate) pods: Vec<PodInfo>,
    /// What the nodes' image stores hold when the story is made.
    pub(crate) holdings: Vec<Holding>,
}

impl Story {
    /// The story of what `sim` has simulated so far.
    pub(crate) fn of(sim: &Sim) -> Story {
        let mut pods: Vec<PodInfo> = Vec::new();
        let mut records = Vec::with_capacity(sim.trace().len());
        for record in sim.trace() {
            if let TraceEvent::PodCreated { pod, workload } = record.event {
                while pods.len() <= pod.0 as usize {
                    let id = PodId(pods.len() as u32);
                    let workload = (id == pod).then_some(workload).flatten();
                    pods.push(pod_info(sim, id, workload.map(|w| sim.workload_name(w))));
                }
            }
            records.push(Record {
                at_ns: record.time,
                entry: sim.named_entry(&record.event),
            });
        }
        Story {
            records,
            pods,
            holdings: holdings(sim),
        }
    }

    /// The pod instance's name.
    pub(crate) fn pod(&self, instance: Instance) -> Option<&PodInfo> {
        self.pods.get(instance.0 as usize)
    }
}

fn pod_info(sim: &Sim, id: PodId, workload: Option<&str>) -> PodInfo {
    let key = sim.pod_key(id);
    let (namespace, name) = key.split_once('/').unwrap_or(("default", key.as_str()));
    let spec = sim.pod_spec(id);
    let workload = workload.map(str::to_owned);
    PodInfo {
        pod: name.to_owned(),
        namespace: namespace.to_owned(),
        uid: sim.pod_uid(id),
        node: sim.pod_node(id).map(|node| sim.node_name(node).to_owned()),
        workload,
        init_containers: spec
            .init_containers
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        containers: spec.containers.iter().map(|c| c.name.clone()).collect(),
        images: spec
            .init_containers
            .iter()
            .chain(&spec.containers)
            .map(|c| c.image.clone())
            .collect(),
    }
}

/// The repository a request is about: the name in `/v2/<name>/manifests/...` or
/// `/v2/<name>/blobs/...`, or the scope of a token request.
pub(crate) fn request_repository(target: &str) -> Option<String> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Some(rest) = path.strip_prefix("/v2/") {
        for marker in ["/manifests/", "/blobs/"] {
            if let Some(index) = rest.rfind(marker) {
                return Some(rest[..index].to_owned());
            }
        }
        return None;
    }
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("scope="))
        .map(percent_decode)
        .find_map(|scope| {
            let rest = scope.strip_prefix("repository:")?;
            let name = rest.rsplit_once(':').map_or(rest, |(name, _)| name);
            Some(name.to_owned())
        })
}

/// Decodes `%XX` escapes (token scopes escape `:` and `/`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[index], bytes.get(index + 1), bytes.get(index + 2)) {
            (b'%', Some(&high), Some(&low)) if hex(high).is_some() && hex(low).is_some() => {
                let value = hex(high).unwrap_or(0) * 16 + hex(low).unwrap_or(0);
                out.push(value as u8);
                index += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                index += 1;
            }
            (byte, _, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_of_request_targets() {
        let check = |target: &str, expected: Option<&str>| {
            assert_eq!(request_repository(target).as_deref(), expected, "{target}");
        };
        check("/v2/team/web/manifests/v1", Some("team/web"));
        check("/v2/library/nginx/blobs/sha256:abc", Some("library/nginx"));
        check("/v2/", None);
        check(
            "/token?scope=repository%3Aprivate%2Fapp%3Apull&service=pullsim",
            Some("private/app"),
        );
        check("/token?service=pullsim", None);
    }
}
