//! What the workload actions and rollout expectations name, checked once the whole
//! scenario is read: the workload object exists when the action happens (created by then
//! in `workloads:` or by an earlier `apply`, and not deleted by an earlier
//! `deleteWorkload`), and the container `setImage` names is in its pod template. A
//! rollout expectation names an object the scenario creates at some time.
//!
//! Errors are kubectl's words where it has them (`deployments.apps "api" not found`,
//! `unable to find container named "x"`, pkg/cmd/set/set_image.go), with what the
//! scenario has instead, and stand at the action's (or the expectation's) position.

use std::collections::BTreeMap;

use pullsim_model::SimTime;
use pullsim_model::go_text::quote;
use pullsim_model::units::format_duration;
use pullsim_sim::{Action, ObjectRef, WorkloadObject};

use super::workload_ref::resource_string;
use super::{Planned, TimedAction};
use crate::diagnostics::{Diagnostics, Position};
use crate::expect::{Check, DistinctDigests, Revisions, Rollout};
use crate::references::Known;
use crate::scenario::Scenario;
use crate::suggest::{listed, suggestion};

/// A workload object the scenario creates outside the timeline, and when.
pub(crate) struct Created<'a> {
    /// When it is created.
    pub(crate) at: SimTime,
    /// The object.
    pub(crate) object: &'a WorkloadObject,
}

/// A reference to a workload object outside the timeline (a rollout expectation's).
pub(crate) struct Named<'a> {
    /// The object named.
    pub(crate) object: &'a ObjectRef,
    /// Where the name is written.
    pub(crate) position: Position,
}

/// Checks what the scenario's workload actions and rollout expectations name against
/// the objects it creates.
///
/// When a section that creates workloads had a mistake of its own, an object it meant to
/// create may be missing, so names are not reported unknown (the containers of the
/// objects that were read are still checked).
pub(crate) fn check_scenario_workloads(
    scenario: &Scenario,
    known: &Known,
    diagnostics: &mut Diagnostics,
) {
    let named: Vec<Named<'_>> = scenario
        .expectations
        .iter()
        .filter_map(|expectation| match &expectation.check {
            Check::Rollout(Rollout { subject, .. })
            | Check::Revisions(Revisions { subject, .. })
            | Check::DistinctDigests(DistinctDigests {
                object: Some(subject),
                ..
            }) => Some(Named {
                object: &subject.object,
                position: subject.position,
            }),
            _ => None,
        })
        .collect();
    let created: Vec<Created<'_>> = scenario
        .workloads
        .iter()
        .filter_map(|workload| {
            workload.object().map(|object| Created {
                at: workload.at,
                object,
            })
        })
        .collect();
    let certain = known.workloads_certain();
    check_workload_refs(&created, &scenario.timeline, &named, certain, diagnostics);
}

/// The containers of an object's pod template: init containers, then containers.
fn containers(object: &WorkloadObject) -> Vec<String> {
    let spec = &object.spec.template().pod.spec;
    spec.init_containers
        .iter()
        .chain(&spec.containers)
        .map(|container| container.name.clone())
        .collect()
}

/// What happened to an object so far: its containers while it exists, or when it went.
enum Life {
    Exists(Vec<String>),
    Deleted(SimTime),
}

/// Checks every workload action of `timeline` against the objects `created` (and those the
/// timeline's `apply`s create), and every name in `named` against all of them; unless
/// `certain`, a name no object has is not reported.
pub(crate) fn check_workload_refs(
    created: &[Created<'_>],
    timeline: &[TimedAction],
    named: &[Named<'_>],
    certain: bool,
    diagnostics: &mut Diagnostics,
) {
    let mut later: Vec<&Created<'_>> = created.iter().collect();
    later.sort_by_key(|created| created.at);
    let mut later = later.into_iter().peekable();
    let mut objects: BTreeMap<ObjectRef, Life> = BTreeMap::new();
    let mut ever: Vec<ObjectRef> = created.iter().map(|c| c.object.object_ref()).collect();
    for timed in timeline {
        // Objects created at the action's time exist for it.
        while let Some(next) = later.next_if(|created| created.at <= timed.at) {
            objects.insert(
                next.object.object_ref(),
                Life::Exists(containers(next.object)),
            );
        }
        let Planned::Action(action) = &timed.action else {
            continue;
        };
        let check = |object: &ObjectRef, diagnostics: &mut Diagnostics| {
            if !certain && !objects.contains_key(object) {
                return None;
            }
            let found = exists(&objects, object, timed.at, timed.position, diagnostics);
            found.map(<[String]>::to_vec)
        };
        match action {
            Action::Apply(object) => {
                ever.push(object.object_ref());
                objects.insert(object.object_ref(), Life::Exists(containers(object)));
            }
            Action::SetImage {
                workload,
                container,
                ..
            } => {
                if let Some(names) = check(workload, diagnostics) {
                    container_in(workload, container, &names, timed.position, diagnostics);
                }
            }
            Action::RolloutRestart(workload) | Action::Scale { workload, .. } => {
                check(workload, diagnostics);
            }
            Action::DeleteWorkload(workload) if check(workload, diagnostics).is_some() => {
                objects.insert(workload.clone(), Life::Deleted(timed.at));
            }
            _ => {}
        }
    }
    for name in named {
        if certain && !ever.contains(name.object) {
            diagnostics.error(name.position, not_found(name.object, &ever, ""));
        }
    }
}

/// The containers of `object` when it exists at `at`; else an error at `position`.
fn exists<'a>(
    objects: &'a BTreeMap<ObjectRef, Life>,
    object: &ObjectRef,
    at: SimTime,
    position: Position,
    diagnostics: &mut Diagnostics,
) -> Option<&'a [String]> {
    match objects.get(object) {
        Some(Life::Exists(containers)) => Some(containers),
        Some(Life::Deleted(when)) => {
            diagnostics.error(
                position,
                format!(
                    "{} {} not found at {}: it was deleted at {}",
                    resource_string(object.kind),
                    quote(&object.name),
                    format_duration(at.since_epoch()),
                    format_duration(when.since_epoch())
                ),
            );
            None
        }
        None => {
            let known: Vec<ObjectRef> = objects.keys().cloned().collect();
            let when = format!(" at {}", format_duration(at.since_epoch()));
            diagnostics.error(position, not_found(object, &known, &when));
            None
        }
    }
}

