//! Implements [`UserStore`](nerve_core::UserStore) for [`Scope`],
//! against the `users` and `companies` tables of `crate::schema` (the role column reads and
//! binds [`nerve_core::model::Role`] through the value-set mappings of `mod.rs`).

use super::{Db, Scope};
use crate::schema::{companies, users};
use ::chrono::{DateTime, Utc};
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::models::UserView;
use nerve_diesel::nerve_core::model::{Deleted, NewUser, Page, Role, User, UserUpdate};
use nerve_diesel::nerve_core::validate::{sanitize_input, validate_email};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const TABLE: &str = "users";
const EMAIL: Field = Field::new(TABLE, "email");
const PASSWORD: Field = Field::new(TABLE, "password");
const FULL_NAME: Field = Field::new(TABLE, "full_name");

// The columns [`UserView`] reads, in its fields' order.
nerve_diesel::columns!(USER: UserColumns = users(
    id,
    company_id,
    email,
    full_name,
    role,
    locked_at,
    locked_until,
    password_changed_at,
    last_login_at,
    created_at,
    updated_at,
    deleted_at,
    is_active,
));

#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct Changes<'a> {
    email: Option<&'a str>,
    full_name: Option<Option<&'a str>>,
    role: Option<Db<Role>>,
    updated_at: WriteTs,
}

fn not_found(company_id: i64, id: i64) -> Error {
    Error::not_found(TABLE, format!("company_id={company_id}, id={id}"))
}

fn full_name_of(n: Option<&str>) -> Result<Option<&str>> {
    n.map(|n| sanitize_input(FULL_NAME, n, limits::users::full_name))
        .transpose()
}

/// True while the company `$cid` is live: users of a soft-deleted company are hidden
/// and untouchable, exactly like the company.
macro_rules! company_is_live {
    ($cid:expr) => {
        nerve_diesel::diesel::dsl::exists(
            companies::table
                .filter(companies::id.eq($cid))
                .filter(companies::deleted_at.is_null()),
        )
    };
}

/// Updates the live user `(company_id, id)` with `set` and returns the new row.
macro_rules! update_live {
    ($conn:expr, $company_id:expr, $id:expr, $op:expr, $set:expr) => {
        nerve_diesel::cached::CacheBySql(
            nerve_diesel::diesel::update(
                users::table
                    .filter(users::company_id.eq($company_id))
                    .filter(users::id.eq($id))
                    .filter(users::deleted_at.is_null())
                    .filter(company_is_live!($company_id)),
            )
            .set($set)
            .returning(USER),
        )
        .get_result::<UserView>($conn)
        .optional()
        .map_err(|e| $op.error(e))?
        .map(User::from)
        .ok_or_else(|| not_found($company_id, $id))
    };
}

impl Scope<'_> {
    fn password_hash(&self, company_id: i64, id: i64) -> Result<String> {
        self.read(nerve_diesel::op_name!(), |conn| {
            users::table
                .filter(users::company_id.eq(company_id))
                .filter(users::id.eq(id))
                .filter(users::deleted_at.is_null())
                .filter(company_is_live!(company_id))
                .select(users::password_hash)
                .first::<String>(conn)
                .optional()
                .map_err(|e| Op::new(TABLE, "select").error(e))?
                .ok_or_else(|| not_found(company_id, id))
        })
    }
}

