//! scenarium's core: configuration, registry, content-addressed store and orchestrator.
//!
//! Python-free unless the `python` feature is on; everything that knows Python
//! lives in `py`.

#[macro_use]
mod macros;

pub mod block_hashes;
pub mod config;
pub mod datagen;
pub mod error;
pub mod fingerprint;
pub mod graph;
pub mod interrupt;
pub mod model;
pub mod native;
pub mod orchestrator;
pub mod phases;
pub mod read_hashes;
mod scoped;
pub mod store;
pub mod tasks;

#[cfg(feature = "python")]
pub mod py;

pub use error::{Error, Result};
