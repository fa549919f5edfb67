//! The fake registry served over real HTTP on 127.0.0.1 for one conformance case or one
//! test: started in-process on a free port in a background thread with its own tokio
//! runtime, and shut down (and the thread joined) when the guard is dropped.
//!
//! The caller keeps a handle on the same `Registry` the server answers from, so it can
//! install fault rules and read the request log directly while real clients talk HTTP.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use pullsim_model::{Digest, SimTime};
use pullsim_registry::{AuthMode, Catalog, LoadedImage, LogEntry, Registry, RegistryConfig};
use tokio::sync::watch;

/// How long a shutting-down server waits for requests in flight (a client stuck in a
/// fault's delay, say) before the caller moves on without them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running server; dropping it stops the server.
#[derive(Debug)]
pub struct RegistryServer {
    /// The address it listens on (`127.0.0.1:<free port>`).
    pub addr: SocketAddr,
    /// The registry it answers from, shared with the caller.
    pub registry: Arc<Mutex<Registry>>,
    /// The images loaded before the server started, with each platform's manifest.
    pub images: Vec<LoadedImage>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl RegistryServer {
    /// Serves the built-in demo catalog with `auth` as the protected repositories' challenge.
    ///
    /// # Errors
    ///
    /// When no port can be bound or the runtime cannot start.
    pub fn demo(auth: AuthMode) -> anyhow::Result<RegistryServer> {
        let config = RegistryConfig {
            auth,
            epoch_unix_seconds: unix_seconds_now(),
            ..RegistryConfig::default()
        };
        let mut registry = Registry::new(config);
        let images = registry
            .load(&Catalog::demo(), SimTime::EPOCH)
            .map_err(|err| anyhow::anyhow!("the demo catalog does not load: {err}"))?;
        RegistryServer::start(registry, images)
    }

    /// Serves `registry`, into which `images` were loaded.
    ///
    /// # Errors
    ///
    /// When no port can be bound or the runtime cannot start.
    pub fn start(registry: Registry, images: Vec<LoadedImage>) -> anyhow::Result<RegistryServer> {
        RegistryServer::start_on(free_listener()?, registry, images)
    }

    /// Serves `registry` on a listener the caller bound (so it could learn the address
    /// first, to point another registry's redirects at it).
    ///
    /// # Errors
    ///
    /// When the listener is unusable or the runtime cannot start.
    pub fn start_on(
        listener: std::net::TcpListener,
        registry: Registry,
        images: Vec<LoadedImage>,
    ) -> anyhow::Result<RegistryServer> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let registry = Arc::new(Mutex::new(registry));
        let (stop, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("tokio runtime for the registry server")?;
        let shared = Arc::clone(&registry);
        let thread = spawn_thread(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let mut asked = stopped.clone();
                let shutdown = async move {
                    let _ = asked.wait_for(|stop| *stop).await;
                };
                let server = pullsim_server::serve(listener, shared, shutdown);
                let mut asked = stopped;
                let give_up = async move {
                    let _ = asked.wait_for(|stop| *stop).await;
                    tokio::time::sleep(SHUTDOWN_GRACE).await;
                };
                tokio::select! {
                    result = server => result,
                    () = give_up => Ok(()),
                }
            })
        });
        Ok(RegistryServer {
            addr,
            registry,
            images,
            stop,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:<port>`, the registry host real clients are given.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `127.0.0.1:<port>/<repository_and_tag>`, an image reference for real clients.
    pub fn image(&self, repository_and_tag: &str) -> String {
        format!("{}/{repository_and_tag}", self.addr)
    }

    /// The registry, locked (the server waits while the caller holds it).
    pub fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The request log from `cursor` on, copied out of the lock.
    pub fn log_since(&self, cursor: u64) -> Vec<LogEntry> {
        self.lock().log_since(cursor).to_vec()
    }

    /// The cursor for "what happens from now on".
    pub fn log_cursor(&self) -> u64 {
        self.lock().log_next_index()
    }

    /// The loaded image `repository:tag`.
    ///
    /// # Errors
    ///
    /// When it was not loaded.
    pub fn loaded(&self, repository_and_tag: &str) -> anyhow::Result<&LoadedImage> {
        let (repository, tag) = repository_and_tag
            .split_once(':')
            .unwrap_or((repository_and_tag, "latest"));
        self.images
            .iter()
            .find(|image| image.repository == repository && image.tag == tag)
            .ok_or_else(|| anyhow::anyhow!("{repository_and_tag} was not loaded"))
    }

    /// The image manifest of `repository:tag` for the platform whose text form
    /// (`linux/arm64/v8`) ends `hello` (`hello from linux/arm64/v8`).
    ///
    /// # Errors
    ///
    /// When there is no such image or platform.
    pub fn child_for(&self, repository_and_tag: &str, hello: &str) -> anyhow::Result<Digest> {
        self.loaded(repository_and_tag)?
            .children
            .iter()
            .find(|(platform, _)| hello.ends_with(&platform.to_string()))
            .map(|(_, digest)| digest.clone())
            .ok_or_else(|| anyhow::anyhow!("{repository_and_tag} has no child for {hello:?}"))
    }
}

impl Drop for RegistryServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            // The server's own error (if any) was already seen by its clients.
            let _ = thread.join();
        }
    }
}

/// A listener on a free port of 127.0.0.1.
///
/// # Errors
///
/// When no port can be bound.
pub fn free_listener() -> anyhow::Result<std::net::TcpListener> {
    std::net::TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")
}

/// Log entries as text, one request a line, for failure messages.
pub fn log_lines(log: &[LogEntry]) -> String {
    log.iter()
        .map(|entry| {
            let fault = entry
                .fault
                .map_or_else(String::new, |id| format!(" fault {}", id.0));
            format!(
                "  {} {} -> {} ({} bytes){fault}",
                entry.method, entry.path, entry.status, entry.body_bytes
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The wall-clock second now, for a server's epoch (token `issued_at` is printed from it).
#[expect(
    clippy::disallowed_methods,
    reason = "the server runs in real time; its epoch is the wall-clock moment it starts"
)]
pub fn unix_seconds_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[expect(
    clippy::disallowed_methods,
    reason = "the server runs its tokio runtime on a thread of its own, beside its caller"
)]
fn spawn_thread<F>(body: F) -> JoinHandle<std::io::Result<()>>
where
    F: FnOnce() -> std::io::Result<()> + Send + 'static,
{
    std::thread::spawn(body)
}
