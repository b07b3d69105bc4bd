//! The HTTP file server example (`examples/http/`), tested through real sockets. The tests
//! include the example's own `server.rs`, so they run exactly the code that ships.

mod support;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::{runtime, within};

#[path = "support/http.rs"]
mod http_support;
use http_support::*;

/// Every status the server produces, each from a raw request.
#[test]
fn every_status_from_raw_requests() {
    within(Duration::from_secs(60), "statuses", || {
        let site = Site::new("statuses");
        let addr = start(&site, Duration::from_secs(30));

        let ok = get(addr, "/hello.txt");
        assert_eq!(
            (ok.status, ok.body.as_slice()),
            (200, &b"hello, world\n"[..])
        );
        assert_eq!(
            ok.header("content-type").unwrap(),
            "text/plain; charset=utf-8"
        );
        assert_eq!(ok.header("content-length").unwrap(), "13");
        assert!(ok.header("date").is_some() && ok.header("last-modified").is_some());

        let head = raw(addr, b"HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(
            (head.status, head.header("content-length").unwrap().as_str()),
            (200, "13")
        );

        let listing = get(addr, "/folder/");
        let html = String::from_utf8(listing.body).unwrap();
        assert_eq!(listing.status, 200);
        assert!(
            html.contains("a &lt;b&gt;&amp;.txt"),
            "names are escaped: {html}"
        );
        assert!(
            html.contains("href=\"a%20%3Cb%3E%26.txt\""),
            "links are encoded: {html}"
        );
        assert_eq!(get(addr, "/folder/a%20%3Cb%3E%26.txt").body, b"tricky name");

        let redirect = get(addr, "/folder");
        assert_eq!(
            (
                redirect.status,
                redirect.header("location").unwrap().as_str()
            ),
            (301, "/folder/")
        );

        let modified = ok.header("last-modified").unwrap();
        let not_modified = raw(
            addr,
            format!("GET /hello.txt HTTP/1.1\r\nIf-Modified-Since: {modified}\r\n\r\n").as_bytes(),
        );
        assert_eq!(not_modified.status, 304);

        assert_eq!(get(addr, "/missing.txt").status, 404);
        let post = raw(addr, b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            (post.status, post.header("allow").unwrap().as_str()),
            (405, "GET, HEAD")
        );
        assert_eq!(
            raw(addr, b"GARBAGE\r\n\r\n").status,
            400,
            "bad request line"
        );
        assert_eq!(
            raw(addr, b"GET / HTTP/1.1\r\nBad Header\r\n\r\n").status,
            400,
            "bad header syntax"
        );
        assert_eq!(get(addr, "/%zz").status, 400, "bad percent-encoding");
        assert_eq!(get(addr, "/%00").status, 400, "encoded NUL");
        assert_eq!(
            raw(addr, b"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n").status,
            400,
            "NUL in a header"
        );
        let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(9000));
        assert_eq!(raw(addr, long_line.as_bytes()).status, 414);
        let big_head = format!("GET / HTTP/1.1\r\n{}\r\n", "X-Filler: y\r\n".repeat(2000));
        assert_eq!(raw(addr, big_head.as_bytes()).status, 431);
        assert_eq!(
            raw(addr, b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").status,
            501
        );
        let smuggle =
            b"GET / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello";
        assert_eq!(raw(addr, smuggle).status, 400, "both framings: smuggling");
        assert_eq!(raw(addr, b"GET / HTTP/2.0\r\n\r\n").status, 505);
    });
}

