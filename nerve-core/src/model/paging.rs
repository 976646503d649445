use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// One page of a list, by keyset: at most `limit` rows that come after the row with id `after`
/// in the list's documented order. Lists in ascending id order (the default) return ids greater
/// than `after`; newest-first lists (audit logs, events) return ids smaller than `after`.
/// Keyset paging is stable while rows are inserted or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Only rows with an id strictly greater than this (the last id of the previous page).
    pub after: Option<i64>,
    /// At most this many rows; 1 to [`Page::MAX_LIMIT`].
    pub limit: u32,
}

impl Page {
    /// The largest page a list returns.
    pub const MAX_LIMIT: u32 = 1000;

    /// The first page of `limit` rows.
    pub fn first(limit: u32) -> Self {
        Page { after: None, limit }
    }

    /// The page of `limit` rows after the row with id `after`.
    pub fn after(after: i64, limit: u32) -> Self {
        Page {
            after: Some(after),
            limit,
        }
    }

    /// Checks the limit is within 1 to [`Page::MAX_LIMIT`]; `table` names the listed table in
    /// the error.
    pub fn checked(self, table: &'static str) -> Result<Self> {
        if self.limit == 0 || self.limit > Self::MAX_LIMIT {
            return Err(Error::Validation {
                table,
                field: "limit",
                reason: format!(
                    "page limit must be 1 to {}, got {}",
                    Self::MAX_LIMIT,
                    self.limit
                ),
            });
        }
        Ok(self)
    }

    /// The keyset bound of an ascending list: `after`, or below every id.
    pub fn after_id(self) -> i64 {
        self.after.unwrap_or(i64::MIN)
    }

    /// The keyset bound of a newest-first (descending) list: `after`, or above every id.
    pub fn before_id(self) -> i64 {
        self.after.unwrap_or(i64::MAX)
    }
}

/// Whether a list includes soft-deleted rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Deleted {
    /// Live rows only (the default for every read).
    #[default]
    Exclude,
    /// Live and soft-deleted rows.
    Include,
    /// Soft-deleted rows only.
    Only,
}
