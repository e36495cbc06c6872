//! Making scenarios from a spec, and bringing a stored scenario up to a newer,
//! compatible spec.

use std::collections::BTreeMap;

use rusqlite::params;

use super::{insert_version, NewValue, Store, Tx};
use crate::config::{validate, DataNodeConfig, InputBinding, ScenarioSpec, Scope, TaskConfig};
use crate::error::{Error, Result};
use crate::model::{new_id, now, DataNodeRecord, ScenarioRecord, TaskRecord, Timestamp};

impl Store {
    /// Creates a scenario, its data nodes (reusing shared ones as their scope
    /// says), their default values and its tasks, in one transaction.
    pub fn create_scenario(
        &self,
        spec: &ScenarioSpec,
        name: Option<String>,
        creation_date: Option<Timestamp>,
        defaults: &BTreeMap<String, NewValue>,
    ) -> Result<ScenarioRecord> {
        validate::check_spec(spec)?;
        self.refuse_spec_paths_in_store(spec)?;
        let graph = spec.task_graph()?;
        let creation_date = creation_date.unwrap_or_else(now);
        let scenario_id = new_id("SCENARIO", &spec.id);
        let cycle_id = spec.frequency.map(|f| cycle_key(f, creation_date));
        let record =
            self.create_scenario_records(spec, &graph, name, creation_date, &scenario_id, cycle_id, defaults)?;
        self.write_default_files(&record)?;
        Ok(record)
    }

