//! Getting a value's bytes to the disk while they are still being written,
//! so that the fsync before the value is recorded finds little left to do.
//!
//! The kernel starts writing dirty pages on its own only past
//! `dirty_background_ratio` of memory (10%: 2.4 GB on these 24 GiB machines),
//! so an intermediate of a gigabyte or two sat in memory until that fsync
//! wrote it whole: 1.5 s a GiB here, after the writer was done
//! (benches/results/intermediates.md). Asking for each written stretch to go
//! out as it comes (`sync_file_range`, which does not wait) overlaps the disk
//! with the writing. Nothing here decides durability: the fsync still does.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How much is written before the disk is asked to start storing it.
pub const STEP: u64 = 32 << 20;

/// Asks the disk to start writing `len` bytes of `file` from `offset`,
/// without waiting. Failure only leaves the work to the final fsync.
pub fn start(file: &std::fs::File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain system call on an open file.
        unsafe { libc::sync_file_range(file.as_raw_fd(), offset as i64, len as i64, libc::SYNC_FILE_RANGE_WRITE) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// Follows a file another program or library appends to (polars' sink,
/// pyarrow's writer) and starts the disk on it every [`STEP`] bytes, until
/// stopped or dropped.
pub struct Follower {
    stopped: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How often the file's size is looked at.
const POLL: Duration = Duration::from_millis(20);

impl Follower {
    /// Starts following `path` (which may not exist yet: it is opened once it does).
    pub fn start(path: PathBuf) -> Follower {
        let stopped = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stopped.clone();
        let thread =
            std::thread::Builder::new().name("scenarium-writeback".into()).spawn(move || follow(&path, &flag)).ok();
        Follower { stopped, thread }
    }

    /// Stops following and waits for the follower to end (at most one poll).
    pub fn stop(&mut self) {
        let (lock, wake) = &*self.stopped;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop();
    }
}

fn follow(path: &std::path::Path, stopped: &(Mutex<bool>, Condvar)) {
    let (lock, wake) = stopped;
    let mut file: Option<std::fs::File> = None;
    let mut flushed = 0u64;
    let mut done = lock.lock().unwrap_or_else(|p| p.into_inner());
    while !*done {
        if file.is_none() {
            file = std::fs::File::open(path).ok();
        }
        if let Some(f) = &file {
            let written = f.metadata().map_or(0, |m| m.len());
            // A writer that starts the file again (truncates it) starts the count again.
            flushed = flushed.min(written);
            if written - flushed >= STEP {
                start(f, flushed, written - flushed);
                flushed = written;
            }
        }
        done = wake.wait_timeout(done, POLL).unwrap_or_else(|p| p.into_inner()).0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn follows_a_file_created_after_it_started_and_stops_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing.part");
        let mut follower = Follower::start(path.clone());
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![7u8; 1 << 20];
        for _ in 0..40 {
            file.write_all(&chunk).unwrap();
        }
        std::thread::sleep(POLL * 3);
        let started = std::time::Instant::now();
        follower.stop();
        assert!(started.elapsed() < Duration::from_secs(1));
        file.sync_all().unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 40 << 20, "the bytes are the writer's alone");
        drop(follower);
    }

    #[test]
    fn a_path_that_never_appears_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut follower = Follower::start(dir.path().join("never"));
        std::thread::sleep(POLL * 2);
        follower.stop();
    }
}
