//! The API server's side of a pod's life: defaulting `imagePullPolicy` (docs/semantics.md §2),
//! admission (the ServiceAccount plugin's pull secrets, `AlwaysPullImages` from the model,
//! and a digest-pinning webhook that resolves tags against the registry as it is at that
//! moment), storage, scheduling, deletion, and workload replicas.

use std::sync::Arc;

use pullsim_model::admission::{AdmissionAttributes, AdmissionOperation, ContainerImage};
use pullsim_model::{AlwaysPullImages, PodView, default_pull_policy, parse_docker_ref};
use pullsim_registry::{Method, Request};

use crate::api::{Pod, PodSpec};
use crate::apiserver::pods::PodRecord;
use crate::apiserver::watch::ApiChange;
use crate::config::FailurePolicy;
use crate::containerd::resolver::{
    MANIFEST_ACCEPT, USER_AGENT, basic_header, merged_scopes, parse_challenge, split_url,
    token_from, token_request,
};
use crate::kubelet::PodState;
use crate::sim::Sim;
use crate::trace::{NodeOrAdmission, PodId, RequestKind, TraceEvent, WorkloadId};

/// The client name the digest-pinning webhook's requests carry.
pub const ADMISSION_CLIENT: &str = "admission";

/// Sets every empty `imagePullPolicy` with the API server's rule.
pub(crate) fn default_policies(spec: &mut PodSpec) {
    for container in spec.init_containers.iter_mut().chain(&mut spec.containers) {
        if container.image_pull_policy.is_none() {
            container.image_pull_policy = Some(default_pull_policy(&container.image));
        }
    }
}

