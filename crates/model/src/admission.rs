//! The `AlwaysPullImages` admission plugin: which pod requests it touches, how it forces
//! `imagePullPolicy: Always`, and the exact error its validation returns (docs/semantics.md §5.5).

use std::collections::BTreeSet;
use std::fmt;

use crate::go::text::quote as go_quote;
use crate::policy::PullPolicy;
use crate::pull::aggregate_error_text;

/// The operation of an API request, as admission sees it (`admission.Operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdmissionOperation {
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `CONNECT`.
    Connect,
}

/// The request attributes the plugin looks at besides the objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdmissionAttributes<'a> {
    /// The operation.
    pub operation: AdmissionOperation,
    /// The resource's API group (`""` for core pods).
    pub group: &'a str,
    /// The resource (`pods`).
    pub resource: &'a str,
    /// The subresource (`""`, `status`, `ephemeralcontainers`, `exec`, ...).
    pub subresource: &'a str,
}

impl AdmissionAttributes<'static> {
    /// A request on `pods` itself with the given operation.
    pub fn pods(operation: AdmissionOperation) -> Self {
        AdmissionAttributes {
            operation,
            group: "",
            resource: "pods",
            subresource: "",
        }
    }
}

/// A container as the plugin sees it: its image and its pull policy (`None` when empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerImage {
    /// `image`.
    pub image: String,
    /// `imagePullPolicy`; `None` for an empty value.
    pub pull_policy: Option<PullPolicy>,
}

/// An image volume (`spec.volumes[i].image`, KEP-4639), which newer releases of the plugin
/// also force to `Always`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageVolume {
    /// The volume's position in `spec.volumes` (counting every volume, not only image ones).
    pub volume_index: usize,
    /// `image.reference`.
    pub reference: String,
    /// `image.pullPolicy`; `None` for an empty value.
    pub pull_policy: Option<PullPolicy>,
}

/// The parts of a Pod the plugin reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PodView {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.generateName`.
    pub generate_name: String,
    /// `spec.initContainers`.
    pub init_containers: Vec<ContainerImage>,
    /// `spec.containers`.
    pub containers: Vec<ContainerImage>,
    /// `spec.ephemeralContainers`.
    pub ephemeral_containers: Vec<ContainerImage>,
    /// The image volumes of `spec.volumes`.
    pub image_volumes: Vec<ImageVolume>,
}

impl PodView {
    /// Every pull policy with its field path, in the plugin's order: init containers,
    /// containers, ephemeral containers (`pods.VisitContainersWithPath`), then image volumes.
    fn policy_fields(&self) -> Vec<(String, Option<PullPolicy>)> {
        let containers = [
            ("initContainers", &self.init_containers),
            ("containers", &self.containers),
            ("ephemeralContainers", &self.ephemeral_containers),
        ];
        let mut fields: Vec<(String, Option<PullPolicy>)> = containers
            .iter()
            .flat_map(|(list, entries)| {
                entries.iter().enumerate().map(move |(index, container)| {
                    (
                        format!("spec.{list}[{index}].imagePullPolicy"),
                        container.pull_policy,
                    )
                })
            })
            .collect();
        fields.extend(self.image_volumes.iter().map(|volume| {
            (
                format!("spec.volumes[{}].image.pullPolicy", volume.volume_index),
                volume.pull_policy,
            )
        }));
        fields
    }

    /// Every image string the pod references.
    fn images(&self) -> impl Iterator<Item = &str> {
        self.init_containers
            .iter()
            .chain(&self.containers)
            .chain(&self.ephemeral_containers)
            .map(|container| container.image.as_str())
            .chain(
                self.image_volumes
                    .iter()
                    .map(|volume| volume.reference.as_str()),
            )
    }

    /// The name admission errors use: the name, else `generateName`, else `Unknown`.
    fn name_for_errors(&self) -> &str {
        if !self.name.is_empty() {
            &self.name
        } else if !self.generate_name.is_empty() {
            &self.generate_name
        } else {
            "Unknown"
        }
    }
}

