//! Checks of the simulation's own invariants that tests (and users chasing a surprise)
//! can run at any moment: what a running container needs is on its node.

use crate::containerd::manifest::Manifest;
use crate::sim::Sim;
use crate::trace::PodId;

impl Sim {
    /// Every running (or completed) container whose image is not whole in its node's
    /// content store: the top-level manifest, the image manifest, the config and every
    /// layer must be there. Returns one line per violation; empty when all is well.
    pub fn audit_content(&self) -> Vec<String> {
        let mut violations = Vec::new();
        for (index, pod) in self.api.pods.iter().enumerate() {
            let Some(node) = pod.node else { continue };
            if pod.state.deleted {
                continue;
            }
            let content = self.node_content(node);
            for slot in &pod.state.containers {
                let Some(image) = slot.started else { continue };
                let mut needed = vec![image.digest, image.manifest, image.image_id];
                match self
                    .manifests
                    .get(image.manifest.0 as usize)
                    .and_then(Option::as_ref)
                {
                    Some(parsed) => {
                        if let Manifest::Image { layers, .. } = parsed.as_ref() {
                            needed.extend(layers.iter().map(|(layer, _)| *layer));
                        }
                    }
                    None => violations.push(format!(
                        "{}: image manifest {} was never read",
                        self.pod_key(PodId(index as u32)),
                        self.digest(image.manifest)
                    )),
                }
                for digest in needed {
                    if !content.contains(&digest) {
                        violations.push(format!(
                            "{} on {}: {} is not in the content store",
                            self.pod_key(PodId(index as u32)),
                            self.node_name(node),
                            self.digest(digest)
                        ));
                    }
                }
            }
        }
        violations
    }
}
