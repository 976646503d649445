//! The store code both Diesel drivers share, written once and compiled inside each driver.
//!
//! Each driver crate includes this directory as its module `stores`:
//!
//! ```text
//! #[path = "../../nerve-diesel/each_driver/mod.rs"]
//! mod stores;
//! ```
//!
//! so that `crate::schema` is that driver's Diesel schema (the tables of `schema_tables.rs`,
//! with the driver's column types) and `crate::driver::ThisDriver` its [`nerve_diesel::Driver`]. The code
//! is ordinary Rust: rustfmt, clippy and rust-analyzer see all of it, in each driver. What
//! needs no backend type (validation, errors, migrations bookkeeping, timings) is in
//! nerve-diesel's own modules, compiled once.
//!
//! One file per domain implements that domain's contract traits for [`Scope`]; `scope.rs` is
//! how calls get connections and transactions; this file hands the stores out ([`Repos`]) and
//! holds what belongs to no one domain (slow-query rows, [`RawRows`]).

#[macro_use]
mod macros;

mod accounts;
mod admin;
mod attack_surface;
mod bait;
mod companies;
mod compliance;
mod ghost;
mod osint;
mod roadmap;
mod scope;
mod uploads;
mod users;

pub(crate) use scope::{applied_nothing, op_error, Conn, Db, Pool, Scope};

use crate::driver::ThisDriver;
use nerve_diesel::nerve_core::{RawRows, Repos};
use nerve_diesel::Driver as _;

use crate::schema::sql_types;
nerve_diesel::value_sets!(impls <ThisDriver as nerve_diesel::Driver>::Backend, sql_types);

/// Refuses writes to `audit_log_maintenance` through RawRows: a row there would open
/// audit_logs to changes (see migration 000013).
fn refuse_guard_table(table: &str) -> nerve_diesel::nerve_core::Result<()> {
    if table == "audit_log_maintenance" {
        return Err(nerve_diesel::nerve_core::Error::Validation {
            table: "audit_log_maintenance",
            field: "-",
            reason: "written only by the store's own data-lifecycle operations".into(),
        });
    }
    Ok(())
}

/// Writes the slow runs waiting in `env`'s timings to `slow_queries` in one
/// transaction and deletes the oldest rows past the cap.
fn write_slow_runs(
    conn: &mut Conn,
    env: &nerve_diesel::Env,
) -> nerve_diesel::nerve_core::Result<()> {
    use crate::schema::slow_queries as sq;
    use nerve_diesel::diesel::prelude::*;
    let runs = env.metrics.take_slow();
    if runs.is_empty() {
        return Ok(());
    }
    let cap = i64::from(env.metrics.cap);
    // Best effort and never a wait: a database busy with other writers keeps the runs
    // for a later write instead of holding up the call that just finished.
    let written = ThisDriver::without_waiting(conn, |conn| {
        for run in &runs {
            let operation: String = run.operation.chars().take(200).collect();
            nerve_diesel::diesel::insert_into(sq::table)
                .values((
                    sq::operation.eq(operation),
                    sq::duration_us.eq(run.duration_us),
                    sq::recorded_at.eq(run.at),
                    sq::created_at.eq(run.at),
                    sq::updated_at.eq(run.at),
                    sq::is_active.eq(true),
                ))
                .execute(conn)?;
        }
        // Keep the newest `cap`: everything older than the cap-th newest goes.
        let boundary: Option<i64> = sq::table
            .order(sq::id.desc())
            .offset(cap)
            .select(sq::id)
            .first(conn)
            .optional()?;
        if let Some(boundary) = boundary {
            nerve_diesel::diesel::delete(sq::table.filter(sq::id.le(boundary))).execute(conn)?;
        }
        Ok(())
    });
    written.map_err(|e: nerve_diesel::diesel::result::Error| {
        // Kept for the next try rather than lost.
        env.metrics.requeue(runs);
        // A lock another writer holds is a plain backend error here on both backends (its
        // transaction is rolled back before this runs; SQLite's result code is gone).
        nerve_diesel::Op::new("slow_queries", "insert").error(e)
    })
}