impl Sim {
    /// Creates a pod: defaulting, admission, storage, then scheduling (or binding to
    /// `node_hint`: a DaemonSet's pod goes to its node, bypassing placement). `owner` is the
    /// controller of a workload object's pod. Returns the pod's id, or the API server's
    /// error when it refused it (recorded as `PodRejected`).
    pub(crate) fn admit_and_create(
        &mut self,
        namespace: &str,
        name: &str,
        spec: Arc<PodSpec>,
        workload: Option<(WorkloadId, u32)>,
        node_hint: Option<crate::trace::NodeId>,
        owner: Option<crate::apiserver::controllers::PodOwner>,
    ) -> Result<PodId, String> {
        // The `namespace/name` of a rejected pod is printed only when one is rejected.
        let reject = |sim: &mut Sim, message: String| {
            sim.record(TraceEvent::PodRejected {
                pod: format!("{namespace}/{name}"),
                message: message.clone(),
            });
            Err(message)
        };
        if spec.containers.is_empty() {
            return reject(
                self,
                format!("Pod {name:?} is invalid: spec.containers: Required value"),
            );
        }
        if self.live_pod(namespace, name).is_some() {
            return reject(self, format!("pods {name:?} already exists"));
        }
        let mut spec = spec;
        let mut changes: Vec<(&'static str, String)> = Vec::new();
        if spec
            .init_containers
            .iter()
            .chain(&spec.containers)
            .any(|c| c.image_pull_policy.is_none())
        {
            default_policies(Arc::make_mut(&mut spec));
        }
        // The ServiceAccount plugin: a pod without pull secrets gets its account's.
        let account_name = spec.service_account_name.as_deref().unwrap_or("default");
        let account = self.api.service_accounts.get(namespace, account_name);
        let added = match account {
            Some(account)
                if spec.image_pull_secrets.is_empty() && !account.image_pull_secrets.is_empty() =>
            {
                let secrets = account.image_pull_secrets.clone();
                changes.push((
                    "ServiceAccount",
                    format!(
                        "imagePullSecrets from serviceaccount {account_name}: {}",
                        secrets.join(", ")
                    ),
                ));
                Some(secrets)
            }
            None if account_name != "default" => {
                let message = format!(
                    "pods {name:?} is forbidden: error looking up service account {namespace}/{account_name}: serviceaccount {account_name:?} not found"
                );
                return reject(self, message);
            }
            _ => None,
        };
        if let Some(secrets) = added {
            Arc::make_mut(&mut spec).image_pull_secrets = secrets;
        }
        if self.config.admission.always_pull_images {
            let attributes = AdmissionAttributes::pods(AdmissionOperation::Create);
            let mut view = pod_view(name, &spec);
            if AlwaysPullImages::admit(&attributes, &mut view, None) {
                let mutated = Arc::make_mut(&mut spec);
                let policies = view.init_containers.iter().chain(&view.containers);
                let containers = mutated
                    .init_containers
                    .iter_mut()
                    .chain(&mut mutated.containers);
                for (container, seen) in containers.zip(policies) {
                    container.image_pull_policy = seen.pull_policy;
                }
                changes.push(("AlwaysPullImages", "imagePullPolicy: Always".to_owned()));
            }
            if let Err(denied) = AlwaysPullImages::validate(&attributes, &view, None) {
                return reject(self, denied.to_string());
            }
        }
        if let Some(pinning) = self.config.admission.digest_pinning {
            let mut pinned = (*spec).clone();
            let mut pins = Vec::new();
            for container in pinned
                .init_containers
                .iter_mut()
                .chain(&mut pinned.containers)
            {
                match self.pin_digest(namespace, &spec.image_pull_secrets, &container.image) {
                    Ok(Some(image)) => {
                        pins.push(format!("{} -> {image}", container.image));
                        container.image = image;
                    }
                    Ok(None) => {}
                    Err(error) => match pinning.failure_policy {
                        FailurePolicy::Fail => {
                            return reject(
                                self,
                                format!(
                                    "admission webhook \"digest-pinning\" denied the request: {}: {error}",
                                    container.image
                                ),
                            );
                        }
                        FailurePolicy::Ignore => {
                            pins.push(format!("{}: not pinned: {error}", container.image));
                        }
                    },
                }
            }
            if !pins.is_empty() {
                for pin in pins {
                    changes.push(("DigestPinning", pin));
                }
                spec = Arc::new(pinned);
            }
        }
        let id = PodId(self.api.pods.len() as u32);
        let containers = spec.init_containers.len() + spec.containers.len();
        let namespace = self.api.pod_names.intern(namespace);
        self.api.pods.push(PodRecord {
            // A replica's name is derived from its workload (see `pods.rs`); a controller's
            // pod has a name of its own.
            own_name: (workload.is_none() || owner.is_some()).then(|| name.into()),
            namespace,
            spec,
            node: None,
            workload,
            state: PodState::new(containers),
        });
        self.api.pod_names.insert(namespace, name, id);
        if let Some(owner) = owner {
            self.api.controllers.owners.insert(id, owner);
        }
        self.publish(ApiChange::PodCreated {
            pod: id,
            workload: workload.map(|(w, _)| w),
        });
        self.record(TraceEvent::PodCreated {
            pod: id,
            workload: workload.map(|(w, _)| w),
        });
        let keep = self.keeps_events();
        for (plugin, change) in changes.into_iter().filter(|_| keep) {
            self.record(TraceEvent::Admitted {
                pod: id,
                plugin,
                change,
            });
        }
        match node_hint {
            Some(node) => self.bind(id, node),
            None => self.schedule_pod(id),
        }
        Ok(id)
    }

    /// The digest-pinning webhook for one image: `Ok(None)` when it already has a digest,
    /// else the image with `@<digest>` of what its tag points at now. It resolves as a
    /// client would (`HEAD` with containerd's headers), with the pod's pull secrets'
    /// credentials if the registry asks, at this very instant.
    pub(super) fn pin_digest(
        &mut self,
        namespace: &str,
        secrets: &[String],
        image: &str,
    ) -> Result<Option<String>, String> {
        let reference = parse_docker_ref(image).map_err(|err| err.to_string())?;
        if reference.digest().is_some() {
            return Ok(None);
        }
        let host = self
            .host_for_domain(reference.domain())
            .ok_or_else(|| format!("no registry {:?}", reference.domain()))?;
        let repository = reference.path().to_owned();
        let tag = reference.tag().unwrap_or("latest").to_owned();
        let pull_secrets: Vec<_> = secrets
            .iter()
            .map(|name| self.api.secrets.get(namespace, name).cloned())
            .collect();
        let node_keyring = pullsim_model::credentials::BasicDockerKeyring::new();
        let credentials =
            pullsim_model::credentials::make_pull_keyring(&pull_secrets, node_keyring)
                .map(|keyring| keyring.lookup(&reference.name()))
                .unwrap_or_default();
        let mut attempts: Vec<Option<(String, String)>> = credentials
            .into_iter()
            .map(|c| Some((c.username, c.password)))
            .collect();
        if attempts.is_empty() {
            attempts.push(None);
        }
        let mut last_error = String::new();
        for credential in attempts {
            match self.admission_head(host, &repository, &tag, credential.as_ref()) {
                Ok(digest) => {
                    return Ok(Some(format!("{image}@{digest}")));
                }
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    /// One synchronous `HEAD` of a tag by the webhook, answering a 401 once (Basic, or a
    /// token from the challenge's realm).
    fn admission_head(
        &mut self,
        host: crate::trace::HostId,
        repository: &str,
        tag: &str,
        credential: Option<&(String, String)>,
    ) -> Result<String, String> {
        let host_name = self.hosts[host.0 as usize].name.clone();
        let target = format!("/v2/{repository}/manifests/{tag}");
        let mut authorization: Option<String> = None;
        for _ in 0..2 {
            let mut request = Request::new(Method::Head, target.clone(), ADMISSION_CLIENT);
            request.headers.append("Host", host_name.clone());
            request.headers.append_static("User-Agent", USER_AGENT);
            request.headers.append_static("Accept", MANIFEST_ACCEPT);
            if let Some(value) = &authorization {
                request.headers.append("Authorization", value.clone());
            }
            let response = self.admission_exchange(host, &request)?;
            if (200..300).contains(&response.status) {
                return response
                    .headers
                    .get("docker-content-digest")
                    .map(str::to_owned)
                    .ok_or_else(|| "no digest in the response".to_owned());
            }
            if response.status != 401 || authorization.is_some() {
                return Err(format!(
                    "HEAD {target}: {}",
                    crate::containerd::resolver::status_line(response.status)
                ));
            }
            let challenge = response
                .headers
                .get("www-authenticate")
                .map(parse_challenge)
                .unwrap_or_default();
            authorization = match challenge.scheme.as_str() {
                "basic" => match credential {
                    Some((user, password)) => Some(basic_header(user, password)),
                    None => {
                        return Err("authorization failed: no basic auth credentials".to_owned());
                    }
                },
                "bearer" => {
                    let realm = challenge.realm.clone().unwrap_or_default();
                    let (realm_host, realm_target) =
                        split_url(&realm).ok_or_else(|| format!("invalid realm {realm:?}"))?;
                    let token_host = self
                        .hosts
                        .iter()
                        .position(|h| h.name == realm_host)
                        .ok_or_else(|| format!("no token host {realm_host:?}"))?;
                    let scopes = merged_scopes(repository, &challenge);
                    let request = token_request(
                        realm_target,
                        challenge.service.as_deref().unwrap_or_default(),
                        &scopes,
                        credential.map(|(user, password)| (user.as_str(), password.as_str())),
                        false,
                        realm_host,
                        ADMISSION_CLIENT,
                    );
                    let answer =
                        self.admission_exchange(crate::trace::HostId(token_host as u16), &request)?;
                    let token = token_from(&answer.body).ok_or_else(|| {
                        format!(
                            "token request: {}",
                            crate::containerd::resolver::status_line(answer.status)
                        )
                    })?;
                    Some(format!("Bearer {token}"))
                }
                _ => return Err("failed to find supported auth scheme".to_owned()),
            };
        }
        Err(format!("HEAD {target}: 401 Unauthorized"))
    }

    fn admission_exchange(
        &mut self,
        host: crate::trace::HostId,
        request: &Request,
    ) -> Result<pullsim_registry::Response, String> {
        let now = self.now;
        let state = &mut self.hosts[host.0 as usize];
        if state
            .unreachable
            .iter()
            .any(|(from, until)| *from <= now && now < *until)
        {
            return Err(format!(
                "dial tcp {}: connect: connection refused",
                state.name
            ));
        }
        let response = state.registry.handle(request, now);
        let method = if request.method == Method::Head {
            "HEAD"
        } else {
            "GET"
        };
        self.record(TraceEvent::Registry {
            host,
            client: NodeOrAdmission::Admission,
            method,
            target: request.target.clone(),
            kind: RequestKind::of_target(&request.target),
            status: response.status,
            body_bytes: response.body.len() as u64,
        });
        Ok(response)
    }

    /// Creates a single pod from the API.
    pub(crate) fn create_single(&mut self, pod: Pod) {
        let spec = Arc::new(pod.spec);
        // A refusal is recorded (`PodRejected`); nothing else follows from it.
        let _ = self.admit_and_create(&pod.namespace, &pod.name, spec, None, None, None);
    }
}

/// The model's view of a pod for `AlwaysPullImages`.
fn pod_view(name: &str, spec: &PodSpec) -> PodView {
    let view = |containers: &[crate::api::Container]| {
        containers
            .iter()
            .map(|c| ContainerImage {
                image: c.image.clone(),
                pull_policy: c.image_pull_policy,
            })
            .collect()
    };
    PodView {
        name: name.to_owned(),
        init_containers: view(&spec.init_containers),
        containers: view(&spec.containers),
        ..PodView::default()
    }
}
