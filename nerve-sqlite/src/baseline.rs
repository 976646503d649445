//! `nerve baseline` on SQLite: the reference is an in-memory database the embedded
//! migrations build; additions copy its own definitions. A missing CHECK needs the table
//! rebuilt (SQLite cannot add one): the reference's CREATE TABLE under a temporary name, the
//! rows copied (each checked), the old table dropped and the new one renamed, its indexes and
//! triggers made again — inside one transaction with foreign-key enforcement off (so the drop
//! cascades nothing) and `foreign_key_check` run before the commit.

use crate::connection::{self, Target};
use crate::describe;
use crate::store::{self, Conn};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use nerve_core::baseline::{Addition, BaselineDriver, Checks, PlannedChange};
use nerve_core::model::SchemaDescription;
use nerve_core::{Error, Result};
use nerve_diesel::Op;

/// The live database and the reference.
pub(crate) struct Sqlite {
    live: Conn,
    reference: Option<Conn>,
}

#[derive(QueryableByName)]
struct Sql {
    #[diesel(sql_type = Nullable<Text>)]
    sql: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The SQL of the `kind` objects (`table`, `index`, `trigger`) of `conn` on `table` (the
/// table's own statement for `table`), in creation order.
fn objects(conn: &mut Conn, kind: &str, table: &str) -> Result<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Object {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        sql: String,
    }
    let rows: Vec<Object> = diesel::sql_query(format!(
        "SELECT name, sql FROM sqlite_master WHERE type = {} AND tbl_name = {} \
         AND sql IS NOT NULL ORDER BY rowid",
        literal(kind),
        literal(table)
    ))
    .load(conn)
    .map_err(|e| Op::new("sqlite_master", "select").error(e))?;
    Ok(rows.into_iter().map(|o| (o.name, o.sql)).collect())
}

impl Sqlite {
    /// Opens the database at `target` (which must exist) for adoption.
    pub(crate) fn open(target: &Target) -> Result<Self> {
        Ok(Sqlite {
            live: connection::establish_as_is(target)?,
            reference: None,
        })
    }

    /// Foreign keys and renames as every other connection has them.
    fn restore_pragmas(&mut self) -> Result<()> {
        self.live
            .batch_execute("PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF")
            .map_err(|e| Op::new("-", "baseline").error(e))
    }

    fn reference_conn(&mut self) -> Result<&mut Conn> {
        if self.reference.is_none() {
            let mut conn = connection::establish(&Target::Memory)?;
            store::migrate(&mut conn)?;
            self.reference = Some(conn);
        }
        Ok(self.reference.as_mut().expect("just set"))
    }

    fn table_sql(conn: &mut Conn, table: &str) -> Result<String> {
        objects(conn, "table", table)?
            .into_iter()
            .find(|(name, _)| name == table)
            .map(|(_, sql)| sql)
            .ok_or_else(|| Error::Migration {
                reason: format!("the reference schema has no table {table}"),
            })
    }

    /// The statements rebuilding `table` from the reference's definition, keeping the live
    /// table's own extra indexes and triggers.
    fn rebuild(&mut self, table: &str) -> Result<Vec<String>> {
        let live_columns: Vec<String> = {
            #[derive(QueryableByName)]
            struct Name {
                #[diesel(sql_type = Text)]
                name: String,
            }
            diesel::sql_query(format!(
                "SELECT name FROM pragma_table_info({})",
                literal(table)
            ))
            .load::<Name>(&mut self.live)
            .map_err(|e| Op::new("sqlite_master", "select").error(e))?
            .into_iter()
            .map(|n| n.name)
            .collect()
        };
        let live_extras: Vec<(String, String)> = objects(&mut self.live, "index", table)?
            .into_iter()
            .chain(objects(&mut self.live, "trigger", table)?)
            .collect();
        let reference = self.reference_conn()?;
        let create = Self::table_sql(reference, table)?;
        let body = create.find('(').map(|i| &create[i..]).unwrap_or_default();
        let own: Vec<(String, String)> = objects(reference, "index", table)?
            .into_iter()
            .chain(objects(reference, "trigger", table)?)
            .collect();
        let reference_columns = describe::describe(reference)?
            .table(table)
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
            .unwrap_or_default();
        let columns: Vec<String> = live_columns
            .iter()
            .filter(|c| reference_columns.contains(c))
            .map(|c| quote(c))
            .collect();
        let temp = quote(&format!("{table}__nerve_rebuild"));
        let mut sql = vec![
            format!("CREATE TABLE {temp} {body}"),
            format!(
                "INSERT INTO {temp} ({cols}) SELECT {cols} FROM {t}",
                cols = columns.join(", "),
                t = quote(table)
            ),
            format!("DROP TABLE {}", quote(table)),
            format!("ALTER TABLE {temp} RENAME TO {}", quote(table)),
        ];
        sql.extend(own.iter().map(|(_, s)| s.clone()));
        sql.extend(
            live_extras
                .into_iter()
                .filter(|(name, _)| !own.iter().any(|(n, _)| n == name))
                .map(|(_, s)| s),
        );
        Ok(sql)
    }
}

impl BaselineDriver for Sqlite {
    fn recorded(&mut self) -> Result<Vec<String>> {
        Ok(store::schema_status(&mut self.live)?.applied_versions())
    }

