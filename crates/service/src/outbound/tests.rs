//! The outbound rules against real servers on loopback that misbehave:
//! dripping, redirecting, answering too much.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A server on loopback that answers every connection with `answer`
/// (after reading the request), `drip` bytes at a time with a pause.
async fn server(answer: Vec<u8>, drip: Option<Duration>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                match drip {
                    None => {
                        let _ = socket.write_all(&answer).await;
                    }
                    Some(pause) => {
                        for byte in answer {
                            if socket.write_all(&[byte]).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(pause).await;
                        }
                    }
                }
            });
        }
    });
    base
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn allowing_private() -> Outbound {
    Outbound::new(OutboundConfig {
        allow_private: true,
        deadline: Duration::from_secs(2),
        max_body_bytes: 1024,
        dns_server: None,
    })
}

fn get(url: &str) -> Outgoing {
    Outgoing::get(url::Url::parse(url).unwrap())
}

#[tokio::test]
async fn an_answer_within_the_rules_is_read() {
    let base = server(ok(r#"{"issuer":"x"}"#), None).await;
    let fetched = allowing_private().send(get(&format!("{base}/doc"))).await.unwrap();
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.content_type.as_deref(), Some("application/json"));
    assert_eq!(fetched.body, br#"{"issuer":"x"}"#);
}

#[tokio::test]
async fn loopback_private_and_metadata_addresses_and_plain_http_are_refused_by_default() {
    let strict = Outbound::default();
    let base = server(ok("{}"), None).await;
    let https_loopback = base.replace("http://", "https://");
    match strict.send(get(&https_loopback)).await {
        Err(OutboundError::NonPublicAddress {
            why: NonPublic::Loopback,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    for (url, why) in [
        ("https://169.254.169.254/latest/meta-data/", NonPublic::LinkLocal),
        ("https://10.0.0.1/", NonPublic::Private),
        ("https://[::ffff:127.0.0.1]/", NonPublic::Loopback),
        ("https://[fd00:ec2::254]/", NonPublic::Private),
        ("https://localhost/", NonPublic::Loopback),
    ] {
        match strict.send(get(url)).await {
            Err(OutboundError::NonPublicAddress { why: found, .. }) => assert_eq!(found, why, "{url}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    for url in [base.as_str(), "ftp://example.com/", "https://user:pw@example.com/"] {
        assert!(
            matches!(strict.send(get(url)).await, Err(OutboundError::BadUrl { .. })),
            "{url}"
        );
    }
}

#[tokio::test]
async fn a_server_that_drips_is_cut_off_at_the_deadline() {
    let body = "x".repeat(100);
    let base = server(ok(&body), Some(Duration::from_millis(200))).await;
    let started = Instant::now();
    let answer = allowing_private().send(get(&base)).await;
    assert!(matches!(answer, Err(OutboundError::Deadline { .. })), "{answer:?}");
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2600), "held for {took:?}");
}

#[tokio::test]
async fn a_redirect_is_reported_not_followed() {
    let target = server(ok("{}"), None).await;
    let redirect =
        format!("HTTP/1.1 302 Found\r\nlocation: {target}/elsewhere\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let base = server(redirect.into_bytes(), None).await;
    match allowing_private().send(get(&base)).await {
        Err(OutboundError::Redirect { status: 302, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_whether_announced_or_not() {
    let announced = server(ok(&"y".repeat(5000)), None).await;
    assert!(matches!(
        allowing_private().send(get(&announced)).await,
        Err(OutboundError::TooLarge { limit: 1024, .. })
    ));
    let unannounced = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{}",
        "z".repeat(5000)
    );
    let base = server(unannounced.into_bytes(), None).await;
    assert!(matches!(
        allowing_private().send(get(&base)).await,
        Err(OutboundError::TooLarge { limit: 1024, .. })
    ));
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error_naming_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    match allowing_private().send(get(&format!("http://127.0.0.1:{port}/"))).await {
        Err(OutboundError::Transport { why, .. }) => assert!(why.to_lowercase().contains("connect"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_form_is_posted_url_encoded() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // Headers and body may come in separate segments.
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !String::from_utf8_lossy(&request).ends_with("%26c") {
            let n = socket.read(&mut buffer).await.unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..n]);
        }
        socket.write_all(&ok("{}")).await.unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    let url = url::Url::parse(&format!("{base}/token")).unwrap();
    let fetched = allowing_private()
        .send(Outgoing::form(
            url,
            &[("grant_type", "authorization_code"), ("code", "a b&c")],
        ))
        .await
        .unwrap();
    assert_eq!(fetched.status, 200);
    let request = seen.await.unwrap();
    assert!(request.starts_with("POST /token "), "{request}");
    assert!(
        request
            .to_lowercase()
            .contains("content-type: application/x-www-form-urlencoded"),
        "{request}"
    );
    assert!(
        request.ends_with("grant_type=authorization_code&code=a+b%26c"),
        "{request}"
    );
}
