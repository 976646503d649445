//! Implements [`AdminStore`](nerve_core::AdminStore) for [`Scope`] (pooled; a transaction's
//! scope refuses), with the backend's own parts from its [`Driver`](nerve_diesel::Driver)
//! (`describe`, `checks`, `size_bytes`, `optimize_statements` ...) and the `slow_queries`
//! table. The structural check compares the database's description with
//! [`SchemaDescription::expected`](nerve_core::model::SchemaDescription::expected).

use super::scope::Source;
use super::{write_slow_runs, Conn, Pool, Scope};
use crate::driver::ThisDriver;
use crate::schema::rows::SlowQueriesRow;
use crate::schema::slow_queries as sq;
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::nerve_core::model::{
    DatabaseStats, HealthReport, OperationStats, Page, PoolState, SchemaDescription, SlowQuery,
    TableStats,
};
use nerve_diesel::nerve_core::{Error, Result};
use nerve_diesel::Driver as _;
use nerve_diesel::Op;

#[derive(nerve_diesel::diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = nerve_diesel::diesel::sql_types::BigInt)]
    id: i64,
}

type Ts = crate::schema::sql_types::Ts;
use nerve_diesel::diesel::sql_types::Text;
use nerve_diesel::WriteTs;

fn sql_error(what: &'static str) -> impl Fn(nerve_diesel::diesel::result::Error) -> Error {
    move |e| Op::new("-", what).error(e)
}

/// A text or JSON column of a table, and whether it holds an e-mail address.
struct TextColumn {
    name: String,
    json: bool,
    address: bool,
}

fn text_columns(t: &nerve_diesel::nerve_core::model::TableDescription) -> Vec<TextColumn> {
    t.columns
        .iter()
        .filter(|c| c.logical_type == "text" || c.logical_type == "json")
        .map(|c| TextColumn {
            name: c.name.clone(),
            json: c.logical_type == "json",
            address: c.logical_type == "text" && c.name.contains("email"),
        })
        .collect()
}

/// The columns of `t` that refer to `users`.
fn user_columns(t: &nerve_diesel::nerve_core::model::TableDescription) -> Vec<String> {
    t.foreign_keys
        .iter()
        .filter(|f| f.references == "users")
        .flat_map(|f| f.columns.iter().cloned())
        .collect()
}

fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(nerve_diesel::diesel::QueryableByName)]
struct Value {
    #[diesel(sql_type = nerve_diesel::diesel::sql_types::Nullable<Text>)]
    value: Option<String>,
}

/// The text of column `c` of row `id` of `t` (JSON as its text).
fn cell(conn: &mut Conn, t: &str, c: &TextColumn, id: i64) -> Result<Option<String>> {
    nerve_diesel::diesel::sql_query(format!(
        "SELECT {} AS value FROM \"{t}\" WHERE id = {id}",
        ThisDriver::text_of(&c.name, c.json)
    ))
    .get_result::<Value>(conn)
    .map(|v| v.value)
    .map_err(sql_error("read"))
}

/// The ids of the rows of `t` about the subject: referring to one of `users`, or
/// mentioning the address `email` whole (in any case) in a text or JSON column.
/// The database narrows the rows down by a lower-case substring search; the
/// mention itself is checked here, so `jimbob@x` is not a mention of `bob@x`.
fn subject_rows(
    conn: &mut Conn,
    t: &nerve_diesel::nerve_core::model::TableDescription,
    email: &str,
    users: &[i64],
) -> Result<Vec<i64>> {
    let p = ThisDriver::param(1);
    let columns = text_columns(t);
    let mut found = ::std::collections::BTreeSet::new();
    if !users.is_empty() {
        for c in user_columns(t) {
            let ids = nerve_diesel::diesel::sql_query(format!(
                "SELECT id FROM \"{}\" WHERE \"{c}\" IN ({})",
                t.name,
                id_list(users)
            ))
            .load::<Id>(conn)
            .map_err(sql_error("find subject"))?;
            found.extend(ids.into_iter().map(|r| r.id));
        }
    }
    for c in &columns {
        // Names are the schema's own; the address is bound.
        let candidates = nerve_diesel::diesel::sql_query(format!(
            "SELECT id FROM \"{}\" WHERE {}",
            t.name,
            ThisDriver::contains(&ThisDriver::text_of(&c.name, c.json), &p)
        ))
        .bind::<Text, _>(email.to_lowercase())
        .load::<Id>(conn)
        .map_err(sql_error("find subject"))?;
        for r in candidates {
            if !found.contains(&r.id)
                && cell(conn, &t.name, c, r.id)?.is_some_and(|v| {
                    nerve_diesel::nerve_core::validate::mentions_address(&v, email)
                })
            {
                found.insert(r.id);
            }
        }
    }
    Ok(found.into_iter().collect())
}

