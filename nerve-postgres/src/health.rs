//! PostgreSQL's numbers for `health` and `stats`: connections against `max_connections`, the
//! replicas' lag, sessions running long, idle in a transaction or waiting for a lock, and the
//! largest tables' dead rows and vacuums. Never a query's text: it may hold data.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use nerve_core::model::{PostgresMetrics, ReplicaState, ServerMetrics, SessionState, TableVacuum};
use nerve_core::{HealthThresholds, Result};
use nerve_diesel::Op;

#[derive(QueryableByName)]
struct Server {
    #[diesel(sql_type = Text)]
    server_version: String,
    #[diesel(sql_type = BigInt)]
    connections: i64,
    #[diesel(sql_type = BigInt)]
    max_connections: i64,
    #[diesel(sql_type = BigInt)]
    database_bytes: i64,
}

#[derive(QueryableByName)]
struct Replica {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    address: Option<String>,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    lag_bytes: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    lag_ms: Option<i64>,
}

#[derive(QueryableByName)]
struct Session {
    #[diesel(sql_type = Integer)]
    pid: i32,
    #[diesel(sql_type = Text)]
    application: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Text>)]
    wait_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    wait_event: Option<String>,
    #[diesel(sql_type = BigInt)]
    statement_ms: i64,
    #[diesel(sql_type = BigInt)]
    state_ms: i64,
    #[diesel(sql_type = Array<Integer>)]
    blocked_by: Vec<i32>,
}

#[derive(QueryableByName)]
struct Table {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
    #[diesel(sql_type = BigInt)]
    live_rows: i64,
    #[diesel(sql_type = BigInt)]
    dead_rows: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_vacuum: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_autovacuum: Option<DateTime<Utc>>,
}

const SERVER: &str = "SELECT current_setting('server_version') AS server_version, \
    (SELECT coalesce(sum(numbackends), 0)::bigint FROM pg_stat_database) AS connections, \
    current_setting('max_connections')::bigint AS max_connections, \
    pg_database_size(current_database()) AS database_bytes";

/// On a replica `pg_current_wal_lsn()` fails, and `pg_stat_replication` is empty anyway.
const REPLICAS: &str =
    "SELECT coalesce(application_name, '') AS name, host(client_addr) AS address, \
    coalesce(state, '') AS state, \
    CASE WHEN pg_is_in_recovery() OR replay_lsn IS NULL THEN NULL \
         ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint END AS lag_bytes, \
    (extract(epoch FROM replay_lag) * 1000)::bigint AS lag_ms \
    FROM pg_stat_replication ORDER BY application_name, pid";

/// The other client sessions of this database; `clock_timestamp()`, as `now()` is the start
/// of this transaction.
const SESSIONS: &str = "SELECT pid, coalesce(application_name, '') AS application, \
    coalesce(state, '') AS state, wait_event_type AS wait_type, wait_event, \
    coalesce((extract(epoch FROM clock_timestamp() - query_start) * 1000)::bigint, 0) AS statement_ms, \
    coalesce((extract(epoch FROM clock_timestamp() - state_change) * 1000)::bigint, 0) AS state_ms, \
    pg_blocking_pids(pid) AS blocked_by \
    FROM pg_stat_activity \
    WHERE datname = current_database() AND pid <> pg_backend_pid() \
      AND backend_type = 'client backend'";

/// Sizes from the catalog's page counts (as of the last VACUUM, ANALYZE or index build), not
/// `pg_total_relation_size`, which waits for a lock on the table: a health check must answer
/// while a table is locked.
const TABLES: &str = "SELECT s.relname::text AS table_name, \
    ((c.relpages + coalesce(t.relpages, 0) + coalesce((SELECT sum(i.relpages) FROM pg_index x \
        JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), 0))::bigint \
      * current_setting('block_size')::bigint) AS bytes, \
    s.n_live_tup AS live_rows, s.n_dead_tup AS dead_rows, s.last_vacuum, s.last_autovacuum \
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
    LEFT JOIN pg_class t ON t.oid = c.reltoastrelid \
    WHERE s.schemaname = current_schema() \
    ORDER BY bytes DESC, s.relname LIMIT 10";

fn unsigned(n: i64) -> u64 {
    n.max(0) as u64
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The server's numbers; sessions only past `limits`.
pub(crate) fn metrics(conn: &mut PgConnection, limits: &HealthThresholds) -> Result<ServerMetrics> {
    let catalog = |what: &'static str| move |e| Op::new("pg_catalog", what).error(e);
    let server = diesel::sql_query(SERVER)
        .get_result::<Server>(conn)
        .map_err(catalog("metrics"))?;
    let replicas = diesel::sql_query(REPLICAS)
        .load::<Replica>(conn)
        .map_err(catalog("replicas"))?
        .into_iter()
        .map(|r| ReplicaState {
            name: r.name,
            address: r.address,
            state: r.state,
            replay_lag_bytes: r.lag_bytes.map(unsigned),
            replay_lag_ms: r.lag_ms.map(unsigned),
        })
        .collect();
    let mut long_running = Vec::new();
    let mut idle_in_transaction = Vec::new();
    let mut blocked = Vec::new();
    for s in diesel::sql_query(SESSIONS)
        .load::<Session>(conn)
        .map_err(catalog("sessions"))?
    {
        let waiting_on_lock = s.wait_type.as_deref() == Some("Lock");
        let (list, age) = if waiting_on_lock && s.statement_ms >= millis(limits.blocked) {
            (&mut blocked, s.statement_ms)
        } else if s.state.starts_with("idle in transaction")
            && s.state_ms >= millis(limits.idle_in_transaction)
        {
            (&mut idle_in_transaction, s.state_ms)
        } else if s.state == "active"
            && !waiting_on_lock
            && s.statement_ms >= millis(limits.long_running)
        {
            (&mut long_running, s.statement_ms)
        } else {
            continue;
        };
        list.push(SessionState {
            pid: s.pid,
            application: s.application,
            state: s.state,
            waiting_for: s.wait_type.map(|t| match s.wait_event {
                Some(event) => format!("{t}:{event}"),
                None => t,
            }),
            for_ms: unsigned(age),
            blocked_by: s.blocked_by,
        });
    }
    for list in [&mut long_running, &mut idle_in_transaction, &mut blocked] {
        list.sort_by(|a, b| b.for_ms.cmp(&a.for_ms).then(a.pid.cmp(&b.pid)));
    }
    let tables = diesel::sql_query(TABLES)
        .load::<Table>(conn)
        .map_err(catalog("tables"))?
        .into_iter()
        .map(|t| TableVacuum {
            table: t.table_name,
            bytes: unsigned(t.bytes),
            live_rows: unsigned(t.live_rows),
            dead_rows: unsigned(t.dead_rows),
            last_vacuum: t.last_vacuum,
            last_autovacuum: t.last_autovacuum,
        })
        .collect();
    Ok(ServerMetrics::Postgres(PostgresMetrics {
        server_version: server.server_version,
        connections: unsigned(server.connections),
        max_connections: unsigned(server.max_connections),
        database_bytes: unsigned(server.database_bytes),
        replicas,
        long_running,
        idle_in_transaction,
        blocked,
        tables,
    }))
}
