//! A write of one statement run on its own, outside any transaction (`Scope::write_one`), and
//! read to its end.
//!
//! Both backends commit such a statement when it ends, and a commit can be refused (a deferred
//! constraint, a full disk). PostgreSQL sends that answer before the statement's result, so
//! whatever Diesel call ran it reports it. SQLite commits when the statement steps past its last
//! row: `execute` steps it to the end and reports it, but `get_result` (and `first`) stop at the
//! first row and leave the end to Diesel's reset of the statement, whose error Diesel drops, so a
//! write SQLite rolled back would read as done. A lone write with `RETURNING` therefore takes its
//! row through [`returned_row`], which reads the statement to its end. (A lone write SQLite
//! refused for a lock is told apart by the busy handler's mark: `nerve_sqlite`'s `busy`.)

use diesel::query_dsl::methods::LoadQuery;
use diesel::{Connection, QueryResult, RunQueryDsl};

/// The first row `query`, a write with `RETURNING`, gives (`None` when it touched no row),
/// with the statement read to its end, so an error from its commit is this call's error.
pub fn returned_row<'query, Q, U, C>(query: Q, conn: &mut C) -> QueryResult<Option<U>>
where
    C: Connection,
    Q: RunQueryDsl<C> + LoadQuery<'query, C, U>,
{
    Ok(query.load::<U>(conn)?.into_iter().next())
}