/// One pull policy that is not `Always`: `field.NotSupported(path, value, ["Always"])`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolicyNotSupported {
    /// The field path, for example `spec.containers[0].imagePullPolicy`.
    pub field_path: String,
    /// The value found; `None` for an empty value.
    pub value: Option<PullPolicy>,
}

/// `<path>: Unsupported value: "<value>": supported values: "Always"` (apimachinery
/// `field.Error.Error()`; the policy type is a named string, printed quoted).
impl fmt::Display for PolicyNotSupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.map_or("", PullPolicy::as_str);
        write!(
            f,
            "{}: Unsupported value: {}: supported values: \"Always\"",
            self.field_path,
            go_quote(value)
        )
    }
}

/// The validation error: one `admission.NewForbidden` per offending field, aggregated.
/// Each reads `pods "<name>" is forbidden: <field error>`; one error prints alone, several
/// print as `[e1, e2, ...]` (apimachinery `utilerrors.NewAggregate`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlwaysPullImagesDenied {
    /// The pod's name as the error shows it (name, generateName or `Unknown`).
    pub name: String,
    /// The offending fields, in visiting order.
    pub violations: Vec<PolicyNotSupported>,
}

impl fmt::Display for AlwaysPullImagesDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = go_quote(&self.name);
        let messages: Vec<String> = self
            .violations
            .iter()
            .map(|violation| format!("pods {name} is forbidden: {violation}"))
            .collect();
        f.write_str(&aggregate_error_text(&messages).unwrap_or_default())
    }
}

impl std::error::Error for AlwaysPullImagesDenied {}

/// The `AlwaysPullImages` admission plugin (`plugin/pkg/admission/alwayspullimages/admission.go`).
///
/// - It registers for `CREATE` and `UPDATE` only; other operations never reach it.
/// - It ignores requests on anything but core `pods`, any subresource (so
///   `pods/ephemeralcontainers` updates pass untouched), and updates whose pod references
///   no image string the old pod did not.
/// - Mutation sets every pull policy to `Always`; validation rejects any that is not.
///
/// Image volumes are handled like containers, which upstream's tests show for mutation and
/// validation (paths `spec.volumes[i].image.pullPolicy`). Whether the update check also
/// counts volume references is not confirmed from source; pullsim counts them, and it makes
/// no difference in practice because pod volumes cannot change on update.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AlwaysPullImages;

impl AlwaysPullImages {
    /// The plugin's registered name.
    pub const NAME: &'static str = "AlwaysPullImages";

    /// Whether the plugin is registered for `operation` (`admission.NewHandler(Create, Update)`).
    pub fn handles(operation: AdmissionOperation) -> bool {
        matches!(
            operation,
            AdmissionOperation::Create | AdmissionOperation::Update
        )
    }

    /// Whether the plugin leaves this request alone (`!handles` or `shouldIgnore`).
    /// `old_pod` is the stored pod of an update; without it an update is not skipped.
    pub fn ignores(
        attributes: &AdmissionAttributes<'_>,
        pod: &PodView,
        old_pod: Option<&PodView>,
    ) -> bool {
        if !AlwaysPullImages::handles(attributes.operation) {
            return true;
        }
        if !attributes.subresource.is_empty()
            || !attributes.group.is_empty()
            || attributes.resource != "pods"
        {
            return true;
        }
        match (attributes.operation, old_pod) {
            (AdmissionOperation::Update, Some(old_pod)) => {
                let old_images: BTreeSet<&str> = old_pod.images().collect();
                pod.images().all(|image| old_images.contains(image))
            }
            _ => false,
        }
    }

