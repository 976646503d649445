//! The SQLite store: the shared store code (`crate::stores`) over this driver's pool, plus
//! what only SQLite does (opening, migrations, status).

use crate::connection::{self, Pragmas, Target};
use crate::schema::__diesel_schema_migrations as applied;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use nerve_core::{
    Backend, Capabilities, Error, MigrationPolicy, Repos, Result, SchemaStatus, Store, StoreOptions,
};
use nerve_diesel::{migrations, Env, Op, TxError};
use std::sync::Arc;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations_sqlite");

pub(crate) use crate::stores::{Conn, Pool, Scope};

/// A NERVE store on SQLite. Cheap to share: `Send + Sync`, one pool inside.
pub struct SqliteStore {
    pool: Pool,
    pub(crate) scope: Scope<'static>,
    env: Arc<Env>,
    target: Target,
    backups: crate::backup::Backups,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// See [`crate::open`].
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self> {
        let target = connection::parse_url(url)?;
        if options.replica.is_some() {
            return Err(Error::Validation {
                table: "-",
                field: "replica",
                reason: "SQLite has no read replicas (Capabilities::read_replicas)".into(),
            });
        }
        let mut env = Env::new(url, options)?;
        // SQLite has no statement timeout (Capabilities::statement_timeout).
        env.statement_timeout = None;
        let env = Arc::new(env);
        let memory = target == Target::Memory;
        if !memory {
            // Open one connection first: a bad path fails now, with SQLite's reason, instead of
            // after the pool's checkout timeout.
            drop(connection::establish(&target)?);
        }
        let mut builder = nerve_diesel::pool_builder(
            if memory { 1 } else { options.max_connections },
            options.connect_timeout,
        );
        if memory {
            // An in-memory database lives as long as its one connection: never let the pool
            // close it for being idle or old.
            builder = builder.idle_timeout(None).max_lifetime(None);
        }
        let pool = builder
            .connection_customizer(Box::new(Pragmas))
            .build(connection::manager(&target)?)
            .map_err(|e| env.pool_error(e))?;
        // A memory database is always new: it gets the schema whatever the policy says.
        let policy = match options.migrations {
            MigrationPolicy::Require if memory => MigrationPolicy::Apply,
            other => other,
        };
        {
            let mut conn = pool.get().map_err(|e| env.pool_error(e))?;
            migrations::apply_policy(&mut **conn, policy, migrate, schema_status)?;
        }
        let scope = Scope::pooled(pool.clone(), env.clone());
        // Once per process: what a violation's columns mean (`Driver::constraints`).
        scope.learn_constraints()?;
        let backups = crate::backup::Backups {
            target: target.clone(),
            dir: options
                .backup_dir
                .clone()
                .unwrap_or_else(|| crate::backup::default_dir(&target)),
            embedded: embedded_versions(),
            env: env.clone(),
        };
        Ok(SqliteStore {
            scope,
            pool,
            env,
            target,
            backups,
        })
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn admin(&self) -> &dyn nerve_core::AdminStore {
        &self.scope
    }

    fn backups(&self) -> &dyn nerve_core::BackupStore {
        &self.backups
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.in_memory = self.target == Target::Memory;
        caps
    }

    fn primary(&self) -> &dyn Repos {
        self
    }

    fn atomic(&self, f: &mut dyn FnMut(&dyn Repos) -> Result<()>) -> Result<()> {
        Scope::atomic(&self.pool, &self.env, f)
    }

    fn schema_status(&self) -> Result<SchemaStatus> {
        let mut conn = self
            .scope
            .connection(&self.pool)
            .map_err(|e| self.env.pool_error(e))?;
        schema_status(&mut conn).map_err(crate::stores::applied_nothing)
    }
}

/// The versions of the embedded migrations, oldest first.
pub(crate) fn embedded_versions() -> Vec<String> {
    migrations::embedded::<diesel::sqlite::Sqlite>(&MIGRATIONS)
        .into_iter()
        .map(|(version, _)| version)
        .collect()
}

const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// The applied migrations (none when the record table does not exist; nothing is created).
pub(crate) fn schema_status(conn: &mut Conn) -> Result<SchemaStatus> {
    let op = Op::new(MIGRATIONS_TABLE, "select");
    let exists: i64 = diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations')",
    ))
    .get_result(conn)
    .map_err(|e| op.error(e))?;
    let rows = if exists == 0 {
        Vec::new()
    } else {
        applied::table
            .select((applied::version, applied::run_on))
            .load::<(String, chrono::NaiveDateTime)>(conn)
            .map_err(|e| op.error(e))?
            .into_iter()
            .map(|(v, t)| (v, t.and_utc()))
            .collect()
    };
    Ok(migrations::status(
        Backend::Sqlite,
        &migrations::embedded::<diesel::sqlite::Sqlite>(&MIGRATIONS),
        rows,
    ))
}

