//! A value being written into the object store by its producer (a native
//! task's IPC writer, polars' sink through `_core.ObjectWriter`): hashed as
//! it is written, so it is not read back to be named, and sent to the disk
//! as it comes (`writeback`), so the fsync that makes it durable finds little
//! left to do. The hash covers exactly the bytes written, in order: the
//! writer cannot seek.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::writeback;
use crate::phases::{timed, Phase};

pub struct HashedFile {
    path: PathBuf,
    /// Taken by `finish` (the file is then the caller's to store); still here
    /// when dropped unfinished, so the file goes.
    file: Option<BufWriter<File>>,
    hasher: blake3::Hasher,
    written: u64,
    flushing_from: u64,
}

impl HashedFile {
    /// A new file at `path` (a temporary path of the store).
    pub fn create(path: &Path) -> std::io::Result<HashedFile> {
        let file = File::create(path)?;
        Ok(HashedFile {
            path: path.to_owned(),
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            hasher: blake3::Hasher::new(),
            written: 0,
            flushing_from: 0,
        })
    }

    /// How many bytes were written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes to the disk and gives the blake3 hash of every byte written;
    /// the file stays at its path for `ObjectStore::ingest_synced`.
    pub fn finish(mut self) -> std::io::Result<String> {
        let file = self.file.take().expect("open until finish consumes it");
        let file = timed(Phase::Write, || file.into_inner()).map_err(|e| e.into_error())?;
        timed(Phase::Flush, || file.sync_all())?;
        Ok(self.hasher.finalize().to_hex().to_string())
    }

    fn open(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("open until finish consumes it")
    }
}

impl Write for HashedFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let file = self.open();
        let n = timed(Phase::Write, || file.write(bytes))?;
        timed(Phase::Hash, || self.hasher.update(&bytes[..n]));
        self.written += n as u64;
        if self.written - self.flushing_from >= writeback::STEP {
            let file = self.file.as_ref().expect("open: written to just above").get_ref();
            timed(Phase::Write, || writeback::start(file, self.flushing_from, self.written - self.flushing_from));
            self.flushing_from = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.open().flush()
    }
}

impl Drop for HashedFile {
    /// An unfinished file is never stored: it goes.
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_written_bytes_and_an_unfinished_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("value.part");
        let mut file = HashedFile::create(&path).unwrap();
        let bytes: Vec<u8> = (0..(40u32 << 20)).map(|i| (i % 251) as u8).collect();
        for piece in bytes.chunks(184_000) {
            file.write_all(piece).unwrap();
        }
        assert_eq!(file.written(), bytes.len() as u64);
        assert_eq!(file.finish().unwrap(), blake3::hash(&bytes).to_hex().to_string());
        assert_eq!(std::fs::read(&path).unwrap(), bytes);

        let abandoned = dir.path().join("abandoned.part");
        let mut file = HashedFile::create(&abandoned).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert!(!abandoned.exists());
    }
}