fn users_with(conn: &mut Conn, email: &str) -> Result<Vec<i64>> {
    nerve_diesel::diesel::sql_query(format!(
        "SELECT id FROM users WHERE email = {} ORDER BY id",
        ThisDriver::param(1)
    ))
    .bind::<Text, _>(email)
    .load::<Id>(conn)
    .map(|rows| rows.into_iter().map(|r| r.id).collect())
    .map_err(sql_error("find users"))
}

fn execute(conn: &mut Conn, sql: String) -> Result<u64> {
    nerve_diesel::diesel::sql_query(sql)
        .execute(conn)
        .map(|n| n as u64)
        .map_err(sql_error("lifecycle"))
}

/// Runs `f` with audit_logs open to changes (see migration 000013): the marker row
/// is inserted first and deleted after, inside the caller's transaction.
fn with_audit_maintenance<T>(
    conn: &mut Conn,
    reason: &str,
    now: ::chrono::DateTime<::chrono::Utc>,
    f: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<T> {
    use crate::schema::audit_log_maintenance as m;
    nerve_diesel::diesel::insert_into(m::table)
        .values((
            m::reason.eq(reason),
            m::started_at.eq(WriteTs(now)),
            m::created_at.eq(WriteTs(now)),
            m::updated_at.eq(WriteTs(now)),
            m::is_active.eq(true),
        ))
        .execute(conn)
        .map_err(|e| Op::new("audit_log_maintenance", "insert").error(e))?;
    let out = f(conn)?;
    nerve_diesel::diesel::delete(m::table)
        .execute(conn)
        .map_err(|e| Op::new("audit_log_maintenance", "delete").error(e))?;
    Ok(out)
}

fn count_all(conn: &mut Conn, tables: &[String]) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for t in tables {
        let n = nerve_diesel::diesel::sql_query(format!("SELECT count(*) AS n FROM \"{t}\""))
            .get_result::<Count>(conn)
            .map_err(sql_error("count"))?
            .n;
        out.push((t.clone(), n));
    }
    Ok(out)
}

#[derive(nerve_diesel::diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = nerve_diesel::diesel::sql_types::BigInt)]
    n: i64,
}

impl Scope<'_> {
    /// Runs `f`, an operation that reads (`slow_queries` first writes the timings waiting in
    /// memory: bookkeeping that is kept for a later write when it fails), again when its
    /// connection failed (a server restart or a restore closed it): the store then tests its
    /// pooled connections before use, so the second run gets a live one. A connection failure
    /// says nothing was applied.
    fn retry_connection<T>(&self, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        match f().map_err(super::applied_nothing) {
            Err(Error::Connection { .. } | Error::Connect { .. }) => {
                self.env.connection_failed();
                f().map_err(super::applied_nothing)
            }
            out => out,
        }
    }

    /// The pool, for operations that must run outside any transaction.
    fn admin_pool(&self, what: &str) -> Result<&Pool> {
        match &self.source {
            Source::Pool(pool) => Ok(pool),
            Source::Tx(_) => Err(Error::Unsupported {
                what: format!("{what} inside a transaction"),
            }),
        }
    }
}