/// Applies pending migrations in one `BEGIN IMMEDIATE` transaction (Diesel's per-migration
/// transactions become savepoints in it); refuses a database newer than this binary.
pub(crate) fn migrate(conn: &mut Conn) -> Result<Vec<String>> {
    // Nothing to do needs no write lock (and works on a read-only file).
    let status = schema_status(conn)?;
    if status.pending.is_empty() {
        return status.require_current().map(|()| Vec::new());
    }
    conn.immediate_transaction(|c| {
        let status = schema_status(c)?;
        if !status.unknown.is_empty() {
            return Err(TxError::Nerve(Error::SchemaTooNew {
                unknown: status.unknown,
            }));
        }
        c.run_pending_migrations(MIGRATIONS)
            .map_err(|e| TxError::Nerve(migrations::error(e)))?;
        Ok(status.pending)
    })
    .map_err(|e| e.into_error(MIGRATIONS_TABLE))
    .inspect(|applied| migrations::log_applied(applied))
}

/// Reverts the newest `steps` migrations in one `BEGIN IMMEDIATE` transaction (all or none).
pub(crate) fn revert(conn: &mut Conn, steps: usize) -> Result<Vec<String>> {
    conn.immediate_transaction(|c| {
        let status = schema_status(c)?;
        migrations::revert(c, &status, steps, || MIGRATIONS).map_err(TxError::Nerve)
    })
    .map_err(|e| e.into_error(MIGRATIONS_TABLE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use nerve_core::{MigrationPolicy, PasswordParams};

    fn options() -> StoreOptions {
        StoreOptions {
            migrations: MigrationPolicy::Apply,
            password: PasswordParams::INSECURE_FOR_TESTS,
            ..Default::default()
        }
    }

    fn pragma(conn: &mut Conn, name: &str) -> String {
        diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::Text>(&format!(
            "CAST((SELECT * FROM pragma_{name}()) AS TEXT)"
        )))
        .get_result(conn)
        .unwrap_or_else(|e| panic!("pragma {name}: {e}"))
    }

    #[test]
    fn every_pooled_connection_is_configured() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/dir/nerve.db", dir.path().display());
        let store = SqliteStore::open(&url, &options()).unwrap();
        assert!(
            dir.path().join("sub/dir/nerve.db").is_file(),
            "directory created"
        );
        // Two connections at once: both opened by the pool, both configured.
        let mut a = store.pool.get().unwrap();
        let mut b = store.pool.get().unwrap();
        // The waiter's busy handler waits out a lock the holder lets go 50 ms later.
        let waits = |holder: &mut Conn, waiter: &mut Conn| {
            holder.batch_execute("BEGIN IMMEDIATE").unwrap();
            std::thread::scope(|s| {
                let waiting = s.spawn(|| waiter.batch_execute("BEGIN IMMEDIATE; ROLLBACK"));
                std::thread::sleep(std::time::Duration::from_millis(50));
                holder.batch_execute("ROLLBACK").unwrap();
                waiting.join().unwrap().expect("waited for the lock");
            });
        };
        waits(&mut a, &mut b);
        waits(&mut b, &mut a);
        for conn in [&mut *a, &mut *b] {
            assert_eq!(pragma(conn, "foreign_keys"), "1");
            assert_eq!(pragma(conn, "journal_mode"), "wal");
            assert_eq!(pragma(conn, "synchronous"), "1", "NORMAL");
        }
    }

    #[test]
    fn memory_database_is_one_connection_so_one_database() {
        let store = SqliteStore::open("sqlite::memory:", &options()).unwrap();
        assert_eq!(store.pool.max_size(), 1);
        assert!(store.capabilities().in_memory);
        let c = nerve_core::Repos::companies(&store)
            .create(&nerve_core::model::NewCompany {
                name: "M".into(),
                domain: None,
            })
            .unwrap();
        // Another call (another checkout) sees the same database.
        assert_eq!(
            nerve_core::Repos::companies(&store).get(c.id).unwrap().name,
            "M"
        );
        assert!(store.schema_status().unwrap().pending.is_empty());
    }
}
