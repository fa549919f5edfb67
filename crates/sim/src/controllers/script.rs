//! A stand-in API server for the reconcilers' scripted tests: it carries out their actions on
//! a pod list (a creation is a Pending pod at once, a deletion removes the pod at once, as
//! the simulator's API server does), records the events in order, and moves pods through
//! their lives as a test script says (bound, running and ready, succeeded, failed).

use std::cell::RefCell;

use pullsim_model::SimTime;

use crate::engine::SimRng;

use super::{ControllerAction, ControllerEvent, PodPhase, PodView, draw_from};

/// Pods, events and a deterministic name generator.
#[derive(Debug, Default)]
pub(crate) struct FakeApi {
    pub(crate) pods: Vec<PodView>,
    pub(crate) events: Vec<ControllerEvent>,
    rng: RefCell<Option<SimRng>>,
}

impl FakeApi {
    /// A deterministic `draw`: the simulation's generator seeded with 1.
    pub(crate) fn draw(&self) -> impl FnMut(u32) -> u32 + '_ {
        move |below| {
            let mut rng = self.rng.borrow_mut();
            let rng = rng.get_or_insert_with(|| SimRng::new(1));
            draw_from(rng)(below)
        }
    }

    /// Carries out `actions` at `now`: creations and deletions with their events, and every
    /// event action. Returns them for the test to look at.
    pub(crate) fn apply(
        &mut self,
        now: SimTime,
        actions: Vec<ControllerAction>,
    ) -> Vec<ControllerAction> {
        for action in &actions {
            match action {
                ControllerAction::CreatePod(creation) => {
                    let mut pod = PodView::pending(
                        &creation.name,
                        &creation.owner.name,
                        &creation.revision,
                        now,
                    );
                    pod.node.clone_from(&creation.node);
                    self.pods.push(pod);
                    self.events.push(creation.on_success.clone());
                }
                ControllerAction::DeletePod(deletion) => {
                    self.pods.retain(|p| p.name != deletion.name);
                    self.events.push(deletion.on_success.clone());
                }
                ControllerAction::Event(event) => self.events.push(event.clone()),
                _ => {}
            }
        }
        actions
    }

    /// Takes the events recorded so far, as `reason: message` lines.
    pub(crate) fn take_events(&mut self) -> Vec<String> {
        self.events
            .drain(..)
            .map(|e| format!("{}: {}", e.reason, e.message))
            .collect()
    }

    fn pod(&mut self, name: &str) -> &mut PodView {
        self.pods
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no pod {name}"))
    }

    /// Binds `name` to `node`.
    pub(crate) fn bind(&mut self, name: &str, node: &str) {
        self.pod(name).node = Some(node.to_owned());
    }

    /// `name` runs and is ready from `now` (bound to `node-of-<name>` if unbound).
    pub(crate) fn ready(&mut self, name: &str, now: SimTime) {
        let pod = self.pod(name);
        if pod.node.is_none() {
            pod.node = Some(format!("node-of-{name}"));
        }
        pod.phase = PodPhase::Running;
        pod.ready_since = Some(now);
    }

    /// `name` ends with `phase` (Succeeded or Failed).
    pub(crate) fn finish(&mut self, name: &str, phase: PodPhase) {
        let pod = self.pod(name);
        pod.phase = phase;
        pod.ready_since = None;
    }

    /// Names of the active pods of `owner`, sorted.
    pub(crate) fn active_of(&self, owner: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .pods
            .iter()
            .filter(|p| p.owner == owner && p.is_active())
            .map(|p| p.name.clone())
            .collect();
        names.sort();
        names
    }
}

/// The pod names an action list creates, in order.
pub(crate) fn created(actions: &[ControllerAction]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| a.as_creation())
        .map(|c| c.name.clone())
        .collect()
}

/// The pod names an action list deletes, in order.
pub(crate) fn deleted(actions: &[ControllerAction]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| a.as_deletion())
        .map(|d| d.name.clone())
        .collect()
}
