//! Command-line options shared by the echo examples: `--addr HOST:PORT` and `--buffer BYTES`.
//! Not an example itself; each example includes it with `#[path]`.

/// The options every echo server of the lecture takes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen (or connect, for the client).
    pub addr: String,
    /// Bytes per `read` call. The lecture uses 16, which makes the interleaving visible.
    pub buffer: usize,
    /// Arguments this parser does not know, in order, for the example to interpret.
    pub rest: Vec<String>,
}

impl Options {
    /// Parses `std::env::args()`, exiting with a usage message on bad input.
    pub fn from_args(usage: &str, default_buffer: usize) -> Options {
        match Options::parse(std::env::args().skip(1), default_buffer) {
            Ok(options) => options,
            Err(message) => {
                eprintln!("{message}\nusage: {usage}");
                std::process::exit(2);
            }
        }
    }

    /// Parses `args`; unknown arguments go to `rest`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        default_buffer: usize,
    ) -> Result<Options, String> {
        let mut options = Options {
            addr: "127.0.0.1:10000".into(),
            buffer: default_buffer,
            rest: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--addr" => options.addr = args.next().ok_or("--addr needs HOST:PORT")?,
                "--buffer" => {
                    options.buffer = args
                        .next()
                        .and_then(|text| text.parse().ok())
                        .filter(|&size: &usize| size > 0)
                        .ok_or("--buffer needs a positive number of bytes")?
                }
                "--help" | "-h" => return Err("help requested".into()),
                _ => options.rest.push(arg),
            }
        }
        Ok(options)
    }
}
