use crate::error::Result;
use crate::model::{Deleted, NewUser, Page, User, UserUpdate};
use chrono::{DateTime, Utc};

/// Users, always within one company: a user of another company, or of a soft-deleted
/// company, is [`Error::NotFound`](crate::Error::NotFound) on `users`, exactly like an absent
/// one (and a list is empty).
///
/// E-mail addresses are normalized in Rust (see [`crate::validate::validate_email`]) and unique
/// among live users of all companies. Passwords are stored only as argon2id hashes made with
/// the store's [`PasswordParams`](crate::PasswordParams). Reads see live rows only unless a
/// [`Deleted`] argument says otherwise. Every method is atomic.
pub trait UserStore {
    /// Creates a user in the live company `company_id`.
    ///
    /// Errors: [`Error::NotFound`](crate::Error::NotFound) on `companies` when the company is
    /// absent or soft-deleted; [`Error::Validation`](crate::Error::Validation) on
    /// `users.email`, `users.password` (8 to 1024 characters) or `users.full_name`;
    /// [`Error::Conflict`](crate::Error::Conflict) on `users.email` when a live user has it.
    fn create(&self, company_id: i64, new: &NewUser) -> Result<User>;

    /// The live user `id` of company `company_id`, or
    /// [`Error::NotFound`](crate::Error::NotFound) on `users`.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get(&self, company_id: i64, id: i64) -> Result<User>;

    /// The live user of company `company_id` with this e-mail (normalized before comparing),
    /// or [`Error::NotFound`](crate::Error::NotFound) on `users`;
    /// [`Error::Validation`](crate::Error::Validation) on `users.email` for an invalid address.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn find_by_email(&self, company_id: i64, email: &str) -> Result<User>;

    /// One page of the company's users, ascending by id; empty for an unknown or soft-deleted
    /// company. [`Error::Validation`](crate::Error::Validation) on `users.limit` for a page
    /// limit outside 1 to 1000.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list(&self, company_id: i64, page: Page, deleted: Deleted) -> Result<Vec<User>>;

    /// Applies `changes` to the live user and sets `updated_at`; returns the new row.
    /// Errors: [`Error::Validation`](crate::Error::Validation) on `users.email` or
    /// `users.full_name`; [`Error::Conflict`](crate::Error::Conflict) on `users.email` when a
    /// live user has the new address; [`Error::NotFound`](crate::Error::NotFound) on `users`.
    /// A rejected update writes nothing.
    fn update(&self, company_id: i64, id: i64, changes: &UserUpdate) -> Result<User>;

    /// Replaces the live user's password hash, sets `password_changed_at` and revokes all the
    /// user's sessions. [`Error::Validation`](crate::Error::Validation) on `users.password`
    /// when the password is one of the user's last
    /// [`StoreOptions::password_history`](crate::StoreOptions) passwords (the current one
    /// included), or breaks the length rule.
    fn set_password(&self, company_id: i64, id: i64, password: &str) -> Result<()>;

    /// `true` when `password` is the live user's password. Does not consider locks (see
    /// [`User::is_locked_at`]) and records nothing. Hashes carried over by `nerve import`
    /// (bcrypt, PBKDF2-SHA256) verify too. [`Error::Denied`](crate::Error::Denied) with
    /// [`Denial::PasswordResetRequired`](crate::Denial::PasswordResetRequired) when the stored
    /// hash is of no known format; [`Error::Backend`](crate::Error::Backend) when an argon2
    /// string cannot be parsed. Neither is ever a match.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn verify_password(&self, company_id: i64, id: i64, password: &str) -> Result<bool>;

    /// Locks the live user from now until `until` (`None`: until unlocked), revokes all the
    /// user's sessions, and returns the new row. Locking a locked user replaces the lock's end.
    /// An `until` at or before now records a lock that is already over
    /// ([`User::is_locked_at`] is `false`).
    fn lock(&self, company_id: i64, id: i64, until: Option<DateTime<Utc>>) -> Result<User>;

    /// Removes any lock from the live user, resets its failed-login count, and returns the new
    /// row; unlocking an unlocked user changes nothing but `updated_at`.
    fn unlock(&self, company_id: i64, id: i64) -> Result<User>;

    /// Soft-deletes the live user (sets `deleted_at`, clears `is_active`); its e-mail becomes
    /// free for a new user. [`Error::NotFound`](crate::Error::NotFound) when not live.
    fn soft_delete(&self, company_id: i64, id: i64) -> Result<()>;

    /// Makes the user live again and returns it; a live user is returned unchanged.
    /// [`Error::Conflict`](crate::Error::Conflict) on `users.email` when a live user took the
    /// e-mail meanwhile; [`Error::NotFound`](crate::Error::NotFound) on `companies` when the
    /// company is absent or soft-deleted, on `users` when no such row exists in the company.
    fn restore(&self, company_id: i64, id: i64) -> Result<User>;
}