    fn inspect(&mut self) -> Result<(SchemaDescription, Checks)> {
        Ok((
            describe::describe(&mut self.live)?,
            describe::checks(&mut self.live)?,
        ))
    }

    fn reference(&mut self) -> Result<(SchemaDescription, Checks)> {
        let conn = self.reference_conn()?;
        Ok((describe::describe(conn)?, describe::checks(conn)?))
    }

    fn checks_define_types(&self) -> bool {
        true
    }

    fn embedded(&self) -> Vec<String> {
        store::embedded_versions()
    }

    fn plan(&mut self, additions: &[Addition]) -> Result<Vec<PlannedChange>> {
        let rebuilt: Vec<&str> = additions
            .iter()
            .filter(|a| matches!(a, Addition::Checks { .. }))
            .map(Addition::table)
            .collect();
        let mut plan = Vec::new();
        for addition in additions {
            let sql = match addition {
                Addition::Checks { table, .. } => self.rebuild(table)?,
                // A rebuilt table gets its columns and indexes with the rebuild.
                a if rebuilt.contains(&a.table()) => continue,
                Addition::Index { index, .. } => {
                    let Sql { sql } = diesel::sql_query(format!(
                        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = {}",
                        literal(index)
                    ))
                    .get_result(self.reference_conn()?)
                    .map_err(|e| Op::new("sqlite_master", "select").error(e))?;
                    vec![sql.unwrap_or_default()]
                }
                Addition::Column { table, column } => {
                    let create = Self::table_sql(self.reference_conn()?, table)?;
                    let definition =
                        describe::column_definition(&create, column).ok_or_else(|| {
                            Error::Migration {
                                reason: format!("the reference has no column {table}.{column}"),
                            }
                        })?;
                    vec![format!(
                        "ALTER TABLE {} ADD COLUMN {definition}",
                        quote(table)
                    )]
                }
            };
            let what = match addition {
                Addition::Checks { table, .. } => {
                    let others: Vec<String> = additions
                        .iter()
                        .filter(|a| a.table() == table && a != &addition)
                        .map(Addition::describe)
                        .collect();
                    format!(
                        "{}{}, rebuilding {table} (SQLite adds a CHECK no other way; every row \
                         is copied and checked)",
                        addition.describe(),
                        others.iter().map(|o| format!("; {o}")).collect::<String>()
                    )
                }
                other => other.describe(),
            };
            plan.push(PlannedChange { what, sql });
        }
        Ok(plan)
    }

    fn begin(&mut self) -> Result<()> {
        let op = Op::new("__diesel_schema_migrations", "baseline");
        // Outside the transaction: SQLite ignores these pragmas inside one. Foreign keys off,
        // so that dropping a rebuilt table cascades nothing; legacy renames, so that renaming
        // the rebuilt table rewrites no other table's triggers.
        self.live
            .batch_execute("PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON")
            .map_err(|e| op.error(e))?;
        match self.live.batch_execute("BEGIN IMMEDIATE") {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = self.restore_pragmas();
                Err(op.error(e))
            }
        }
    }

    fn statement(&mut self, sql: &str) -> Result<()> {
        self.live
            .batch_execute(sql)
            .map_err(|e| Op::new("-", "baseline").error(e))
    }

    fn record(&mut self, versions: &[String]) -> Result<()> {
        let op = Op::new("__diesel_schema_migrations", "baseline");
        let Count { n } = diesel::sql_query("SELECT count(*) AS n FROM pragma_foreign_key_check")
            .get_result(&mut self.live)
            .map_err(|e| op.error(e))?;
        if n > 0 {
            return Err(Error::Migration {
                reason: format!("{n} row(s) refer to rows that do not exist"),
            });
        }
        self.live
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (\
                 version VARCHAR(50) PRIMARY KEY NOT NULL, \
                 run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
            )
            .map_err(|e| op.error(e))?;
        for v in versions {
            self.live
                .batch_execute(&format!(
                    "INSERT INTO __diesel_schema_migrations (version) VALUES ({})",
                    literal(v)
                ))
                .map_err(|e| op.error(e))?;
        }
        Ok(())
    }

    fn end(&mut self, commit: bool) -> Result<()> {
        let ended = self
            .live
            .batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })
            .map_err(|e| Op::new("__diesel_schema_migrations", "baseline").error(e));
        ended.and(self.restore_pragmas())
    }
}