/// `deployments.apps "api" not found in namespace "default"` and what the scenario has.
fn not_found(object: &ObjectRef, known: &[ObjectRef], when: &str) -> String {
    let same_namespace: Vec<String> = known
        .iter()
        .filter(|other| other.namespace == object.namespace)
        .map(ObjectRef::to_string)
        .collect();
    let names: Vec<&str> = same_namespace.iter().map(String::as_str).collect();
    let wanted = object.to_string();
    let hint = match suggestion(&wanted, &names) {
        Some(near) => format!("; did you mean {near}?"),
        None if names.is_empty() => " (the scenario creates no workload objects there)".to_owned(),
        None => format!(" (workloads there: {})", listed(&names)),
    };
    format!(
        "{} {} not found in namespace {}{when}{hint}",
        resource_string(object.kind),
        quote(&object.name),
        quote(&object.namespace)
    )
}

/// Checks that `container` is one of the template's `names`.
fn container_in(
    object: &ObjectRef,
    container: &str,
    names: &[String],
    position: Position,
    diagnostics: &mut Diagnostics,
) {
    if names.iter().any(|name| name == container) {
        return;
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = suggestion(container, &names)
        .map_or(String::new(), |near| format!("; did you mean {near}?"));
    diagnostics.error(
        position,
        format!(
            "unable to find container named {} in {object} (its containers: {}){hint}",
            quote(container),
            listed(&names)
        ),
    );
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pullsim_sim::controllers::{DeploymentSpec, PodTemplate, ReplicaSetSpec};
    use pullsim_sim::{Container, Pod, WorkloadKind, WorkloadSpec};

    use super::*;

    fn object(kind: WorkloadKind, name: &str) -> WorkloadObject {
        let mut pod = Pod::new(name, Vec::new());
        pod.spec.init_containers = vec![Container::new("setup", "registry.example.com/tools:v1")];
        pod.spec.containers = vec![Container::new("app", "registry.example.com/app:v1")];
        let template = PodTemplate::new(pod);
        let spec = match kind {
            WorkloadKind::ReplicaSet => WorkloadSpec::ReplicaSet(ReplicaSetSpec::new(3, template)),
            _ => WorkloadSpec::Deployment(DeploymentSpec::new(3, template)),
        };
        WorkloadObject {
            namespace: "default".to_owned(),
            name: name.to_owned(),
            spec,
        }
    }

    fn at(seconds: u64) -> SimTime {
        SimTime::from_duration(Duration::from_secs(seconds))
    }

    fn timed(seconds: u64, line: u32, action: Action) -> TimedAction {
        TimedAction {
            at: at(seconds),
            action: Planned::Action(action),
            position: Position::new(line, 5),
        }
    }

    fn web() -> ObjectRef {
        ObjectRef::new(WorkloadKind::Deployment, "default", "web")
    }

    fn set_image(container: &str) -> Action {
        Action::SetImage {
            workload: web(),
            container: container.to_owned(),
            image: "registry.example.com/app:v2".to_owned(),
        }
    }

    fn errors(
        created: &[Created<'_>],
        timeline: &[TimedAction],
        named: &[Named<'_>],
    ) -> Vec<String> {
        let mut diagnostics = Diagnostics::default();
        check_workload_refs(created, timeline, named, true, &mut diagnostics);
        diagnostics
            .finish("f.yaml")
            .map_or_else(Vec::new, |errors| {
                errors
                    .errors
                    .iter()
                    .map(|error| format!("{}: {}", error.position, error.message))
                    .collect()
            })
    }

    #[test]
    fn actions_on_an_object_that_exists_by_then_pass() {
        let web_object = object(WorkloadKind::Deployment, "web");
        let created = [Created {
            at: at(0),
            object: &web_object,
        }];
        let timeline = [
            timed(60, 10, set_image("app")),
            timed(61, 11, set_image("setup")),
            timed(70, 12, Action::RolloutRestart(web())),
            timed(
                80,
                13,
                Action::Scale {
                    workload: web(),
                    replicas: 5,
                },
            ),
            timed(90, 14, Action::DeleteWorkload(web())),
        ];
        let named = [Named {
            object: &web(),
            position: Position::new(20, 3),
        }];
        assert_eq!(errors(&created, &timeline, &named), Vec::<String>::new());
    }

    #[test]
    fn an_object_created_later_deleted_earlier_or_never_is_not_found() {
        let web_object = object(WorkloadKind::Deployment, "web");
        let created = [Created {
            at: at(120),
            object: &web_object,
        }];
        let api = ObjectRef::new(WorkloadKind::Deployment, "default", "api");
        let timeline = [
            timed(60, 10, Action::RolloutRestart(web())),
            timed(180, 11, Action::DeleteWorkload(web())),
            timed(
                240,
                12,
                Action::Scale {
                    workload: web(),
                    replicas: 1,
                },
            ),
            timed(240, 13, Action::RolloutRestart(api.clone())),
        ];
        let wep = ObjectRef::new(WorkloadKind::Deployment, "default", "wep");
        let named = [Named {
            object: &wep,
            position: Position::new(20, 3),
        }];
        assert_eq!(
            errors(&created, &timeline, &named),
            [
                "10:5: deployments.apps \"web\" not found in namespace \"default\" at 1m0s (the scenario creates no workload objects there)",
                "12:5: deployments.apps \"web\" not found at 4m0s: it was deleted at 3m0s",
                "13:5: deployments.apps \"api\" not found in namespace \"default\" at 4m0s (workloads there: deployment/web)",
                "20:3: deployments.apps \"wep\" not found in namespace \"default\"; did you mean deployment/web?",
            ]
        );
    }

    #[test]
    fn an_apply_creates_the_object_for_later_actions_and_a_kind_is_part_of_the_name() {
        let rs = object(WorkloadKind::ReplicaSet, "web");
        let timeline = [
            timed(10, 10, Action::Apply(rs)),
            timed(
                20,
                11,
                Action::Scale {
                    workload: ObjectRef::new(WorkloadKind::ReplicaSet, "default", "web"),
                    replicas: 1,
                },
            ),
            timed(30, 12, set_image("app")),
        ];
        assert_eq!(
            errors(&[], &timeline, &[]),
            [
                "12:5: deployments.apps \"web\" not found in namespace \"default\" at 30s (workloads there: replicaset/web)"
            ]
        );
    }

    #[test]
    fn a_container_the_template_lacks_is_kubectls_unable_to_find() {
        let web_object = object(WorkloadKind::Deployment, "web");
        let created = [Created {
            at: at(0),
            object: &web_object,
        }];
        assert_eq!(
            errors(&created, &[timed(60, 10, set_image("appp"))], &[]),
            [
                "10:5: unable to find container named \"appp\" in deployment/web (its containers: setup, app); did you mean app?"
            ]
        );
    }

    #[test]
    fn a_scenario_naming_a_workload_it_never_creates_is_refused_at_the_action() {
        let text = "name: t\ndescription: d\nrun: {for: 10m}\ntimeline:\n  - {at: 1m, rolloutRestart: deploy/web}\n";
        let errors = Scenario::parse("x.yaml", text)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(
            errors,
            Err("x.yaml:5:30: deployments.apps \"web\" not found in namespace \"default\" at 1m0s (the scenario creates no workload objects there)".to_owned())
        );
    }

    #[test]
    fn a_rollout_expectation_naming_an_object_never_created_is_refused_at_its_workload() {
        let text = "name: t\ndescription: d\nrun: {for: 10m}\nexpect:\n  - {workload: sts/db, revisions: {1: 3}}\n";
        let errors = Scenario::parse("x.yaml", text)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(
            errors,
            Err("x.yaml:5:16: statefulsets.apps \"db\" not found in namespace \"default\" (the scenario creates no workload objects there)".to_owned())
        );
    }

    #[test]
    fn a_workloads_section_with_a_mistake_does_not_cascade_into_unknown_objects() {
        let text = "name: t\ndescription: d\nrun: {for: 10m}\nworkloads:\n  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: -1}}\ntimeline:\n  - {at: 1m, rolloutRestart: deploy/web}\nexpect:\n  - {workload: deploy/web, revisions: {1: 3}}\n";
        let errors = Scenario::parse("x.yaml", text)
            .map(|_| ())
            .map_err(|e| e.to_string())
            .unwrap_err();
        assert!(errors.starts_with("x.yaml:5:"), "{errors}");
        assert!(!errors.contains("not found"), "{errors}");
    }
}
