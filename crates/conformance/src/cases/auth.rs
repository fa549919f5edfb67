//! auth: a Basic challenge, the Bearer token flow with a scope, a wrong password, another
//! tenant's repository, and credentials that must stay with their registry when a blob
//! redirects to another origin (another port on 127.0.0.1).

use pullsim_registry::AuthMode;

use super::basics::observe_resolution;
use super::{Case, Group, case};
use crate::evidence::{Evidence, Plan, Pull, Run};
use crate::findings::{self, Check, Findings};
use crate::stage::Stage;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "basic-challenge",
            Group::Auth,
            "a Basic challenge: pulls with the user's password",
            |stage| private(stage, "wonderland", &["alice"]),
            judge_private_pull,
        ),
        Case {
            auth: AuthMode::Token,
            ..case(
                "bearer-token",
                Group::Auth,
                "the Bearer token flow with a repository scope",
                |stage| private(stage, "wonderland", &["alice"]),
                judge_token_pull,
            )
        },
        case(
            "wrong-password",
            Group::Auth,
            "a wrong password fails, and the error says authentication",
            |stage| private(stage, "looking-glass", &["alice"]),
            judge_wrong_password,
        ),
        case(
            "other-tenant",
            Group::Auth,
            "one tenant's credentials do not unlock another tenant's repository",
            |stage| private(stage, "wonderland", &["bob"]),
            judge_refused,
        ),
        Case {
            mirror: true,
            ..case(
                "credentials-stay-home",
                Group::Auth,
                "credentials are not sent to another host (a blob redirect to another port)",
                |stage| private(stage, "wonderland", &["alice"]),
                judge_stay_home,
            )
        },
    ]
}

/// An image readable by `readers` only (accounts alice/wonderland and bob/builder), pulled
/// as alice with `password`.
fn private(stage: &mut Stage, password: &str, readers: &[&str]) -> anyhow::Result<Plan> {
    let want = stage.image(&stage.spec("v1"))?.first().clone();
    stage.account("alice", "wonderland");
    stage.account("bob", "builder");
    stage.protect(readers);
    Ok(Plan {
        others: vec![want.clone()],
        want: if readers.contains(&"alice") && password == "wonderland" {
            vec![want]
        } else {
            Vec::new()
        },
        ..Plan::one(
            Pull::tag(&stage.repository, "v1").with_credentials("alice", password),
            None,
        )
    })
}

/// MUST: pulled, holds the image. Observed: how credentials were offered.
fn judge_private_pull(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::pulled_whole(run, &evidence.plan.want[0]);
    observe_resolution(&mut findings, run);
    observe_credentials(&mut findings, run);
    findings
}

/// Observed: whether credentials went out before any challenge, and how many 401s it met.
fn observe_credentials(findings: &mut Findings, run: &Run) {
    let first_challenge = run.log.iter().position(|entry| entry.status == 401);
    let first_credentials = run.log.iter().position(|entry| entry.auth_scheme.is_some());
    let when = match (first_credentials, first_challenge) {
        (None, _) => "never",
        (Some(sent), Some(asked)) if asked < sent => "after a 401",
        (Some(_), _) => "unasked",
    };
    findings.observe("credentials_sent", when);
    findings.observe(
        "unauthorized_answers",
        run.log.iter().filter(|entry| entry.status == 401).count(),
    );
}

/// MUST: pulled with a token. Observed: how it fetched tokens.
fn judge_token_pull(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = judge_private_pull(evidence);
    let bearer = run.log.iter().any(|entry| {
        entry
            .path
            .starts_with(&format!("/v2/{}/", run.job.repository))
            && entry.status == 200
            && entry.auth_scheme.as_deref() == Some("bearer")
    });
    findings.must(Check::new(
        "reads the repository with a Bearer token",
        bearer,
        if bearer {
            "a token from /token was accepted"
        } else {
            "no request of the repository succeeded with a token"
        },
    ));
    let tokens: Vec<_> = run
        .log
        .iter()
        .filter(|entry| entry.path.starts_with("/token"))
        .collect();
    findings.observe("token_requests", tokens.len());
    if let Some(first) = tokens.first() {
        findings.observe("token_method", first.method.clone());
    }
    findings
}

/// MUST: fails cleanly, stores nothing, says authentication. Observed: 401s met.
fn judge_wrong_password(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = judge_refused(evidence);
    let says = run.says_any(&[
        "authenticat",
        "unauthorized",
        "401",
        "authoriz",
        "credential",
    ]);
    findings.must(Check::new(
        "its error says authentication",
        says,
        if says {
            "the error mentions authentication".to_owned()
        } else {
            format!("said: {}", run.output_tail())
        },
    ));
    findings
}

/// MUST: fails cleanly, stores nothing. Observed: the statuses it met.
fn judge_refused(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    let others: Vec<_> = evidence.plan.others.iter().collect();
    findings
        .must(findings::fails_cleanly(run))
        .must(findings::holds_nothing(run, &others));
    observe_credentials(&mut findings, run);
    let denied = run.log.iter().filter(|entry| entry.status == 403).count();
    findings.observe("forbidden_answers", denied);
    findings
}

/// MUST: pulled through the redirect, and the other origin never saw credentials.
fn judge_stay_home(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::pulled_whole(run, &evidence.plan.want[0]);
    let leaked: Vec<_> = evidence
        .mirror_log
        .iter()
        .filter(|entry| entry.auth_scheme.is_some())
        .collect();
    let detail = match leaked.first() {
        None => format!(
            "{} request{} to the other origin, none with credentials",
            evidence.mirror_log.len(),
            if evidence.mirror_log.len() == 1 {
                ""
            } else {
                "s"
            }
        ),
        Some(entry) => format!(
            "{} {} carried {} credentials{}",
            entry.method,
            entry.path,
            entry.auth_scheme.as_deref().unwrap_or_default(),
            entry
                .auth_user
                .as_deref()
                .map_or_else(String::new, |user| format!(" of {user}"))
        ),
    };
    findings.must(Check::new(
        "sends no credentials to the other origin",
        leaked.is_empty(),
        detail,
    ));
    findings.observe("blobs_from_other_origin", evidence.mirror_log.len());
    findings
}
