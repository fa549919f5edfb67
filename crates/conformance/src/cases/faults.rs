//! faults: one 503 on a layer, one 429 with `Retry-After: 1`, a layer that takes two
//! seconds to start, and a connection dropped on a layer's first attempt. A puller may
//! retry or give up; it must end with the whole image or a clean failure, and what it did
//! (retried, waited how long, resumed with `Range`) is reported.

use std::time::Duration;

use pullsim_registry::Verdict;

use super::{Case, Group, base_layer_fault, case};
use crate::evidence::{Evidence, blob_gets, gap, millis};
use crate::findings::{self, Findings};

/// How long the slow layer keeps the puller waiting before its headers.
const SLOW_BLOB_DELAY: Duration = Duration::from_secs(2);

/// The `Retry-After` of the 429.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "blob-503-once",
            Group::Faults,
            "a single 503 on a layer (retried or not, it ends whole or failed cleanly)",
            |stage| {
                base_layer_fault(
                    stage,
                    Some(1),
                    Verdict::Status {
                        status: 503,
                        retry_after: None,
                    },
                )
            },
            judge_transient,
        ),
        case(
            "blob-429-retry-after",
            Group::Faults,
            "a 429 with Retry-After: 1 on a layer (did it wait, and how long)",
            |stage| {
                base_layer_fault(
                    stage,
                    Some(1),
                    Verdict::Status {
                        status: 429,
                        retry_after: Some(RETRY_AFTER),
                    },
                )
            },
            judge_rate_limited,
        ),
        case(
            "slow-blob",
            Group::Faults,
            "a layer whose response starts after 2 s is waited for",
            |stage| base_layer_fault(stage, Some(1), Verdict::Delay(SLOW_BLOB_DELAY)),
            judge_slow,
        ),
        case(
            "dropped-first-attempt",
            Group::Faults,
            "the connection drops after 1 KiB on a layer's first attempt",
            |stage| base_layer_fault(stage, Some(1), Verdict::DropAfter(1024)),
            judge_transient,
        ),
    ]
}

/// MUST: whole or a clean failure. Observed: whether it retried the layer (and resumed
/// with `Range`), and how it ended.
fn judge_transient(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    for check in findings::whole_or_clean_failure(run, &evidence.plan.want[0]) {
        findings.must(check);
    }
    if let Some(blob) = &evidence.plan.blob {
        let gets = blob_gets(&run.log, blob);
        findings.observe("retried", gets.len() > 1);
        if gets.len() > 1 {
            findings.observe(
                "resumed_with_range",
                gets.iter().skip(1).any(|entry| entry.range.is_some()),
            );
        }
    }
    findings.observe("outcome", if run.succeeded() { "pulled" } else { "failed" });
    findings
}

/// As [`judge_transient`], and how long it waited before coming back.
fn judge_rate_limited(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = judge_transient(evidence);
    if let Some(blob) = &evidence.plan.blob {
        let gets = blob_gets(&run.log, blob);
        if let [limited, retry, ..] = gets.as_slice() {
            let waited = gap(limited, retry);
            findings.observe("waited_ms", millis(waited));
            findings.observe("honoured_retry_after", waited >= RETRY_AFTER);
        }
    }
    findings
}

/// MUST: pulled whole (two seconds is no reason to give up). Observed: whether it asked
/// again while waiting.
fn judge_slow(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::pulled_whole(run, &evidence.plan.want[0]);
    if let Some(blob) = &evidence.plan.blob {
        findings.observe("blob_attempts", blob_gets(&run.log, blob).len());
    }
    findings
}
