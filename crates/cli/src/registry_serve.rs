//! `pullsim registry serve`: the fake registry over real HTTP, for real pullers.
//!
//! The command builds a `Registry` (the built-in demo catalog, or a catalog file), binds
//! the listen address, prints the address and the catalog, and hands the listener to
//! `pullsim_server::serve_with_limits`. While it runs it prints the core's request log, one
//! line per request (or JSON lines into `--log FILE`, flushed every 100 ms), and it stops
//! cleanly on Ctrl-C or SIGTERM. Everything it serves is in memory: a restart loses every
//! pushed image, even pushes answered 201.
//! This is the only command that starts a tokio runtime.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::units::{ByteSize, format_duration, parse_duration};
use pullsim_registry::{
    AuthMode, Catalog, CatalogError, DEFAULT_LOG_WINDOW, LoadedImage, LogEntry, LogTap,
    ProxyConfig, Registry, RegistryConfig, TAP_MAX, UploadLimits,
};
use pullsim_server::{DEFAULT_MAX_CONNECTIONS, ServerLimits};
use tokio::sync::watch;

use crate::{CliError, Outcome};

/// How often the request log is copied out to the terminal or the log file (and the file
/// flushed): often enough to feel live and to lose at most this much of the log to a
/// SIGKILL, rarely enough that a busy server's lock is not contended for it.
const LOG_INTERVAL: Duration = Duration::from_millis(100);

/// How long a stopping server waits for requests in flight (a client held by a fault's
/// delay, say) before it exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The challenge protected repositories answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AuthArg {
    /// `WWW-Authenticate: Basic realm="pullsim"`.
    Basic,
    /// The Docker token flow: a Bearer challenge naming this server's `/token` endpoint.
    Token,
}

/// The options of `pullsim registry serve`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on; `127.0.0.1:0` picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5000")]
    listen: SocketAddr,
    /// A catalog to serve instead of the built-in demo (YAML, or JSON when the name ends
    /// in `.json`).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Write the request log as JSON lines to FILE instead of one line per request on
    /// standard output.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// How protected repositories challenge clients.
    #[arg(long, value_enum, default_value = "basic")]
    auth: AuthArg,
    /// The token the control API under `/_pullsim/` requires, as `Authorization: Bearer T`.
    /// Without it a random one is generated and printed at start. Required to listen on
    /// an address other than loopback.
    #[arg(long, value_name = "T", conflicts_with = "control_open")]
    control_token: Option<String>,
    /// Leave the control API open to every client, with no token (loopback addresses
    /// only). Anyone who can connect may then replace accounts and passwords, move tags
    /// and read every tenant's request log.
    #[arg(long)]
    control_open: bool,
    /// How many of the newest request log entries to keep in memory for
    /// `GET /_pullsim/log` (the `--log` file and the terminal still get every entry).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LOG_WINDOW as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    log_window: u64,
    /// Forget an upload no request touched for this long (`90s`, `10m`, `1h`).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = duration_arg)]
    upload_idle: Duration,
    /// The most bytes one open upload may hold (`512MiB`, `1GiB`); a chunk over it gets
    /// 413 SIZE_INVALID.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = size_arg)]
    upload_max: u64,
    /// The most bytes all open uploads together may hold.
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = size_arg)]
    uploads_total_max: u64,
    /// Close a connection whose request head has not fully arrived after this long.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration_arg)]
    header_timeout: Duration,
    /// Close a connection on which nothing moved for this long while no request of it
    /// was being answered.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration_arg)]
    idle_timeout: Duration,
    /// The most connections open at once; one more gets 503 and is closed.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Run as a pull-through cache of UPSTREAM_URL (plain `http://host[:port]`): each pull
    /// the cache cannot answer from its store is fetched from the upstream, stored and
    /// served. The cache starts empty (no catalog) and refuses pushes.
    #[arg(long, value_name = "UPSTREAM_URL", value_parser = proxy_url_arg, conflicts_with = "catalog")]
    proxy: Option<String>,
    /// How long fetched content stays cached, counted from when it was fetched (`168h`,
    /// `30m`); `0` keeps it for ever.
    #[arg(long, value_name = "DURATION", default_value = "168h", value_parser = proxy_ttl_arg,
          requires = "proxy")]
    proxy_ttl: ProxyTtl,
    /// The user name for the upstream's Basic challenge or token endpoint.
    #[arg(long, value_name = "USER", requires_all = ["proxy", "proxy_password"])]
    proxy_username: Option<String>,
    /// The password that goes with --proxy-username.
    #[arg(long, value_name = "PASSWORD", requires = "proxy_username")]
    proxy_password: Option<String>,
}

