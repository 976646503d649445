//! `nerve baseline` on PostgreSQL: the reference is a temporary database on the same server
//! that the embedded migrations build (dropped afterwards); additions copy its own
//! definitions (`pg_get_indexdef`, `format_type`, `pg_get_constraintdef`). The plan and the
//! migration record go in one transaction holding the migration lock; PostgreSQL checks
//! every present row against an added CHECK.

use crate::describe;
use crate::store::{self, establish, Conn};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use nerve_core::baseline::{Addition, BaselineDriver, Checks, PlannedChange};
use nerve_core::model::schema::normalize_predicate;
use nerve_core::model::SchemaDescription;
use nerve_core::url::{database_name, with_database};
use nerve_core::{Error, Result};
use nerve_diesel::Op;

/// The live database and the reference.
pub(crate) struct Postgres {
    url: String,
    live: Conn,
    reference: Option<(String, Conn)>,
}

#[derive(QueryableByName)]
struct Constraint {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn select_error(e: diesel::result::Error) -> Error {
    Op::new("pg_catalog", "select").error(e)
}

/// Every CHECK constraint of the `public` schema's tables.
fn constraints(conn: &mut Conn) -> Result<Vec<Constraint>> {
    diesel::sql_query(
        "SELECT c.relname::text AS table_name, k.conname::text AS name, \
                pg_get_constraintdef(k.oid) AS definition \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND k.contype = 'c' \
           AND c.relname <> '__diesel_schema_migrations' ORDER BY 1, 2",
    )
    .load(conn)
    .map_err(select_error)
}

/// A constraint definition's expression, normalized: `CHECK ((a >= 0))` → `a >= 0`. A
/// constraint not validated keeps its `not valid`, so it never passes for a validated one.
fn expression(definition: &str) -> String {
    let d = definition.trim();
    normalize_predicate(d.strip_prefix("CHECK").unwrap_or(d))
}

fn checks(conn: &mut Conn) -> Result<Checks> {
    let mut out = Checks::new();
    for c in constraints(conn)? {
        out.entry(c.table_name)
            .or_default()
            .insert(expression(&c.definition));
    }
    Ok(out)
}

impl Postgres {
    /// Connects to the database at `url` (NERVE's parameters removed) for adoption.
    pub(crate) fn open(url: &str) -> Result<Self> {
        let (url, _) = nerve_core::url::take_parameters(url, &crate::URL_PARAMETERS);
        Ok(Postgres {
            live: establish(&url)?,
            url,
            reference: None,
        })
    }

    /// The reference database, created and migrated on first use.
    fn reference_conn(&mut self) -> Result<&mut Conn> {
        if self.reference.is_none() {
            let live = database_name(&self.url).unwrap_or_default();
            let maintenance = if live == "postgres" {
                "template1"
            } else {
                "postgres"
            };
            let name = format!(
                "nerve_baseline_{}_{}",
                std::process::id(),
                chrono::Utc::now().timestamp_micros() % 1_000_000_000_000
            );
            establish(&with_database(&self.url, maintenance))?
                .batch_execute(&format!(
                    "CREATE DATABASE {} TEMPLATE template0",
                    quote(&name)
                ))
                .map_err(|e| Error::Migration {
                    reason: format!(
                        "cannot create the reference database {name} (adoption compares with \
                         one the migrations build; the role needs CREATEDB): {e}"
                    ),
                })?;
            // Kept from here on, so that Drop removes it whatever happens next.
            let url = with_database(&self.url, &name);
            let conn = establish(&url).and_then(|mut conn| {
                store::migrate(&mut conn)?;
                Ok(conn)
            });
            match conn {
                Ok(conn) => self.reference = Some((name, conn)),
                Err(e) => {
                    drop_database(&self.url, &name);
                    return Err(e);
                }
            }
        }
        Ok(&mut self.reference.as_mut().expect("just set").1)
    }
}

/// Drops the database `name` of the server of `url`, best effort.
fn drop_database(url: &str, name: &str) {
    let maintenance = if database_name(url).as_deref() == Some("postgres") {
        "template1"
    } else {
        "postgres"
    };
    if let Ok(mut admin) = establish(&with_database(url, maintenance)) {
        let _ = admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote(name)
        ));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some((name, conn)) = self.reference.take() {
            drop(conn);
            drop_database(&self.url, &name);
        }
    }
}

