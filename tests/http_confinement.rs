//! The HTTP example never serves a byte from outside `--root`, whichever path leads there.
//!
//! The request path itself is checked in `traversal_never_leaves_the_root` (http_server.rs).
//! These tests cover the paths the server builds or follows itself: a directory's
//! `index.html` that is a symlink, a symlinked directory, chains of symlinks, small files
//! (read whole, cached) and large ones (streamed) — each by GET, HEAD and a Range request.
//! Symlinks that stay inside the root keep working.

mod support;

use std::os::unix::fs::symlink;
use std::time::Duration;

use support::within;

#[path = "support/http.rs"]
mod http_support;
use http_support::*;

/// The secret outside the root: `secret.txt` holds "TOP SECRET" (from `Site`); `big-secret.bin`
/// is large enough to be streamed rather than cached.
const BIG_SECRET_LEN: usize = 200_000;

/// A site with every kind of symlink under test. Returns it and the paths that must be refused.
fn hostile_site(name: &str) -> Site {
    let site = Site::new(name);
    let (base, root) = (site.base.clone(), site.root());
    let big: Vec<u8> = b"TOP SECRET "
        .iter()
        .copied()
        .cycle()
        .take(BIG_SECRET_LEN)
        .collect();
    std::fs::write(base.join("big-secret.bin"), big).unwrap();
    std::fs::create_dir_all(base.join("outside")).unwrap();
    std::fs::write(base.join("outside").join("index.html"), b"TOP SECRET index").unwrap();
    std::fs::write(base.join("outside").join("note.txt"), b"TOP SECRET note").unwrap();

    // A directory inside the root whose index.html points outside: small, and large.
    std::fs::create_dir_all(root.join("linked-index")).unwrap();
    symlink(
        base.join("secret.txt"),
        root.join("linked-index").join("index.html"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("linked-big-index")).unwrap();
    symlink(
        base.join("big-secret.bin"),
        root.join("linked-big-index").join("index.html"),
    )
    .unwrap();
    // A symlinked directory leading outside.
    symlink(base.join("outside"), root.join("outside-dir")).unwrap();
    // A chain: chain-1 → chain-2 → the secret, and a directory whose index is the chain.
    symlink(base.join("secret.txt"), root.join("chain-2")).unwrap();
    symlink(root.join("chain-2"), root.join("chain-1")).unwrap();
    std::fs::create_dir_all(root.join("chained-index")).unwrap();
    symlink(
        root.join("chain-1"),
        root.join("chained-index").join("index.html"),
    )
    .unwrap();
    // A relative chain through a directory inside the root that climbs out with "..".
    std::fs::create_dir_all(root.join("climb")).unwrap();
    symlink(
        "../../big-secret.bin",
        root.join("climb").join("index.html"),
    )
    .unwrap();

    // Symlinks that stay inside the root: followed as before.
    symlink(root.join("hello.txt"), root.join("inner-2")).unwrap();
    symlink("inner-2", root.join("inner-1")).unwrap();
    std::fs::create_dir_all(root.join("inner-index")).unwrap();
    symlink(
        root.join("page.html"),
        root.join("inner-index").join("index.html"),
    )
    .unwrap();
    symlink(root.join("folder"), root.join("inner-dir")).unwrap();
    site
}

/// The paths that lead outside the root, one for each case above.
const ESCAPES: [&str; 8] = [
    "/linked-index/",
    "/linked-big-index/",
    "/outside-dir/",
    "/outside-dir/note.txt",
    "/chain-1",
    "/chain-2",
    "/chained-index/",
    "/climb/",
];

/// The three ways to ask for a path.
fn requests(path: &str) -> [(String, Vec<u8>); 3] {
    [
        (
            "GET".into(),
            format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes(),
        ),
        (
            "HEAD".into(),
            format!("HEAD {path} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes(),
        ),
        (
            "Range".into(),
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nRange: bytes=0-3\r\n\r\n").into_bytes(),
        ),
    ]
}

/// Every escape, by GET, HEAD and Range: 403 (or 404), never a byte of the secret, and not a
/// length that describes it.
#[test]
fn symlinks_never_lead_outside_the_root() {
    within(Duration::from_secs(60), "symlink escapes", || {
        let site = hostile_site("symlinks");
        let addr = start(&site, Duration::from_secs(30));
        for path in ESCAPES {
            for (how, request) in requests(path) {
                let response = raw(addr, &request);
                let body = String::from_utf8_lossy(&response.body);
                assert!(
                    !body.contains("TOP") && !body.contains("SECRET"),
                    "{how} {path} leaked the secret ({}): {body:?}",
                    response.status
                );
                assert!(
                    [403, 404].contains(&response.status),
                    "{how} {path} gave {} instead of 403:\n{}",
                    response.status,
                    response.head
                );
            }
        }
        // The server goes on answering normal requests.
        assert_eq!(get(addr, "/hello.txt").body, b"hello, world\n");
    });
}

/// Symlinks whose targets stay inside the root are still followed, by every request form.
#[test]
fn symlinks_inside_the_root_still_work() {
    within(Duration::from_secs(60), "symlinks inside the root", || {
        let site = hostile_site("inner-symlinks");
        let addr = start(&site, Duration::from_secs(30));
        for (path, content) in [
            ("/inner-1", &b"hello, world\n"[..]),
            ("/inner-index/", b"<p>page</p>"),
            ("/inner-dir/a%20%3Cb%3E%26.txt", b"tricky name"),
        ] {
            let [(_, get_request), (_, head_request), (_, range_request)] = requests(path);
            let got = raw(addr, &get_request);
            assert_eq!((got.status, &got.body[..]), (200, content), "GET {path}");
            let head = raw(addr, &head_request);
            assert_eq!(head.status, 200, "HEAD {path}");
            assert_eq!(
                head.header("Content-Length"),
                Some(content.len().to_string())
            );
            let range = raw(addr, &range_request);
            assert_eq!(
                (range.status, &range.body[..]),
                (206, &content[..4]),
                "Range {path}"
            );
        }
        let listing = get(addr, "/inner-dir/");
        assert_eq!(listing.status, 200);
        assert!(String::from_utf8_lossy(&listing.body).contains("a &lt;b&gt;"));
    });
}

/// The gate itself, without a server: whatever the path, a file opened by the example's
/// `open_confined` and a directory listed by `listing` lie inside the root.
#[test]
fn the_file_gate_refuses_every_escape() {
    use http_support::http::files;
    let site = hostile_site("gate");
    let root = site.root().canonicalize().unwrap();
    for escape in [
        "linked-index/index.html",
        "linked-big-index/index.html",
        "outside-dir/note.txt",
        "chain-1",
        "climb/index.html",
    ] {
        let refused = files::open_confined(&root, &root.join(escape)).map(|_| ());
        assert_eq!(refused, Err(403), "{escape} was opened");
    }
    assert_eq!(
        files::listing(&root, &root.join("outside-dir"), &["outside-dir".into()]).map(|_| ()),
        Err(403),
        "a directory outside the root was listed"
    );
    assert!(files::open_confined(&root, &root.join("inner-1")).is_ok());
    assert_eq!(
        files::open_confined(&root, &root.join("folder")).map(|_| ()),
        Err(404)
    );
    assert_eq!(
        files::open_confined(&root, &root.join("missing")).map(|_| ()),
        Err(404)
    );
}
