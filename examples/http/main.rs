//! The concurrent HTTP/1.1 file server: the lecture's last exercise ("make your HTTP server
//! concurrent"), done with one task per connection and code that reads like the blocking
//! version. Serves a folder like `python -m http.server`, but concurrently and safely.
//!
//! ```text
//! cargo run --example http                                  # the bundled web root, port 8080
//! cargo run --example http -- --root ~/public --addr 127.0.0.1:8000 --quiet
//! curl -v http://127.0.0.1:8080/                            # from a second terminal
//! ```
//!
//! Options: `--root DIR`, `--addr HOST:PORT`, `--quiet` (no access log), `--head-timeout SECS`
//! (whole request head, default 30), `--idle-timeout SECS` (keep-alive, default 10).
//! Ctrl-C stops it gracefully.

mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sprout::net::StreamServer;

/// The web root served when no `--root` is given: shipped with the example.
const BUNDLED_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/http/www");

fn main() {
    if let Err(message) = run() {
        eprintln!("http: {message}");
        std::process::exit(1);
    }
}

/// Parses the options, then serves until Ctrl-C.
fn run() -> Result<(), String> {
    let mut root = PathBuf::from(BUNDLED_ROOT);
    let mut addr = "127.0.0.1:8080".to_string();
    let mut log = true;
    let mut head_timeout = Duration::from_secs(30);
    let mut idle_timeout = Duration::from_secs(10);
    let mut args = std::env::args().skip(1);
    // At most a day: the server adds these to the clock, which a huge value would overflow.
    let seconds = |value: Option<String>, flag: &str| {
        value
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| *s > 0.0 && *s <= 86_400.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or(format!(
                "{flag} needs a number of seconds above 0, at most 86400"
            ))
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--root" => root = PathBuf::from(args.next().ok_or("--root needs a folder")?),
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--quiet" => log = false,
            "--head-timeout" => head_timeout = seconds(args.next(), "--head-timeout")?,
            "--idle-timeout" => idle_timeout = seconds(args.next(), "--idle-timeout")?,
            "--help" | "-h" => {
                println!("usage: http [--root DIR] [--addr HOST:PORT] [--quiet] [--head-timeout S] [--idle-timeout S]");
                return Ok(());
            }
            other => return Err(format!("unknown option {other:?} (try --help)")),
        }
    }
    let mut config = server::Config::new(root.clone())
        .map_err(|e| format!("cannot serve {}: {e}", root.display()))?;
    config.log = log;
    config.limits.head_timeout = head_timeout;
    config.limits.idle_timeout = idle_timeout;
    let config = Arc::new(config);
    sprout::run(async move {
        let handler_config = config.clone();
        let server = StreamServer::bind(addr.as_str(), move |stream, peer| {
            server::serve_connection(stream, peer, handler_config.clone())
        })
        .await?
        .grace_period(Duration::from_secs(5));
        let local = server.local_addr()?;
        println!(
            "sprout http server listening on http://{local}/ serving {}",
            config.root.display()
        );
        server.serve_forever().await?;
        println!("stopped cleanly");
        std::io::Result::Ok(())
    })
    .map_err(|e| e.to_string())
}