impl nerve_diesel::nerve_core::AdminStore for Scope<'_> {
    fn health(&self) -> Result<HealthReport> {
        self.retry_connection(|| {
        let pool = self.admin_pool("a health check")?;
        let mut conn = self.connection(pool).map_err(|e| self.env.pool_error(e))?;
        let started = ::std::time::Instant::now();
        nerve_diesel::diesel::sql_query("SELECT 1")
            .execute(&mut **conn)
            .map_err(|e| Error::Connection {
                reason: self.env.scrub(&e.to_string()),
                outcome: nerve_diesel::nerve_core::Outcome::NotApplied,
            })?;
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let status = ThisDriver::schema_status(&mut conn)?;
        let expected = SchemaDescription::expected();
        let mut problems = expected.missing_from(&ThisDriver::describe(&mut conn)?);
        let (more, orphans) = ThisDriver::checks(&mut conn, &expected)?;
        problems.extend(more);
        if expected.table("audit_log_maintenance").is_some() {
            let n = nerve_diesel::diesel::sql_query("SELECT count(*) AS n FROM audit_log_maintenance")
                .get_result::<Count>(&mut **conn)
                .map_err(sql_error("count"))?
                .n;
            if n > 0 {
                problems.push(format!(
                    "audit_log_maintenance holds {n} row(s): audit_logs is not append-only while it does"
                ));
            }
        }
        let metrics = ThisDriver::server_metrics(&mut conn, &self.env.health)?;
        let state = pool.state();
        let pool_state = PoolState {
            max_size: pool.max_size(),
            connections: state.connections,
            idle: state.idle_connections,
            in_use: state.connections.saturating_sub(state.idle_connections),
        };
        Ok(HealthReport {
            backend: ThisDriver::BACKEND,
            healthy: status.pending.is_empty()
                && status.unknown.is_empty()
                && problems.is_empty()
                && orphans.is_empty(),
            latency_us,
            schema_version: status.version().map(str::to_string),
            pending: status.pending,
            unknown: status.unknown,
            problems,
            orphans,
            pool: pool_state,
            warnings: metrics.warnings(&self.env.health),
            metrics,
        })
        })
    }

    fn stats(&self) -> Result<DatabaseStats> {
        self.retry_connection(|| {
            let pool = self.admin_pool("statistics")?;
            let mut conn = self.connection(pool).map_err(|e| self.env.pool_error(e))?;
            let mut tables = Vec::new();
            for t in SchemaDescription::expected().tables {
                // The names are the schema's own, never caller text.
                let n = nerve_diesel::diesel::sql_query(format!(
                    "SELECT count(*) AS n FROM \"{}\"",
                    t.name
                ))
                .get_result::<Count>(&mut **conn)
                .map_err(|e| super::op_error(&mut conn, Op::new("-", "count"), e))?
                .n;
                tables.push(TableStats {
                    table: t.name,
                    rows: n.max(0) as u64,
                });
            }
            tables.sort_by(|a, b| a.table.cmp(&b.table));
            Ok(DatabaseStats {
                backend: ThisDriver::BACKEND,
                total_rows: tables.iter().map(|t| t.rows).sum(),
                tables,
                size_bytes: ThisDriver::size_bytes(&mut conn)?,
                metrics: ThisDriver::server_metrics(&mut conn, &self.env.health)?,
            })
        })
    }

    fn optimize(&self, vacuum: bool) -> Result<Vec<String>> {
        use nerve_diesel::diesel::connection::SimpleConnection as _;
        let pool = self.admin_pool("optimize")?;
        let mut conn = self.connection(pool).map_err(|e| self.env.pool_error(e))?;
        let mut ran = Vec::new();
        for statement in ThisDriver::optimize_statements(vacuum) {
            conn.batch_execute(statement)
                .map_err(|e| super::op_error(&mut conn, Op::new("-", "optimize"), e))?;
            ran.push(statement.to_string());
        }
        Ok(ran)
    }

    fn performance(&self) -> Vec<OperationStats> {
        self.env.metrics.snapshot()
    }

    fn purge(
        &self,
        table: &str,
        older_than: ::chrono::DateTime<::chrono::Utc>,
        dry_run: bool,
    ) -> Result<u64> {
        let Some(&(table, column)) = nerve_diesel::nerve_core::RETENTION
            .iter()
            .find(|(t, _)| *t == table)
        else {
            return Err(Error::Validation {
                table: "-",
                field: "table",
                reason: format!(
                    "retention applies to {}, not to {table:?}",
                    nerve_diesel::nerve_core::RETENTION
                        .map(|(t, _)| t)
                        .join(", ")
                ),
            });
        };
        let cutoff = nerve_diesel::nerve_core::validate::timestamp(
            nerve_diesel::nerve_core::Field::new(table, column),
            older_than,
        )?;
        let now = self.env.now();
        let minimum =
            now - ::chrono::Duration::days(nerve_diesel::nerve_core::AUDIT_LOG_MINIMUM_DAYS);
        if table == "audit_logs" && cutoff > minimum {
            return Err(Error::Validation {
                table,
                field: column,
                reason: format!(
                    "audit log rows are kept {} days at least: the cutoff must be {minimum} or earlier",
                    nerve_diesel::nerve_core::AUDIT_LOG_MINIMUM_DAYS
                ),
            });
        }
        self.admin_pool("a purge")?;
        let p = ThisDriver::param(1);
        self.write(nerve_diesel::op_name!(), table, |conn| {
            ThisDriver::unbounded(conn)?;
            let n = nerve_diesel::diesel::sql_query(format!(
                "SELECT count(*) AS n FROM \"{table}\" WHERE \"{column}\" < {p}"
            ))
            .bind::<Ts, _>(cutoff)
            .get_result::<Count>(conn)
            .map_err(sql_error("count"))?
            .n
            .max(0) as u64;
            if dry_run || n == 0 {
                return Ok(n);
            }
            let delete = |conn: &mut Conn| {
                nerve_diesel::diesel::sql_query(format!(
                    "DELETE FROM \"{table}\" WHERE \"{column}\" < {p}"
                ))
                .bind::<Ts, _>(cutoff)
                .execute(conn)
                .map(|n| n as u64)
                .map_err(sql_error("purge"))
            };
            if table == "audit_logs" {
                with_audit_maintenance(conn, "retention purge", now, delete)
            } else {
                delete(conn)
            }
        })
    }

    fn purge_deleted(&self, grace: ::chrono::Duration, dry_run: bool) -> Result<Vec<TableStats>> {
        self.admin_pool("a purge")?;
        let now = self.env.now();
        let cutoff = now - grace;
        let expected = SchemaDescription::expected();
        let mut order: Vec<String> = expected
            .parents_first()
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.columns.iter().any(|c| c.name == "deleted_at"))
            .map(|t| t.name.clone())
            .collect();
        order.reverse();
        let p = ThisDriver::param(1);
        self.write(nerve_diesel::op_name!(), "-", |conn| {
            ThisDriver::unbounded(conn)?;
            let mut out = Vec::new();
            for t in &order {
                let ids: Vec<i64> = nerve_diesel::diesel::sql_query(format!(
                    "SELECT id FROM \"{t}\" WHERE deleted_at < {p} ORDER BY id"
                ))
                .bind::<Ts, _>(cutoff)
                .load::<Id>(conn)
                .map_err(sql_error("select"))?
                .into_iter()
                .map(|r| r.id)
                .collect();
                if ids.is_empty() {
                    continue;
                }
                let mut gone = 0_u64;
                if dry_run {
                    gone = ids.len() as u64;
                } else {
                    // Row by row, each in a savepoint: a row still referred to
                    // without a cascade stays, the others go.
                    for id in ids {
                        let sql = format!("DELETE FROM \"{t}\" WHERE id = {id}");
                        let deleted = conn.transaction(|c| {
                            nerve_diesel::diesel::sql_query(sql).execute(c)
                        });
                        match deleted {
                            Ok(n) => gone += n as u64,
                            Err(nerve_diesel::diesel::result::Error::DatabaseError(
                                nerve_diesel::diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                                _,
                            )) => {}
                            Err(e) => return Err(Op::new("-", "purge").error(e)),
                        }
                    }
                }
                if gone > 0 {
                    out.push(TableStats { table: t.clone(), rows: gone });
                }
            }
            Ok(out)
        })
    }

    fn export_subject(&self, email: &str) -> Result<nerve_diesel::serde_json::Value> {
        self.retry_connection(|| {
            let email = nerve_diesel::nerve_core::validate::validate_email(
                nerve_diesel::nerve_core::Field::new("-", "email"),
                email,
            )?;
            let pool = self.admin_pool("an export")?;
            let mut pooled = self.connection(pool).map_err(|e| self.env.pool_error(e))?;
            let conn: &mut Conn = &mut pooled;
            let expected = SchemaDescription::expected();
            // One snapshot for every table (a read-only repeatable-read transaction).
            let out = conn.transaction(|conn: &mut Conn| {
                ThisDriver::snapshot(conn).map_err(nerve_diesel::TxError::Nerve)?;
                let users = users_with(conn, &email)?;
                let mut matched: ::std::collections::BTreeMap<String, Vec<i64>> =
                    Default::default();
                for t in &expected.tables {
                    if t.name == "audit_log_maintenance" {
                        continue;
                    }
                    let ids = subject_rows(conn, t, &email, &users)?;
                    if !ids.is_empty() {
                        matched.insert(t.name.clone(), ids);
                    }
                }
                // What hangs on a matched row (a profile's breaches, a watched
                // address's findings) is about the subject too. Tables are visited once,
                // in the schema's order, so a child whose parent comes earlier also takes
                // the rows found there (a control's evidence after the controls of the
                // subject's assessment).
                for t in &expected.tables {
                    for fk in &t.foreign_keys {
                        let Some(parents) = matched
                            .get(&fk.references)
                            .filter(|_| fk.references != "users")
                            .cloned()
                        else {
                            continue;
                        };
                        let col = &fk.columns[0];
                        let ids = nerve_diesel::diesel::sql_query(format!(
                            "SELECT id FROM \"{}\" WHERE \"{col}\" IN ({})",
                            t.name,
                            id_list(&parents)
                        ))
                        .load::<Id>(conn)
                        .map_err(sql_error("find subject"))?;
                        // Only tables with rows enter `matched`: an empty parent list would
                        // be `IN ()`, an error on PostgreSQL (SQLite reads it as false).
                        if ids.is_empty() {
                            continue;
                        }
                        let entry = matched.entry(t.name.clone()).or_default();
                        entry.extend(ids.into_iter().map(|r| r.id));
                        entry.sort_unstable();
                        entry.dedup();
                    }
                }
                let mut tables = nerve_diesel::serde_json::Map::new();
                for (t, ids) in matched {
                    let mut rows = Vec::new();
                    for id in ids {
                        let mut row = crate::schema::rows::get_json(conn, &t, id)?;
                        // Secrets are never handed out, even as hashes.
                        for secret in ["password_hash", "token_hash", "key_hash"] {
                            if let Some(v) = row.get_mut(secret) {
                                *v = "[redacted]".into();
                            }
                        }
                        rows.push(row);
                    }
                    tables.insert(t, nerve_diesel::serde_json::Value::Array(rows));
                }
                Ok::<_, nerve_diesel::TxError>(nerve_diesel::serde_json::json!({
                    "subject": email,
                    "user_ids": users,
                    "tables": tables,
                }))
            });
            out.map_err(|e| e.into_error("-"))
        })
    }

    fn erase_subject(&self, email: &str) -> Result<Vec<TableStats>> {
        let email = nerve_diesel::nerve_core::validate::validate_email(
            nerve_diesel::nerve_core::Field::new("-", "email"),
            email,
        )?;
        self.admin_pool("an erasure")?;
        let expected = SchemaDescription::expected();
        let now = self.env.now();
        let p1 = ThisDriver::param(1);
        self.write(nerve_diesel::op_name!(), "-", |conn| {
            ThisDriver::unbounded(conn)?;
            with_audit_maintenance(conn, "erase subject", now, |conn| {
                let mut changed: ::std::collections::BTreeMap<String, u64> = Default::default();
                let mut add = |t: &str, n: u64| {
                    if n > 0 {
                        *changed.entry(t.to_string()).or_default() += n;
                    }
                };
                let users = users_with(conn, &email)?;
                if !users.is_empty() {
                    let list = id_list(&users);
                    for t in ["sessions", "api_keys", "password_history"] {
                        add(t, execute(conn, format!("DELETE FROM {t} WHERE user_id IN ({list})"))?);
                    }
                    let n = nerve_diesel::diesel::sql_query(format!(
                        "UPDATE users SET email = 'erased-' || id || '@erased.invalid', full_name = NULL, \
                         password_hash = '!erased', is_active = false, \
                         deleted_at = coalesce(deleted_at, {p1}), updated_at = {p1} WHERE id IN ({list})"
                    ))
                    .bind::<Ts, _>(now)
                    .execute(conn)
                    .map_err(sql_error("erase users"))?;
                    add("users", n as u64);
                }
                // Data about the person: profiles and watches of the address (with
                // what hangs on them), leaked credentials naming it.
                for (t, col) in [
                    ("profiles", "email"),
                    ("monitored_emails", "email_address"),
                    ("uploaded_credentials", "email"),
                    ("breach_file_results", "email"),
                ] {
                    if expected.table(t).is_some_and(|d| d.columns.iter().any(|c| c.name == col)) {
                        let n = nerve_diesel::diesel::sql_query(format!("DELETE FROM {t} WHERE lower({col}) = {p1}"))
                            .bind::<Text, _>(&email)
                            .execute(conn)
                            .map_err(sql_error("erase"))?;
                        add(t, n as u64);
                    }
                }
                for t in &expected.tables {
                    if t.name == "audit_log_maintenance" {
                        continue;
                    }
                    let rows = subject_rows(conn, t, &email, &users)?;
                    if rows.is_empty() {
                        continue;
                    }
                    // Where the person was: addresses, agents, places.
                    let personal: Vec<&str> = ["ip_address", "user_agent", "location"]
                        .into_iter()
                        .filter(|c| t.columns.iter().any(|d| d.name == *c && d.nullable))
                        .collect();
                    if !personal.is_empty() {
                        let set: Vec<String> = personal.iter().map(|c| format!("\"{c}\" = NULL")).collect();
                        add(&t.name, execute(conn, format!(
                            "UPDATE \"{}\" SET {} WHERE id IN ({})",
                            t.name,
                            set.join(", "),
                            id_list(&rows)
                        ))?);
                    }
                    // The address itself, wherever it is written.
                    for c in text_columns(t) {
                        for &id in &rows {
                            let Some(old) = cell(conn, &t.name, &c, id)? else { continue };
                            if !nerve_diesel::nerve_core::validate::mentions_address(&old, &email) {
                                continue;
                            }
                            let new = if c.address {
                                format!("erased-{id}@erased.invalid")
                            } else {
                                nerve_diesel::nerve_core::validate::replace_address(&old, &email, "[erased]")
                            };
                            let n = nerve_diesel::diesel::sql_query(format!(
                                "UPDATE \"{}\" SET \"{}\" = {} WHERE id = {id}",
                                t.name,
                                c.name,
                                ThisDriver::stored_as(p1.clone(), c.json)
                            ))
                            .bind::<Text, _>(new)
                            .execute(conn)
                            .map_err(|e| Op::new("-", "erase").error(e))?;
                            add(&t.name, n as u64);
                        }
                    }
                }
                // Nothing may remain: checked in the same transaction.
                for t in &expected.tables {
                    let left = subject_rows(conn, t, &email, &[])?;
                    if !left.is_empty() {
                        return Err(Error::Transaction {
                            rolled_back: false,
                            reason: format!(
                                "erasure incomplete: {} still mentions the address in rows {:?}; nothing was changed",
                                t.name, left
                            ),
                        });
                    }
                }
                Ok(changed.into_iter().map(|(table, rows)| TableStats { table, rows }).collect())
            })
        })
    }

    fn delete_company(&self, company_id: i64) -> Result<Vec<TableStats>> {
        self.admin_pool("deleting a company")?;
        let expected = SchemaDescription::expected();
        let names: Vec<String> = expected.tables.iter().map(|t| t.name.clone()).collect();
        let now = self.env.now();
        self.write(nerve_diesel::op_name!(), "companies", |conn| {
            ThisDriver::unbounded(conn)?;
            let exists = nerve_diesel::diesel::sql_query(format!("SELECT id FROM companies WHERE id = {company_id}"))
                .load::<Id>(conn)
                .map_err(sql_error("select"))?;
            if exists.is_empty() {
                return Err(Error::not_found("companies", format!("id={company_id}")));
            }
            with_audit_maintenance(conn, "delete company", now, |conn| {
                let before = count_all(conn, &names)?;
                let users: Vec<i64> = nerve_diesel::diesel::sql_query(format!(
                    "SELECT id FROM users WHERE company_id = {company_id} ORDER BY id"
                ))
                .load::<Id>(conn)
                .map_err(sql_error("select"))?
                .into_iter()
                .map(|r| r.id)
                .collect();
                // The tenant's own audit trail goes with it (its rows cannot
                // exist without their company).
                execute(conn, format!("DELETE FROM audit_logs WHERE company_id = {company_id}"))?;
                if !users.is_empty() {
                    let list = id_list(&users);
                    // Rows about its users that would outlive them: their login
                    // attempts and the events naming them go too.
                    execute(conn, format!("DELETE FROM login_attempts WHERE user_id IN ({list})"))?;
                    execute(conn, format!("DELETE FROM security_events WHERE user_id IN ({list})"))?;
                    // Rows that stay but name its users without a cascade (the
                    // shared scan cache): unlinked.
                    for t in &expected.tables {
                        for fk in t.foreign_keys.iter().filter(|f| f.references == "users" && f.on_delete == "NO ACTION") {
                            for col in &fk.columns {
                                let nullable = t.columns.iter().any(|c| &c.name == col && c.nullable);
                                if nullable && t.name != "audit_logs" {
                                    execute(conn, format!(
                                        "UPDATE \"{}\" SET \"{col}\" = NULL WHERE \"{col}\" IN ({list})",
                                        t.name
                                    ))?;
                                }
                            }
                        }
                    }
                }
                // Tables referring to companies without a cascade.
                for t in &expected.tables {
                    for fk in t.foreign_keys.iter().filter(|f| f.references == "companies" && f.on_delete == "NO ACTION") {
                        if t.name != "audit_logs" {
                            execute(conn, format!(
                                "DELETE FROM \"{}\" WHERE \"{}\" = {company_id}",
                                t.name, fk.columns[0]
                            ))?;
                        }
                    }
                }
                execute(conn, format!("DELETE FROM companies WHERE id = {company_id}"))?;
                let after = count_all(conn, &names)?;
                Ok(before
                    .iter()
                    .zip(after.iter())
                    .filter(|(b, a)| b.1 > a.1)
                    .map(|(b, a)| TableStats { table: b.0.clone(), rows: (b.1 - a.1) as u64 })
                    .collect())
            })
        })
    }

    fn slow_queries(&self, page: Page) -> Result<Vec<SlowQuery>> {
        self.retry_connection(|| {
            let page = page.checked("slow_queries")?;
            let pool = self.admin_pool("reading slow queries")?;
            let mut conn = self.connection(pool).map_err(|e| self.env.pool_error(e))?;
            // What waits in memory is written first, so the list is complete.
            write_slow_runs(&mut conn, &self.env)?;
            sq::table
                .filter(sq::id.lt(page.before_id()))
                .order(sq::id.desc())
                .limit(i64::from(page.limit))
                .select(crate::schema::slow_queries::all_columns)
                .load::<SlowQueriesRow>(&mut **conn)
                .map(|rows| {
                    rows.into_iter()
                        .map(|r| SlowQuery {
                            id: r.id,
                            operation: r.operation,
                            duration_us: r.duration_us,
                            recorded_at: r.recorded_at,
                        })
                        .collect()
                })
                .map_err(|e| super::op_error(&mut conn, Op::new("slow_queries", "select"), e))
        })
    }
}
