//! Workflows and their runs in `acme.sqlite` (tables `workflows` and
//! `workflow_runs`, created with the ACME schema in `acme/store.rs`). A
//! workflow is stored as the JSON of its [`WorkflowMeta`]: configuration and
//! references, never a value; a run as the JSON of its [`WorkflowRun`],
//! whose texts were scrubbed before they were recorded.

use rusqlite::{params, OptionalExtension};
use shared::protocol::workflow::{WorkflowMeta, WorkflowRun};

use crate::acme::error::{AcmeError, AcmeResult};
use crate::acme::store::AcmeStore;

/// Runs kept per workflow (older ones are dropped).
pub const MAX_RUNS_KEPT: i64 = 200;

fn db(e: rusqlite::Error) -> AcmeError {
    AcmeError::Store(e.to_string())
}

fn enc<T: serde::Serialize>(v: &T) -> AcmeResult<String> {
    serde_json::to_string(v).map_err(|e| AcmeError::Store(e.to_string()))
}

fn dec<T: serde::de::DeserializeOwned>(s: &str) -> AcmeResult<T> {
    serde_json::from_str(s)
        .map_err(|e| AcmeError::Store(format!("a stored workflow does not parse: {e}")))
}

/// Inserts or replaces a workflow.
pub async fn put(store: &AcmeStore, meta: WorkflowMeta) -> AcmeResult<()> {
    let json = enc(&meta)?;
    store
        .with(move |c| {
            c.execute(
                "INSERT INTO workflows (id, meta, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET meta = excluded.meta",
                params![meta.id, json, meta.created_at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
}

/// One workflow.
pub async fn get(store: &AcmeStore, id: &str) -> AcmeResult<Option<WorkflowMeta>> {
    let id = id.to_string();
    let json: Option<String> = store
        .with(move |c| {
            c.query_row("SELECT meta FROM workflows WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)
        })
        .await?;
    json.as_deref().map(dec).transpose()
}

/// Every workflow, oldest first (the order triggers run them in).
pub async fn all(store: &AcmeStore) -> AcmeResult<Vec<WorkflowMeta>> {
    let rows: Vec<String> = store
        .with(|c| {
            let mut st = c
                .prepare("SELECT meta FROM workflows ORDER BY created_at, id")
                .map_err(db)?;
            let rows = st
                .query_map([], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await?;
    rows.iter().map(|s| dec(s)).collect()
}

/// Deletes a workflow and its runs; false when there was none.
pub async fn delete(store: &AcmeStore, id: &str) -> AcmeResult<bool> {
    let id = id.to_string();
    store
        .with(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute("DELETE FROM workflow_runs WHERE workflow_id = ?1", [&id])
                .map_err(db)?;
            let n = tx
                .execute("DELETE FROM workflows WHERE id = ?1", [&id])
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n > 0)
        })
        .await
}

/// Records a finished run (and drops the oldest beyond [`MAX_RUNS_KEPT`]).
pub async fn add_run(store: &AcmeStore, run: WorkflowRun) -> AcmeResult<()> {
    let json = enc(&run)?;
    store
        .with(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute(
                "INSERT INTO workflow_runs (id, workflow_id, run, seq)
                 VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM workflow_runs))",
                params![run.id, run.workflow_id, json],
            )
            .map_err(db)?;
            tx.execute(
                "DELETE FROM workflow_runs WHERE workflow_id = ?1 AND seq NOT IN
                 (SELECT seq FROM workflow_runs WHERE workflow_id = ?1 ORDER BY seq DESC LIMIT ?2)",
                params![run.workflow_id, MAX_RUNS_KEPT],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(())
        })
        .await
}

/// A workflow's runs, newest first.
pub async fn runs(store: &AcmeStore, workflow_id: &str) -> AcmeResult<Vec<WorkflowRun>> {
    let id = workflow_id.to_string();
    let rows: Vec<String> = store
        .with(move |c| {
            let mut st = c
                .prepare("SELECT run FROM workflow_runs WHERE workflow_id = ?1 ORDER BY seq DESC")
                .map_err(db)?;
            let rows = st
                .query_map([id], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await?;
    rows.iter().map(|s| dec(s)).collect()
}
