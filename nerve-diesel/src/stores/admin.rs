//! [`admin_store!`]: health, statistics, timings and maintenance.

/// Implements [`AdminStore`](nerve_core::AdminStore) for the `Scope` of [`define_scope!`]
/// (pooled; a transaction's scope refuses), with the driver's own parts from the module
/// `driver` (`describe`, `checks`, `size_bytes`, `optimize_statements`) and the
/// `slow_queries` table of the `schema` module path given. The structural check compares the
/// database's description with [`SchemaDescription::expected`](nerve_core::model::SchemaDescription::expected).
#[macro_export]
macro_rules! admin_store {
    (schema = $($schema:ident)::+, driver = $($driver:ident)::+, backend = $backend:expr) => {
        const _: () = {
            use $($schema)::+::rows::SlowQueriesRow;
            use $($schema)::+::slow_queries as sq;
            use $crate::diesel::prelude::*;
            use $crate::nerve_core::model::{
                DatabaseStats, HealthReport, OperationStats, Page, PoolState, SchemaDescription,
                SlowQuery, TableStats,
            };
            use $crate::nerve_core::{Error, Result};
            use $crate::Op;

            #[derive($crate::diesel::QueryableByName)]
            struct Count {
                #[diesel(sql_type = $crate::diesel::sql_types::BigInt)]
                n: i64,
            }

            impl Scope<'_> {
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

            impl $crate::nerve_core::AdminStore for Scope<'_> {
                fn health(&self) -> Result<HealthReport> {
                    let pool = self.admin_pool("a health check")?;
                    let mut conn = pool.get().map_err(|e| self.env.pool_error(e))?;
                    let started = ::std::time::Instant::now();
                    $crate::diesel::sql_query("SELECT 1")
                        .execute(&mut *conn)
                        .map_err(|e| Error::Connection { reason: self.env.scrub(&e.to_string()) })?;
                    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                    let status = schema_status(&mut conn)?;
                    let expected = SchemaDescription::expected();
                    let mut problems = expected.missing_from(&$($driver)::+::describe(&mut conn)?);
                    let (more, orphans) = $($driver)::+::checks(&mut conn, &expected)?;
                    problems.extend(more);
                    let state = pool.state();
                    let pool_state = PoolState {
                        max_size: pool.max_size(),
                        connections: state.connections,
                        idle: state.idle_connections,
                        in_use: state.connections.saturating_sub(state.idle_connections),
                    };
                    Ok(HealthReport {
                        backend: $backend,
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
                    })
                }

                fn stats(&self) -> Result<DatabaseStats> {
                    let pool = self.admin_pool("statistics")?;
                    let mut conn = pool.get().map_err(|e| self.env.pool_error(e))?;
                    let mut tables = Vec::new();
                    for t in SchemaDescription::expected().tables {
                        // The names are the schema's own, never caller text.
                        let n = $crate::diesel::sql_query(format!("SELECT count(*) AS n FROM \"{}\"", t.name))
                            .get_result::<Count>(&mut *conn)
                            .map_err(|e| Op::new("-", "count").error(e))?
                            .n;
                        tables.push(TableStats { table: t.name, rows: n.max(0) as u64 });
                    }
                    tables.sort_by(|a, b| a.table.cmp(&b.table));
                    Ok(DatabaseStats {
                        backend: $backend,
                        total_rows: tables.iter().map(|t| t.rows).sum(),
                        tables,
                        size_bytes: $($driver)::+::size_bytes(&mut conn)?,
                    })
                }

                fn optimize(&self, vacuum: bool) -> Result<Vec<String>> {
                    use $crate::diesel::connection::SimpleConnection as _;
                    let pool = self.admin_pool("optimize")?;
                    let mut conn = pool.get().map_err(|e| self.env.pool_error(e))?;
                    let mut ran = Vec::new();
                    for statement in $($driver)::+::optimize_statements(vacuum) {
                        conn.batch_execute(statement)
                            .map_err(|e| Op::new("-", "optimize").error(e))?;
                        ran.push(statement.to_string());
                    }
                    Ok(ran)
                }

                fn performance(&self) -> Vec<OperationStats> {
                    self.env.metrics.snapshot()
                }

                fn slow_queries(&self, page: Page) -> Result<Vec<SlowQuery>> {
                    let page = page.checked("slow_queries")?;
                    let pool = self.admin_pool("reading slow queries")?;
                    let mut conn = pool.get().map_err(|e| self.env.pool_error(e))?;
                    // What waits in memory is written first, so the list is complete.
                    write_slow_runs(&mut conn, &self.env)?;
                    sq::table
                        .filter(sq::id.lt(page.before_id()))
                        .order(sq::id.desc())
                        .limit(i64::from(page.limit))
                        .select(SlowQueriesRow::as_select())
                        .load::<SlowQueriesRow>(&mut *conn)
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
                        .map_err(|e| Op::new("slow_queries", "select").error(e))
                }
            }
        };
    };
}
