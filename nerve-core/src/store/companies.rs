use crate::error::Result;
use crate::model::{Company, CompanyUpdate, Deleted, NewCompany, Page};

/// Companies (tenants).
///
/// Reads see live rows only unless a [`Deleted`] argument says otherwise. Every method is
/// atomic: it writes everything it documents or nothing.
pub trait CompanyStore {
    /// Creates a company. The name must be 1 to 255 characters without NUL or control
    /// characters (stored unchanged); the domain is validated and lower-cased.
    ///
    /// Errors: [`Error::Validation`](crate::Error::Validation) on `companies.name` or
    /// `companies.domain`; [`Error::Conflict`](crate::Error::Conflict) on `companies.domain`
    /// when a live company has the same domain.
    fn create(&self, new: &NewCompany) -> Result<Company>;

    /// The live company `id`, or [`Error::NotFound`](crate::Error::NotFound).
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get(&self, id: i64) -> Result<Company>;

    /// The live company whose domain is `domain` (normalized before comparing), or
    /// [`Error::NotFound`](crate::Error::NotFound).
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn find_by_domain(&self, domain: &str) -> Result<Company>;

    /// One page of companies, ascending by id. [`Error::Validation`](crate::Error::Validation)
    /// on `companies.limit` for a page limit outside 1 to 1000.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list(&self, page: Page, deleted: Deleted) -> Result<Vec<Company>>;

    /// How many companies [`CompanyStore::list`] would return over all its pages with the same
    /// `deleted` choice (for a page count, or an operator's overview), counted in one statement.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn count(&self, deleted: Deleted) -> Result<u64>;

    /// Applies `changes` to the live company `id` and sets `updated_at`; returns the new row.
    /// An empty update only refreshes `updated_at`. Errors as for [`CompanyStore::create`],
    /// and [`Error::NotFound`](crate::Error::NotFound).
    fn update(&self, id: i64, changes: &CompanyUpdate) -> Result<Company>;

    /// Soft-deletes the live company `id` (sets `deleted_at`, clears `is_active`). Its users'
    /// rows are kept as they are, but while the company is deleted they are hidden and cannot
    /// be changed (see [`UserStore`](crate::UserStore)); restoring the company brings them back. [`Error::NotFound`](crate::Error::NotFound) when there is no live
    /// company `id`.
    fn soft_delete(&self, id: i64) -> Result<()>;

    /// Makes the company `id` live again and returns it; a live company is returned unchanged.
    /// [`Error::NotFound`](crate::Error::NotFound) when no such row exists;
    /// [`Error::Conflict`](crate::Error::Conflict) on `companies.domain` when a live company
    /// took its domain meanwhile.
    fn restore(&self, id: i64) -> Result<Company>;
}
