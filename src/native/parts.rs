//! A partitioned table stored: each partition an Arrow IPC object of its
//! own, and a partition made from the same input before (same bytes of the
//! input, same task version, same schema) taken as it was instead of made
//! again (`ObjectStore::part_made_from`). The value is a `Payload::Parts`.

use super::arrow_object::{store_written, ArrowObject, TABLE_FORMAT};
use super::{PartedProducer, Result, TaskError};
use crate::model::{Part, Payload};
use crate::store::ObjectStore;

/// How many partitions were made and how many taken as they were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartsMade {
    pub made: usize,
    pub reused: usize,
}

/// Stores `producer`'s table as partitions, making only those not made before.
pub fn write_parts(
    store: &ObjectStore,
    task: &'static str,
    producer: &dyn PartedProducer,
) -> Result<(Payload, PartsMade)> {
    let storage = |e: crate::error::Error| TaskError::Storage { task, message: e.to_string() };
    loop {
        let plans = producer.parts();
        let mut parts: Vec<Option<Part>> = plans.iter().map(|p| store.part_made_from(&p.identity)).collect();
        let wanted: Vec<usize> =
            (0..plans.len()).filter(|&k| parts[k].is_none() && super::byte_ranges::makes(k)).collect();
        let schema = producer.schema();
        let mut made: Vec<(usize, Part)> = Vec::with_capacity(wanted.len());
        let mut open: Option<(usize, std::path::PathBuf, ArrowObject)> = None;
        let mut close = |open: Option<(usize, std::path::PathBuf, ArrowObject)>| -> Result<()> {
            let Some((k, tmp, object)) = open else { return Ok(()) };
            let rows = object.rows;
            let (hash, size) = store_written(store, task, &tmp, object.finish())?;
            made.push((k, Part { name: plans[k].name.clone(), hash, size, rows }));
            Ok(())
        };
        let complete = if wanted.is_empty() {
            true
        } else {
            let complete = producer.produce_parts(task, &wanted, &mut |k, df| {
                if open.as_ref().map(|(j, ..)| *j) != Some(k) {
                    close(open.take())?;
                    let tmp = store.new_tmp_path(".arrow").map_err(storage)?;
                    let object = ArrowObject::create(task, &tmp, &schema)?;
                    open = Some((k, tmp, object));
                }
                open.as_mut().expect("opened").2.write(df)
            });
            // An unfinished file removes itself when dropped.
            let complete = complete?;
            close(open.take())?;
            complete
        };
        if !complete {
            continue; // the schema widened: partitions are planned again under it
        }
        producer.finish(task)?;
        let count = made.len();
        for (k, part) in made {
            store.remember_part(&plans[k].identity, &part).map_err(storage)?;
            parts[k] = Some(part);
        }
        if super::byte_ranges::in_stride() {
            // One of several jobs side by side: its partitions are remembered; the
            // value, of the partitions known so far, is not stored by anyone.
            let known: Vec<Part> = parts.into_iter().flatten().collect();
            let summary = PartsMade { made: count, reused: known.len() - count };
            return Ok((Payload::Parts { format: TABLE_FORMAT.into(), parts: known }, summary));
        }
        let parts: Option<Vec<Part>> = parts.into_iter().collect();
        let Some(parts) = parts else {
            return Err(TaskError::InvalidData {
                task,
                message: "a partition was not produced (its input changed?)".into(),
            });
        };
        let summary = PartsMade { made: count, reused: parts.len() - count };
        return Ok((Payload::Parts { format: TABLE_FORMAT.into(), parts }, summary));
    }
}
