//! `pullsim-conformance`: the conformance harness for real image pullers.
//!
//! A shell, not a core: it starts the fake registry over HTTP on 127.0.0.1, runs real
//! programs with time limits and stops each by its process id, and reads the wall clock
//! (at marked spots) to time them.
//!
//! Module map:
//! - [`server`]: the fake registry on 127.0.0.1 for one case or test, stopped on drop.
//! - [`programs`]: real programs: `require`, time limits, kill by pid.
//! - [`containers_image`]: skopeo and podman configured from a temporary folder only.
//! - [`containerd`]: a containerd daemon living in a temporary folder.
//! - [`oci_layout`]: reading OCI image layouts (what skopeo pulled) and writing images to push.

pub mod containerd;
pub mod containers_image;
pub mod oci_layout;
pub mod programs;
pub mod server;
