//! Files through HTTP without holding them: an upload's body streamed into a
//! spool file as it arrives, and a spooled report or export streamed out.

use axum::body::{Body, Bytes};
use futures_util::{Stream, StreamExt};
use roster_service::{ServiceError, Spooled};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Uploads are bounded (`[limits] max_upload_mib`); the organization's row
/// limit applies on top.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// What an admin is told of a file over the limit.
pub fn upload_too_large_message(limit: usize) -> String {
    format!(
        "the file is larger than {} MB, the most one upload may be: split it into smaller files (a workbook saved as CSV is also much smaller)",
        limit / (1024 * 1024)
    )
}

/// Why an upload's body did not arrive whole.
#[derive(Debug)]
pub enum UploadError {
    TooLarge,
    /// The client's body broke off or was malformed.
    Body(String),
    Service(ServiceError),
}

/// Streams a body into a new spool file, refusing more than `limit` bytes:
/// memory holds one chunk at a time.
pub async fn spool_upload<E: std::fmt::Display>(
    service: &roster_service::Service,
    limit: usize,
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
) -> Result<tempfile::NamedTempFile, UploadError> {
    let spool = service.spool_file().map_err(UploadError::Service)?;
    let io = |e: std::io::Error| UploadError::Service(ServiceError::Internal(Box::new(e)));
    let mut file = tokio::fs::File::from_std(spool.reopen().map_err(io)?);
    let mut size = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
        size += chunk.len();
        if size > limit {
            return Err(UploadError::TooLarge);
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(spool)
}

/// A spooled file as a response body, read a piece at a time; the file is
/// deleted once the body is done.
pub fn stream_spooled(spooled: Spooled) -> std::io::Result<Body> {
    let file = tokio::fs::File::from_std(spooled.open()?);
    let pieces = futures_util::stream::unfold(Some((file, spooled)), |state| async move {
        let (mut file, spooled) = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some((file, spooled))))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok(Body::from_stream(pieces))
}

/// A ready export's file as a response body, a stored part at a time.
pub fn stream_export(reader: roster_service::exports::ExportReader) -> Body {
    let pieces = futures_util::stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        match reader.next_part().await {
            Ok(Some(part)) => Some((Ok(Bytes::from(part)), Some(reader))),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    Body::from_stream(pieces)
}

/// An RFC 6266 `Content-Disposition` for a name Roster made (letters,
/// digits, dashes, dots): the ASCII form, and the UTF-8 form for the rest.
pub fn attachment(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}