impl RawRows for Scope<'_> {
    fn insert(
        &self,
        table: &str,
        row: &nerve_diesel::serde_json::Value,
    ) -> nerve_diesel::nerve_core::Result<nerve_diesel::serde_json::Value> {
        refuse_guard_table(table)?;
        self.write(nerve_diesel::op_name!(), "-", |conn| {
            crate::schema::rows::insert_json(conn, table, row)
        })
    }

    fn batch_insert(
        &self,
        table: &str,
        rows: &[nerve_diesel::serde_json::Value],
    ) -> nerve_diesel::nerve_core::Result<u64> {
        refuse_guard_table(table)?;
        self.write(nerve_diesel::op_name!(), "-", |conn| {
            crate::schema::rows::batch_insert_json(conn, table, rows)
        })
    }

    fn safe_update(
        &self,
        table: &str,
        id: i64,
        expected_updated_at: nerve_diesel::chrono::DateTime<nerve_diesel::chrono::Utc>,
        changes: &nerve_diesel::serde_json::Value,
    ) -> nerve_diesel::nerve_core::Result<nerve_diesel::serde_json::Value> {
        refuse_guard_table(table)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), "-", |conn| {
            crate::schema::rows::update_json(conn, table, id, expected_updated_at, changes, now)
        })
    }

    fn get(
        &self,
        table: &str,
        id: i64,
    ) -> nerve_diesel::nerve_core::Result<nerve_diesel::serde_json::Value> {
        self.read(nerve_diesel::op_name!(), |conn| {
            crate::schema::rows::get_json(conn, table, id)
        })
    }
}
impl Repos for Scope<'_> {
    fn companies(&self) -> &dyn nerve_diesel::nerve_core::CompanyStore {
        self
    }
    fn users(&self) -> &dyn nerve_diesel::nerve_core::UserStore {
        self
    }
    fn auth(&self) -> &dyn nerve_diesel::nerve_core::AuthStore {
        self
    }
    fn sessions(&self) -> &dyn nerve_diesel::nerve_core::SessionStore {
        self
    }
    fn audit(&self) -> &dyn nerve_diesel::nerve_core::AuditStore {
        self
    }
    fn security_events(&self) -> &dyn nerve_diesel::nerve_core::SecurityEventStore {
        self
    }
    fn api_keys(&self) -> &dyn nerve_diesel::nerve_core::ApiKeyStore {
        self
    }
    fn attack_surface(&self) -> &dyn nerve_diesel::nerve_core::AttackSurfaceStore {
        self
    }
    fn bait(&self) -> &dyn nerve_diesel::nerve_core::BaitStore {
        self
    }
    fn compliance(&self) -> &dyn nerve_diesel::nerve_core::ComplianceStore {
        self
    }
    fn roadmap(&self) -> &dyn nerve_diesel::nerve_core::RoadmapStore {
        self
    }
    fn ghost(&self) -> &dyn nerve_diesel::nerve_core::GhostStore {
        self
    }
    fn osint(&self) -> &dyn nerve_diesel::nerve_core::OsintStore {
        self
    }
    fn uploads(&self) -> &dyn nerve_diesel::nerve_core::UploadStore {
        self
    }
    fn raw_rows(&self) -> &dyn nerve_diesel::nerve_core::RawRows {
        self
    }
}

impl Repos for crate::driver::ThisStore {
    fn companies(&self) -> &dyn nerve_diesel::nerve_core::CompanyStore {
        &self.scope
    }
    fn users(&self) -> &dyn nerve_diesel::nerve_core::UserStore {
        &self.scope
    }
    fn auth(&self) -> &dyn nerve_diesel::nerve_core::AuthStore {
        &self.scope
    }
    fn sessions(&self) -> &dyn nerve_diesel::nerve_core::SessionStore {
        &self.scope
    }
    fn audit(&self) -> &dyn nerve_diesel::nerve_core::AuditStore {
        &self.scope
    }
    fn security_events(&self) -> &dyn nerve_diesel::nerve_core::SecurityEventStore {
        &self.scope
    }
    fn api_keys(&self) -> &dyn nerve_diesel::nerve_core::ApiKeyStore {
        &self.scope
    }
    fn attack_surface(&self) -> &dyn nerve_diesel::nerve_core::AttackSurfaceStore {
        &self.scope
    }
    fn bait(&self) -> &dyn nerve_diesel::nerve_core::BaitStore {
        &self.scope
    }
    fn compliance(&self) -> &dyn nerve_diesel::nerve_core::ComplianceStore {
        &self.scope
    }
    fn roadmap(&self) -> &dyn nerve_diesel::nerve_core::RoadmapStore {
        &self.scope
    }
    fn ghost(&self) -> &dyn nerve_diesel::nerve_core::GhostStore {
        &self.scope
    }
    fn osint(&self) -> &dyn nerve_diesel::nerve_core::OsintStore {
        &self.scope
    }
    fn uploads(&self) -> &dyn nerve_diesel::nerve_core::UploadStore {
        &self.scope
    }
    fn raw_rows(&self) -> &dyn nerve_diesel::nerve_core::RawRows {
        &self.scope
    }
}

/// The column names a query's select clause names, in order (from its SQL as this driver
/// writes it): what a test compares with a view's `COLUMNS`, since `Queryable` reads a row by
/// position.
#[cfg(test)]
pub(crate) fn selected_columns<Q>(query: &Q) -> Vec<String>
where
    Q: nerve_diesel::diesel::query_builder::QueryFragment<
        <ThisDriver as nerve_diesel::Driver>::Backend,
    >,
{
    let sql =
        nerve_diesel::diesel::debug_query::<<ThisDriver as nerve_diesel::Driver>::Backend, _>(
            query,
        )
        .to_string();
    let list = sql
        .strip_prefix("SELECT ")
        .and_then(|rest| rest.split(" FROM ").next())
        .unwrap_or_default();
    list.split(", ")
        .map(|column| {
            let name = column.rsplit('.').next().unwrap_or(column);
            name.trim_matches(|c| c == '"' || c == '`').to_string()
        })
        .collect()
}
