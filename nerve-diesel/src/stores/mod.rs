//! The per-table store macros, one file per domain; each driver expands them against its
//! own schema.

mod accounts;
mod admin;
mod attack_surface;
mod bait;
mod companies;
mod compliance;
mod ghost;
mod osint;
mod roadmap;
mod uploads;
mod users;

/// Every domain store of the contract for a driver: the value-set mappings for backend `$db`
/// and the stores expanded against the `schema` module path given. A driver expands this once
/// after [`define_scope!`](crate::define_scope), so a new domain is added here, not in each
/// driver.
#[macro_export]
macro_rules! all_stores {
    (db = $db:ty, schema = $($schema:ident)::+) => {
        $crate::value_sets!(impls $db, $($schema)::+::sql_types);
        $crate::company_store!(schema = $($schema)::+);
        $crate::user_store!(schema = $($schema)::+);
        $crate::account_stores!(schema = $($schema)::+);
        $crate::attack_surface_store!(schema = $($schema)::+);
        $crate::bait_store!(schema = $($schema)::+);
        $crate::ghost_store!(schema = $($schema)::+);
        $crate::osint_store!(schema = $($schema)::+);
        $crate::upload_store!(schema = $($schema)::+);
        $crate::compliance_store!(schema = $($schema)::+);
        $crate::roadmap_store!(schema = $($schema)::+);

        /// Refuses writes to `audit_log_maintenance` through RawRows: a row there would open
        /// audit_logs to changes (see migration 000013).
        fn refuse_guard_table(table: &str) -> $crate::nerve_core::Result<()> {
            if table == "audit_log_maintenance" {
                return Err($crate::nerve_core::Error::Validation {
                    table: "audit_log_maintenance",
                    field: "-",
                    reason: "written only by the store's own data-lifecycle operations".into(),
                });
            }
            Ok(())
        }

        /// Writes the slow runs waiting in `env`'s timings to `slow_queries` in one
        /// transaction and deletes the oldest rows past the cap.
        fn write_slow_runs(conn: &mut Conn, env: &$crate::Env) -> $crate::nerve_core::Result<()> {
            use $crate::diesel::prelude::*;
            use $($schema)::+::slow_queries as sq;
            let runs = env.metrics.take_slow();
            if runs.is_empty() {
                return Ok(());
            }
            let cap = i64::from(env.metrics.cap);
            // Best effort and never a wait: a database busy with other writers keeps the runs
            // for a later write instead of holding up the call that just finished.
            let written = $($schema)::+::without_waiting(conn, |conn| {
                for run in &runs {
                    let operation: String = run.operation.chars().take(200).collect();
                    $crate::diesel::insert_into(sq::table)
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
                    $crate::diesel::delete(sq::table.filter(sq::id.le(boundary))).execute(conn)?;
                }
                Ok(())
            });
            written.map_err(|e: $crate::diesel::result::Error| {
                // Kept for the next try rather than lost.
                env.metrics.requeue(runs);
                $crate::Op::new("slow_queries", "insert").error(e)
            })
        }

        impl $crate::nerve_core::RawRows for Scope<'_> {
            fn insert(
                &self,
                table: &str,
                row: &$crate::serde_json::Value,
            ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                refuse_guard_table(table)?;
                self.write($crate::op_name!(), "-", |conn| $($schema)::+::rows::insert_json(conn, table, row))
            }

            fn batch_insert(&self, table: &str, rows: &[$crate::serde_json::Value]) -> $crate::nerve_core::Result<u64> {
                refuse_guard_table(table)?;
                self.write($crate::op_name!(), "-", |conn| $($schema)::+::rows::batch_insert_json(conn, table, rows))
            }

            fn safe_update(
                &self,
                table: &str,
                id: i64,
                expected_updated_at: $crate::chrono::DateTime<$crate::chrono::Utc>,
                changes: &$crate::serde_json::Value,
            ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                refuse_guard_table(table)?;
                let now = self.env().now();
                self.write($crate::op_name!(), "-", |conn| {
                    $($schema)::+::rows::update_json(conn, table, id, expected_updated_at, changes, now)
                })
            }

            fn get(&self, table: &str, id: i64) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                self.read($crate::op_name!(), |conn| $($schema)::+::rows::get_json(conn, table, id))
            }
        }
    };
}
