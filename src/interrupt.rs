//! Stopping native work part-way when the user interrupts a submission
//! (Ctrl-C). The orchestrator runs each job with its submission's flag set
//! on the job's thread; the loops that read or write data block by block ask
//! `requested()`, and the threads they start carry the flag on (`current`,
//! then `with`). Work outside a job (a direct call from Python) has no flag.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

thread_local! {
    static FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Runs `f` with `flag` as this thread's interrupt flag.
pub fn with<R>(flag: Option<Arc<AtomicBool>>, f: impl FnOnce() -> R) -> R {
    crate::scoped::with(&FLAG, flag, f)
}

/// This thread's flag, for the threads it starts.
pub fn current() -> Option<Arc<AtomicBool>> {
    crate::scoped::current(&FLAG)
}

/// Whether this thread's work was asked to stop.
pub fn requested() -> bool {
    FLAG.with(|cell| cell.borrow().as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)))
}

/// A check for threads that do not carry the flag (rayon's): an
/// `Interrupted` error once this thread's work is asked to stop.
pub fn io_check() -> impl Fn() -> std::io::Result<()> + Sync {
    let flag = current();
    move || match flag.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)) {
        true => Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted")),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_holds_for_the_call_and_passes_to_started_threads() {
        let flag = Arc::new(AtomicBool::new(false));
        assert!(!requested());
        with(Some(flag.clone()), || {
            flag.store(true, Ordering::Relaxed);
            assert!(requested());
            let inherited = current();
            let in_thread = std::thread::spawn(move || with(inherited, requested)).join().unwrap();
            assert!(in_thread);
            assert!(!std::thread::spawn(requested).join().unwrap(), "a thread without it is not stopped");
        });
        assert!(!requested(), "the flag ends with the call");
    }
}