/// `--proxy-ttl`: `None` keeps fetched content for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProxyTtl(Option<Duration>);

/// `--proxy-ttl`: a duration in Go's notation; zero keeps content for ever.
fn proxy_ttl_arg(text: &str) -> Result<ProxyTtl, String> {
    let duration = parse_duration(text).map_err(|err| err.to_string())?;
    Ok(ProxyTtl((!duration.is_zero()).then_some(duration)))
}

/// `--proxy`: a plain `http://host[:port]` base URL, without a path; a trailing `/` is
/// dropped.
fn proxy_url_arg(text: &str) -> Result<String, String> {
    let Some(rest) = text.strip_prefix("http://") else {
        return Err(format!(
            "{text:?} is not a plain http:// URL; give the upstream's base URL such as http://127.0.0.1:5001 \
             (https upstreams are not supported by the server)"
        ));
    };
    let host = rest.strip_suffix('/').unwrap_or(rest);
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "{text:?} must be http://host[:port] with no path, query or user; such as http://127.0.0.1:5001"
        ));
    }
    if let Some((_, port)) = host.rsplit_once(':')
        && !port.ends_with(']')
        && port.parse::<u16>().is_err()
    {
        return Err(format!(
            "{text:?}: the port {port:?} is not a number from 0 to 65535"
        ));
    }
    Ok(format!("http://{host}"))
}

/// A duration flag: Go's notation (`250ms`, `10s`, `1m30s`), above zero.
fn duration_arg(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err(format!(
            "{text:?} is zero; give a duration above 0 such as 10s"
        )),
        Err(err) => Err(err.to_string()),
    }
}

/// A size flag (`1GiB`, `500MB`, `1048576`), above zero.
fn size_arg(text: &str) -> Result<u64, String> {
    match ByteSize::parse(text) {
        Ok(size) if size.bytes() > 0 => Ok(size.bytes()),
        Ok(_) => Err(format!(
            "{text:?} is zero; give a size above 0 such as 1GiB"
        )),
        Err(err) => Err(err.to_string()),
    }
}

