//! What upstream's `PodControl` and `slowStartBatch` do for the ReplicaSet, DaemonSet and
//! Job controllers (`pkg/controller/controller_utils.go`): pods named by `generateName`
//! (`<owner>-` and five characters drawn from the caller's generator), created in slow-start
//! batches, with the `SuccessfulCreate` `Created pod: <name>` and `SuccessfulDelete`
//! `Deleted pod: <name>` events, and `FailedCreate` `Error creating: <error>` for a refusal.

use std::collections::BTreeSet;

use pullsim_model::controllers::{names, replica_set};

use super::{
    ControllerAction, ControllerEvent, Expectations, ObjectRef, PodCreation, PodDeletion,
    PodTemplate,
};

/// A number below its argument, from the caller's seeded generator.
pub type Draw<'a> = &'a mut dyn FnMut(u32) -> u32;

/// A `generateName` name for `owner`'s pod that is not in `taken` (a collision is drawn
/// again, as the API server's retry would); the name is added to `taken`.
pub fn generated_pod_name(owner: &str, taken: &mut BTreeSet<String>, draw: Draw<'_>) -> String {
    generated_name(
        &format!("{owner}-"),
        |name| taken.insert(name.to_owned()),
        draw,
    )
}

/// A `generateName` name, `base` and five characters, that `claim` accepts (it answers
/// whether the name is free, and records it as taken when it is); a collision is drawn
/// again, as the API server's retry would.
pub fn generated_name(base: &str, mut claim: impl FnMut(&str) -> bool, draw: Draw<'_>) -> String {
    loop {
        let name = names::generate_name(base, &mut *draw);
        if claim(&name) {
            return name;
        }
    }
}

/// `count` creations of `template` for `owner`, each named (and, for a DaemonSet, pinned to
/// a node) by `name_and_node`, in slow-start batches, each carrying its `SuccessfulCreate`
/// event.
pub fn creations(
    owner: &ObjectRef,
    template: &PodTemplate,
    revision: &str,
    count: u32,
    mut name_and_node: impl FnMut() -> (String, Option<String>),
) -> Vec<PodCreation> {
    let mut out = Vec::with_capacity(count as usize);
    for (batch, size) in replica_set::slow_start_batches(count)
        .into_iter()
        .enumerate()
    {
        for _ in 0..size {
            let (name, node) = name_and_node();
            out.push(PodCreation {
                owner: owner.clone(),
                on_success: created_event(owner, &name),
                name,
                revision: revision.to_owned(),
                template: template.pod.clone(),
                node,
                batch: u32::try_from(batch).unwrap_or(u32::MAX),
            });
        }
    }
    out
}

/// `SuccessfulCreate` `Created pod: <name>`.
pub fn created_event(owner: &ObjectRef, name: &str) -> ControllerEvent {
    ControllerEvent::normal(
        owner,
        replica_set::SUCCESSFUL_CREATE,
        prefixed("Created pod: ", name),
    )
}

/// A deletion of `name` with its `SuccessfulDelete` `Deleted pod: <name>` event.
pub fn deletion(owner: &ObjectRef, name: &str) -> PodDeletion {
    PodDeletion {
        owner: owner.clone(),
        name: name.to_owned(),
        on_success: ControllerEvent::normal(
            owner,
            replica_set::SUCCESSFUL_DELETE,
            prefixed("Deleted pod: ", name),
        ),
    }
}

/// `prefix` followed by `name`, written directly (one event per pod created or deleted;
/// `format!` went through the formatting machinery for two pieces of text).
fn prefixed(prefix: &str, name: &str) -> String {
    let mut text = String::with_capacity(prefix.len() + name.len());
    text.push_str(prefix);
    text.push_str(name);
    text
}

/// `FailedCreate` `Error creating: <error>`.
pub fn failed_create_event(owner: &ObjectRef, error: &str) -> ControllerEvent {
    ControllerEvent::warning(
        owner,
        replica_set::FAILED_CREATE,
        format!("Error creating: {error}"),
    )
}

/// A creation the API server did not carry out: no longer expected, and, when it was refused
/// rather than skipped, a `FailedCreate` event (see
/// [`ReplicaSet::creation_refused`](super::ReplicaSet::creation_refused)).
pub fn refused(
    expectations: &mut Expectations,
    owner: &ObjectRef,
    name: &str,
    error: Option<&str>,
) -> Vec<ControllerAction> {
    expectations.creation_refused(name);
    error
        .map(|error| ControllerAction::Event(failed_create_event(owner, error)))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Container, Pod};
    use crate::controllers::WorkloadKind;

    #[test]
    fn creations_come_in_doubling_batches_with_their_events() {
        let owner = ObjectRef::new(WorkloadKind::ReplicaSet, "default", "web-5d4f8c7b9");
        let template = PodTemplate::new(Pod::new("t", vec![Container::new("app", "app:v1")]));
        let mut taken = BTreeSet::new();
        let mut n = 0;
        let mut draw = |below: u32| {
            n += 1;
            n % below
        };
        let made = creations(&owner, &template, "web-5d4f8c7b9", 10, || {
            (
                generated_pod_name("web-5d4f8c7b9", &mut taken, &mut draw),
                None,
            )
        });
        let batches: Vec<u32> = made.iter().map(|c| c.batch).collect();
        assert_eq!(batches, [0, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
        assert_eq!(made[0].name, "web-5d4f8c7b9-cdfgh");
        assert_eq!(made[0].on_success.reason, "SuccessfulCreate");
        assert_eq!(
            made[0].on_success.message,
            "Created pod: web-5d4f8c7b9-cdfgh"
        );
        assert_eq!(taken.len(), 10);
        let gone = deletion(&owner, "web-5d4f8c7b9-cdfgh");
        assert_eq!(gone.on_success.message, "Deleted pod: web-5d4f8c7b9-cdfgh");
        assert_eq!(gone.on_success.reason, "SuccessfulDelete");
        assert_eq!(
            failed_create_event(&owner, "admission webhook denied").message,
            "Error creating: admission webhook denied"
        );
    }

    #[test]
    fn a_colliding_name_is_drawn_again() {
        let mut taken = BTreeSet::from(["web-bbbbb".to_owned()]);
        let mut calls = 0;
        let mut draw = |_: u32| {
            calls += 1;
            u32::from(calls > 5)
        };
        assert_eq!(
            generated_pod_name("web", &mut taken, &mut draw),
            "web-ccccc"
        );
        // The same draws with web-bbbbb refused by the claim.
        let mut calls = 0;
        let mut draw = |_: u32| {
            calls += 1;
            u32::from(calls > 5)
        };
        let mut asked = Vec::new();
        let name = generated_name(
            "web-",
            |n| {
                asked.push(n.to_owned());
                n != "web-bbbbb"
            },
            &mut draw,
        );
        assert_eq!(name, "web-ccccc");
        assert_eq!(asked, ["web-bbbbb", "web-ccccc"]);
    }
}
