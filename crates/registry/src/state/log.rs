//! The request log: every protocol request with what the client sent that matters to
//! a registry (merged `Accept`, `Range`, who it claimed to be) and what it got (status,
//! body bytes, digest, the fault rule that fired), stamped with virtual time.
//!
//! Requests to the control API (`/_pullsim/`) are not logged, so that a test polling the
//! log does not fill it with its own polling. Appending is O(1); nothing is ever scanned.

use pullsim_model::{Digest, SimTime};
use serde::{Deserialize, Serialize};

use crate::registry::Registry;
use crate::state::fault::FaultId;

/// The window `pullsim registry serve` keeps unless told otherwise (`--log-window`).
pub const DEFAULT_LOG_WINDOW: usize = 10_000;

/// Entries one `GET /_pullsim/log` page holds unless `limit=` says otherwise.
pub const LOG_PAGE_DEFAULT: usize = 1_000;

/// The most entries one `GET /_pullsim/log` page may hold.
pub const LOG_PAGE_MAX: usize = 10_000;

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

/// What [`crate::Registry::log_page`] answers: a copy of at most `limit` entries from a
/// cursor, and where to go on from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogPage {
    /// The entries, oldest first (copies, so the caller may format them without the lock).
    pub entries: Vec<LogEntry>,
    /// The cursor of the next page: one past the last entry here, or the log's next index
    /// when this page is empty.
    pub next: u64,
    /// Whether entries at or after `next` are already in the log.
    pub more: bool,
    /// How many entries the cursor asked for that are no longer kept (they fell out of the
    /// window or were cleared by a reset before the reader saw them).
    pub missed: u64,
}

/// The log: the newest entries in order (a bounded window when one is set), with the index
/// of the first one kept so that cursors stay valid after entries fall out or a reset.
///
/// With a window of `N`, the log keeps at least the newest `N` entries and at most
/// `N + N / 4 + 1`: older entries are dropped in batches, so appending stays O(1)
/// amortised and [`RequestLog::since`] can still hand out one slice.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestLog {
    first_index: u64,
    entries: Vec<LogEntry>,
    /// The most entries kept for readers (`None`: every entry).
    window: Option<usize>,
    /// A copy of every entry since the last [`Registry::take_log_tap`](crate::Registry::take_log_tap), when tapped.
    tap: Option<Vec<LogEntry>>,
    /// Entries not copied into the tap because it already held [`TAP_MAX`].
    tap_missed: u64,
}

/// The most entries the tap holds between two [`Registry::take_log_tap`](crate::Registry::take_log_tap) calls (about 50 MB):
/// a reader that stopped reading (a terminal nobody drains) cannot grow it without bound.
pub const TAP_MAX: usize = 100_000;

/// What [`Registry::take_log_tap`](crate::Registry::take_log_tap) hands over: the entries copied since the last call, and how
/// many more were appended but not copied because the tap was full.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogTap {
    /// The entries, oldest first.
    pub entries: Vec<LogEntry>,
    /// Entries appended after the tap filled up, lost to this reader.
    pub missed: u64,
}

impl RequestLog {
    /// The index the next entry gets.
    pub(crate) fn next_index(&self) -> u64 {
        self.first_index + self.entries.len() as u64
    }

    /// The index of the oldest entry kept.
    #[cfg(test)]
    pub(crate) fn first_index(&self) -> u64 {
        self.first_index
    }

    /// Appends an entry (its `index` must be [`RequestLog::next_index`]).
    pub(crate) fn push(&mut self, entry: LogEntry) {
        debug_assert_eq!(entry.index, self.next_index());
        if let Some(tap) = &mut self.tap {
            if tap.len() < TAP_MAX {
                tap.push(entry.clone());
            } else {
                self.tap_missed += 1;
            }
        }
        self.entries.push(entry);
        if let Some(window) = self.window
            && self.entries.len() > window + window / 4
        {
            self.trim_to(window);
        }
    }

    /// Drops the oldest entries so that at most `keep` remain.
    fn trim_to(&mut self, keep: usize) {
        let drop = self.entries.len().saturating_sub(keep);
        if drop > 0 {
            self.entries.drain(..drop);
            self.first_index += drop as u64;
        }
    }

    /// Bounds the entries kept to the newest `window` (`None`: keep every entry). A
    /// smaller window than the entries kept drops the oldest at once.
    pub(crate) fn set_window(&mut self, window: Option<usize>) {
        self.window = window;
        if let Some(window) = window {
            self.trim_to(window);
            self.entries.shrink_to(window + window / 4 + 1);
        }
    }

    /// The window set by [`RequestLog::set_window`].
    pub(crate) fn window(&self) -> Option<usize> {
        self.window
    }

    /// Starts (or stops) copying every new entry aside for [`Registry::take_log_tap`](crate::Registry::take_log_tap), so a
    /// reader that must see every entry (a log file) never depends on the window.
    pub(crate) fn set_tap(&mut self, tapped: bool) {
        self.tap = tapped.then(Vec::new);
    }

    /// The entries appended since the last call (empty when not tapped), and how many
    /// were not copied because the tap was full.
    pub(crate) fn take_tap(&mut self) -> LogTap {
        LogTap {
            entries: self.tap.as_mut().map(std::mem::take).unwrap_or_default(),
            missed: std::mem::take(&mut self.tap_missed),
        }
    }