impl ServeArgs {
    /// The server's connection limits from the flags.
    fn server_limits(&self) -> ServerLimits {
        ServerLimits {
            header_read_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

/// Who may use the control API: the result of `--control-token`, `--control-open` and the
/// listen address.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ControlAccess {
    /// The token given with `--control-token` (never printed).
    Chosen(String),
    /// A token generated at start, printed in the banner.
    Generated(String),
    /// `--control-open`: no token.
    Open,
}

impl ControlAccess {
    /// Decides from the options; refuses a non-loopback address without a chosen token.
    fn from_args(args: &ServeArgs) -> Result<ControlAccess, CliError> {
        let loopback = args.listen.ip().is_loopback();
        match (&args.control_token, args.control_open) {
            (Some(token), _) if token.is_empty() => Err(CliError::usage(
                "--control-token: the token is empty; give a secret, or leave the option out to have one generated",
            )),
            (Some(token), _) => Ok(ControlAccess::Chosen(token.clone())),
            (None, _) if !loopback => Err(CliError::usage(format!(
                "--listen {}: not a loopback address, so other machines could reach the control API \
                 under /_pullsim/ (it replaces accounts and passwords and reads every tenant's log); \
                 choose its secret with --control-token T, or listen on 127.0.0.1",
                args.listen
            ))),
            (None, true) => Ok(ControlAccess::Open),
            (None, false) => pullsim_server::random_control_token()
                .map(ControlAccess::Generated)
                .map_err(|err| CliError::internal(format!("control token: {err}"))),
        }
    }

    /// The token the registry checks, if any.
    fn token(&self) -> Option<String> {
        match self {
            ControlAccess::Chosen(token) | ControlAccess::Generated(token) => Some(token.clone()),
            ControlAccess::Open => None,
        }
    }
}

/// Runs the server until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &ServeArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let control = ControlAccess::from_args(args)?;
    let (registry, loaded) = build_registry(args, &control)?;
    let mut log_file = match &args.log {
        Some(path) => Some(io::BufWriter::new(std::fs::File::create(path).map_err(
            |err| {
                CliError::input(format!(
                    "{}: cannot create the log file: {err}",
                    path.display()
                ))
            },
        )?)),
        None => None,
    };
    let listener = bind(args.listen)?;
    let addr = listener
        .local_addr()
        .map_err(|err| CliError::internal(format!("listener without an address: {err}")))?;
    print_banner(out, addr, &loaded, args, &control).map_err(CliError::output)?;
    out.flush().map_err(CliError::output)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::internal(format!("cannot start the tokio runtime: {err}")))?;
    let registry = Arc::new(Mutex::new(registry));
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|err| CliError::internal(format!("listener: {err}")))?;
        let (stop, stopped) = watch::channel(false);
        let mut asked = stopped.clone();
        let shutdown = async move {
            let _ = asked.wait_for(|stop| *stop).await;
        };
        let mut server = tokio::spawn(pullsim_server::serve_with_limits(
            listener,
            Arc::clone(&registry),
            args.server_limits(),
            shutdown,
        ));
        let mut ticks = tokio::time::interval(LOG_INTERVAL);
        let signal = stop_signal();
        tokio::pin!(signal);
        let served = loop {
            tokio::select! {
                _ = ticks.tick() => {
                    copy_log(&registry, out, log_file.as_mut())?;
                }
                which = &mut signal => {
                    writeln!(out, "pullsim registry: {which}, stopping").map_err(CliError::output)?;
                    let _ = stop.send(true);
                    break tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await.ok();
                }
                result = &mut server => break Some(result),
            }
        };
        copy_log(&registry, out, log_file.as_mut())?;
        match served {
            Some(Ok(Ok(()))) | None => Ok(Outcome::Yes),
            Some(Ok(Err(err))) => Err(CliError::internal(format!("the server stopped: {err}"))),
            Some(Err(err)) => Err(CliError::internal(format!("the server task failed: {err}"))),
        }
    })
}

/// The registry to serve and what was loaded into it (for the banner).
fn build_registry(
    args: &ServeArgs,
    control: &ControlAccess,
) -> Result<(Registry, Vec<LoadedImage>), CliError> {
    let config = RegistryConfig {
        auth: match args.auth {
            AuthArg::Basic => AuthMode::Basic,
            AuthArg::Token => AuthMode::Token,
        },
        control_token: control.token(),
        epoch_unix_seconds: unix_seconds_now(),
        ..RegistryConfig::default()
    };
    let (catalog, source) = match &args.catalog {
        None => (Catalog::demo(), "the built-in demo catalog".to_owned()),
        Some(path) => (read_catalog(path)?, path.display().to_string()),
    };
    let mut registry = Registry::new(config);
    registry.set_log_window(Some(usize::try_from(args.log_window).unwrap_or(usize::MAX)));
    // The terminal or the log file gets every entry, however far behind the window is.
    registry.set_log_tap(true);
    registry.set_upload_limits(UploadLimits {
        idle: args.upload_idle,
        max_bytes: args.upload_max,
        total_max_bytes: args.uploads_total_max,
    });
    if let Some(upstream) = &args.proxy {
        registry.set_proxy(ProxyConfig {
            ttl: args.proxy_ttl.0,
            username: args.proxy_username.clone(),
            password: args.proxy_password.clone(),
            ..ProxyConfig::new(upstream.clone())
        });
        return Ok((registry, Vec::new()));
    }
    let loaded = registry
        .load(&catalog, SimTime::EPOCH)
        .map_err(|err| CliError::input(format!("{source}: {err}")))?;
    Ok((registry, loaded))
}

