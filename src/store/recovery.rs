//! Submissions whose process died (kill -9, a crash, a power cut) must not
//! stay RUNNING forever. A process running a submission holds an exclusive
//! lock on `runs/<submission id>` for as long as it runs; the operating
//! system releases it when the process ends, however it ends. Opening the
//! store finds RUNNING submissions whose lock is free: their process is gone,
//! so their unfinished jobs are ended (RUNNING -> FAILED, not started ->
//! ABANDONED) in one transaction.
//!
//! The lock is an open file description, so a child the running process forked
//! (a task's helper that outlives it) holds it too. The lock file therefore names
//! its holder (pid, start time, boot and pid namespace): a held lock whose named
//! holder is gone, on this machine, is held by such a child and does not count.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use rusqlite::params;

use super::{update_job, Store};
use crate::error::{Error, Result};
use crate::model::{now, JobRecord, JobStatus, SubmissionRecord, SubmissionStatus};

/// Held while a submission runs in this process; dropping it releases the lock.
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

impl Store {
    /// `runs/<submission id>`; an id that is not a plain file name (a tampered
    /// registry row) is refused rather than followed outside the folder.
    fn run_lock_path(&self, submission_id: &str) -> Result<PathBuf> {
        let plain =
            !submission_id.is_empty() && submission_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
        if !plain {
            return Err(Error::InvalidArgument(format!("{submission_id:?} is not a submission id")));
        }
        Ok(self.folder.join("runs").join(submission_id))
    }

    /// Takes the lock that says "a live process runs this submission".
    pub fn run_lock(&self, submission_id: &str) -> Result<RunLock> {
        let path = self.run_lock_path(submission_id)?;
        let dir = path.parent().expect("a lock path has a folder");
        fs::create_dir_all(dir).map_err(|e| Error::storage(dir, e))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::storage(&path, e))?;
        file.try_lock().map_err(|e| Error::storage(&path, format!("the submission is already running: {e}")))?;
        if let Some(holder) = process_identity(std::process::id()) {
            // Best effort: without it a held lock is trusted, as before.
            let _ = file.set_len(0).and_then(|()| (&file).write_all(holder.as_bytes()));
        }
        Ok(RunLock { file, path })
    }

    /// Ends the submissions left RUNNING by processes that are gone; returns how many.
    pub fn recover_dead_runs(&self) -> Result<usize> {
        let unfinished: Vec<(SubmissionRecord, i64)> = self.registry.read(|tx| {
            let mut rows: Vec<(String, i64)> =
                tx.rows("SELECT body, COALESCE(pid, 0) FROM submissions ORDER BY rowid", params![])?;
            rows.retain(|(body, _)| body.contains("\"SUBMITTED\"") || body.contains("\"RUNNING\""));
            rows.into_iter().map(|(body, pid)| Ok((tx.decode(&body)?, pid))).collect::<Result<Vec<_>>>()
        })?;
        let mut recovered = 0;
        for (mut submission, pid) in unfinished {
            let dead = match submission.status {
                // Running: its process holds the run lock for as long as it lives.
                SubmissionStatus::Running => true,
                // Created but not started: dead only if the process that created it is gone.
                SubmissionStatus::Submitted => process_is_gone(pid),
                _ => false,
            };
            if !dead {
                continue;
            }
            // Free lock: nobody runs it. Held: leave it, unless its holder is gone
            // and only a child it forked keeps the lock.
            let lock = match self.run_lock(&submission.id) {
                Ok(lock) => Some(lock),
                Err(_) if self.holder_is_gone(&submission.id) => None,
                Err(_) => continue,
            };
            self.registry.write(|tx| {
                // It may have finished between the read above and the lock.
                let current: Option<SubmissionRecord> =
                    tx.one("SELECT body FROM submissions WHERE id = ?1", params![submission.id])?;
                if current.is_none_or(|c| c.status != submission.status) {
                    return Ok(());
                }
                let jobs: Vec<JobRecord> =
                    tx.all("SELECT body FROM jobs WHERE submission_id = ?1 ORDER BY seq", params![submission.id])?;
                for mut job in jobs {
                    let (status, reason) = match job.status {
                        JobStatus::Running => (
                            JobStatus::Failed,
                            "the process running this job ended before it finished (killed or crashed)",
                        ),
                        JobStatus::Submitted | JobStatus::Pending | JobStatus::Blocked => {
                            (JobStatus::Abandoned, "the process running its submission ended before it started")
                        }
                        _ => continue,
                    };
                    job.status = status;
                    job.reason = Some(reason.into());
                    job.finished_at = Some(now());
                    update_job(tx, &job)?;
                }
                submission.status = SubmissionStatus::Failed;
                submission.finished_at = Some(now());
                tx.execute(
                    "UPDATE submissions SET body = ?2 WHERE id = ?1",
                    params![submission.id, tx.encode(&submission)?],
                )?;
                Ok(())
            })?;
            drop(lock);
            recovered += 1;
        }
        Ok(recovered)
    }
}

impl Store {
    fn holder_is_gone(&self, submission_id: &str) -> bool {
        let Ok(named) =
            self.run_lock_path(submission_id).and_then(|p| fs::read_to_string(&p).map_err(|e| Error::storage(&p, e)))
        else {
            return false;
        };
        let mut fields = named.split_whitespace();
        let (Some(pid), Some(_)) = (fields.next().and_then(|p| p.parse::<u32>().ok()), fields.next()) else {
            return false;
        };
        // Another machine or pid namespace: its pids mean nothing here.
        let here = process_identity(std::process::id()).unwrap_or_default();
        if named.split_whitespace().skip(2).ne(here.split_whitespace().skip(2)) {
            return false;
        }
        process_identity(pid).is_none_or(|now| now.trim() != named.trim())
    }
}

/// "pid start-time boot-id pid-namespace" of a live process (Linux), None
/// where that cannot be known: a pid reused by a later process differs by its
/// start time.
fn process_identity(pid: u32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    let start_time = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().nth(19)?;
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{pid} {start_time} {} {}\n", boot.trim(), namespace.display()))
}

/// Whether process `pid` no longer exists (Linux: no /proc entry; elsewhere unknown, so no).
fn process_is_gone(pid: i64) -> bool {
    let proc_root = std::path::Path::new("/proc");
    pid > 0 && proc_root.join("self").exists() && !proc_root.join(pid.to_string()).exists()
}
