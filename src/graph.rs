//! The task DAG: which task feeds which, in what order they can run, and a
//! cycle report that names the tasks and data nodes involved.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::{Error, Result};

/// A task seen only by what it reads and writes.
#[derive(Clone, Debug)]
pub struct TaskNode {
    pub id: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

#[derive(Debug)]
pub struct TaskGraph {
    tasks: Vec<TaskNode>,
    /// Indices into `tasks`, each task after every task it depends on.
    order: Vec<usize>,
    /// For each task, the tasks that write one of its inputs.
    upstream: Vec<Vec<usize>>,
}

impl TaskGraph {
    pub fn new(tasks: Vec<TaskNode>) -> Result<Self> {
        let mut writer_of: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, task) in tasks.iter().enumerate() {
            for out in &task.outputs {
                writer_of.insert(out.as_str(), i);
            }
        }
        let mut graph: DiGraph<usize, &str> = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..tasks.len()).map(|i| graph.add_node(i)).collect();
        let mut upstream = vec![Vec::new(); tasks.len()];
        for (i, task) in tasks.iter().enumerate() {
            for input in &task.inputs {
                if let Some(&w) = writer_of.get(input.as_str()) {
                    graph.add_edge(nodes[w], nodes[i], input.as_str());
                    if !upstream[i].contains(&w) {
                        upstream[i].push(w);
                    }
                }
            }
        }
        if let Some(cycle) = cycles(&tasks).into_iter().next() {
            return Err(Error::Config(cycle.to_string()));
        }
        let order = stable_topological_order(&upstream);
        Ok(TaskGraph { tasks, order, upstream })
    }

    pub fn tasks(&self) -> &[TaskNode] {
        &self.tasks
    }

    /// Task indices in an order where every task comes after its upstream tasks.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    pub fn upstream(&self, task: usize) -> &[usize] {
        &self.upstream[task]
    }

    /// Groups of tasks that can run at the same time, each after the previous.
    pub fn waves(&self) -> Vec<Vec<usize>> {
        let mut level = vec![0usize; self.tasks.len()];
        for &t in &self.order {
            level[t] = self.upstream[t].iter().map(|&u| level[u] + 1).max().unwrap_or(0);
        }
        let depth = level.iter().copied().max().map_or(0, |m| m + 1);
        let mut waves = vec![Vec::new(); depth];
        for &t in &self.order {
            waves[level[t]].push(t);
        }
        waves
    }
}

/// Kahn's algorithm, always taking the ready task declared first, so that
/// independent tasks keep the order the user gave them.
fn stable_topological_order(upstream: &[Vec<usize>]) -> Vec<usize> {
    let mut waiting: Vec<usize> = upstream.iter().map(Vec::len).collect();
    let mut downstream = vec![Vec::new(); upstream.len()];
    for (task, ups) in upstream.iter().enumerate() {
        for &u in ups {
            downstream[u].push(task);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> = (0..upstream.len()).filter(|&t| waiting[t] == 0).collect();
    let mut order = Vec::with_capacity(upstream.len());
    while let Some(task) = ready.pop_first() {
        order.push(task);
        for &d in &downstream[task] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.insert(d);
            }
        }
    }
    order
}

/// Tasks that each need another's output, and the data nodes that close the loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// Sorted.
    pub tasks: Vec<String>,
    /// Written by one member and read by another, sorted.
    pub data_nodes: Vec<String>,
}

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = |items: &[String]| items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", ");
        write!(
            f,
            "cycle through tasks {} and data nodes {}: each needs another's output (a task cannot depend on its own \
             output)",
            quoted(&self.tasks),
            quoted(&self.data_nodes)
        )
    }
}

/// Every cycle among `tasks` (a task reading its own output is one too).
pub fn cycles(tasks: &[TaskNode]) -> Vec<Cycle> {
    let mut writers: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, task) in tasks.iter().enumerate() {
        for out in &task.outputs {
            writers.entry(out.as_str()).or_default().push(i);
        }
    }
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..tasks.len()).map(|i| graph.add_node(i)).collect();
    for (reader, task) in tasks.iter().enumerate() {
        for input in &task.inputs {
            for &writer in writers.get(input.as_str()).into_iter().flatten() {
                graph.add_edge(nodes[writer], nodes[reader], ());
            }
        }
    }
    let mut found: Vec<Cycle> = tarjan_scc(&graph)
        .into_iter()
        .filter(|component| component.len() > 1 || graph.contains_edge(component[0], component[0]))
        .map(|component| {
            let members: Vec<&TaskNode> = component.iter().map(|n| &tasks[graph[*n]]).collect();
            let mut ids: Vec<String> = members.iter().map(|t| t.id.clone()).collect();
            ids.sort_unstable();
            let written: BTreeSet<&String> = members.iter().flat_map(|t| &t.outputs).collect();
            let read: BTreeSet<&String> = members.iter().flat_map(|t| &t.inputs).collect();
            let data_nodes = written.intersection(&read).map(|d| d.to_string()).collect();
            Cycle { tasks: ids, data_nodes }
        })
        .collect();
    found.sort_by(|a, b| a.tasks.cmp(&b.tasks));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, inputs: &[&str], outputs: &[&str]) -> TaskNode {
        TaskNode {
            id: id.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn article_pipeline_order_and_waves() {
        // Declared out of order on purpose.
        let g = TaskGraph::new(vec![
            t("t4", &["seg_result", "segmented", "stat"], &["summary"]),
            t("t2", &["scored", "pay", "score"], &["segmented"]),
            t("t1", &["path"], &["scored"]),
            t("t3", &["segmented", "metric"], &["seg_result"]),
        ])
        .unwrap();
        let ids: Vec<&str> = g.order().iter().map(|&i| g.tasks()[i].id.as_str()).collect();
        assert_eq!(ids, ["t1", "t2", "t3", "t4"]);
        assert_eq!(g.waves().len(), 4);
    }

    #[test]
    fn independent_tasks_share_a_wave() {
        let g =
            TaskGraph::new(vec![t("a", &["x"], &["y"]), t("b", &["x"], &["z"]), t("c", &["y", "z"], &["w"])]).unwrap();
        let waves = g.waves();
        assert_eq!(waves.len(), 2);
        assert_eq!(waves[0].len(), 2);
    }

    #[test]
    fn cycle_is_named() {
        let err = TaskGraph::new(vec![t("a", &["x"], &["y"]), t("b", &["y"], &["x"]), t("c", &["x"], &["z"])])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"a\", \"b\"") && err.contains("\"x\"") && err.contains("\"y\""), "{err}");
        assert!(!err.contains("\"c\""), "{err}");
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let err = TaskGraph::new(vec![t("a", &["x"], &["x"])]).unwrap_err().to_string();
        assert!(err.contains("cycle"), "{err}");
    }
}
