//! Prepared-statement caching for the statements Diesel never caches: [`update`] for an
//! `UPDATE` run for its row count, [`CacheBySql`] for a statement whose rows are loaded, and
//! [`CacheByKey`] for a statement whose SQL never varies.
//!
//! Diesel marks every `UPDATE` unsafe to cache, whatever its form, because its `SET` list can
//! vary with the values given (an `Option` field is left out when `None`) while its Rust type
//! stays the same. So without these, SQLite compiles such a statement at every call and
//! PostgreSQL parses and plans it at every call. [`update`] and [`CacheBySql`] key the cache by
//! the statement's SQL text and bind types instead of its Rust type (no static query id): each
//! distinct form is prepared once per connection and run again with new values, and a form
//! that differs in its SQL is a different entry. The forms a store writes are few.
//! [`CacheByKey`] keys it by a marker type, for the hot statements whose SQL is fixed.

use diesel::backend::Backend;
use diesel::query_builder::{
    AsChangeset, AstPass, IntoUpdateTarget, Query, QueryFragment, QueryId,
};
use diesel::result::{EmptyChangeset, Error as DieselError};
use diesel::{QueryResult, Table};

/// A statement whose rows are loaded (`get_result`, `load`, `first`), cached by its SQL text.
///
/// Use it for an `UPDATE ... RETURNING` or any other statement Diesel marks as unsafe to
/// cache and that is run by value. It has no effect with `execute`: Diesel runs a statement
/// by reference there, and a reference asks the statement itself whether it may be cached
/// (an `UPDATE` says no). For an `UPDATE` run for its row count, use [`update`].
#[derive(Debug, Clone, Copy)]
pub struct CacheBySql<Q>(pub Q);

impl<Q, DB> QueryFragment<DB> for CacheBySql<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for CacheBySql<Q> {
    // No static id: the statement cache keys it by its SQL text and bind types.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for CacheBySql<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> diesel::RunQueryDsl<Conn> for CacheBySql<Q> {}

/// Starts an `UPDATE` of `target` (a table, or a table with `filter`s, as for
/// [`diesel::update`]) whose prepared statement is cached by its SQL; give it its changes
/// with [`UpdateTarget::set`] and run it with `execute`, which returns the rows changed.
///
/// It writes the same SQL as `diesel::update(target).set(changes)` and is checked by the same
/// types (the changes must be of the target's table), but says nothing against caching, so
/// `execute` prepares it once per connection and SQL form. A part that is itself unsafe to
/// cache still makes it uncached: an `IN` list with one bind per value (SQLite; PostgreSQL
/// binds one array), or a literal SQL fragment (`diesel::dsl::sql`).
pub fn update<Target: IntoUpdateTarget>(
    target: Target,
) -> UpdateTarget<Target::Table, Target::WhereClause> {
    let target = target.into_update_target();
    UpdateTarget {
        table: target.table,
        where_clause: target.where_clause,
    }
}

/// An `UPDATE`'s table and `WHERE` clause, waiting for its changes: see [`update`].
#[derive(Debug, Clone, Copy)]
#[must_use = "an update does nothing until it is given its changes and executed"]
pub struct UpdateTarget<T, W> {
    table: T,
    where_clause: W,
}

impl<T: Table, W> UpdateTarget<T, W> {
    /// The `SET` list: anything Diesel's own `set` accepts for this table (`column.eq(value)`,
    /// a tuple of them, an `AsChangeset` struct).
    pub fn set<V>(self, changes: V) -> Update<T::FromClause, W, V::Changeset>
    where
        V: AsChangeset<Target = T>,
    {
        Update {
            from: self.table.from_clause(),
            where_clause: self.where_clause,
            changes: changes.as_changeset(),
        }
    }
}

/// `UPDATE <from> SET <changes> <where_clause>`, cached by its SQL: see [`update`].
#[derive(Debug, Clone, Copy)]
#[must_use = "an update does nothing until it is executed"]
pub struct Update<F, W, C> {
    from: F,
    where_clause: W,
    changes: C,
}

impl<F, W, C, DB> QueryFragment<DB> for Update<F, W, C>
where
    DB: Backend,
    F: QueryFragment<DB>,
    W: QueryFragment<DB>,
    C: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // As Diesel's own update: an empty SET list is an error, never `UPDATE t SET WHERE`.
        if self.changes.is_noop(out.backend())? {
            return Err(DieselError::QueryBuilderError(Box::new(EmptyChangeset)));
        }
        out.push_sql("UPDATE ");
        self.from.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.changes.walk_ast(out.reborrow())?;
        self.where_clause.walk_ast(out.reborrow())
    }
}

