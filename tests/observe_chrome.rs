//! `SPROUT_TRACE=chrome:FILE` / `Builder::trace_chrome`: the timeline of one echoed message is
//! a valid Chrome trace-event document, and complete — a track per worker, the connection
//! task's polls as slices, the `epoll_wait`s, and every wake-up's arrow landing on a poll.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use support::json::{parse, Json};
use support::net::start_echo_server;
use support::within;

/// One echoed message, on a one-worker runtime writing its timeline; returns the parsed events.
fn timeline_of_one_echo() -> Vec<Json> {
    let path = std::env::temp_dir().join(format!("sprout-timeline-{}.json", std::process::id()));
    let runtime = sprout::Runtime::builder()
        .workers(1)
        .trace_chrome(&path)
        .build()
        .expect("build a runtime writing a timeline");
    runtime.block_on(async {
        let (addr, stop, serving) = start_echo_server(None).await;
        let client = sprout::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(b"hello").await.unwrap();
        let mut echo = [0u8; 5];
        client.read_exact(&mut echo).await.unwrap();
        assert_eq!(&echo, b"hello");
        drop(client);
        stop.stop();
        serving.await.unwrap().unwrap();
    });
    drop(runtime); // closes the JSON array (chrome I2)
    let text = std::fs::read_to_string(&path).expect("the timeline file");
    let _ = std::fs::remove_file(&path);
    match parse(&text) {
        Ok(Json::Array(events)) => events,
        Ok(other) => panic!("the timeline is not an array: {other:?}"),
        Err(error) => panic!("the timeline is not valid JSON: {error}\n{text}"),
    }
}

fn field<'a>(event: &'a Json, key: &str) -> &'a str {
    event.get(key).and_then(Json::as_str).unwrap_or("")
}

fn number(event: &Json, key: &str) -> f64 {
    event.get(key).and_then(Json::as_f64).unwrap_or(f64::NAN)
}

#[test]
fn the_timeline_of_one_echo_is_valid_and_complete() {
    let events = within(Duration::from_secs(30), "timeline", timeline_of_one_echo);
    for event in &events {
        for key in ["ph", "name", "pid", "tid"] {
            assert!(
                event.get(key).is_some(),
                "an event without {key:?}: {event:?}"
            );
        }
    }
    let with = |ph: &'static str| events.iter().filter(move |e| field(e, "ph") == ph);
    assert!(
        with("M").any(|e| e
            .get("args")
            .and_then(|a| a.get("name"))
            .and_then(Json::as_str)
            == Some("worker 0")),
        "worker 0's track is named"
    );
    // The connection's task is named after its peer: it is polled at least twice (it parks on
    // its socket, the message wakes it), and each poll is a slice with a duration.
    let connection_polls: Vec<&Json> = with("X")
        .filter(|e| field(e, "cat") == "poll" && field(e, "name").contains("127.0.0.1:"))
        .collect();
    assert!(
        connection_polls.len() >= 2,
        "the connection task's polls: {connection_polls:?}"
    );
    assert!(connection_polls.iter().all(|e| number(e, "dur") >= 0.0));
    assert!(
        with("X").any(|e| field(e, "name") == "epoll_wait"),
        "no epoll_wait slice"
    );
    assert!(
        with("X").any(|e| field(e, "name").starts_with("deliver: fd")
            && field(e, "name").ends_with("readable")),
        "no delivery of a readable event"
    );
    for io in ["read 5 B", "wrote 5 B"] {
        assert!(
            with("i").any(|e| field(e, "name").ends_with(io)),
            "no {io:?} instant"
        );
    }
    // Every arrow: one tail, one head, the head no earlier than the tail, and the head inside a
    // poll slice on its own track (where a viewer binds it).
    let tails: HashMap<u64, &Json> = with("s").map(|e| (number(e, "id") as u64, e)).collect();
    let heads: Vec<&Json> = with("f").collect();
    assert!(
        heads.iter().any(|e| field(e, "name") == "wake"),
        "no wake-up arrows"
    );
    assert!(
        heads.iter().any(|e| field(e, "name") == "spawn"),
        "no spawn arrows"
    );
    for head in heads {
        let id = number(head, "id") as u64;
        let tail = tails
            .get(&id)
            .unwrap_or_else(|| panic!("arrow {id} has no tail"));
        let (at, track) = (number(head, "ts"), number(head, "tid"));
        assert!(number(tail, "ts") <= at, "arrow {id} goes back in time");
        assert!(
            with("X").any(|poll| field(poll, "cat") == "poll"
                && number(poll, "tid") == track
                && number(poll, "ts") <= at
                && at <= number(poll, "ts") + number(poll, "dur")),
            "arrow {id} lands on no poll"
        );
    }
}

/// A timeline that cannot be written is a clear error at `build`, not a panic or silence.
#[test]
fn an_unwritable_timeline_is_an_error_at_build() {
    let built = sprout::Runtime::builder()
        .trace_chrome("/nonexistent-folder/timeline.json")
        .build();
    let Err(error) = built else {
        panic!("build must fail when the timeline cannot be written");
    };
    assert!(error.to_string().contains("timeline"), "{error}");
}

/// The test's own JSON parser is strict: what it accepts is JSON.
#[test]
fn the_parser_accepts_json_and_refuses_the_rest() {
    let value =
        parse(r#" {"a": [1, -2.5e3, "x\"y\u0041"], "b": {"c": true, "d": null}} "#).unwrap();
    assert_eq!(
        value.get("a"),
        Some(&Json::Array(vec![
            Json::Number(1.0),
            Json::Number(-2500.0),
            Json::Text("x\"yA".into())
        ]))
    );
    for bad in ["[1,]", "{\"a\" 1}", "[1] 2", "\"open", "[\"\u{1}\"]", ""] {
        assert!(parse(bad).is_err(), "{bad:?} should not parse");
    }
}