/// The wall-clock second the server's `SimTime` epoch stands for: the token endpoint
/// prints `issued_at` from it, and clients compute token expiry from that.
#[expect(
    clippy::disallowed_methods,
    reason = "the HTTP server runs in real time; its epoch is the wall-clock moment it starts"
)]
fn unix_seconds_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Reads a catalog file: JSON when its name ends in `.json`, YAML otherwise. Errors name
/// the file, the line and the column.
fn read_catalog(path: &Path) -> Result<Catalog, CliError> {
    let bytes =
        std::fs::read(path).map_err(|err| CliError::input(format!("{}: {err}", path.display())))?;
    let text = pullsim_scenario::diagnostics::utf8_text(&bytes).map_err(|error| {
        CliError::input(format!(
            "{}:{}: {}",
            path.display(),
            error.position,
            error.message
        ))
    })?;
    let is_json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let parsed = if is_json {
        Catalog::from_json(text)
    } else {
        Catalog::from_yaml(text)
    };
    parsed.map_err(|err| catalog_error_text(path, &err))
}

/// A catalog error as one line in the compiler's `FILE:LINE:COLUMN: message` form.
fn catalog_error_text(path: &Path, err: &CatalogError) -> CliError {
    let path = path.display().to_string();
    match err {
        CatalogError::Parse(document) => CliError::document(&path, "invalid catalog", document),
        other => CliError::input(format!("{path}: {other}")),
    }
}

/// Binds the address, turning "in use" into advice.
fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, CliError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|err| {
        if err.kind() == io::ErrorKind::AddrInUse {
            CliError::input(format!(
                "cannot listen on {addr}: the address is already in use (another registry?); \
                 choose another with --listen, e.g. --listen 127.0.0.1:0 for any free port"
            ))
        } else {
            CliError::input(format!("cannot listen on {addr}: {err}"))
        }
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|err| CliError::internal(format!("listener: {err}")))?;
    Ok(listener)
}

fn print_banner(
    out: &mut dyn Write,
    addr: SocketAddr,
    loaded: &[LoadedImage],
    args: &ServeArgs,
    control: &ControlAccess,
) -> io::Result<()> {
    writeln!(out, "pullsim registry listening on http://{addr}")?;
    let source = args.catalog.as_ref().map_or_else(
        || "the built-in demo catalog".to_owned(),
        |p| p.display().to_string(),
    );
    let auth = match args.auth {
        AuthArg::Basic => "basic",
        AuthArg::Token => "token",
    };
    match &args.proxy {
        Some(upstream) => {
            let ttl = args
                .proxy_ttl
                .0
                .map_or_else(|| "never".to_owned(), format_duration);
            writeln!(
                out,
                "pull-through cache of {upstream} (content expires after: {ttl}); auth: {auth}"
            )?;
        }
        None => writeln!(out, "catalog: {source}; auth: {auth}")?,
    }
    match control {
        ControlAccess::Generated(token) => {
            writeln!(
                out,
                "control API: http://{addr}/_pullsim/ needs Authorization: Bearer <control token>"
            )?;
            writeln!(out, "control token: {token}")?;
        }
        ControlAccess::Chosen(_) => writeln!(
            out,
            "control API: http://{addr}/_pullsim/ needs Authorization: Bearer <the --control-token value>"
        )?,
        ControlAccess::Open => writeln!(
            out,
            "control API: http://{addr}/_pullsim/ is open to every client (--control-open)"
        )?,
    }
    for image in loaded {
        writeln!(
            out,
            "  {addr}/{}:{} -> {}  {}",
            image.repository, image.tag, image.digest, image.media_type
        )?;
        if image.children.len() > 1
            || image
                .children
                .first()
                .is_some_and(|(_, d)| *d != image.digest)
        {
            for (platform, digest) in &image.children {
                writeln!(out, "      {platform:<16} {digest}")?;
            }
        } else if let Some((platform, _)) = image.children.first() {
            writeln!(out, "      {platform}")?;
        }
    }
    writeln!(
        out,
        "limits: log window {} entries; uploads idle {}, {} each, {} in all; \
         header timeout {}, idle timeout {}, {} connections",
        args.log_window,
        format_duration(args.upload_idle),
        ByteSize(args.upload_max),
        ByteSize(args.uploads_total_max),
        format_duration(args.header_timeout),
        format_duration(args.idle_timeout),
        args.max_connections,
    )?;
    writeln!(
        out,
        "state: in memory only; a restart loses every pushed image"
    )?;
    match &args.log {
        Some(path) => writeln!(out, "request log: JSON lines in {}", path.display())?,
        None => writeln!(out, "requests:")?,
    }
    Ok(())
}

