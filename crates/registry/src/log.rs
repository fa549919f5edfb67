//! The request log: every protocol request with what the client sent that matters to
//! a registry (merged `Accept`, `Range`, who it claimed to be) and what it got (status,
//! body bytes, digest, the fault rule that fired), stamped with virtual time.
//!
//! Requests to the control API (`/_pullsim/`) are not logged, so that a test polling the
//! log does not fill it with its own polling. Appending is O(1); nothing is ever scanned.

use pullsim_model::{Digest, SimTime};
use serde::{Deserialize, Serialize};

use crate::fault::FaultId;

/// One logged request and its response. Passwords and tokens are never recorded, only
/// the `Authorization` scheme and the user it named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Position in the log since the registry was made (not reset by `reset`): the cursor
    /// for [`crate::Registry::log_since`] and `GET /_pullsim/log?since=`.
    pub index: u64,
    /// When the request arrived (nanoseconds since the epoch in JSON).
    pub time: SimTime,
    /// Who sent it.
    pub client: String,
    /// The method.
    pub method: String,
    /// The request target as received, query included.
    pub path: String,
    /// Every `Accept` line merged into one comma-separated list, when there was any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    /// The `Range` header, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// The `Authorization` scheme, lower-cased (`basic`, `bearer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_scheme: Option<String>,
    /// The user the credentials named (Basic) or the token was issued to (Bearer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_user: Option<String>,
    /// The status answered.
    pub status: u16,
    /// Body bytes the response delivers (after a drop fault's cut; 0 for `HEAD`).
    pub body_bytes: u64,
    /// The `Docker-Content-Digest` answered, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// The fault rule that fired, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultId>,
}

/// The log: entries in order, with the index of the first one kept after a reset so that
/// cursors stay valid.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestLog {
    first_index: u64,
    entries: Vec<LogEntry>,
}

impl RequestLog {
    /// The index the next entry gets.
    pub(crate) fn next_index(&self) -> u64 {
        self.first_index + self.entries.len() as u64
    }

    /// Appends an entry (its `index` must be [`RequestLog::next_index`]).
    pub(crate) fn push(&mut self, entry: LogEntry) {
        debug_assert_eq!(entry.index, self.next_index());
        self.entries.push(entry);
    }

    /// The entries whose index is at least `cursor`.
    pub(crate) fn since(&self, cursor: u64) -> &[LogEntry] {
        let skip = cursor.saturating_sub(self.first_index);
        let skip = usize::try_from(skip)
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
        &self.entries[skip..]
    }

    /// Forgets every entry; indexes continue where they were.
    pub(crate) fn clear(&mut self) {
        self.first_index = self.next_index();
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64) -> LogEntry {
        LogEntry {
            index,
            time: SimTime::from_secs(index),
            client: "node-a".into(),
            method: "GET".into(),
            path: "/v2/".into(),
            accept: None,
            range: None,
            auth_scheme: None,
            auth_user: None,
            status: 200,
            body_bytes: 0,
            digest: None,
            fault: None,
        }
    }

    #[test]
    fn cursors_survive_a_clear() {
        let mut log = RequestLog::default();
        for index in 0..3 {
            log.push(entry(index));
        }
        assert_eq!(log.since(0).len(), 3);
        assert_eq!(log.since(2)[0].index, 2);
        assert!(log.since(99).is_empty());
        log.clear();
        assert!(log.since(0).is_empty());
        log.push(entry(3));
        assert_eq!(log.since(1)[0].index, 3);
        assert_eq!(log.since(4).len(), 0);
    }

    #[test]
    fn entries_serialise_without_empty_fields() {
        let json = serde_json::to_string(&entry(7)).unwrap();
        assert_eq!(
            json,
            r#"{"index":7,"time":7000000000,"client":"node-a","method":"GET","path":"/v2/","status":200,"body_bytes":0}"#
        );
        let back: LogEntry = serde_json::from_str(&json).unwrap();
        assert_eq!(back, entry(7));
    }
}
