//! [`Driver`]: what a backend gives the store code that both drivers share.
//!
//! The store code (`nerve-diesel/each_driver/`) is written once and compiled inside each driver
//! crate, against that crate's Diesel schema and its type `crate::driver::ThisDriver`, which
//! implements this trait. Everything the shared code needs that differs between backends is a
//! member here, so a driver that lacks one fails to compile with an error naming the trait and
//! the member, and everything a new backend must provide is this one list.

use crate::constraints::{self, ConstraintInfo};
use crate::Env;
use diesel::r2d2::R2D2Connection;
use diesel::QueryResult;
use nerve_core::model::{Orphan, SchemaDescription};
use nerve_core::Result;

/// A backend of the Diesel drivers: its connection, how it runs transactions, and the SQL that
/// differs between backends. Implemented by a unit type in each driver crate (`SqliteDriver`,
/// `PgDriver`); every member is an associated function, as the driver has no state of its own
/// (the state is the store's [`Env`] and pool).
pub trait Driver: 'static {
    /// The Diesel backend.
    type Backend: diesel::backend::Backend;
    /// The Diesel connection type.
    type Conn: diesel::Connection<Backend = Self::Backend> + R2D2Connection + Send + 'static;
    /// The r2d2 manager that opens connections for the pool, boxed ([`Boxed`](crate::Boxed)).
    type Manager: r2d2::ManageConnection<Connection = Box<Self::Conn>>;

    /// Which backend this is, as the contract names it.
    const BACKEND: nerve_core::Backend;

    /// Runs `f` in a top-level write transaction on `conn`: committed when `f` returns `Ok`,
    /// rolled back otherwise. SQLite begins it `IMMEDIATE`, so the write lock is taken at
    /// `BEGIN` rather than half-way.
    fn write_transaction<T, E>(
        conn: &mut Self::Conn,
        f: impl FnOnce(&mut Self::Conn) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<diesel::result::Error>;

    /// `e`, which work on `conn` has just returned, classified by what `conn` itself knows of
    /// the failure where Diesel's error carries no kind for it. It must be called before
    /// anything else runs on `conn`: the store's `Scope` does so for every error of the work it
    /// runs (reads, writes, `atomic`, a refused `BEGIN`) and the admin operations that run on a
    /// connection of their own do so too. Where the failed work's transaction was rolled back
    /// first (migrations, [`Driver::without_waiting`]), the code is gone and the error stays a
    /// backend error, as PostgreSQL's lock timeout is. SQLite reports a lock held past the busy
    /// timeout only on the connection (its result code `SQLITE_BUSY`, or the mark its busy
    /// handler leaves when Diesel's reset has cleared that code), so its driver makes such an
    /// error [`crate::errors::locked_out`]; the default returns `e` (PostgreSQL's errors
    /// carry their SQLSTATE, which [`crate::Op::error`] reads).
    fn reclassify(conn: &mut Self::Conn, e: nerve_core::Error) -> nerve_core::Error {
        let _ = conn;
        e
    }

    /// Called when the store takes `conn` from its pool for a call, before anything runs on
    /// it: what `conn` remembers of a failure no one asked about ([`Driver::reclassify`])
    /// must not be taken for this call's. SQLite forgets its busy handler's mark; the default
    /// does nothing.
    fn on_checkout(conn: &mut Self::Conn) {
        let _ = conn;
    }

    /// What every transaction of the store runs first (PostgreSQL sets the statement timeout
    /// of `env` with `SET LOCAL`; SQLite does nothing).
    fn on_begin(conn: &mut Self::Conn, env: &Env) -> Result<()>;

    /// Runs `f` in a transaction of its own that fails at once, rather than waits, when another
    /// writer holds a lock it needs (used for best-effort bookkeeping such as slow-query rows).
    fn without_waiting<T>(
        conn: &mut Self::Conn,
        f: impl FnOnce(&mut Self::Conn) -> QueryResult<T>,
    ) -> QueryResult<T>;

    /// `n` ids for new rows of `table` that no other row has or will get. Runs inside a write
    /// transaction; `table` is one of the schema's own names, never caller text.
    fn reserve_ids(conn: &mut Self::Conn, table: &str, n: usize) -> QueryResult<Vec<i64>>;

    /// Makes the calling transaction the only writer of `table` until it ends (readers go on).
    fn lock_writers(conn: &mut Self::Conn, table: &str) -> QueryResult<()>;

    /// Runs after rows were inserted into `table` with their ids given, so that later rows
    /// without an id do not collide with them (PostgreSQL moves the identity past the largest
    /// id; SQLite needs nothing).
    fn after_explicit_ids(conn: &mut Self::Conn, table: &str) -> QueryResult<()>;

    /// Which migrations the database `conn` is connected to has applied, against the ones
    /// embedded in this driver; reads only (a database without the record table has none).
    fn schema_status(conn: &mut Self::Conn) -> Result<nerve_core::SchemaStatus>;

    /// The structure of the database `conn` is connected to, read from its catalog.
    fn describe(conn: &mut Self::Conn) -> Result<SchemaDescription>;

    /// Every primary key, unique key (constraint or unique index) and foreign key of the
    /// database `conn` is connected to, from its catalog, so that a violation the database
    /// reports can be named by its table and columns ([`crate::constraints`]).
    fn constraints(conn: &mut Self::Conn) -> Result<Vec<ConstraintInfo>>;

    /// Records this backend's constraints for the process from `conn` ([`constraints::learn`]),
    /// unless they are known already or the schema is not current (a store opened to inspect
    /// an old database teaches nothing). The stores call it when they open.
    fn learn_constraints(conn: &mut Self::Conn) -> Result<()> {
        if constraints::known(Self::BACKEND)
            || Self::schema_status(conn)?.require_current().is_err()
        {
            return Ok(());
        }
        let list = Self::constraints(conn)?;
        constraints::learn(Self::BACKEND, || list);
        Ok(())
    }

    /// The backend's own integrity checks beyond `expected`'s structure (SQLite's
    /// `integrity_check` and foreign-key check, for example): problems found, and rows whose
    /// parent is missing.
    fn checks(
        conn: &mut Self::Conn,
        expected: &SchemaDescription,
    ) -> Result<(Vec<String>, Vec<Orphan>)>;

    /// The size of the database on disk, in bytes.
    fn size_bytes(conn: &mut Self::Conn) -> Result<u64>;

    /// What the server reports of its own state; lists of sessions hold only those past
    /// `limits` (a long-running statement, an idle transaction, a wait for a lock).
    fn server_metrics(
        conn: &mut Self::Conn,
        limits: &nerve_core::HealthThresholds,
    ) -> Result<nerve_core::model::ServerMetrics>;

    /// The statements that refresh the planner's statistics and, with `vacuum`, reclaim space.
    fn optimize_statements(vacuum: bool) -> Vec<&'static str>;

    /// Makes the transaction in progress see one snapshot of the database for every later
    /// statement (PostgreSQL: `REPEATABLE READ, READ ONLY`; SQLite's transactions already do).
    fn snapshot(conn: &mut Self::Conn) -> Result<()>;

    /// Lifts the statement timeout for the rest of the transaction in progress, for
    /// maintenance that may take long by design.
    fn unbounded(conn: &mut Self::Conn) -> Result<()>;

    /// A condition on `cached_asm_scans` that every row whose `scan_results` contains
    /// `pattern` (JSON containment) meets, so the search reads fewer rows; the containment rule
    /// itself is applied after. `None` when the backend has no such condition for `pattern`.
    /// PostgreSQL answers containment exactly (`@>`, GIN index); SQLite pre-filters on the
    /// pattern's first string.
    #[allow(clippy::type_complexity)]
    fn scan_results_prefilter<QS: 'static>(
        pattern: &serde_json::Value,
    ) -> Option<
        Box<dyn diesel::BoxableExpression<QS, Self::Backend, SqlType = diesel::sql_types::Bool>>,
    >;

    /// The placeholder of the `n`th bound value (from 1) in hand-written SQL.
    fn param(n: usize) -> String;

    /// SQL giving column `col` as text (`json`: a JSON document column).
    fn text_of(col: &str, json: bool) -> String;

    /// SQL storing the text expression `expr` as the column type (`json`: a JSON document).
    fn stored_as(expr: String, json: bool) -> String;

    /// SQL that is true when the text expression `expr` contains the text bound at `param`.
    fn contains(expr: &str, param: &str) -> String;
}

/// How a driver writes many whole rows of one table at once, for
/// [`RawRows::batch_insert`](nerve_core::RawRows::batch_insert): implemented by each driver for
/// every row type of the table list (PostgreSQL sends one binary `COPY`; SQLite runs multi-row
/// `INSERT`s of as many rows as a statement may bind). The rows are complete (ids included)
/// and checked; the caller's write transaction holds them all or none.
pub trait InsertRows<Row>: Driver {
    /// How many rows one [`InsertRows::insert_rows`] call takes at most: the caller decodes
    /// and inserts a batch this many rows at a time, so that a large batch is never held
    /// decoded whole (at least 1).
    fn rows_per_call() -> usize;

    /// Inserts `rows` (at most [`InsertRows::rows_per_call`]), in order, and returns how many
    /// were inserted. A constraint violation is the database's error, naming the constraint.
    fn insert_rows(conn: &mut Self::Conn, rows: &[Row]) -> QueryResult<usize>;
}
