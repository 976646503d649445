//! BAIT honeytokens and the record of their use.

use crate::error::Result;
use crate::model::{
    BaitAccess, BaitToken, Deleted, NewBaitAccess, NewBaitToken, Page, RecordedAccess,
};

/// Honeytokens per company, and their accesses.
///
/// Tokens are company-owned: a token of another company is
/// [`Error::NotFound`](crate::Error::NotFound). Deactivating a token is its soft delete: it is
/// hidden from reads unless asked for, and accesses to it are still recorded, flagged. While a
/// company is soft-deleted its tokens are out of reach ([`Error::NotFound`](crate::Error::NotFound)
/// on `companies`) until it is restored — but accesses to them are still recorded: evidence of
/// an intrusion is never dropped.
pub trait BaitStore {
    /// Plants a token for the live company `company_id` (and the user `user_id` of it, when
    /// given). Errors: [`Error::Validation`](crate::Error::Validation) on `bait_tokens.*`;
    /// [`Error::Conflict`](crate::Error::Conflict) on `bait_tokens.token_value` when any token,
    /// active or not, has the value; [`Error::NotFound`](crate::Error::NotFound) for the company
    /// or the user.
    fn create_token(&self, company_id: i64, new: &NewBaitToken) -> Result<BaitToken>;

    /// The active token `id` of `company_id`.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_token(&self, company_id: i64, id: i64) -> Result<BaitToken>;

    /// One page of the company's tokens, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_tokens(&self, company_id: i64, page: Page, deleted: Deleted) -> Result<Vec<BaitToken>>;

    /// Deactivates the active token `id` (sets `deleted_at`, clears `is_active`).
    fn deactivate(&self, company_id: i64, id: i64) -> Result<()>;

    /// Makes the token `id` active again and returns it; an active token is returned as it is.
    fn reactivate(&self, company_id: i64, id: i64) -> Result<BaitToken>;

    /// Records a use of the token whose value is `token_value` (active or not), all or nothing
    /// in one transaction: the access row (`token_was_active` flags a deactivated token), the
    /// token's `access_count` + 1 and `last_accessed_at` (the clock), and a `honeytoken_access`
    /// security event of the token's company — severity `critical` for an active token, `high`
    /// for a deactivated one — whose metadata names the token and the access. If any of the
    /// three cannot be written, none is. Errors: [`Error::NotFound`](crate::Error::NotFound) on
    /// `bait_tokens` for an unknown value (the value is not echoed);
    /// [`Error::Validation`](crate::Error::Validation) on `bait_accesses.*`. A value no token
    /// can have (empty, over 512 characters, holding U+0000) is NotFound too.
    fn record_access(&self, token_value: &str, access: &NewBaitAccess) -> Result<RecordedAccess>;

    /// One page of the accesses to the token `token_id` of `company_id` (active or not),
    /// newest first (descending id; [`Page::after`] takes the last id seen).
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_accesses(&self, company_id: i64, token_id: i64, page: Page) -> Result<Vec<BaitAccess>>;
}
