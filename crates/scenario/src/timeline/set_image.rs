//! `setImage`: `kubectl set image`: one container of a workload's pod template (an init
//! container's too) gets a new image, which starts a rollout. Every workload kind takes it
//! (kubectl pkg/polymorphichelpers/updatepodspec.go); that the workload and its container
//! exist by then is checked once the whole scenario is read.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::workload_ref::{ALL_KINDS, Accepts, workload_fields};
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::references::Known;
use crate::tree::Node;

/// The `setImage` action.
pub(super) const KIND: Kind = Kind {
    key: "setImage",
    docs: "| `setImage` | `{workload, namespace, container, image}` | `kubectl set image`: the container (or init container) of the workload's pod template gets the image, which starts a rollout; `workload` is `kind/name` as kubectl writes it (`deployment/api`, `deploy/api`, `ds/agent`, `sts/db`, `rs/web`, `job/migrate`), `namespace` default `default` |",
    reader: Reader::Action(read),
};

/// What `setImage` takes: every workload kind.
const ACCEPTS: Accepts = Accepts {
    action: "setImage",
    kinds: &ALL_KINDS,
    refusal: "has no pod template",
};

fn read(
    node: &Node,
    _at: SimTime,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let mut fields = Fields::of(node, "an image update", diagnostics)?;
    let workload = workload_fields(&mut fields, &ACCEPTS, diagnostics);
    let container = fields
        .require("container", diagnostics)
        .and_then(|n| text(n, diagnostics));
    let image = fields.require("image", diagnostics).and_then(|n| {
        let image = text(n, diagnostics)?;
        known.image_registry(&image, n.position, diagnostics);
        Some(image)
    });
    fields.finish(diagnostics);
    Some(Planned::Action(Action::SetImage {
        workload: workload?,
        container: container?,
        image: image?,
    }))
}

#[cfg(test)]
mod tests {
    use pullsim_sim::{ObjectRef, WorkloadKind};

    use super::super::workload_ref::read_text;
    use super::*;

    #[test]
    fn an_image_update_names_the_workload_its_container_and_the_image() {
        let read = read_text(
            "- {at: 1m, setImage: {workload: deploy/api, namespace: team-a, container: app, image: registry.example.com/app:v2}}\n",
        );
        assert_eq!(
            read,
            Ok(vec![Planned::Action(Action::SetImage {
                workload: ObjectRef::new(WorkloadKind::Deployment, "team-a", "api"),
                container: "app".to_owned(),
                image: "registry.example.com/app:v2".to_owned(),
            })])
        );
        let job = read_text(
            "- {at: 1m, setImage: {workload: job/migrate, container: m, image: registry.example.com/app:v2}}\n",
        );
        assert_eq!(
            job.map(|actions| match &actions[0] {
                Planned::Action(Action::SetImage { workload, .. }) => workload.to_string(),
                other => format!("{other:?}"),
            }),
            Ok("job/migrate".to_owned())
        );
    }

    #[test]
    fn each_missing_or_wrong_field_is_an_error_at_its_place() {
        assert_eq!(
            read_text("- {at: 1m, setImage: {workload: deployment/api}}\n"),
            Err(vec![
                "1:22: missing field \"container\"".to_owned(),
                "1:22: missing field \"image\"".to_owned(),
            ])
        );
        assert_eq!(
            read_text(
                "- {at: 1m, setImage: {workload: deployment/api, container: app, image: other.example.com/app:v2, imag: x}}\n"
            ),
            Err(vec![
                "1:72: image \"other.example.com/app:v2\" is on registry \"other.example.com\", which the scenario does not describe (described: registry.example.com)".to_owned(),
                "1:98: unknown field \"imag\" (did you mean \"image\"?)".to_owned(),
            ])
        );
        assert_eq!(
            read_text(
                "- {at: 1m, setImage: {workload: api, container: app, image: registry.example.com/app:v2}}\n"
            ),
            Err(vec![
                "1:33: expected a workload as kind/name (deployment/api), found \"api\"".to_owned()
            ])
        );
        assert_eq!(
            read_text("- {at: 1m, setImage: deployment/api}\n"),
            Err(vec![
                "1:22: expected an image update (a mapping), found \"deployment/api\"".to_owned()
            ])
        );
    }
}
