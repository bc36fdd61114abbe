//! A small SMTP server on loopback for tests and benchmarks: it speaks
//! real SMTP over TCP (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
//! answers the end of each message as it is told.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the test server answers the end of DATA, message by message.
#[derive(Clone)]
pub enum Answer {
    Accept,
    Later,
    Never,
}

/// A small SMTP server: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<String>>>,
}

/// Where accepted messages go: kept for `received`, or handed on one by
/// one (a long run that must not keep them all).
#[derive(Clone)]
enum Inbox {
    Kept(Arc<Mutex<Vec<String>>>),
    Forwarded(tokio::sync::mpsc::UnboundedSender<String>),
}

impl SmtpServer {
    pub async fn start(answers: Vec<Answer>) -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), answers)
    }

    pub fn start_on(listener: TcpListener, answers: Vec<Answer>) -> Self {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(answers));
        let inbox = Inbox::Kept(received.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, inbox.clone(), answers.clone()));
            }
        });
        Self { port, received }
    }

    /// A server that accepts every message and sends it to `to` instead
    /// of keeping it.
    pub async fn forwarding(to: tokio::sync::mpsc::UnboundedSender<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let answers = Arc::new(Mutex::new(vec![Answer::Accept]));
        let inbox = Inbox::Forwarded(to);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, inbox.clone(), answers.clone()));
            }
        });
        Self {
            port,
            received: Arc::default(),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

async fn serve(socket: tokio::net::TcpStream, inbox: Inbox, answers: Arc<Mutex<Vec<Answer>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 test.example ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-test.example\r\n250 8BITMIME\r\n",
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            "DATA" => {
                let _ = write.write_all(b"354 go on\r\n").await;
                let mut message = String::new();
                while let Ok(Some(data)) = lines.next_line().await {
                    if data == "." {
                        break;
                    }
                    message.push_str(&data);
                    message.push('\n');
                }
                let answer = {
                    let mut answers = answers.lock().unwrap();
                    if answers.len() > 1 {
                        answers.remove(0)
                    } else {
                        answers[0].clone()
                    }
                };
                match answer {
                    Answer::Accept => {
                        match &inbox {
                            Inbox::Kept(kept) => kept.lock().unwrap().push(message),
                            Inbox::Forwarded(to) => {
                                let _ = to.send(message);
                            }
                        }
                        b"250 queued as 1\r\n"
                    }
                    Answer::Later => b"451 4.3.0 mailbox busy, try later\r\n",
                    Answer::Never => b"550 5.1.1 no such mailbox here\r\n",
                }
            }
            _ => b"502 not here\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
