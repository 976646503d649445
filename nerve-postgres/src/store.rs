//! The PostgreSQL store: the shared store code (`crate::stores`) over this driver's pool,
//! plus what only PostgreSQL does (connecting, locked migrations, status).

use crate::schema::__diesel_schema_migrations as applied;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::ConnectionManager;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use nerve_core::url::redact;
use nerve_core::{
    Backend, Capabilities, Error, MigrationPolicy, Repos, Result, SchemaStatus, Store, StoreOptions,
};
use nerve_diesel::{migrations, Env, Op, TxError};
use std::sync::Arc;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations_postgres");

pub(crate) use crate::stores::{Conn, Pool, Scope};

/// A NERVE store on PostgreSQL. Cheap to share: `Send + Sync`, one pool inside.
pub struct PgStore {
    pool: Pool,
    pub(crate) scope: Scope<'static>,
    /// The same stores with every read on the primary (`Store::primary`).
    primary: Scope<'static>,
    env: Arc<Env>,
    url: String,
    backups: crate::backup::Backups,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// One connection to `url`; the error names the URL without its password, and libpq's
/// message (which may quote what it was given) is scrubbed of it.
/// NERVE's own URL parameters are read as [`url_options`] reads them (`statement_cache=off`
/// turns this connection's statement cache off; a value that is not one is refused by name)
/// and left out of what libpq sees.
pub(crate) fn establish(url: &str) -> Result<Conn> {
    let (url, options) = url_options(url, &StoreOptions::default())?;
    let url = url.as_str();
    let mut conn = PgConnection::establish(url).map_err(|e| {
        let secrets = nerve_core::url::secrets_of(url);
        Error::Connect {
            reason: format!(
                "cannot connect to {}: {}",
                redact(url),
                nerve_core::url::scrub(e.to_string().trim(), &secrets)
            ),
        }
    })?;
    StatementCache(options.statement_cache).apply(&mut conn);
    Ok(conn)
}

impl PgStore {
    /// See [`crate::open`].
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self> {
        let (url, options) = &url_options(url, options)?;
        let url = url.as_str();
        let env = Arc::new(Env::new(url, options)?);
        // Migrate or check on a connection of its own, before the pool exists: pooled
        // connections then never hold statements prepared against an older schema.
        let mut conn = establish(url)?;
        StatementCache(options.statement_cache).apply(&mut conn);
        // Behind a transaction-mode pooler the checks run in one transaction, so they all meet
        // one server connection, like every call of the store.
        if options.migrations == MigrationPolicy::Apply {
            migrations::apply_policy(&mut conn, options.migrations, migrate, schema_status)?;
        } else {
            in_transaction(&mut conn, |c| {
                migrations::apply_policy(c, options.migrations, migrate, schema_status)
            })?;
        }
        drop(conn);
        let pool = nerve_diesel::pool_builder(options.max_connections, options.connect_timeout)
            .connection_customizer(Box::new(StatementCache(options.statement_cache)))
            .build(nerve_diesel::Boxed(ConnectionManager::<PgConnection>::new(
                url,
            )))
            .map_err(|e| env.pool_error(e))?;
        let mut scope = Scope::pooled(pool.clone(), env.clone());
        // Once per process: what a violation's constraint name means (`Driver::constraints`).
        scope.learn_constraints()?;
        if let Some(replica) = &options.replica {
            // NERVE's parameters, if the caller's replica URL carries any, are the primary's.
            let (replica, _) = nerve_core::url::take_parameters(replica, &URL_PARAMETERS);
            // Never checked at open: a replica that is down sends its reads to the primary.
            let replica_pool = nerve_diesel::pool_builder(
                options.max_connections,
                options.connect_timeout.min(REPLICA_CONNECT_TIMEOUT),
            )
            .connection_customizer(Box::new(StatementCache(options.statement_cache)))
            .build_unchecked(nerve_diesel::Boxed(
                ConnectionManager::<PgConnection>::new(replica.as_str()),
            ));
            scope = scope.with_replica(nerve_diesel::Replica::new(replica_pool, redact(&replica)));
        }
        let backups = crate::backup::Backups {
            url: url.to_string(),
            dir: options
                .backup_dir
                .clone()
                .unwrap_or_else(|| crate::backup::DEFAULT_DIR.into()),
            embedded: embedded_versions(),
            env: env.clone(),
        };
        Ok(PgStore {
            scope,
            primary: Scope::pooled(pool.clone(), env.clone()),
            pool,
            env,
            url: redact(url),
            backups,
        })
    }
}

/// The URL parameters NERVE reads (and removes before libpq sees the URL, which refuses
/// parameters it does not know), each overriding its [`StoreOptions`] field:
/// `pool_max_size` (`max_connections`), `pool_timeout_ms` (`connect_timeout`),
/// `statement_timeout_ms` (`statement_timeout`, 0 for none), `statement_cache` (`on`/`off`),
/// `retries` (`retry.retries`), `replica` (`replica`: `host[:port]` of a read replica, the
/// rest of its URL the primary's).
pub const URL_PARAMETERS: [&str; 6] = [
    "pool_max_size",
    "pool_timeout_ms",
    "statement_timeout_ms",
    "statement_cache",
    "retries",
    "replica",
];

/// The longest a replica read waits for a connection to the replica (at most
/// `connect_timeout`) before it reads from the primary instead.
const REPLICA_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// `url` without NERVE's parameters, and `options` with them applied. Errors:
/// [`Error::Validation`] naming the parameter for a value that is not one.
pub fn url_options(url: &str, options: &StoreOptions) -> Result<(String, StoreOptions)> {
    let (url, params) = nerve_core::url::take_parameters(url, &URL_PARAMETERS);
    let mut options = options.clone();
    for (name, value) in params {
        let field = URL_PARAMETERS
            .iter()
            .find(|n| **n == name)
            .copied()
            .unwrap_or("-");
        let invalid = |what: &str| Error::Validation {
            table: "-",
            field,
            reason: format!("URL parameter {name}={value:?}: {what}"),
        };
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| invalid("not a whole number"))
        };
        match name.as_str() {
            "pool_max_size" => {
                options.max_connections = u32::try_from(number()?)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid("must be 1 or more"))?
            }
            "pool_timeout_ms" => {
                options.connect_timeout = std::time::Duration::from_millis(number()?)
            }
            "statement_timeout_ms" => {
                options.statement_timeout = Some(number()?)
                    .filter(|n| *n > 0)
                    .map(std::time::Duration::from_millis)
            }
            "statement_cache" => {
                options.statement_cache = match value.as_str() {
                    "on" | "true" => true,
                    "off" | "false" => false,
                    _ => return Err(invalid("must be on or off")),
                }
            }
            "replica" => {
                options.replica = Some(
                    nerve_core::url::with_host(&url, &value)
                        .ok_or_else(|| invalid("not a host or host:port"))?,
                )
            }
            _ => {
                options.retry.retries =
                    u32::try_from(number()?).map_err(|_| invalid("too large"))?
            }
        }
    }
    Ok((url, options))
}

