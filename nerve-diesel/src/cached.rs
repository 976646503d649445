//! Prepared-statement caching for the statements Diesel never caches: [`update`] for an
//! `UPDATE` run for its row count, [`CacheBySql`] for a statement whose rows are loaded.
//!
//! Diesel marks every `UPDATE` unsafe to cache, whatever its form, because its `SET` list can
//! vary with the values given (an `Option` field is left out when `None`) while its Rust type
//! stays the same. So without these, SQLite compiles such a statement at every call and
//! PostgreSQL parses and plans it at every call. Both types here key the cache by the
//! statement's SQL text and bind types instead of its Rust type (no static query id): each
//! distinct form is prepared once per connection and run again with new values, and a form
//! that differs in its SQL is a different entry. The forms a store writes are few.

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
/// cache (an `IN` list with one bind per value, on SQLite) still makes it uncached.
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