/// At least ten spellings of "outside the root" never return the secret's content.
#[test]
fn traversal_never_leaves_the_root() {
    within(Duration::from_secs(60), "traversal", || {
        let site = Site::new("traversal");
        let addr = start(&site, Duration::from_secs(30));
        let attempts = [
            "/../secret.txt",
            "/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/..%2fsecret.txt",
            "/%2e%2e%2fsecret.txt",
            "/folder/../../secret.txt",
            "/./../secret.txt",
            "/..\\secret.txt",
            "/%5c..%5csecret.txt",
            "//../secret.txt",
            "/escape.txt",
        ];
        for path in attempts {
            let response = get(addr, path);
            assert!(
                !String::from_utf8_lossy(&response.body).contains("TOP SECRET"),
                "{path} leaked the secret ({})",
                response.status
            );
            assert!(
                [400, 403, 404].contains(&response.status),
                "{path} gave {}",
                response.status
            );
        }
        let absolute = raw(
            addr,
            format!(
                "GET {} HTTP/1.1\r\n\r\n",
                site.base.join("secret.txt").display()
            )
            .as_bytes(),
        );
        assert!(!String::from_utf8_lossy(&absolute.body).contains("TOP SECRET"));
        assert_eq!(get(addr, "/").status, 200, "the root itself is served");
    });
}

