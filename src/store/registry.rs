//! The registry: one SQLite database (WAL) holding every entity as a JSON body
//! beside the columns it is looked up by. Each state change is one transaction.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// 2: `job_cache_shapes` (a registry of schema 1 gets an unknown shape, `*`, for each
/// cache entry it holds: any of them may match a job whose files are not hashed yet).
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS config_versions (
    version TEXT PRIMARY KEY, config_id TEXT NOT NULL, created_at REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (
    id TEXT PRIMARY KEY, config_id TEXT NOT NULL, creation_date REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS data_nodes (
    id TEXT PRIMARY KEY, config_id TEXT NOT NULL, scope TEXT NOT NULL, owner_id TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS data_nodes_by_owner ON data_nodes (config_id, scope, owner_id);
CREATE TABLE IF NOT EXISTS versions (
    data_node_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (data_node_id, version));
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, scenario_id TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_by_scenario ON tasks (scenario_id);
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, created_at REAL NOT NULL, pid INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, submission_id TEXT NOT NULL, task_id TEXT NOT NULL, seq INTEGER NOT NULL,
    status TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_submission ON jobs (submission_id, seq);
CREATE INDEX IF NOT EXISTS jobs_by_task ON jobs (task_id, status);
CREATE TABLE IF NOT EXISTS file_fingerprints (
    path TEXT PRIMARY KEY, stat TEXT NOT NULL, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS materialized_files (
    path TEXT PRIMARY KEY, data_node_id TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_cache (
    cache_key TEXT PRIMARY KEY, job_id TEXT NOT NULL, created_at REAL NOT NULL, body TEXT NOT NULL);
-- The shape of a cached result whose inputs name files: its key with their contents
-- left out (orchestrator::decide::KeyBase::shape); `*` for one of unknown shape.
CREATE TABLE IF NOT EXISTS job_cache_shapes (cache_key TEXT PRIMARY KEY, shape TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS job_cache_by_shape ON job_cache_shapes (shape);
CREATE TABLE IF NOT EXISTS cycle_names (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edit_locks (
    data_node_id TEXT PRIMARY KEY, editor_id TEXT, expires_at REAL NOT NULL);
";

pub struct Registry {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Registry {
    pub fn open(path: &Path) -> Result<Self> {
        // Two processes opening a new registry at once: switching it to WAL
        // takes an exclusive lock and SQLite answers "locked" at once, without
        // its busy handler, so the whole set-up is tried again for a while.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match Self::open_once(path) {
                Err(Error::Registry { source, .. }) if is_busy(&source) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path) -> Result<Self> {
        let err = |source| Error::Registry { path: path.to_owned(), source };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        // WAL keeps readers off writers' backs; NORMAL sync is crash-consistent
        // in WAL mode (a kill -9 loses nothing that was committed).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(err)?;
        if version > SCHEMA_VERSION {
            return Err(Error::storage(
                path,
                format!("the registry was written by a newer scenarium (schema {version}, this one knows {SCHEMA_VERSION}); upgrade scenarium"),
            ));
        }
        let migrate = if version < 2 {
            "INSERT OR IGNORE INTO job_cache_shapes (cache_key, shape) SELECT cache_key, '*' FROM job_cache;"
        } else {
            ""
        };
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} {migrate} COMMIT;")).map_err(err)?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(err)?;
        Ok(Registry { path: path.to_owned(), conn: Mutex::new(conn) })
    }

    /// Runs `f` in one IMMEDIATE transaction: all of it is stored, or none.
    pub fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let wrapped = Tx { tx, path: &self.path };
        let value = f(&wrapped)?;
        wrapped.tx.commit().map_err(|e| self.err(e))?;
        Ok(value)
    }

    /// Runs `f` in a read transaction, so it sees one consistent state.
    pub fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        // A named binding: the transaction borrows `conn`, which must outlive it.
        let tx = Tx { tx, path: &self.path };
        f(&tx)
    }

    fn err(&self, source: rusqlite::Error) -> Error {
        Error::Registry { path: self.path.clone(), source }
    }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// A transaction with helpers that (de)serialise JSON bodies.
pub struct Tx<'a> {
    tx: Transaction<'a>,
    path: &'a Path,
}

impl Tx<'_> {
    /// The registry file this transaction writes.
    pub fn registry_path(&self) -> &Path {
        self.path
    }

    pub fn err(&self, source: rusqlite::Error) -> Error {
        Error::Registry { path: self.path.to_owned(), source }
    }

    // Statements are cached: parsing SQL was most of the registry's per-job cost.
    pub fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.execute(params).map_err(|e| self.err(e))
    }

    pub fn encode<T: Serialize>(&self, value: &T) -> Result<String> {
        serde_json::to_string(value).map_err(|e| Error::storage(self.path, format!("cannot encode a record: {e}")))
    }

    pub fn decode<T: DeserializeOwned>(&self, body: &str) -> Result<T> {
        serde_json::from_str(body).map_err(|e| Error::storage(self.path, format!("unreadable record ({e}): {body}")))
    }

    /// The body of the one row `sql` selects, if any.
    pub fn one<T: DeserializeOwned>(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<T>> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        let body: Option<String> = stmt.query_row(params, |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        body.map(|b| self.decode(&b)).transpose()
    }

    /// The bodies of every row `sql` selects, in its order.
    pub fn all<T: DeserializeOwned>(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<T>> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        let bodies = stmt
            .query_map(params, |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        bodies.iter().map(|b| self.decode(b)).collect()
    }

    /// The first row `sql` selects, as a tuple of two columns.
    pub fn row<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<(A, B)>> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.query_row(params, |r| Ok((r.get(0)?, r.get(1)?))).optional().map_err(|e| self.err(e))
    }

    /// Every row `sql` selects, as tuples of two columns.
    pub fn rows<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<(A, B)>> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    pub fn scalar<T: rusqlite::types::FromSql>(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<T>> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.query_row(params, |r| r.get(0)).optional().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    #[test]
    fn failed_transaction_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(&dir.path().join("r.sqlite")).unwrap();
        let result: Result<()> = reg.write(|tx| {
            tx.execute("INSERT INTO tasks (id, scenario_id, body) VALUES ('t', 's', '{}')", params![])?;
            Err(Error::InvalidArgument("boom".into()))
        });
        assert!(result.is_err());
        let count: Option<i64> = reg.read(|tx| tx.scalar("SELECT COUNT(*) FROM tasks", params![])).unwrap();
        assert_eq!(count, Some(0));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
        drop(Registry::open(&path).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err = Registry::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer scenarium"), "{err}");
    }
}