    /// A file-backed node's default value goes to its path when nothing is there
    /// yet (as Taipy writes default_data); a file already there is the user's and
    /// becomes a version when the node is first read.
    fn write_default_files(&self, record: &ScenarioRecord) -> Result<()> {
        for dn_id in record.data_nodes.values() {
            let node = self.data_node(dn_id)?;
            let Some(path) = super::file_nodes::file_node_path(&node) else { continue };
            if path.exists() {
                continue;
            }
            if let Some(version) = self.latest_version(dn_id)? {
                self.write_copy(&node, &version)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn create_scenario_records(
        &self,
        spec: &ScenarioSpec,
        graph: &crate::graph::TaskGraph,
        name: Option<String>,
        creation_date: Timestamp,
        scenario_id: &str,
        cycle_id: Option<String>,
        defaults: &BTreeMap<String, NewValue>,
    ) -> Result<ScenarioRecord> {
        let scenario_id = scenario_id.to_owned();
        self.registry.write(|tx| {
            record_version(tx, spec)?;
            let mut data_nodes = BTreeMap::new();
            for dn_cfg in &spec.data_nodes {
                let id = instantiate_data_node(tx, dn_cfg, &scenario_id, cycle_id.as_deref(), defaults)?;
                data_nodes.insert(dn_cfg.id.clone(), id);
            }
            let mut tasks = Vec::new();
            for &index in graph.order() {
                let cfg = &spec.tasks[index];
                tasks.push((cfg.id.clone(), instantiate_task(tx, cfg, &scenario_id, &data_nodes)?));
            }
            let has_primary: Option<i64> = tx.scalar(
                "SELECT 1 FROM scenarios WHERE config_id = ?1 AND json_extract(body, '$.is_primary') \
                 AND json_extract(body, '$.cycle_id') IS ?2",
                params![spec.id, cycle_id],
            )?;
            let record = ScenarioRecord {
                id: scenario_id.clone(),
                config_id: spec.id.clone(),
                config_version: spec.version(),
                name,
                creation_date,
                is_primary: has_primary.is_none(),
                tags: Vec::new(),
                cycle_id: cycle_id.clone(),
                data_nodes,
                tasks,
                sequences: spec.sequences(),
                sequence_properties: BTreeMap::new(),
            };
            tx.execute(
                "INSERT INTO scenarios (id, config_id, creation_date, body) VALUES (?1, ?2, ?3, ?4)",
                params![record.id, record.config_id, record.creation_date, tx.encode(&record)?],
            )?;
            Ok(record)
        })
    }

    /// The GLOBAL data node of `dn_cfg` (Taipy's `create_global_data_node`): the
    /// existing one, or a new one holding `default` — in one transaction.
    pub fn create_global_data_node(
        &self,
        dn_cfg: &DataNodeConfig,
        default: Option<NewValue>,
    ) -> Result<DataNodeRecord> {
        validate::check_identifier("data node", &dn_cfg.id)?;
        if dn_cfg.scope != Scope::Global {
            return Err(Error::InvalidArgument(format!(
                "data node config {:?} has scope {}: only GLOBAL data nodes exist without a scenario",
                dn_cfg.id, dn_cfg.scope
            )));
        }
        let defaults: BTreeMap<String, NewValue> = default.into_iter().map(|v| (dn_cfg.id.clone(), v)).collect();
        let id = self.registry.write(|tx| instantiate_data_node(tx, dn_cfg, "", None, &defaults))?;
        self.data_node(&id)
    }

    /// Brings a scenario to `spec` when the change only adds tasks or data
    /// nodes (changed defaults do not count: existing values stay); otherwise
    /// fails with `ConfigVersionMismatch` listing every difference.
    pub fn upgrade_scenario(
        &self,
        id: &str,
        spec: &ScenarioSpec,
        defaults: &BTreeMap<String, NewValue>,
    ) -> Result<ScenarioRecord> {
        let scenario = self.scenario(id)?;
        if scenario.config_version == spec.version() {
            return Ok(scenario);
        }
        let old = self.config_spec(&scenario.config_version)?;
        let differences = incompatibilities(&old, spec);
        if !differences.is_empty() {
            return Err(Error::ConfigVersionMismatch(format!(
                "scenario {id} was made with configuration version {} of {:?}, and the current configuration \
                 changes what it has already run: {}. Create a new scenario from the current configuration, \
                 or restore the old one to keep working with this scenario",
                scenario.config_version,
                spec.id,
                differences.join("; ")
            )));
        }
        validate::check_spec(spec)?;
        self.refuse_spec_paths_in_store(spec)?;
        let graph = spec.task_graph()?;
        self.registry.write(|tx| {
            record_version(tx, spec)?;
            let mut record = scenario.clone();
            let added: Vec<&DataNodeConfig> =
                spec.data_nodes.iter().filter(|d| !scenario.data_nodes.contains_key(&d.id)).collect();
            for dn_cfg in added {
                let dn = instantiate_data_node(tx, dn_cfg, id, record.cycle_id.as_deref(), defaults)?;
                record.data_nodes.insert(dn_cfg.id.clone(), dn);
            }
            let existing: BTreeMap<String, String> = record.tasks.iter().cloned().collect();
            record.tasks.clear();
            for &index in graph.order() {
                let cfg = &spec.tasks[index];
                let task_id = match existing.get(&cfg.id) {
                    Some(task_id) => task_id.clone(),
                    None => instantiate_task(tx, cfg, id, &record.data_nodes)?,
                };
                record.tasks.push((cfg.id.clone(), task_id));
            }
            record.config_version = spec.version();
            tx.execute("UPDATE scenarios SET body = ?2 WHERE id = ?1", params![id, tx.encode(&record)?])?;
            Ok(record)
        })
    }
}

fn record_version(tx: &Tx<'_>, spec: &ScenarioSpec) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO config_versions (version, config_id, created_at, body) VALUES (?1, ?2, ?3, ?4)",
        params![spec.version(), spec.id, now(), tx.encode(spec)?],
    )?;
    Ok(())
}

fn instantiate_data_node(
    tx: &Tx<'_>,
    dn_cfg: &DataNodeConfig,
    scenario_id: &str,
    cycle_id: Option<&str>,
    defaults: &BTreeMap<String, NewValue>,
) -> Result<String> {
    let owner = match dn_cfg.scope {
        Scope::Scenario => Some(scenario_id.to_owned()),
        Scope::Cycle => cycle_id.map(str::to_owned),
        Scope::Global => None,
    };
    if dn_cfg.scope != Scope::Scenario {
        let shared: Option<DataNodeRecord> = tx.one(
            "SELECT body FROM data_nodes WHERE config_id = ?1 AND scope = ?2 AND owner_id IS ?3",
            params![dn_cfg.id, dn_cfg.scope.as_str(), owner],
        )?;
        if let Some(existing) = shared {
            return Ok(existing.id);
        }
    }
    let record = DataNodeRecord {
        id: new_id("DATANODE", &dn_cfg.id),
        config_id: dn_cfg.id.clone(),
        scope: dn_cfg.scope,
        owner_id: owner.clone(),
        storage_type: dn_cfg.storage_type,
        validity_period_s: dn_cfg.validity_period_s,
        properties: dn_cfg.properties.clone(),
    };
    tx.execute(
        "INSERT INTO data_nodes (id, config_id, scope, owner_id, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![record.id, record.config_id, record.scope.as_str(), owner, tx.encode(&record)?],
    )?;
    if let Some(value) = defaults.get(&dn_cfg.id) {
        insert_version(tx, &record.id, value, "default", None)?;
    }
    Ok(record.id)
}

fn instantiate_task(
    tx: &Tx<'_>,
    cfg: &TaskConfig,
    scenario_id: &str,
    data_nodes: &BTreeMap<String, String>,
) -> Result<String> {
    let record = TaskRecord {
        id: new_id("TASK", &cfg.id),
        config_id: cfg.id.clone(),
        scenario_id: scenario_id.to_owned(),
        function: cfg.function.clone(),
        inputs: cfg
            .inputs
            .iter()
            .map(|b| InputBinding { param: b.param.clone(), data_node: data_nodes[&b.data_node].clone() })
            .collect(),
        outputs: cfg.outputs.iter().map(|o| data_nodes[o].clone()).collect(),
        skippable: cfg.skippable,
        properties: cfg.properties.clone(),
    };
    tx.execute(
        "INSERT INTO tasks (id, scenario_id, body) VALUES (?1, ?2, ?3)",
        params![record.id, scenario_id, tx.encode(&record)?],
    )?;
    Ok(record.id)
}

/// What `new` changes of what `old` already has (additions are compatible).
fn incompatibilities(old: &ScenarioSpec, new: &ScenarioSpec) -> Vec<String> {
    let mut out = Vec::new();
    for dn in &old.data_nodes {
        match new.data_node(&dn.id) {
            None => out.push(format!("data node {:?} was removed", dn.id)),
            Some(n) => {
                if n.storage_type != dn.storage_type {
                    out.push(format!("data node {:?}: storage_type {} -> {}", dn.id, dn.storage_type, n.storage_type));
                }
                if n.scope != dn.scope {
                    out.push(format!("data node {:?}: scope {} -> {}", dn.id, dn.scope, n.scope));
                }
                if n.properties != dn.properties || n.validity_period_s != dn.validity_period_s {
                    out.push(format!("data node {:?}: its properties changed", dn.id));
                }
            }
        }
    }
    for task in &old.tasks {
        match new.tasks.iter().find(|t| t.id == task.id) {
            None => out.push(format!("task {:?} was removed", task.id)),
            Some(t) => {
                if t.function != task.function {
                    out.push(format!("task {:?}: function {} -> {}", task.id, task.function, t.function));
                }
                if t.inputs != task.inputs {
                    let names =
                        |c: &TaskConfig| c.inputs.iter().map(|i| i.data_node.clone()).collect::<Vec<_>>().join(", ");
                    out.push(format!("task {:?}: inputs [{}] -> [{}]", task.id, names(task), names(t)));
                }
                if t.outputs != task.outputs {
                    out.push(format!(
                        "task {:?}: outputs [{}] -> [{}]",
                        task.id,
                        task.outputs.join(", "),
                        t.outputs.join(", ")
                    ));
                }
                if t.skippable != task.skippable || t.properties != task.properties {
                    out.push(format!("task {:?}: skippable or properties changed", task.id));
                }
            }
        }
    }
    out
}

/// The cycle a date falls in, e.g. `CYCLE_MONTHLY_2026-11`.
fn cycle_key(frequency: crate::config::Frequency, date: Timestamp) -> String {
    use crate::config::Frequency::*;
    let days = (date / 86_400.0).floor() as i64;
    let (y, m, d) = crate::model::civil_from_days(days);
    let period = match frequency {
        Daily => format!("{y:04}-{m:02}-{d:02}"),
        // 1970-01-05 was a Monday.
        Weekly => format!("W{}", (days - 4).div_euclid(7)),
        Monthly => format!("{y:04}-{m:02}"),
        Quarterly => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
        Yearly => format!("{y:04}"),
    };
    format!("CYCLE_{}_{}", frequency.as_str(), period)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::config::validate::tests::{dn, task};
    use crate::config::ScenarioSpec;
    use crate::error::Error;
    use crate::store::tests::open;

    fn spec(tasks: Vec<crate::config::TaskConfig>, nodes: &[&str]) -> ScenarioSpec {
        ScenarioSpec {
            id: "s".into(),
            tasks,
            data_nodes: nodes.iter().map(|n| dn(n)).collect(),
            additional_data_nodes: vec![],
            frequency: None,
            properties: Default::default(),
        }
    }

    #[test]
    fn additions_upgrade_and_changes_are_refused_with_every_difference() {
        let (_dir, store) = open();
        let v1 = spec(vec![task("t1", &["a"], &["b"])], &["a", "b"]);
        let s = store.create_scenario(&v1, None, None, &BTreeMap::new()).unwrap();
        let v2 = spec(vec![task("t1", &["a"], &["b"]), task("t2", &["b"], &["c"])], &["a", "b", "c"]);
        let up = store.upgrade_scenario(&s.id, &v2, &BTreeMap::new()).unwrap();
        assert_eq!(up.config_version, v2.version());
        assert_eq!(up.tasks.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["t1", "t2"]);
        assert_eq!(up.tasks[0], s.tasks[0], "existing tasks keep their ids");
        assert!(up.data_nodes.contains_key("c"));

        let mut v3 = v2.clone();
        v3.tasks[0].skippable = false;
        v3.data_nodes.retain(|d| d.id != "c");
        v3.tasks.pop();
        let err = store.upgrade_scenario(&s.id, &v3, &BTreeMap::new()).unwrap_err();
        let Error::ConfigVersionMismatch(message) = err else { panic!("{err}") };
        assert!(message.contains("data node \"c\" was removed"), "{message}");
        assert!(message.contains("task \"t2\" was removed"), "{message}");
        assert!(message.contains("task \"t1\": skippable"), "{message}");
    }
}
