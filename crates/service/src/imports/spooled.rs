//! Files the service hands out without holding them: a report or an export
//! written to a temporary file, which the caller streams or keeps. The file
//! is deleted when the value is dropped (after the last byte was sent).

use std::path::Path;

/// A temporary file with content for the caller.
#[derive(Debug)]
pub struct Spooled(tempfile::NamedTempFile);

impl Spooled {
    pub(crate) fn new(file: tempfile::NamedTempFile) -> Self {
        Self(file)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// A new handle to read it from the start.
    pub fn open(&self) -> std::io::Result<std::fs::File> {
        std::fs::File::open(self.0.path())
    }

    pub fn len(&self) -> std::io::Result<u64> {
        Ok(self.0.as_file().metadata()?.len())
    }

    pub fn is_empty(&self) -> std::io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Moves the file to `to` (copying when `to` is on another file system).
    pub fn persist(self, to: &Path) -> std::io::Result<()> {
        match self.0.persist(to) {
            Ok(_) => Ok(()),
            Err(e) => {
                std::fs::copy(e.file.path(), to)?;
                Ok(())
            }
        }
    }
}