impl<F, W, C> QueryId for Update<F, W, C> {
    // No static id: the SET list's SQL can vary under one Rust type (see the module docs), so
    // the statement cache must key it by its SQL text and bind types.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<F, W, C, Conn> diesel::RunQueryDsl<Conn> for Update<F, W, C> {}

/// A statement whose SQL is the same at every call, cached under the marker type `K`: the
/// statement cache finds it by `K`'s type id, without building its SQL text as a key at every
/// call (which [`CacheBySql`] and [`update`] do, and which costs a hot `UPDATE ... RETURNING`
/// as much as a fifth of its instructions on SQLite).
///
/// Give each statement site its own marker (a unit struct declared beside it), and use it only
/// where the SQL cannot vary: a `SET` list of plain `column.eq(value)` pairs, no `Option`
/// changeset field, no `IN` list. Two forms under one key would run the first form's statement
/// with the second's values; debug builds (every test) check at each call that a key's SQL
/// never changes, and panic naming both texts if it does. Run it by value (`get_result`,
/// `load`, `first`): with `execute` Diesel runs it by reference, which neither caches it nor
/// checks it (as for [`CacheBySql`]).
#[derive(Debug, Clone, Copy)]
pub struct CacheByKey<K, Q> {
    query: Q,
    key: std::marker::PhantomData<K>,
}

impl<K: 'static, Q> CacheByKey<K, Q> {
    /// `query`, cached under `K`.
    pub fn new(query: Q) -> Self {
        CacheByKey {
            query,
            key: std::marker::PhantomData,
        }
    }
}

impl<K, Q, DB> QueryFragment<DB> for CacheByKey<K, Q>
where
    K: 'static,
    DB: Backend,
    DB::QueryBuilder: Default,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        #[cfg(debug_assertions)]
        one_form_per_key::<K, DB, Q>(&self.query, _backend)?;
        Ok(true)
    }
}

/// Panics when the SQL of the statement cached under `K` differs from the first one seen under
/// it in this process (debug builds only: see [`CacheByKey`]).
#[cfg(debug_assertions)]
fn one_form_per_key<K: 'static, DB, Q>(query: &Q, backend: &DB) -> QueryResult<()>
where
    DB: Backend,
    DB::QueryBuilder: Default,
    Q: QueryFragment<DB>,
{
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FORMS: OnceLock<Mutex<HashMap<(std::any::TypeId, String), String>>> = OnceLock::new();
    use diesel::query_builder::QueryBuilder;
    let mut builder = DB::QueryBuilder::default();
    query.to_sql(&mut builder, backend)?;
    let sql = builder.finish();
    // Keyed by backend too: the one site runs on both drivers in one test process.
    let key = (
        std::any::TypeId::of::<K>(),
        std::any::type_name::<DB>().to_string(),
    );
    let mut forms = FORMS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let first = forms.entry(key).or_insert_with(|| sql.clone());
    assert_eq!(
        *first,
        sql,
        "two SQL forms cached under one key {}",
        std::any::type_name::<K>()
    );
    Ok(())
}

impl<K: 'static, Q> QueryId for CacheByKey<K, Q> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K, Q: Query> Query for CacheByKey<K, Q> {
    type SqlType = Q::SqlType;
}

impl<K, Q, Conn> diesel::RunQueryDsl<Conn> for CacheByKey<K, Q> {}

#[cfg(test)]
mod tests {
    use super::CacheByKey;
    use diesel::dsl::sql;
    use diesel::sql_types::Integer;
    use diesel::{Connection, QueryResult, RunQueryDsl, SqliteConnection};

    fn select_under<K: 'static>(conn: &mut SqliteConnection, literal: &str) -> QueryResult<i32> {
        CacheByKey::<K, _>::new(diesel::select(sql::<Integer>(literal))).get_result(conn)
    }

    #[test]
    fn a_key_runs_its_one_form_again() {
        struct Site;
        let mut conn = SqliteConnection::establish(":memory:").expect("a connection");
        assert_eq!(select_under::<Site>(&mut conn, "1"), Ok(1));
        assert_eq!(select_under::<Site>(&mut conn, "1"), Ok(1));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "two SQL forms cached under one key")]
    fn a_second_form_under_one_key_is_refused_in_debug_builds() {
        struct Site;
        let mut conn = SqliteConnection::establish(":memory:").expect("a connection");
        assert_eq!(select_under::<Site>(&mut conn, "1"), Ok(1));
        // Without the check this would run `SELECT 1` again and return 1.
        let _ = select_under::<Site>(&mut conn, "2");
    }
}