/// Copies the log entries appended since the last call to the log file (JSON lines, then
/// flushed) or to `out` (one line each); entries the registry could not keep for it (over
/// [`TAP_MAX`] waiting) are counted on standard error. The lock is held only to take the entries, never
/// while formatting or writing them.
fn copy_log(
    registry: &Mutex<Registry>,
    out: &mut dyn Write,
    log_file: Option<&mut io::BufWriter<std::fs::File>>,
) -> Result<(), CliError> {
    let LogTap { entries, missed } = registry
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take_log_tap();
    if missed > 0 {
        // The terminal or file fell so far behind that the registry stopped copying; say
        // so on standard error (a log file must stay JSON lines).
        let _ = writeln!(
            io::stderr(),
            "pullsim registry: {missed} log entries were not written: more than {TAP_MAX} \
             waited for {} (is it being read?)",
            if log_file.is_some() {
                "the log file"
            } else {
                "standard output"
            }
        );
    }
    if entries.is_empty() {
        return Ok(());
    }
    let mut text = Vec::with_capacity(entries.len() * 256);
    for entry in &entries {
        if log_file.is_some() {
            serde_json::to_writer(&mut text, entry)
                .map_err(|err| CliError::internal(format!("log entry as JSON: {err}")))?;
            text.push(b'\n');
        } else {
            write_line(&mut text, entry).map_err(CliError::output)?;
        }
    }
    match log_file {
        Some(file) => {
            file.write_all(&text).map_err(CliError::output)?;
            file.flush().map_err(CliError::output)?;
        }
        None => {
            out.write_all(&text).map_err(CliError::output)?;
            out.flush().map_err(CliError::output)?;
        }
    }
    Ok(())
}

