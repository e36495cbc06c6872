//! What a job's partitioned outputs changed, said in its reason: how many
//! partitions are new and how many are as in the version before.

use std::collections::HashSet;

use crate::error::Result;
use crate::model::{DataNodeRecord, NewValue, Payload};
use crate::store::Store;

/// `"scored_df: 2 of 42 partitions new, 40 as in version 3"`, per partitioned output.
pub fn parts_notes(store: &Store, outputs: &[DataNodeRecord], values: &[NewValue]) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    for (node, value) in outputs.iter().zip(values) {
        let Payload::Parts { parts, .. } = &value.payload else { continue };
        let before = store.latest_version(&node.id)?;
        let old: HashSet<&str> = match before.as_ref().map(|v| &v.payload) {
            Some(Payload::Parts { parts, .. }) => parts.iter().map(|p| p.hash.as_str()).collect(),
            _ => HashSet::new(),
        };
        let kept = parts.iter().filter(|p| old.contains(p.hash.as_str())).count();
        let total = parts.len();
        notes.push(match (&before, kept) {
            (Some(v), 1..) => {
                let new: HashSet<&str> = parts.iter().map(|p| p.hash.as_str()).collect();
                let removed = old.iter().filter(|h| !new.contains(*h)).count();
                let removed = if removed > 0 { format!(", {removed} of its partitions gone") } else { String::new() };
                format!(
                    "{}: {} of {total} partitions new, {kept} as in version {}{removed}",
                    node.config_id,
                    total - kept,
                    v.version
                )
            }
            _ if total == 0 => format!("{}: no partitions", node.config_id),
            _ if total == 1 => format!("{}: 1 partition, new", node.config_id),
            _ => format!("{}: {total} partitions, all new", node.config_id),
        });
    }
    Ok(notes)
}
