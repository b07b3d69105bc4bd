//! The lecture's threads (docs chapter 3): a thread per connection. Every client is served at once,
//! each by an OS thread with its own stack; it works well until thousands of threads cost more than
//! the work they do (docs chapter 3 has the numbers).
//!
//! ```text
//! cargo run --example echo_threads
//! cargo run --example echo_client -- --conns 100 --secs 5
//! ```

#[path = "common/blocking_echo.rs"]
mod blocking_echo;
#[path = "common/options.rs"]
mod options;

use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let options =
        options::Options::from_args("echo_threads [--addr HOST:PORT] [--buffer BYTES]", 4096);
    let listener = TcpListener::bind(&options.addr)?;
    println!(
        "thread-per-connection echo server listening on {}",
        listener.local_addr()?
    );
    // ANCHOR: thread_per_connection
    loop {
        let (conn, peer) = listener.accept()?;
        let buffer = options.buffer;
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024) // The loop needs little; small stacks let more threads fit.
            .spawn(move || {
                if let Err(error) = blocking_echo::serve(conn, buffer) {
                    eprintln!("{peer}: {error}");
                }
            });
        if let Err(error) = spawned {
            eprintln!("{peer}: could not start a thread: {error}");
        }
    }
    // ANCHOR_END: thread_per_connection
}