/// One request as a line: `00:00:01.250 127.0.0.1:53412 GET /v2/demo/hello/manifests/v1 200 512B [fault 2]`.
fn write_line(text: &mut Vec<u8>, entry: &LogEntry) -> io::Result<()> {
    write!(
        text,
        "{} {} {} {} {} {}B",
        entry.time, entry.client, entry.method, entry.path, entry.status, entry.body_bytes
    )?;
    if let Some(user) = &entry.auth_user {
        write!(text, " user={user}")?;
    }
    if let Some(fault) = entry.fault {
        write!(text, " fault={}", fault.0)?;
    }
    text.push(b'\n');
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM and says which.
async fn stop_signal() -> &'static str {
    let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        // Without a SIGTERM handler the default action (exit) still stops the server;
        // Ctrl-C is then the only clean stop.
        let _ = tokio::signal::ctrl_c().await;
        return "interrupted";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = terminate.recv() => "terminated",
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Line {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn control(line: &[&str]) -> Result<ControlAccess, String> {
        let parsed = Line::try_parse_from(std::iter::once("serve").chain(line.iter().copied()))
            .map_err(|err| err.to_string())?;
        ControlAccess::from_args(&parsed.args).map_err(|err| format!("{err:?}"))
    }

    #[test]
    fn every_address_but_loopback_needs_a_chosen_token() {
        for listen in ["0.0.0.0:5000", "[::]:5000", "10.1.2.3:5000"] {
            let refused = control(&["--listen", listen]).unwrap_err();
            assert!(refused.contains("not a loopback address"), "{refused}");
            assert!(control(&["--listen", listen, "--control-open"]).is_err());
            assert_eq!(
                control(&["--listen", listen, "--control-token", "T"]),
                Ok(ControlAccess::Chosen("T".to_owned()))
            );
        }
        for listen in ["127.0.0.1:0", "127.8.9.10:5000", "[::1]:5000"] {
            assert_eq!(
                control(&["--listen", listen, "--control-open"]),
                Ok(ControlAccess::Open)
            );
            let generated = control(&["--listen", listen]).unwrap();
            assert!(
                matches!(&generated, ControlAccess::Generated(t) if t.len() == 64),
                "{generated:?}"
            );
        }
        assert!(control(&["--control-open", "--control-token", "T"]).is_err());
    }

    fn parse(line: &[&str]) -> Result<ServeArgs, String> {
        Line::try_parse_from(std::iter::once("serve").chain(line.iter().copied()))
            .map(|line| line.args)
            .map_err(|err| err.to_string())
    }

    #[test]
    fn proxy_flags_parse_and_bad_values_name_the_flag_and_value() {
        let args = parse(&["--proxy", "http://127.0.0.1:5001/", "--proxy-ttl", "30m"]).unwrap();
        assert_eq!(args.proxy.as_deref(), Some("http://127.0.0.1:5001"));
        assert_eq!(args.proxy_ttl, ProxyTtl(Some(Duration::from_secs(1800))));
        let args = parse(&["--proxy", "http://origin", "--proxy-ttl", "0"]).unwrap();
        assert_eq!(args.proxy_ttl, ProxyTtl(None));
        let args = parse(&["--proxy", "http://origin"]).unwrap();
        assert_eq!(
            args.proxy_ttl,
            ProxyTtl(Some(pullsim_registry::DEFAULT_PROXY_TTL))
        );
        for (line, names) in [
            (
                &["--proxy", "https://registry-1.docker.io"][..],
                ["--proxy", "https://registry-1.docker.io"],
            ),
            (
                &["--proxy", "http://origin/v2/"][..],
                ["--proxy", "http://origin/v2/"],
            ),
            (
                &["--proxy", "http://origin:port"][..],
                ["--proxy", "http://origin:port"],
            ),
            (
                &["--proxy", "http://o", "--proxy-ttl", "soon"][..],
                ["--proxy-ttl", "soon"],
            ),
        ] {
            let refused = parse(line).unwrap_err();
            for name in names {
                assert!(refused.contains(name), "{name} missing from {refused}");
            }
        }
        assert!(
            parse(&["--proxy-ttl", "1h"]).is_err(),
            "--proxy-ttl needs --proxy"
        );
        assert!(parse(&["--proxy", "http://o", "--proxy-username", "alice"]).is_err());
        assert!(parse(&["--proxy", "http://o", "--catalog", "c.yaml"]).is_err());
    }

    #[test]
    fn a_proxy_starts_empty_with_its_config() {
        let args = parse(&[
            "--proxy",
            "http://127.0.0.1:5001",
            "--proxy-ttl",
            "1h",
            "--proxy-username",
            "alice",
            "--proxy-password",
            "wonderland",
        ])
        .unwrap();
        let (registry, loaded) = build_registry(&args, &ControlAccess::Open).unwrap();
        assert!(loaded.is_empty());
        let config = registry.proxy().expect("a proxy");
        assert_eq!(config.upstream, "http://127.0.0.1:5001");
        assert_eq!(config.ttl, Some(Duration::from_secs(3600)));
        assert_eq!(config.username.as_deref(), Some("alice"));
        assert_eq!(config.password.as_deref(), Some("wonderland"));
    }
}