/// Keep-alive and pipelining: ten requests written at once get ten responses, in order, on one
/// connection; HTTP/1.0 closes unless asked; `Connection: close` is honoured.
#[test]
fn pipelining_and_connection_handling() {
    within(Duration::from_secs(60), "pipelining", || {
        let site = Site::new("pipelining");
        let addr = start(&site, Duration::from_secs(30));
        let mut stream = connect(addr);
        let paths = [
            "/hello.txt",
            "/page.html",
            "/missing",
            "/hello.txt",
            "/folder/",
            "/page.html",
            "/hello.txt",
            "/missing",
            "/page.html",
            "/hello.txt",
        ];
        let mut burst = Vec::new();
        for path in paths {
            burst.extend_from_slice(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        }
        stream.write_all(&burst).unwrap();
        for path in paths {
            let response = read_response(&mut stream, false);
            let expected = match path {
                "/hello.txt" => (200, b"hello, world\n".to_vec()),
                "/page.html" => (200, b"<p>page</p>".to_vec()),
                "/missing" => (404, response.body.clone()),
                _ => (200, response.body.clone()),
            };
            assert_eq!((response.status, response.body.clone()), expected, "{path}");
        }
        // HTTP/1.0 without keep-alive: the server closes after the response.
        let mut old = connect(addr);
        old.write_all(b"GET /hello.txt HTTP/1.0\r\n\r\n").unwrap();
        let mut all = Vec::new();
        old.read_to_end(&mut all).unwrap();
        assert!(
            all.ends_with(b"hello, world\n")
                && String::from_utf8_lossy(&all).contains("Connection: close")
        );
        // Connection: close on HTTP/1.1 as well.
        let mut closing = connect(addr);
        closing
            .write_all(b"GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut all = Vec::new();
        closing.read_to_end(&mut all).unwrap();
        assert!(all.ends_with(b"hello, world\n"));
    });
}

/// A request body with Content-Length is read and discarded; the next request on the same
/// connection is answered correctly.
#[test]
fn request_bodies_are_discarded() {
    within(Duration::from_secs(30), "bodies", || {
        let site = Site::new("bodies");
        let addr = start(&site, Duration::from_secs(30));
        let mut stream = connect(addr);
        stream
            .write_all(b"GET /hello.txt HTTP/1.1\r\nContent-Length: 11\r\n\r\nGET /nope x")
            .unwrap();
        stream
            .write_all(b"GET /page.html HTTP/1.1\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut stream, false).body, b"hello, world\n");
        assert_eq!(read_response(&mut stream, false).body, b"<p>page</p>");
    });
}

/// A client sending one byte every 300 ms is cut off at the 1 s head deadline (408), while
/// another client is served meanwhile.
#[test]
fn slow_clients_are_cut_off() {
    within(Duration::from_secs(60), "slowloris", || {
        let site = Site::new("slowloris");
        let addr = start(&site, Duration::from_secs(1));
        let mut slow = connect(addr);
        let start = Instant::now();
        let trickle = std::thread::spawn(move || {
            for byte in b"GET /hello.txt HTTP/1.1\r\nX-Slow: ".iter().cycle() {
                if slow.write_all(&[*byte]).is_err() || start.elapsed() > Duration::from_secs(8) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
            slow
        });
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            get(addr, "/hello.txt").status,
            200,
            "others are served meanwhile"
        );
        let mut slow = trickle.join().unwrap();
        let mut reply = Vec::new();
        let _ = slow.read_to_end(&mut reply);
        let cut_after = start.elapsed();
        assert!(
            String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 408"),
            "got {:?}",
            String::from_utf8_lossy(&reply)
        );
        assert!(
            cut_after < Duration::from_secs(8),
            "cut off only after {cut_after:?}"
        );
    });
}

/// A 3 MB file arrives byte-exact (streamed in chunks read on the blocking pool).
#[test]
fn large_files_are_streamed_intact() {
    within(Duration::from_secs(60), "large file", || {
        let site = Site::new("large");
        let addr = start(&site, Duration::from_secs(30));
        let response = get(addr, "/big.bin");
        assert_eq!(response.status, 200);
        assert_eq!(response.body.len(), 3_000_000);
        assert!(response
            .body
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i % 251) as u8));
    });
}

/// curl and Python's http.client fetch files byte-exact, reusing the connection.
#[test]
fn curl_and_python_fetch_with_keep_alive() {
    within(Duration::from_secs(60), "curl and python", || {
        let site = Site::new("clients");
        let addr = start(&site, Duration::from_secs(30));
        let base = format!("http://{addr}");
        let curl = std::process::Command::new("curl")
            .args([
                "-sS",
                "-v",
                "--http1.1",
                &format!("{base}/hello.txt"),
                &format!("{base}/big.bin"),
            ])
            .output()
            .expect("curl is installed (.ci/run installs it)");
        assert!(
            curl.status.success(),
            "{}",
            String::from_utf8_lossy(&curl.stderr)
        );
        assert!(curl.stdout.starts_with(b"hello, world\n"));
        assert_eq!(curl.stdout.len(), 13 + 3_000_000);
        assert!(String::from_utf8_lossy(&curl.stderr).contains("Re-using existing connection"));
        let script = format!(
            "import http.client\n\
             c = http.client.HTTPConnection('{}', {})\n\
             for path in ['/hello.txt', '/page.html', '/big.bin']:\n\
             \x20   c.request('GET', path)\n\
             \x20   r = c.getresponse()\n\
             \x20   body = r.read()\n\
             \x20   print(r.status, len(body), body[:5])\n\
             print('socket reused:', c.sock is not None)\n",
            addr.ip(),
            addr.port()
        );
        let python = std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .expect("python3");
        let out = String::from_utf8_lossy(&python.stdout);
        assert!(
            python.status.success(),
            "{}",
            String::from_utf8_lossy(&python.stderr)
        );
        assert!(
            out.contains("200 13 b'hello'") && out.contains("200 11 b'<p>pa'"),
            "{out}"
        );
        assert!(
            out.contains("200 3000000") && out.contains("socket reused: True"),
            "{out}"
        );
    });
}

/// 1,000 concurrent keep-alive clients each fetch a file twice on one connection and all get
/// correct bodies.
#[test]
fn thousand_concurrent_keep_alive_clients() {
    within(Duration::from_secs(120), "1000 clients", || {
        let site = Site::new("thousand");
        let addr = start(&site, Duration::from_secs(30));
        runtime(1).block_on(async move {
            let clients: Vec<_> = (0..1000)
                .map(|_| {
                    sprout::spawn(async move {
                        let stream = sprout::net::TcpStream::connect(addr).await?;
                        let mut ok = 0;
                        for _ in 0..2 {
                            stream
                                .write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
                                .await?;
                            let mut got = Vec::new();
                            let mut chunk = [0u8; 512];
                            while !got.ends_with(b"hello, world\n") {
                                let n = stream.read(&mut chunk).await?;
                                if n == 0 {
                                    break;
                                }
                                got.extend_from_slice(&chunk[..n]);
                            }
                            ok += usize::from(
                                got.starts_with(b"HTTP/1.1 200")
                                    && got.ends_with(b"hello, world\n"),
                            );
                        }
                        std::io::Result::Ok(ok)
                    })
                })
                .collect();
            let mut total = 0;
            for result in sprout::join_all(clients).await {
                total += result.unwrap().unwrap();
            }
            assert_eq!(total, 2000);
        });
    });
}

/// The example binary itself: serves the bundled web root, then stops cleanly on SIGINT.
#[test]
fn the_example_serves_its_bundled_root_and_stops_on_ctrl_c() {
    use std::io::BufRead;
    let (status, body, exit, rest) = within(Duration::from_secs(60), "http example", || {
        let mut child = std::process::Command::new(support::example_binary("http"))
            .args(["--addr", "127.0.0.1:0", "--quiet"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the http example");
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr: SocketAddr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let index = get(addr, "/");
        let image = get(addr, "/sprout.png");
        assert_eq!(image.header("content-type").unwrap(), "image/png");
        // A positive pid only: `kill` misreads a negative one as options.
        std::process::Command::new("kill")
            .args(["-s", "INT", &child.id().to_string()])
            .status()
            .unwrap();
        let exit = child.wait().unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        (
            index.status,
            String::from_utf8(index.body).unwrap(),
            exit,
            rest,
        )
    });
    assert_eq!(status, 200);
    assert!(body.contains("Hello from sprout"), "{body}");
    assert!(
        exit.success() && rest.contains("stopped cleanly"),
        "{exit:?} {rest:?}"
    );
}

/// Range requests: a middle slice, an open end and a suffix give 206 with Content-Range (on a
/// cached small file and on a streamed large one); a range past the end gives 416.
#[test]
fn range_requests() {
    within(Duration::from_secs(60), "ranges", || {
        let site = Site::new("ranges");
        let addr = start(&site, Duration::from_secs(30));
        let range = |path: &str, spec: &str| {
            raw(
                addr,
                format!("GET {path} HTTP/1.1\r\nRange: bytes={spec}\r\n\r\n").as_bytes(),
            )
        };
        let middle = range("/hello.txt", "0-4");
        assert_eq!(
            (middle.status, middle.body.as_slice()),
            (206, &b"hello"[..])
        );
        assert_eq!(middle.header("content-range").unwrap(), "bytes 0-4/13");
        assert_eq!(range("/hello.txt", "7-").body, b"world\n");
        assert_eq!(range("/hello.txt", "-6").body, b"world\n");
        let past = range("/hello.txt", "100-200");
        assert_eq!(
            (past.status, past.header("content-range").unwrap().as_str()),
            (416, "bytes */13")
        );
        let large = range("/big.bin", "2999990-");
        assert_eq!(large.status, 206);
        let expected: Vec<u8> = (2_999_990..3_000_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(large.body, expected);
        assert_eq!(
            range("/hello.txt", "0-1,3-4").status,
            200,
            "several ranges: the whole file"
        );
    });
}

/// A body that trickles in slower than the deadline is cut off too (408), so a huge declared
/// Content-Length cannot hold a connection forever.
#[test]
fn slow_bodies_are_cut_off() {
    within(Duration::from_secs(60), "slow body", || {
        let site = Site::new("slowbody");
        let addr = start(&site, Duration::from_secs(1));
        let mut stream = connect(addr);
        stream
            .write_all(b"GET /hello.txt HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\nx")
            .unwrap();
        let start = Instant::now();
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        assert!(
            String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&reply)
        );
        assert!(start.elapsed() < Duration::from_secs(5));
    });
}