    /// The mutating phase (`Admit`): sets every pull policy to `Always` unless the request
    /// is ignored. Returns whether it mutated.
    pub fn admit(
        attributes: &AdmissionAttributes<'_>,
        pod: &mut PodView,
        old_pod: Option<&PodView>,
    ) -> bool {
        if AlwaysPullImages::ignores(attributes, pod, old_pod) {
            return false;
        }
        let containers = pod
            .init_containers
            .iter_mut()
            .chain(pod.containers.iter_mut())
            .chain(pod.ephemeral_containers.iter_mut());
        for container in containers {
            container.pull_policy = Some(PullPolicy::Always);
        }
        for volume in &mut pod.image_volumes {
            volume.pull_policy = Some(PullPolicy::Always);
        }
        true
    }

    /// The validating phase (`Validate`): every pull policy must be `Always` unless the
    /// request is ignored.
    pub fn validate(
        attributes: &AdmissionAttributes<'_>,
        pod: &PodView,
        old_pod: Option<&PodView>,
    ) -> Result<(), AlwaysPullImagesDenied> {
        if AlwaysPullImages::ignores(attributes, pod, old_pod) {
            return Ok(());
        }
        let violations: Vec<PolicyNotSupported> = pod
            .policy_fields()
            .into_iter()
            .filter(|(_, value)| *value != Some(PullPolicy::Always))
            .map(|(field_path, value)| PolicyNotSupported { field_path, value })
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(AlwaysPullImagesDenied {
                name: pod.name_for_errors().to_owned(),
                violations,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AdmissionOperation::{Connect, Create, Delete, Update};
    use PullPolicy::{Always, IfNotPresent, Never};

    fn container(image: &str, pull_policy: Option<PullPolicy>) -> ContainerImage {
        ContainerImage {
            image: image.to_owned(),
            pull_policy,
        }
    }

    fn volume(volume_index: usize, pull_policy: Option<PullPolicy>) -> ImageVolume {
        ImageVolume {
            volume_index,
            reference: "artifact:1".to_owned(),
            pull_policy,
        }
    }

    /// The pod of admission_test.go `TestAdmission`/`TestValidate`: each list holds an
    /// empty policy, `Never`, `IfNotPresent` and `Always`.
    fn upstream_pod() -> PodView {
        let four = || {
            vec![
                container("image", None),
                container("image", Some(Never)),
                container("image", Some(IfNotPresent)),
                container("image", Some(Always)),
            ]
        };
        PodView {
            name: "123".to_owned(),
            init_containers: four(),
            containers: four(),
            image_volumes: vec![
                volume(0, None),
                volume(1, Some(Never)),
                volume(2, Some(IfNotPresent)),
                volume(3, Some(Always)),
            ],
            ..PodView::default()
        }
    }

    #[test]
    fn validate_matches_upstream_error_text() {
        // plugin/pkg/admission/alwayspullimages/admission_test.go `TestValidate`.
        let expected = concat!(
            "[",
            r#"pods "123" is forbidden: spec.initContainers[0].imagePullPolicy: Unsupported value: "": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.initContainers[1].imagePullPolicy: Unsupported value: "Never": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.initContainers[2].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.containers[1].imagePullPolicy: Unsupported value: "Never": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.containers[2].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.volumes[0].image.pullPolicy: Unsupported value: "": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.volumes[1].image.pullPolicy: Unsupported value: "Never": supported values: "Always", "#,
            r#"pods "123" is forbidden: spec.volumes[2].image.pullPolicy: Unsupported value: "IfNotPresent": supported values: "Always""#,
            "]",
        );
        let got =
            AlwaysPullImages::validate(&AdmissionAttributes::pods(Create), &upstream_pod(), None);
        assert_eq!(got.map_err(|e| e.to_string()), Err(expected.to_owned()));
    }

    #[test]
    fn admit_forces_always_everywhere() {
        // admission_test.go `TestAdmission`, plus ephemeral containers.
        let mut pod = upstream_pod();
        pod.ephemeral_containers = vec![container("debug", Some(Never))];
        let attributes = AdmissionAttributes::pods(Create);
        assert!(AlwaysPullImages::admit(&attributes, &mut pod, None));
        let fields = pod.policy_fields();
        assert_eq!(fields.len(), 13);
        assert!(
            fields.iter().all(|(_, policy)| *policy == Some(Always)),
            "{fields:?}"
        );
        assert_eq!(AlwaysPullImages::validate(&attributes, &pod, None), Ok(()));
    }

    fn check_ignored(rows: &[(AdmissionAttributes<'_>, Option<&PodView>, bool)], pod: &PodView) {
        for (attributes, old_pod, want_ignored) in rows {
            let mut mutated = pod.clone();
            let admitted = AlwaysPullImages::admit(attributes, &mut mutated, *old_pod);
            assert_eq!(!admitted, *want_ignored, "{attributes:?} old={old_pod:?}");
            assert_eq!(mutated == *pod, *want_ignored, "{attributes:?}: mutation");
            let validated = AlwaysPullImages::validate(attributes, pod, *old_pod);
            assert_eq!(
                validated.is_ok(),
                *want_ignored,
                "{attributes:?}: validation"
            );
        }
    }

    #[test]
    fn ignores_other_resources_operations_and_unchanged_updates() {
        // admission_test.go `TestOtherResources` and `TestUpdatePod`, then operations.
        let pod = PodView {
            name: "testname".to_owned(),
            containers: vec![container("image", Some(Never))],
            ..PodView::default()
        };
        let old_same = PodView {
            containers: vec![container("image", Some(IfNotPresent))],
            ..pod.clone()
        };
        let old_other = PodView {
            containers: vec![container("image2", Some(IfNotPresent))],
            ..pod.clone()
        };
        let with = |operation, group, resource, subresource| AdmissionAttributes {
            operation,
            group,
            resource,
            subresource,
        };
        check_ignored(
            &[
                (with(Create, "", "foos", ""), None, true),
                (with(Create, "", "pods", "exec"), None, true),
                (
                    with(Update, "", "pods", "ephemeralcontainers"),
                    Some(&old_other),
                    true,
                ),
                (with(Create, "apps", "pods", ""), None, true),
                (with(Create, "", "pods", ""), None, false),
                (with(Update, "", "pods", ""), Some(&old_same), true),
                (with(Update, "", "pods", ""), Some(&old_other), false),
                (with(Update, "", "pods", ""), None, false),
                (with(Delete, "", "pods", ""), None, true),
                (with(Connect, "", "pods", ""), None, true),
            ],
            &pod,
        );
        assert!(AlwaysPullImages::handles(Create) && AlwaysPullImages::handles(Update));
        assert!(!AlwaysPullImages::handles(Delete) && !AlwaysPullImages::handles(Connect));
    }

    fn check_denied(rows: &[(PodView, &str)]) {
        for (pod, want) in rows {
            let got = AlwaysPullImages::validate(&AdmissionAttributes::pods(Create), pod, None);
            assert_eq!(
                got.map_err(|e| e.to_string()),
                Err((*want).to_owned()),
                "{pod:?}"
            );
        }
    }

    #[test]
    fn single_error_is_unbracketed_and_names_fall_back() {
        let one = |name: &str, generate_name: &str| PodView {
            name: name.to_owned(),
            generate_name: generate_name.to_owned(),
            ephemeral_containers: vec![container("busybox", Some(IfNotPresent))],
            ..PodView::default()
        };
        check_denied(&[
            (
                one("web-0", ""),
                r#"pods "web-0" is forbidden: spec.ephemeralContainers[0].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always""#,
            ),
            (
                one("", "web-"),
                r#"pods "web-" is forbidden: spec.ephemeralContainers[0].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always""#,
            ),
            (
                one("", ""),
                r#"pods "Unknown" is forbidden: spec.ephemeralContainers[0].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always""#,
            ),
        ]);
    }
}
