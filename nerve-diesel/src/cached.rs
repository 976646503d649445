//! [`CacheBySql`]: prepared-statement caching for the statements Diesel never caches.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

/// A statement Diesel marks as unsafe to cache (every `UPDATE`, whatever its form), cached by
/// its SQL text instead: the connection prepares it once (SQLite: parsed and planned once;
/// PostgreSQL: a named prepared statement) and runs it again with new values. Without this,
/// SQLite compiles such a statement at every call and PostgreSQL parses and plans it at every
/// call. Safe because the key is the SQL itself (never the Rust type: an update's SET list
/// varies with the fields it is given) and its bind types; each distinct form is cached once,
/// and the forms a store writes are few.
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