impl BaselineDriver for Postgres {
    fn recorded(&mut self) -> Result<Vec<String>> {
        Ok(store::schema_status(&mut self.live)?.applied_versions())
    }

    fn inspect(&mut self) -> Result<(SchemaDescription, Checks)> {
        Ok((describe::describe(&mut self.live)?, checks(&mut self.live)?))
    }

    fn reference(&mut self) -> Result<(SchemaDescription, Checks)> {
        let conn = self.reference_conn()?;
        Ok((describe::describe(conn)?, checks(conn)?))
    }

    fn checks_define_types(&self) -> bool {
        false
    }

    fn embedded(&self) -> Vec<String> {
        store::embedded_versions()
    }

    fn plan(&mut self, additions: &[Addition]) -> Result<Vec<PlannedChange>> {
        let mut plan = Vec::new();
        for addition in additions {
            let reference = self.reference_conn()?;
            let sql = match addition {
                Addition::Index { index, .. } => {
                    #[derive(QueryableByName)]
                    struct Def {
                        #[diesel(sql_type = Text)]
                        def: String,
                    }
                    let Def { def } = diesel::sql_query(
                        "SELECT pg_get_indexdef(c.oid) AS def FROM pg_class c \
                         JOIN pg_namespace n ON n.oid = c.relnamespace \
                         WHERE n.nspname = 'public' AND c.relkind = 'i' AND c.relname = $1",
                    )
                    .bind::<Text, _>(index)
                    .get_result(reference)
                    .map_err(select_error)?;
                    vec![def]
                }
                Addition::Column { table, column } => {
                    #[derive(QueryableByName)]
                    struct Col {
                        #[diesel(sql_type = Text)]
                        ty: String,
                        #[diesel(sql_type = Nullable<Text>)]
                        def: Option<String>,
                    }
                    let Col { ty, def } = diesel::sql_query(
                        "SELECT format_type(a.atttypid, a.atttypmod) AS ty, \
                                pg_get_expr(d.adbin, d.adrelid) AS def \
                         FROM pg_attribute a \
                         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                         WHERE a.attrelid = format('public.%I', $1)::regclass AND a.attname = $2",
                    )
                    .bind::<Text, _>(table)
                    .bind::<Text, _>(column)
                    .get_result(reference)
                    .map_err(select_error)?;
                    vec![format!(
                        "ALTER TABLE public.{} ADD COLUMN {} {ty}{}",
                        quote(table),
                        quote(column),
                        def.map(|d| format!(" DEFAULT {d}")).unwrap_or_default()
                    )]
                }
                Addition::Checks { table, checks } => constraints(reference)?
                    .into_iter()
                    .filter(|c| {
                        &c.table_name == table && checks.contains(&expression(&c.definition))
                    })
                    .map(|c| {
                        format!(
                            "ALTER TABLE public.{} ADD CONSTRAINT {} {}",
                            quote(table),
                            quote(&c.name),
                            c.definition
                        )
                    })
                    .collect(),
            };
            plan.push(PlannedChange {
                what: addition.describe(),
                sql,
            });
        }
        Ok(plan)
    }

    fn begin(&mut self) -> Result<()> {
        let op = Op::new("__diesel_schema_migrations", "baseline");
        self.live.batch_execute("BEGIN").map_err(|e| op.error(e))?;
        let locked = self.live.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({})",
            crate::MIGRATION_LOCK_KEY
        ));
        locked.map_err(|e| {
            let _ = self.live.batch_execute("ROLLBACK");
            op.error(e)
        })
    }

    fn statement(&mut self, sql: &str) -> Result<()> {
        self.live
            .batch_execute(sql)
            .map_err(|e| Op::new("-", "baseline").error(e))
    }

    fn record(&mut self, versions: &[String]) -> Result<()> {
        let op = Op::new("__diesel_schema_migrations", "baseline");
        self.live
            .batch_execute(store::CREATE_MIGRATIONS_TABLE)
            .map_err(|e| op.error(e))?;
        for v in versions {
            diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ($1)")
                .bind::<Text, _>(v)
                .execute(&mut self.live)
                .map_err(|e| op.error(e))?;
        }
        Ok(())
    }

    fn end(&mut self, commit: bool) -> Result<()> {
        self.live
            .batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })
            .map_err(|e| Op::new("__diesel_schema_migrations", "baseline").error(e))
    }
}
