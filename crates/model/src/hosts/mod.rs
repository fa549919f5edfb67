//! containerd's registry host configuration (`config_path`, `hosts.toml`) as pure rules: which
//! hosts a node's containerd tries for a registry, in which order, for which operation, and
//! what it does when one of them fails. docs/mirrors.md has every rule with its source.
//!
//! The simulator's resolver asks [`hosts_for`] once per request (containerd re-reads the
//! directory for every pull), walks [`hosts_for_operation`] in order, and asks [`fallback()`]
//! what each failure means; when every host failed, [`resolve_error`] / [`fetch_error`] give
//! containerd's message.
//!
//! ```
//! use pullsim_model::hosts::{
//!     ContainerdVersion, Failure, Fallback, HostsDirectory, Operation, fallback, hosts_for,
//!     hosts_for_operation,
//! };
//!
//! let mut certs_d = HostsDirectory::new(ContainerdVersion::V2_1);
//! certs_d.insert_toml(
//!     "docker.io",
//!     r#"
//! [host."http://10.0.0.7:30020"]
//!   capabilities = ["pull", "resolve"]
//!   dial_timeout = "200ms"
//! "#,
//! );
//! let hosts = hosts_for("docker.io", &certs_d);
//! let resolve: Vec<String> = hosts_for_operation(&hosts, Operation::Resolve)
//!     .iter()
//!     .map(|h| h.base_url())
//!     .collect();
//! assert_eq!(resolve, ["http://10.0.0.7:30020/v2", "https://registry-1.docker.io/v2"]);
//! assert_eq!(hosts[0].dial_timeout, Some(std::time::Duration::from_millis(200)));
//! // A 404 from the mirror sends the resolver on to Docker Hub.
//! assert_eq!(fallback(Operation::Resolve, &Failure::Status(404)), Fallback::NextHost);
//! ```

pub mod capabilities;
pub mod directory;
pub mod fallback;
pub mod file;
pub mod host;
pub mod version;

pub use capabilities::Capabilities;
pub use directory::{DEFAULT_DIRECTORY, HostsDir, HostsDirectory, directory_names, host_directory};
pub use fallback::{
    Failure, Fallback, FetchTarget, HostFailure, NO_PULL_HOSTS, cri_resolve_error, fallback,
    fetch_error, resolve_error, same_host_attempts, status_text,
};
pub use file::{DialTimeoutSetting, HostSettings, HostUrl, HostsFile};
pub use host::{Operation, RegistryHost, hosts_for, hosts_for_operation};
pub use version::{
    ContainerdVersion, DEFAULT_DIAL_TIMEOUT, MAX_ATTEMPTS_ON_TOO_MANY_REQUESTS, MAX_BODY_REOPENS,
};
