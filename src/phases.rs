//! Where a job's seconds go, for the benchmarks' profiles: CPU time of the
//! threads doing each phase (reading, hashing, parsing, encoding, writing,
//! flushing), summed over threads, and printed to stderr at the end of each
//! native task when the environment sets `SCENARIUM_PHASES=1`.
//!
//! The counts are the process's: a report covers every thread's time since
//! the last one, so jobs running side by side share it (profile one at a time).
//! Off (the default), a timed phase costs one relaxed load.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading an input file into memory.
    Read,
    /// Parsing text into columns (and computing what is computed per row).
    Parse,
    /// Turning columns into the stored format (the writer's own work).
    Encode,
    /// Hashing what is written.
    Hash,
    /// Hashing an input file as it is read (`read_hashes`).
    Fingerprint,
    /// Handing written bytes to the operating system.
    Write,
    /// Waiting for the disk before the value is recorded.
    Flush,
}

const PHASES: [Phase; 7] =
    [Phase::Read, Phase::Parse, Phase::Encode, Phase::Hash, Phase::Fingerprint, Phase::Write, Phase::Flush];

static CPU_NS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];
/// 0: not looked up yet, 1: off, 2: on.
static STATE: AtomicU8 = AtomicU8::new(0);

fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var_os("SCENARIUM_PHASES").is_some_and(|v| v == "1");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        state => state == 2,
    }
}

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    #[cfg(unix)]
    {
        let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: a plain system call writing into a local.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0 {
            return now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64;
        }
    }
    0
}

thread_local! {
    static CURRENT: std::cell::Cell<Option<Phase>> = const { std::cell::Cell::new(None) };
}

/// Runs `f`, counting the calling thread's CPU time to `phase`. A phase timed
/// inside another counts to itself only (the writer's encoding is what its
/// `write` calls, timed as writing and hashing, leave over).
#[inline]
pub fn timed<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let outer = CURRENT.with(|c| c.replace(Some(phase)));
    let start = thread_cpu_ns();
    let out = f();
    let spent = thread_cpu_ns().saturating_sub(start);
    CURRENT.with(|c| c.set(outer));
    CPU_NS[phase as usize].fetch_add(spent, Ordering::Relaxed);
    if let Some(outer) = outer {
        // Wraps below zero for a moment: the outer phase adds its whole time when it ends.
        CPU_NS[outer as usize].fetch_sub(spent, Ordering::Relaxed);
    }
    out
}

/// The CPU seconds counted so far, by phase, and resets them.
pub fn take() -> Vec<(Phase, f64)> {
    PHASES.iter().map(|&p| (p, CPU_NS[p as usize].swap(0, Ordering::Relaxed) as i64 as f64 / 1e9)).collect()
}

/// Prints what `take` gives, for `task`, when profiling is on.
pub fn report(task: &str, wall: std::time::Duration) {
    if !enabled() {
        return;
    }
    let parts: Vec<String> =
        take().into_iter().filter(|(_, s)| *s > 0.0).map(|(p, s)| format!("{p:?} {s:.3}")).collect();
    eprintln!("scenarium phases: {task}: wall {:.2} s; CPU s: {}", wall.as_secs_f64(), parts.join(", "));
}
