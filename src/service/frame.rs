//! Frames on the daemon's socket: a 4-byte big-endian length, then that
//! many bytes of JSON. Both ends bound the length, so a peer cannot make
//! the other side allocate more than [`MAX_FRAME`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroize;

/// The largest frame a wizard accepts from the daemon. The largest answer
/// is an operator's listing (the audit trail), sent in one frame. The
/// daemon reads requests with a far smaller bound.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Once a frame has begun, the rest must arrive within this.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("a frame of {0} bytes is larger than allowed")]
    TooLarge(usize),
    #[error("the frame stopped before its end")]
    Truncated,
    #[error("the frame is not a message rekey knows: {0}")]
    Garbled(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads one frame's bytes. `Ok(None)` when the peer closed the stream
/// between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; 4];
    let first = reader.read(&mut header).await?;
    if first == 0 {
        return Ok(None);
    }
    let rest = async {
        reader.read_exact(&mut header[first..]).await?;
        let len = u32::from_be_bytes(header) as usize;
        if len > limit {
            return Err(FrameError::TooLarge(len));
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).await?;
        Ok(body)
    };
    match tokio::time::timeout(FRAME_TIMEOUT, rest).await {
        Ok(Ok(body)) => Ok(Some(body)),
        Ok(Err(FrameError::Io(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(FrameError::Truncated)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(FrameError::Truncated),
    }
}

/// Reads and decodes one message; the raw bytes, which may hold a code or
/// a password, are wiped.
/// A connection's byte stream: the Unix socket, or TLS over TCP.
pub trait Link: AsyncRead + AsyncWrite + Unpin + Send + Sync {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Link for T {}

pub async fn read_message<R: AsyncRead + Unpin, T: DeserializeOwned>(
    reader: &mut R,
    limit: usize,
) -> Result<Option<T>, FrameError> {
    let Some(mut body) = read_frame(reader, limit).await? else {
        return Ok(None);
    };
    let decoded = serde_json::from_slice(&body).map_err(|e| garbled(&e));
    body.zeroize();
    decoded.map(Some)
}

/// What was wrong with a frame, without the peer's bytes: serde's message
/// quotes the input, which may hold a code or a password, or a newline
/// that would forge a line of the daemon's log.
fn garbled(e: &serde_json::Error) -> FrameError {
    FrameError::Garbled(format!("{:?} error at column {}", e.classify(), e.column()))
}

/// Encodes and writes one message as a frame.
pub async fn write_message<W: AsyncWrite + Unpin, T: Serialize>(
    writer: &mut W,
    message: &T,
) -> Result<(), FrameError> {
    let mut body = serde_json::to_vec(message).map_err(|e| garbled(&e))?;
    if body.len() > MAX_FRAME {
        body.zeroize();
        return Err(FrameError::TooLarge(body.len()));
    }
    let len = u32::try_from(body.len()).map_err(|_| FrameError::TooLarge(body.len()))?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&body);
    body.zeroize();
    // A peer that stops reading must not hold a connection (and its slot)
    // by leaving a write blocked: the write has the frame's deadline too.
    let written = tokio::time::timeout(FRAME_TIMEOUT, async {
        writer.write_all(&frame).await?;
        writer.flush().await
    })
    .await;
    frame.zeroize();
    match written {
        Ok(done) => Ok(done?),
        Err(_) => Err(FrameError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the other end stopped reading",
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_frame_round_trips_and_a_closed_stream_is_none() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        write_message(&mut a, &vec!["x".to_string()]).await.unwrap();
        drop(a);
        let got: Option<Vec<String>> = read_message(&mut b, MAX_FRAME).await.unwrap();
        assert_eq!(got, Some(vec!["x".to_string()]));
        let end: Option<Vec<String>> = read_message(&mut b, MAX_FRAME).await.unwrap();
        assert_eq!(end, None);
    }

    #[tokio::test]
    async fn a_garbled_frame_is_described_without_its_contents() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        let body = b"{\"secret 123456\nrekey serve: forged\": 1}";
        a.write_all(&(body.len() as u32).to_be_bytes())
            .await
            .unwrap();
        a.write_all(body).await.unwrap();
        let read = read_message::<_, Vec<String>>(&mut b, MAX_FRAME).await;
        let Err(FrameError::Garbled(why)) = read else {
            panic!("not garbled: {read:?}");
        };
        assert_eq!(why, "Data error at column 0");
    }

    #[tokio::test]
    async fn an_oversized_header_is_refused_before_reading_the_body() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        a.write_all(&(u32::MAX).to_be_bytes()).await.unwrap();
        let got = read_frame(&mut b, 1024).await;
        assert!(matches!(got, Err(FrameError::TooLarge(n)) if n == u32::MAX as usize));
    }

    #[tokio::test]
    async fn a_frame_cut_short_is_truncated() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        a.write_all(&10u32.to_be_bytes()).await.unwrap();
        a.write_all(b"abc").await.unwrap();
        drop(a);
        assert!(matches!(
            read_frame(&mut b, 1024).await,
            Err(FrameError::Truncated)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_frame_that_stalls_times_out() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        a.write_all(&10u32.to_be_bytes()).await.unwrap();
        let read = read_frame(&mut b, 1024);
        assert!(matches!(read.await, Err(FrameError::Truncated)));
        drop(a);
    }
}