    /// The entries kept whose index is at least `cursor`.
    pub(crate) fn since(&self, cursor: u64) -> &[LogEntry] {
        let skip = cursor.saturating_sub(self.first_index);
        let skip = usize::try_from(skip)
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
        &self.entries[skip..]
    }

    /// A copy of at most `limit` entries from `cursor`, with the next cursor, whether more
    /// follow, and how many entries before the first kept one the cursor missed.
    pub(crate) fn page(&self, cursor: u64, limit: usize) -> LogPage {
        let missed = self.first_index.saturating_sub(cursor);
        let kept = self.since(cursor);
        let taken = &kept[..kept.len().min(limit)];
        let next = taken
            .last()
            .map_or_else(|| self.next_index().max(cursor), |entry| entry.index + 1);
        LogPage {
            entries: taken.to_vec(),
            next,
            more: kept.len() > taken.len(),
            missed,
        }
    }

    /// Forgets every entry; indexes continue where they were.
    pub(crate) fn clear(&mut self) {
        self.first_index = self.next_index();
        self.entries.clear();
    }
}

impl Registry {
    /// Log entries kept from index `cursor` on (entries that fell out of the window are
    /// gone; [`Registry::log_page`] says how many).
    pub fn log_since(&self, cursor: u64) -> &[LogEntry] {
        self.log.since(cursor)
    }

    /// The index the next log entry will get.
    pub fn log_next_index(&self) -> u64 {
        self.log.next_index()
    }

    /// A copy of at most `limit` log entries from `cursor`, with the next cursor, whether
    /// more follow and how many the cursor missed. Copying is all it does, so a caller
    /// holding the registry behind a lock holds it only that long.
    pub fn log_page(&self, cursor: u64, limit: usize) -> LogPage {
        self.log.page(cursor, limit)
    }

    /// Keeps only the newest `window` log entries in memory (`None`, the default for an
    /// in-process registry: every entry). Indexes keep counting; a reader whose cursor
    /// fell out of the window is told how many entries it missed.
    pub fn set_log_window(&mut self, window: Option<usize>) {
        self.log.set_window(window);
    }

    /// The window set by [`Registry::set_log_window`].
    pub fn log_window(&self) -> Option<usize> {
        self.log.window()
    }

    /// Starts (or stops) setting aside a copy of every new log entry for
    /// [`Registry::take_log_tap`]: a reader that must see every entry, such as the server's
    /// log file, then never loses one to the window.
    pub fn set_log_tap(&mut self, tapped: bool) {
        self.log.set_tap(tapped);
    }

    /// Every log entry appended since the last call, oldest first (empty when not tapped),
    /// up to [`TAP_MAX`]; the entries past that are only counted.
    pub fn take_log_tap(&mut self) -> LogTap {
        self.log.take_tap()
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

    #[test]
    fn a_window_keeps_the_newest_entries_and_counts_what_a_cursor_missed() {
        let mut log = RequestLog::default();
        log.set_window(Some(8));
        for index in 0..100 {
            log.push(entry(index));
            assert!(log.since(0).len() <= 8 + 8 / 4, "bounded at {index}");
        }
        assert!(log.since(0).len() >= 8);
        assert_eq!(log.next_index(), 100);
        let page = log.page(0, 1000);
        assert_eq!(page.missed, log.first_index());
        assert_eq!(
            page.entries.first().map(|e| e.index),
            Some(log.first_index())
        );
        assert_eq!(page.next, 100);
        assert!(!page.more);
        let page = log.page(99, 1000);
        assert_eq!((page.missed, page.entries.len(), page.next), (0, 1, 100));
    }

    #[test]
    fn pages_stop_at_the_limit_and_say_more_follow() {
        let mut log = RequestLog::default();
        for index in 0..5 {
            log.push(entry(index));
        }
        let first = log.page(0, 2);
        assert_eq!(
            first.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!((first.next, first.more, first.missed), (2, true, 0));
        let last = log.page(4, 2);
        assert_eq!((last.next, last.more), (5, false));
        let past = log.page(9, 2);
        assert!(past.entries.is_empty());
        assert_eq!((past.next, past.more), (9, false));
    }

    #[test]
    fn a_tap_sees_every_entry_whatever_the_window() {
        let mut log = RequestLog::default();
        log.set_window(Some(2));
        log.set_tap(true);
        for index in 0..10 {
            log.push(entry(index));
        }
        let tapped = log.take_tap();
        assert_eq!(tapped.entries.len(), 10);
        assert_eq!(tapped.missed, 0);
        assert!(log.take_tap().entries.is_empty());
    }

    #[test]
    fn a_full_tap_counts_what_it_did_not_copy() {
        let mut log = RequestLog::default();
        log.set_window(Some(10));
        log.set_tap(true);
        let extra = 7;
        for index in 0..(TAP_MAX as u64 + extra) {
            log.push(entry(index));
        }
        let tapped = log.take_tap();
        assert_eq!(tapped.entries.len(), TAP_MAX);
        assert_eq!(tapped.missed, extra);
        log.push(entry(TAP_MAX as u64 + extra));
        let next = log.take_tap();
        assert_eq!((next.entries.len(), next.missed), (1, 0));
    }
}
