//! `clerk-local-bapi [--port 0] [--seed N] [--host 127.0.0.1]`: prints one JSON line when ready, serves
//! until SIGTERM or SIGINT.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

use clerk_local_bapi::{serve, Config};

const USAGE: &str = "usage: clerk-local-bapi [--port PORT] [--seed N] [--host LOOPBACK_ADDR]";

fn parse_args(args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Err(String::new());
        }
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(format!("{name} needs a value")),
        };
        match name.as_str() {
            "--port" => config.port = value.parse().map_err(|_| format!("bad --port {value}"))?,
            "--seed" => {
                config.seed = Some(value.parse().map_err(|_| format!("bad --seed {value}"))?)
            }
            "--host" => {
                config.host = match value.as_str() {
                    "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
                    other => other.parse().map_err(|_| format!("bad --host {value}"))?,
                };
                if !config.host.is_loopback() {
                    return Err(format!("--host {value} is not a loopback address"));
                }
            }
            _ => return Err(format!("unknown argument {name}")),
        }
    }
    Ok(config)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("clerk-local-bapi: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clerk-local-bapi: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        let server = match serve(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("clerk-local-bapi: {e}");
                return ExitCode::FAILURE;
            }
        };
        let line = serde_json::to_string(server.info()).unwrap_or_default();
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            eprintln!("clerk-local-bapi: cannot write to stdout");
        }
        drop(stdout);
        shutdown_signal().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    });
    // Connections are drained by now; do not wait for a key generation still running on the blocking pool.
    runtime.shutdown_background();
    code
}
