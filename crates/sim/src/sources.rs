//! Where a request was answered: the image's own registry, a mirror in front of it, a
//! pull-through cache, or a peer node. Each host has one [`Source`], and the run's metrics
//! add requests and bytes up per source ([`SourceCount`]), which is how a mirror's or a
//! cache's saving is read: the origin's bytes with it against without it.

use serde::Serialize;

/// What a host is to the nodes that contact it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A registry images are named after (`docker.io`, `registry.example.com`).
    #[default]
    Origin,
    /// A registry a node's containerd host configuration lists before the origin.
    Mirror,
    /// A pull-through cache: a registry that fetches from its upstream on a miss.
    Cache,
    /// Another node serving what its content store holds (peer-to-peer sharing).
    Peer,
}

impl Source {
    /// The name reports print (`origin`, `mirror`, `cache`, `peer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Origin => "origin",
            Source::Mirror => "mirror",
            Source::Cache => "cache",
            Source::Peer => "peer",
        }
    }
}

/// Requests answered by every host of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCount {
    /// The source.
    pub source: Source,
    /// Requests its hosts answered, whatever the status.
    pub requests: u64,
    /// Body bytes its hosts delivered.
    pub bytes: u64,
    /// Manifest `GET`s its hosts answered with 2xx: what Docker Hub counts as pulls.
    pub manifest_gets: u64,
    /// Answers `429 Too Many Requests` its hosts gave: a rate limit (or a scripted fault)
    /// refusing the nodes.
    pub too_many_requests: u64,
}

/// Adds the per-host counts up per source, in [`Source`]'s order; a source no request
/// reached is left out.
pub(crate) fn per_source(
    counts: impl IntoIterator<
        Item = (
            Source,
            &'static str,
            crate::trace::RequestKind,
            u16,
            u64,
            u64,
        ),
    >,
) -> Vec<SourceCount> {
    let mut sums: std::collections::BTreeMap<Source, SourceCount> = Default::default();
    for (source, method, kind, status, requests, bytes) in counts {
        let sum = sums.entry(source).or_insert(SourceCount {
            source,
            requests: 0,
            bytes: 0,
            manifest_gets: 0,
            too_many_requests: 0,
        });
        sum.requests += requests;
        sum.bytes += bytes;
        if method == "GET"
            && kind == crate::trace::RequestKind::Manifest
            && (200..300).contains(&status)
        {
            sum.manifest_gets += requests;
        }
        if status == 429 {
            sum.too_many_requests += requests;
        }
    }
    sums.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::RequestKind;

    #[test]
    fn counts_add_up_per_source_only_successful_manifest_gets_are_pulls_and_429s_are_counted() {
        let sums = per_source([
            (Source::Mirror, "GET", RequestKind::Blob, 200, 4, 4_000),
            (Source::Origin, "HEAD", RequestKind::Manifest, 200, 3, 0),
            (Source::Origin, "GET", RequestKind::Manifest, 200, 2, 900),
            (Source::Origin, "GET", RequestKind::Manifest, 429, 5, 100),
            (Source::Mirror, "GET", RequestKind::Manifest, 200, 1, 450),
        ]);
        assert_eq!(
            sums,
            [
                SourceCount {
                    source: Source::Origin,
                    requests: 10,
                    bytes: 1_000,
                    manifest_gets: 2,
                    too_many_requests: 5,
                },
                SourceCount {
                    source: Source::Mirror,
                    requests: 5,
                    bytes: 4_450,
                    manifest_gets: 1,
                    too_many_requests: 0,
                },
            ]
        );
        assert_eq!(Source::Peer.as_str(), "peer");
    }
}
