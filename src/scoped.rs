//! A thread-local value set for the length of one call, and put back as it
//! was afterwards, even when the call panics: what a job's thread carries for
//! the code it runs (its interrupt flag, the files it wants hashed as read).

use std::cell::RefCell;
use std::thread::LocalKey;

pub type Slot<T> = LocalKey<RefCell<Option<T>>>;

/// Runs `f` with `value` in `slot` on this thread.
pub fn with<T: 'static, R>(slot: &'static Slot<T>, value: Option<T>, f: impl FnOnce() -> R) -> R {
    struct Restore<T: 'static>(&'static Slot<T>, Option<T>);
    impl<T: 'static> Drop for Restore<T> {
        fn drop(&mut self) {
            let previous = self.1.take();
            self.0.with(|cell| *cell.borrow_mut() = previous);
        }
    }
    let _restore = Restore(slot, slot.with(|cell| cell.replace(value)));
    f()
}

/// A copy of this thread's value in `slot`.
pub fn current<T: Clone + 'static>(slot: &'static Slot<T>) -> Option<T> {
    slot.with(|cell| cell.borrow().clone())
}