/// Turns each pooled connection's prepared-statement cache off when asked (pgbouncer in
/// transaction mode cannot keep a connection's prepared statements).
#[derive(Debug, Clone, Copy)]
struct StatementCache(bool);

impl StatementCache {
    /// Turns `conn`'s prepared-statement cache off when the setting says so.
    fn apply(&self, conn: &mut PgConnection) {
        if !self.0 {
            conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
        }
    }
}

impl diesel::r2d2::CustomizeConnection<Box<PgConnection>, diesel::r2d2::Error> for StatementCache {
    fn on_acquire(
        &self,
        conn: &mut Box<PgConnection>,
    ) -> std::result::Result<(), diesel::r2d2::Error> {
        self.apply(conn);
        Ok(())
    }
}

/// Runs `f` on `conn` inside one transaction (committed when it returns `Ok`).
pub(crate) fn in_transaction<T>(
    conn: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<T> {
    conn.transaction(|c| f(c).map_err(TxError::Nerve))
        .map_err(|e| e.into_error(MIGRATIONS_TABLE))
}

impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn admin(&self) -> &dyn nerve_core::AdminStore {
        &self.scope
    }

    fn backups(&self) -> &dyn nerve_core::BackupStore {
        &self.backups
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.native_enum_types = true;
        caps.concurrent_writers = true;
        caps.json_content_indexes = true;
        caps.statement_timeout = true;
        caps.read_replicas = true;
        caps.foreign_key_details = true;
        caps.ids_never_reused = true;
        caps
    }

    fn primary(&self) -> &dyn Repos {
        &self.primary
    }

    fn atomic(&self, f: &mut dyn FnMut(&dyn Repos) -> Result<()>) -> Result<()> {
        Scope::atomic(&self.pool, &self.env, f)
    }

    fn schema_status(&self) -> Result<SchemaStatus> {
        let mut conn = self
            .scope
            .connection(&self.pool)
            .map_err(|e| self.env.pool_error(e))?;
        in_transaction(&mut conn, schema_status).map_err(crate::stores::applied_nothing)
    }
}

