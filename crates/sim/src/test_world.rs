//! The world unit tests inside the crate start from: one registry at
//! `registry.example.com` holding `app:v1`, and one node `node-0` with an instant link.

use pullsim_model::SimTime;
use pullsim_registry::{Catalog, ImageSpec, Registry, RegistryConfig};

use crate::config::{Link, NodePool, SimConfig};
use crate::sim::Sim;

/// A simulation with these settings, the registry holding `app:v1` and one node.
pub(crate) fn one_app_world(config: SimConfig) -> Sim {
    let mut sim = Sim::new(config);
    let mut registry = Registry::new(RegistryConfig::default());
    let catalog = Catalog {
        images: vec![ImageSpec::new("app", "v1")],
        ..Catalog::default()
    };
    registry
        .load(&catalog, SimTime::EPOCH)
        .expect("the catalog is valid");
    sim.add_registry("registry.example.com", registry)
        .expect("one host");
    sim.add_node_pool(NodePool {
        default_link: Link::INSTANT,
        ..NodePool::new("node", 1)
    })
    .expect("a valid pool");
    sim
}