impl nerve_diesel::nerve_core::UserStore for Scope<'_> {
    fn create(&self, company_id: i64, new: &NewUser) -> Result<User> {
        let email = validate_email(EMAIL, &new.email)?;
        let full_name = full_name_of(new.full_name.as_deref())?;
        // Hash before taking a connection: hashing is the slow part.
        let hash = self.env().passwords.hash(PASSWORD, &new.password)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            super::accounts::live_company(conn, company_id)?;
            nerve_diesel::diesel::insert_into(users::table)
                .values((
                    users::company_id.eq(company_id),
                    users::email.eq(&email),
                    users::password_hash.eq(&hash),
                    users::full_name.eq(full_name),
                    users::role.eq(Db(new.role)),
                    users::password_changed_at.eq(WriteTs(now)),
                    users::created_at.eq(WriteTs(now)),
                    users::updated_at.eq(WriteTs(now)),
                    users::is_active.eq(true),
                ))
                .returning(USER)
                .get_result::<UserView>(conn)
                .map(User::from)
                .map_err(|e| Op::new(TABLE, "insert").error(e))
                .and_then(|user| {
                    super::accounts::remember_password(conn, user.id, &hash, now)?;
                    Ok(user)
                })
        })
    }

    fn get(&self, company_id: i64, id: i64) -> Result<User> {
        self.read(nerve_diesel::op_name!(), |conn| {
            users::table
                .filter(users::company_id.eq(company_id))
                .filter(users::id.eq(id))
                .filter(users::deleted_at.is_null())
                .filter(company_is_live!(company_id))
                .select(USER)
                .first::<UserView>(conn)
                .optional()
                .map_err(|e| Op::new(TABLE, "select").error(e))?
                .map(User::from)
                .ok_or_else(|| not_found(company_id, id))
        })
    }

    fn find_by_email(&self, company_id: i64, email: &str) -> Result<User> {
        let email = validate_email(EMAIL, email)?;
        self.read(nerve_diesel::op_name!(), |conn| {
            users::table
                .filter(users::company_id.eq(company_id))
                .filter(users::email.eq(&email))
                .filter(users::deleted_at.is_null())
                .filter(company_is_live!(company_id))
                .select(USER)
                .first::<UserView>(conn)
                .optional()
                .map_err(|e| Op::new(TABLE, "select").error(e))?
                .map(User::from)
                .ok_or_else(|| {
                    Error::not_found(TABLE, format!("company_id={company_id}, email={email}"))
                })
        })
    }

    fn list(&self, company_id: i64, page: Page, deleted: Deleted) -> Result<Vec<User>> {
        let page = page.checked(TABLE)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            let q = users::table
                .filter(users::company_id.eq(company_id))
                .filter(company_is_live!(company_id))
                .filter(users::id.gt(page.after_id()))
                .order(users::id.asc())
                .limit(i64::from(page.limit))
                .select(USER);
            nerve_diesel::load_by_deleted!(users, q, deleted, UserView, conn)
                .map(|rows| rows.into_iter().map(User::from).collect())
                .map_err(|e| Op::new(TABLE, "select").error(e))
        })
    }

    fn update(&self, company_id: i64, id: i64, changes: &UserUpdate) -> Result<User> {
        let email = changes
            .email
            .as_deref()
            .map(|e| validate_email(EMAIL, e))
            .transpose()?;
        let full_name = changes
            .full_name
            .as_ref()
            .map(|n| full_name_of(n.as_deref()))
            .transpose()?;
        let set = Changes {
            email: email.as_deref(),
            full_name,
            role: changes.role.map(Db),
            updated_at: WriteTs(self.env().now()),
        };
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            update_live!(conn, company_id, id, Op::new(TABLE, "update"), &set)
        })
    }

    fn set_password(&self, company_id: i64, id: i64, password: &str) -> Result<()> {
        let env = self.env();
        // Both rules (length, history) are checked before anything is written.
        let hash = env.passwords.hash(PASSWORD, password)?;
        // Only a live user of this live company has a history to compare with:
        // anything else is NotFound before any comparison, so no other tenant's
        // passwords can be probed.
        self.password_hash(company_id, id)?;
        let recent = self.read(nerve_diesel::op_name!(), |conn| {
            super::accounts::recent_password_hashes(conn, id, env.password_history)
        })?;
        for old in &recent {
            if env.passwords.verify(TABLE, old, password)? {
                return Err(PASSWORD.invalid(format!(
                    "must differ from each of the last {} passwords",
                    env.password_history
                )));
            }
        }
        let now = env.now();
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            update_live!(
                conn,
                company_id,
                id,
                Op::new(TABLE, "set password"),
                (
                    users::password_hash.eq(&hash),
                    users::password_changed_at.eq(WriteTs(now)),
                    users::updated_at.eq(WriteTs(now)),
                )
            )?;
            super::accounts::remember_password(conn, id, &hash, now)?;
            super::accounts::revoke_sessions(conn, id, now).map(drop)
        })
    }

    fn verify_password(&self, company_id: i64, id: i64, password: &str) -> Result<bool> {
        let hash = self.password_hash(company_id, id)?;
        self.env().passwords.verify(TABLE, &hash, password)
    }

    fn lock(&self, company_id: i64, id: i64, until: Option<DateTime<Utc>>) -> Result<User> {
        let now = self.env().now();
        let until = until.map(nerve_diesel::nerve_core::clock::truncate_micros);
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            update_live!(
                conn,
                company_id,
                id,
                Op::new(TABLE, "lock"),
                (
                    users::locked_at.eq(WriteTs(now)),
                    users::locked_until.eq(until),
                    users::updated_at.eq(WriteTs(now)),
                )
            )
            .and_then(|user| {
                super::accounts::revoke_sessions(conn, id, now)?;
                Ok(user)
            })
        })
    }

    fn unlock(&self, company_id: i64, id: i64) -> Result<User> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            update_live!(
                conn,
                company_id,
                id,
                Op::new(TABLE, "unlock"),
                (
                    users::locked_at.eq(None::<DateTime<Utc>>),
                    users::locked_until.eq(None::<DateTime<Utc>>),
                    users::failures_reset_at.eq(WriteTs(now)),
                    users::updated_at.eq(WriteTs(now)),
                )
            )
        })
    }

    fn soft_delete(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            update_live!(
                conn,
                company_id,
                id,
                Op::new(TABLE, "soft delete"),
                nerve_diesel::set_deleted!(users, now)
            )
            .map(|_| ())
        })
    }

    fn restore(&self, company_id: i64, id: i64) -> Result<User> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            super::accounts::live_company(conn, company_id)?;
            nerve_diesel::cached::update(
                users::table
                    .filter(users::company_id.eq(company_id))
                    .filter(users::id.eq(id))
                    .filter(users::deleted_at.is_not_null()),
            )
            .set(nerve_diesel::set_restored!(users, now))
            .execute(conn)
            .map_err(|e| Op::new(TABLE, "restore").error(e))?;
            users::table
                .filter(users::company_id.eq(company_id))
                .filter(users::id.eq(id))
                .select(USER)
                .first::<UserView>(conn)
                .optional()
                .map_err(|e| Op::new(TABLE, "select").error(e))?
                .map(User::from)
                .ok_or_else(|| not_found(company_id, id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`UserView`] is selected by its columns in its fields' order (`Queryable` reads a row
    /// by position).
    #[test]
    fn the_view_selects_its_columns_in_field_order() {
        let selected = super::super::selected_columns(&users::table.select(USER));
        assert_eq!(selected, UserView::COLUMNS);
    }
}