/// The versions of the embedded migrations, oldest first.
pub(crate) fn embedded_versions() -> Vec<String> {
    migrations::embedded::<diesel::pg::Pg>(&MIGRATIONS)
        .into_iter()
        .map(|(version, _)| version)
        .collect()
}

const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// Diesel's own definition with `run_on` as TIMESTAMPTZ, so the schema holds no timestamp
/// without time zone. Diesel creates the table only when missing, so this one is used.
pub(crate) const CREATE_MIGRATIONS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

/// The applied migrations (none when the record table does not exist; nothing is created).
pub(crate) fn schema_status(conn: &mut Conn) -> Result<SchemaStatus> {
    let op = Op::new(MIGRATIONS_TABLE, "select");
    let exists: bool = diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(conn)
    .map_err(|e| op.error(e))?;
    let rows = if exists {
        applied::table
            .select((applied::version, applied::run_on))
            .load(conn)
            .map_err(|e| op.error(e))?
    } else {
        Vec::new()
    };
    Ok(migrations::status(
        Backend::Postgres,
        &migrations::embedded::<diesel::pg::Pg>(&MIGRATIONS),
        rows,
    ))
}

/// Applies pending migrations in one transaction holding the advisory lock (Diesel's
/// per-migration transactions become savepoints in it); refuses a database newer than this
/// binary.
pub(crate) fn migrate(conn: &mut Conn) -> Result<Vec<String>> {
    // Nothing to do needs no lock and no CREATE right.
    let status = schema_status(conn)?;
    if status.pending.is_empty() {
        return status.require_current().map(|()| Vec::new());
    }
    conn.transaction(|c| {
        lock_migrations(c)?;
        c.batch_execute(CREATE_MIGRATIONS_TABLE)?;
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

/// Reverts the newest `steps` migrations in one transaction holding the advisory lock (all or
/// none).
pub(crate) fn revert(conn: &mut Conn, steps: usize) -> Result<Vec<String>> {
    conn.transaction(|c| {
        lock_migrations(c)?;
        let status = schema_status(c)?;
        migrations::revert(c, &status, steps, || MIGRATIONS).map_err(TxError::Nerve)
    })
    .map_err(|e| e.into_error(MIGRATIONS_TABLE))
}

/// Takes the migration advisory lock for the rest of the transaction.
fn lock_migrations(conn: &mut Conn) -> QueryResult<()> {
    diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "pg_advisory_xact_lock({}) IS NULL",
        crate::MIGRATION_LOCK_KEY
    )))
    .execute(conn)
    .map(drop)
}
