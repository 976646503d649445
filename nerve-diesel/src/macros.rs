//! The query code both drivers expand. Each macro documents what the expanding module must
//! provide; everything it generates is written once here.

/// Maps a [`nerve_core::model::ValueSet`] enum to a driver's local SQL type (a PostgreSQL ENUM
/// type, or SQLite text under a CHECK) for backend `$db`: `FromSql` for the enum itself (so
/// rows read it directly) and `ToSql`/`AsExpression` for `Db<enum>` (values bound in queries
/// are wrapped in the driver's `Db` newtype, made by [`define_scope!`]: the enum lives in
/// nerve-core, and Diesel's blanket `AsExpression` impl forbids implementing it for a type of
/// another crate).
///
/// The stored text is [`ValueSet::as_str`](nerve_core::model::ValueSet::as_str); a stored text
/// outside the set is a deserialization error naming the value and the type.
#[macro_export]
macro_rules! value_set_sql {
    ($rust:ty => $sql:ty, $db:ty) => {
        impl $crate::diesel::serialize::ToSql<$sql, $db> for Db<$rust> {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::diesel::serialize::Output<'b, '_, $db>,
            ) -> $crate::diesel::serialize::Result {
                <str as $crate::diesel::serialize::ToSql<$crate::diesel::sql_types::Text, $db>>::to_sql(
                    $crate::nerve_core::model::ValueSet::as_str(self.0),
                    out,
                )
            }
        }

        impl $crate::diesel::deserialize::FromSql<$sql, $db> for $rust {
            fn from_sql(
                raw: <$db as $crate::diesel::backend::Backend>::RawValue<'_>,
            ) -> $crate::diesel::deserialize::Result<Self> {
                let text = <String as $crate::diesel::deserialize::FromSql<
                    $crate::diesel::sql_types::Text,
                    $db,
                >>::from_sql(raw)?;
                Ok(<$rust as $crate::nerve_core::model::ValueSet>::parse(&text)?)
            }
        }

        // What `#[derive(FromSqlRow)]` would write: the value is its own row.
        impl $crate::diesel::deserialize::Queryable<$sql, $db> for $rust {
            type Row = Self;
            fn build(row: Self) -> $crate::diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }

        // `Bound` is what `#[derive(AsExpression)]` itself expands to.
        impl $crate::diesel::expression::AsExpression<$sql> for Db<$rust> {
            type Expression = $crate::diesel::internal::derives::as_expression::Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                $crate::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }

        impl<'a> $crate::diesel::expression::AsExpression<$sql> for &'a Db<$rust> {
            type Expression = $crate::diesel::internal::derives::as_expression::Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                $crate::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }
    };
}

/// The spec's soft-delete pattern (`deleted_at`, `is_active`, `updated_at` on every table),
/// written once for every table's store: `set_deleted!(t, now)` and `set_restored!(t, now)` are
/// the changes that soft-delete or restore a row of table module `t`; `filter_deleted!(t, q,
/// deleted)` applies a [`Deleted`](nerve_core::model::Deleted) choice to a boxed query.
#[doc(hidden)]
#[macro_export]
macro_rules! set_deleted {
    ($t:ident, $now:expr) => {
        (
            $t::deleted_at.eq(Some($now)),
            $t::is_active.eq(false),
            $t::updated_at.eq($now),
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! set_restored {
    ($t:ident, $now:expr) => {
        (
            $t::deleted_at.eq(None::<::chrono::DateTime<::chrono::Utc>>),
            $t::is_active.eq(true),
            $t::updated_at.eq($now),
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! filter_deleted {
    ($t:ident, $q:expr, $deleted:expr) => {
        match $deleted {
            $crate::nerve_core::model::Deleted::Exclude => $q.filter($t::deleted_at.is_null()),
            $crate::nerve_core::model::Deleted::Only => $q.filter($t::deleted_at.is_not_null()),
            $crate::nerve_core::model::Deleted::Include => $q,
        }
    };
}

/// Defines the driver's connection scope: `Conn`, `Pool`, `Scope` (a pooled connection, or the
/// connection of a running transaction) with `read`, `write` and `atomic`, and the
/// [`Repos`](nerve_core::Repos) implementations that hand out the domain stores, for `Scope`
/// and for the driver's `$store` type (which must have a field `scope: Scope<'static>`).
///
/// `write_tx` names the `Conn` method that opens a top-level write transaction
/// (`immediate_transaction` on SQLite, so the write lock is taken at BEGIN; `transaction` on
/// PostgreSQL). Inside a transaction every write runs in a savepoint.
#[macro_export]
macro_rules! define_scope {
    (conn = $conn:ty, write_tx = $write_tx:ident, store = $store:ident) => {
        /// This driver's connection type.
        pub(crate) type Conn = $conn;

        /// This driver's connection pool.
        pub(crate) type Pool = $crate::r2d2::Pool<$crate::diesel::r2d2::ConnectionManager<$conn>>;

        /// A value bound in a query as one of this driver's local SQL types (see
        /// `value_set_sql!`).
        #[derive(Debug, Clone, Copy)]
        pub(crate) struct Db<T>(pub T);

        enum Source<'a> {
            Pool(Pool),
            Tx(::std::sync::Mutex<&'a mut $conn>),
        }

        /// Where domain calls get their connection: from the pool (each call its own
        /// transaction) or from a transaction in progress (each call a savepoint in it).
        pub(crate) struct Scope<'a> {
            source: Source<'a>,
            env: ::std::sync::Arc<$crate::Env>,
        }

        #[allow(dead_code)]
        impl<'a> Scope<'a> {
            /// A scope taking connections from `pool`.
            pub(crate) fn pooled(pool: Pool, env: ::std::sync::Arc<$crate::Env>) -> Scope<'static> {
                Scope {
                    source: Source::Pool(pool),
                    env,
                }
            }

            /// The clock and password hasher.
            pub(crate) fn env(&self) -> &$crate::Env {
                &self.env
            }

            fn borrow_tx<'s>(
                cell: &'s ::std::sync::Mutex<&'a mut $conn>,
            ) -> $crate::nerve_core::Result<::std::sync::MutexGuard<'s, &'a mut $conn>> {
                // The transaction's connection is used by one call at a time; a second call
                // while one runs (from the closure's own thread) is a bug, reported not awaited.
                cell.try_lock()
                    .map_err(|_| $crate::nerve_core::Error::Transaction {
                        reason: "a store call was made while another call on the same transaction \
                             was still running"
                            .into(),
                    })
            }

            /// Runs `f`, which only reads, on a connection.
            pub(crate) fn read<T>(
                &self,
                f: impl FnOnce(&mut $conn) -> $crate::nerve_core::Result<T>,
            ) -> $crate::nerve_core::Result<T> {
                match &self.source {
                    Source::Pool(pool) => {
                        let mut conn = pool.get().map_err(|e| self.env.pool_error(e))?;
                        f(&mut conn)
                    }
                    Source::Tx(cell) => {
                        let mut guard = Self::borrow_tx(cell)?;
                        f(&mut **guard)
                    }
                }
            }

            /// Runs `f` atomically: in a transaction of its own, or in a savepoint of the
            /// transaction in progress. `table` names the table in transaction errors.
            pub(crate) fn write<T>(
                &self,
                table: &'static str,
                f: impl FnOnce(&mut $conn) -> $crate::nerve_core::Result<T>,
            ) -> $crate::nerve_core::Result<T> {
                #[allow(unused_imports)]
                use $crate::diesel::Connection as _;
                let run = |conn: &mut $conn| f(conn).map_err($crate::TxError::Nerve);
                match &self.source {
                    Source::Pool(pool) => {
                        let mut conn = pool.get().map_err(|e| self.env.pool_error(e))?;
                        (&mut *conn).$write_tx(run)
                    }
                    Source::Tx(cell) => {
                        let mut guard = Self::borrow_tx(cell)?;
                        (&mut **guard).transaction(run)
                    }
                }
                .map_err(|e: $crate::TxError| e.into_error(table))
            }

            /// Runs `f` in one transaction on a connection of `pool` (see `Store::atomic`).
            pub(crate) fn atomic(
                pool: &Pool,
                env: &::std::sync::Arc<$crate::Env>,
                f: &mut dyn FnMut(&dyn $crate::nerve_core::Repos) -> $crate::nerve_core::Result<()>,
            ) -> $crate::nerve_core::Result<()> {
                #[allow(unused_imports)]
                use $crate::diesel::Connection as _;
                let mut conn = pool.get().map_err(|e| env.pool_error(e))?;
                (&mut *conn)
                    .$write_tx(|conn: &mut $conn| {
                        let scope = Scope {
                            source: Source::Tx(::std::sync::Mutex::new(conn)),
                            env: env.clone(),
                        };
                        f(&scope).map_err($crate::TxError::Nerve)
                    })
                    .map_err(|e: $crate::TxError| e.into_error("-"))
            }
        }

        impl $crate::nerve_core::Repos for Scope<'_> {
            fn companies(&self) -> &dyn $crate::nerve_core::CompanyStore {
                self
            }
            fn users(&self) -> &dyn $crate::nerve_core::UserStore {
                self
            }
        }

        impl $crate::nerve_core::Repos for $store {
            fn companies(&self) -> &dyn $crate::nerve_core::CompanyStore {
                &self.scope
            }
            fn users(&self) -> &dyn $crate::nerve_core::UserStore {
                &self.scope
            }
        }
    };
}

/// Implements [`CompanyStore`](nerve_core::CompanyStore) for the `Scope` of
/// [`define_scope!`], against the `companies` table of the `schema` module path given.
#[macro_export]
macro_rules! company_store {
    (schema = $($schema:ident)::+) => {
        const _: () = {
            use $($schema)::+::companies;
            use ::chrono::{DateTime, Utc};
            use $crate::diesel::prelude::*;
            use $crate::nerve_core::model::{Company, CompanyUpdate, Deleted, NewCompany, Page};
            use $crate::nerve_core::validate::{required_text, validate_domain};
            use $crate::nerve_core::{Error, Field, Result};
            use $crate::Op;

            const TABLE: &str = "companies";
            const NAME: Field = Field::new(TABLE, "name");
            const DOMAIN: Field = Field::new(TABLE, "domain");

            #[derive(Queryable, Selectable)]
            #[diesel(table_name = companies)]
            struct Row {
                id: i64,
                name: String,
                domain: Option<String>,
                created_at: DateTime<Utc>,
                updated_at: DateTime<Utc>,
                deleted_at: Option<DateTime<Utc>>,
                is_active: bool,
            }

            impl From<Row> for Company {
                fn from(r: Row) -> Company {
                    Company {
                        id: r.id,
                        name: r.name,
                        domain: r.domain,
                        created_at: r.created_at,
                        updated_at: r.updated_at,
                        deleted_at: r.deleted_at,
                        is_active: r.is_active,
                    }
                }
            }

            #[derive(AsChangeset)]
            #[diesel(table_name = companies)]
            struct Changes<'a> {
                name: Option<&'a str>,
                domain: Option<Option<&'a str>>,
                updated_at: DateTime<Utc>,
            }

            fn not_found(id: i64) -> Error {
                Error::not_found(TABLE, format!("id={id}"))
            }

            fn domain_of(d: Option<&str>) -> Result<Option<String>> {
                d.map(|d| validate_domain(DOMAIN, d)).transpose()
            }

            impl $crate::nerve_core::CompanyStore for Scope<'_> {
                fn create(&self, new: &NewCompany) -> Result<Company> {
                    let name = required_text(NAME, &new.name, 255)?;
                    let domain = domain_of(new.domain.as_deref())?;
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        $crate::diesel::insert_into(companies::table)
                            .values((
                                companies::name.eq(name),
                                companies::domain.eq(domain.as_deref()),
                                companies::created_at.eq(now),
                                companies::updated_at.eq(now),
                                companies::is_active.eq(true),
                            ))
                            .returning(Row::as_returning())
                            .get_result(conn)
                            .map(Company::from)
                            .map_err(|e| Op::new(TABLE, "insert").unique("domain").error(e))
                    })
                }

                fn get(&self, id: i64) -> Result<Company> {
                    self.read(|conn| {
                        companies::table
                            .filter(companies::id.eq(id))
                            .filter(companies::deleted_at.is_null())
                            .select(Row::as_select())
                            .first(conn)
                            .optional()
                            .map_err(|e| Op::new(TABLE, "select").error(e))?
                            .map(Company::from)
                            .ok_or_else(|| not_found(id))
                    })
                }

                fn find_by_domain(&self, domain: &str) -> Result<Company> {
                    let domain = validate_domain(DOMAIN, domain)?;
                    self.read(|conn| {
                        companies::table
                            .filter(companies::domain.eq(&domain))
                            .filter(companies::deleted_at.is_null())
                            .select(Row::as_select())
                            .first(conn)
                            .optional()
                            .map_err(|e| Op::new(TABLE, "select").error(e))?
                            .map(Company::from)
                            .ok_or_else(|| Error::not_found(TABLE, format!("domain={domain}")))
                    })
                }

                fn list(&self, page: Page, deleted: Deleted) -> Result<Vec<Company>> {
                    let page = page.checked(TABLE)?;
                    self.read(|conn| {
                        let q = companies::table
                            .filter(companies::id.gt(page.after_id()))
                            .order(companies::id.asc())
                            .limit(i64::from(page.limit))
                            .select(Row::as_select())
                            .into_boxed();
                        $crate::filter_deleted!(companies, q, deleted)
                            .load::<Row>(conn)
                            .map(|rows| rows.into_iter().map(Company::from).collect())
                            .map_err(|e| Op::new(TABLE, "select").error(e))
                    })
                }

                fn update(&self, id: i64, changes: &CompanyUpdate) -> Result<Company> {
                    let name = changes
                        .name
                        .as_deref()
                        .map(|n| required_text(NAME, n, 255))
                        .transpose()?;
                    let domain = changes
                        .domain
                        .as_ref()
                        .map(|d| domain_of(d.as_deref()))
                        .transpose()?;
                    let set = Changes {
                        name,
                        domain: domain.as_ref().map(|d| d.as_deref()),
                        updated_at: self.env().now(),
                    };
                    self.write(TABLE, |conn| {
                        $crate::diesel::update(
                            companies::table
                                .filter(companies::id.eq(id))
                                .filter(companies::deleted_at.is_null()),
                        )
                        .set(&set)
                        .returning(Row::as_returning())
                        .get_result(conn)
                        .optional()
                        .map_err(|e| Op::new(TABLE, "update").unique("domain").error(e))?
                        .map(Company::from)
                        .ok_or_else(|| not_found(id))
                    })
                }

                fn soft_delete(&self, id: i64) -> Result<()> {
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        let n = $crate::diesel::update(
                            companies::table
                                .filter(companies::id.eq(id))
                                .filter(companies::deleted_at.is_null()),
                        )
                        .set($crate::set_deleted!(companies, now))
                        .execute(conn)
                        .map_err(|e| Op::new(TABLE, "soft delete").error(e))?;
                        if n == 0 {
                            return Err(not_found(id));
                        }
                        Ok(())
                    })
                }

                fn restore(&self, id: i64) -> Result<Company> {
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        $crate::diesel::update(
                            companies::table
                                .filter(companies::id.eq(id))
                                .filter(companies::deleted_at.is_not_null()),
                        )
                        .set($crate::set_restored!(companies, now))
                        .execute(conn)
                        .map_err(|e| Op::new(TABLE, "restore").unique("domain").error(e))?;
                        companies::table
                            .filter(companies::id.eq(id))
                            .select(Row::as_select())
                            .first(conn)
                            .optional()
                            .map_err(|e| Op::new(TABLE, "select").error(e))?
                            .map(Company::from)
                            .ok_or_else(|| not_found(id))
                    })
                }
            }
        };
    };
}

/// Implements [`UserStore`](nerve_core::UserStore) for the `Scope` of [`define_scope!`],
/// against the `users` and `companies` tables of the `schema` module path given; the role column's SQL type must be mapped to
/// [`nerve_core::model::Role`] with [`value_set_sql!`].
#[macro_export]
macro_rules! user_store {
    (schema = $($schema:ident)::+) => {
        const _: () = {
            use $($schema)::+::{companies, users};
            use ::chrono::{DateTime, Utc};
            use $crate::diesel::prelude::*;
            use $crate::nerve_core::model::{Deleted, NewUser, Page, Role, User, UserUpdate};
            use $crate::nerve_core::validate::{sanitize_input, validate_email};
            use $crate::nerve_core::{Error, Field, Result};
            use $crate::Op;

            const TABLE: &str = "users";
            const EMAIL: Field = Field::new(TABLE, "email");
            const PASSWORD: Field = Field::new(TABLE, "password");
            const FULL_NAME: Field = Field::new(TABLE, "full_name");

            #[derive(Queryable, Selectable)]
            #[diesel(table_name = users)]
            struct Row {
                id: i64,
                company_id: i64,
                email: String,
                full_name: Option<String>,
                role: Role,
                locked_at: Option<DateTime<Utc>>,
                locked_until: Option<DateTime<Utc>>,
                password_changed_at: DateTime<Utc>,
                last_login_at: Option<DateTime<Utc>>,
                created_at: DateTime<Utc>,
                updated_at: DateTime<Utc>,
                deleted_at: Option<DateTime<Utc>>,
                is_active: bool,
            }

            impl From<Row> for User {
                fn from(r: Row) -> User {
                    User {
                        id: r.id,
                        company_id: r.company_id,
                        email: r.email,
                        full_name: r.full_name,
                        role: r.role,
                        locked_at: r.locked_at,
                        locked_until: r.locked_until,
                        password_changed_at: r.password_changed_at,
                        last_login_at: r.last_login_at,
                        created_at: r.created_at,
                        updated_at: r.updated_at,
                        deleted_at: r.deleted_at,
                        is_active: r.is_active,
                    }
                }
            }

            #[derive(AsChangeset)]
            #[diesel(table_name = users)]
            struct Changes<'a> {
                email: Option<&'a str>,
                full_name: Option<Option<&'a str>>,
                role: Option<Db<Role>>,
                updated_at: DateTime<Utc>,
            }

            fn not_found(company_id: i64, id: i64) -> Error {
                Error::not_found(TABLE, format!("company_id={company_id}, id={id}"))
            }

            fn full_name_of(n: Option<&str>) -> Result<Option<&str>> {
                n.map(|n| sanitize_input(FULL_NAME, n, 255)).transpose()
            }

            /// The company must exist and be live for any user write in it.
            fn live_company(conn: &mut Conn, company_id: i64) -> Result<()> {
                companies::table
                    .filter(companies::id.eq(company_id))
                    .filter(companies::deleted_at.is_null())
                    .select(companies::id)
                    .first::<i64>(conn)
                    .optional()
                    .map_err(|e| Op::new("companies", "select").error(e))?
                    .map(|_| ())
                    .ok_or_else(|| Error::not_found("companies", format!("id={company_id}")))
            }

            /// True while the company `$cid` is live: users of a soft-deleted company are hidden
            /// and untouchable, exactly like the company.
            macro_rules! company_is_live {
                ($cid:expr) => {
                    $crate::diesel::dsl::exists(
                        companies::table
                            .filter(companies::id.eq($cid))
                            .filter(companies::deleted_at.is_null()),
                    )
                };
            }

            /// Updates the live user `(company_id, id)` with `set` and returns the new row.
            macro_rules! update_live {
                ($conn:expr, $company_id:expr, $id:expr, $op:expr, $set:expr) => {
                    $crate::diesel::update(
                        users::table
                            .filter(users::company_id.eq($company_id))
                            .filter(users::id.eq($id))
                            .filter(users::deleted_at.is_null())
                            .filter(company_is_live!($company_id)),
                    )
                    .set($set)
                    .returning(Row::as_returning())
                    .get_result($conn)
                    .optional()
                    .map_err(|e| $op.error(e))?
                    .map(User::from)
                    .ok_or_else(|| not_found($company_id, $id))
                };
            }

            impl Scope<'_> {
                fn password_hash(&self, company_id: i64, id: i64) -> Result<String> {
                    self.read(|conn| {
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

            impl $crate::nerve_core::UserStore for Scope<'_> {
                fn create(&self, company_id: i64, new: &NewUser) -> Result<User> {
                    let email = validate_email(EMAIL, &new.email)?;
                    let full_name = full_name_of(new.full_name.as_deref())?;
                    // Hash before taking a connection: hashing is the slow part.
                    let hash = self.env().passwords.hash(PASSWORD, &new.password)?;
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        live_company(conn, company_id)?;
                        $crate::diesel::insert_into(users::table)
                            .values((
                                users::company_id.eq(company_id),
                                users::email.eq(&email),
                                users::password_hash.eq(&hash),
                                users::full_name.eq(full_name),
                                users::role.eq(Db(new.role)),
                                users::password_changed_at.eq(now),
                                users::created_at.eq(now),
                                users::updated_at.eq(now),
                                users::is_active.eq(true),
                            ))
                            .returning(Row::as_returning())
                            .get_result(conn)
                            .map(User::from)
                            .map_err(|e| {
                                Op::new(TABLE, "insert")
                                    .unique("email")
                                    .foreign("company_id")
                                    .error(e)
                            })
                    })
                }

                fn get(&self, company_id: i64, id: i64) -> Result<User> {
                    self.read(|conn| {
                        users::table
                            .filter(users::company_id.eq(company_id))
                            .filter(users::id.eq(id))
                            .filter(users::deleted_at.is_null())
                            .filter(company_is_live!(company_id))
                            .select(Row::as_select())
                            .first(conn)
                            .optional()
                            .map_err(|e| Op::new(TABLE, "select").error(e))?
                            .map(User::from)
                            .ok_or_else(|| not_found(company_id, id))
                    })
                }

                fn find_by_email(&self, company_id: i64, email: &str) -> Result<User> {
                    let email = validate_email(EMAIL, email)?;
                    self.read(|conn| {
                        users::table
                            .filter(users::company_id.eq(company_id))
                            .filter(users::email.eq(&email))
                            .filter(users::deleted_at.is_null())
                            .filter(company_is_live!(company_id))
                            .select(Row::as_select())
                            .first(conn)
                            .optional()
                            .map_err(|e| Op::new(TABLE, "select").error(e))?
                            .map(User::from)
                            .ok_or_else(|| {
                                Error::not_found(
                                    TABLE,
                                    format!("company_id={company_id}, email={email}"),
                                )
                            })
                    })
                }

                fn list(&self, company_id: i64, page: Page, deleted: Deleted) -> Result<Vec<User>> {
                    let page = page.checked(TABLE)?;
                    self.read(|conn| {
                        let q = users::table
                            .filter(users::company_id.eq(company_id))
                            .filter(company_is_live!(company_id))
                            .filter(users::id.gt(page.after_id()))
                            .order(users::id.asc())
                            .limit(i64::from(page.limit))
                            .select(Row::as_select())
                            .into_boxed();
                        $crate::filter_deleted!(users, q, deleted)
                            .load::<Row>(conn)
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
                        updated_at: self.env().now(),
                    };
                    self.write(TABLE, |conn| {
                        update_live!(
                            conn,
                            company_id,
                            id,
                            Op::new(TABLE, "update").unique("email"),
                            &set
                        )
                    })
                }

                fn set_password(&self, company_id: i64, id: i64, password: &str) -> Result<()> {
                    let hash = self.env().passwords.hash(PASSWORD, password)?;
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        update_live!(
                            conn,
                            company_id,
                            id,
                            Op::new(TABLE, "set password"),
                            (
                                users::password_hash.eq(&hash),
                                users::password_changed_at.eq(now),
                                users::updated_at.eq(now),
                            )
                        )
                        .map(|_| ())
                    })
                }

                fn verify_password(
                    &self,
                    company_id: i64,
                    id: i64,
                    password: &str,
                ) -> Result<bool> {
                    let hash = self.password_hash(company_id, id)?;
                    self.env().passwords.verify(TABLE, &hash, password)
                }

                fn lock(
                    &self,
                    company_id: i64,
                    id: i64,
                    until: Option<DateTime<Utc>>,
                ) -> Result<User> {
                    let now = self.env().now();
                    let until = until.map($crate::nerve_core::clock::truncate_micros);
                    self.write(TABLE, |conn| {
                        update_live!(
                            conn,
                            company_id,
                            id,
                            Op::new(TABLE, "lock"),
                            (
                                users::locked_at.eq(Some(now)),
                                users::locked_until.eq(until),
                                users::updated_at.eq(now),
                            )
                        )
                    })
                }

                fn unlock(&self, company_id: i64, id: i64) -> Result<User> {
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        update_live!(
                            conn,
                            company_id,
                            id,
                            Op::new(TABLE, "unlock"),
                            (
                                users::locked_at.eq(None::<DateTime<Utc>>),
                                users::locked_until.eq(None::<DateTime<Utc>>),
                                users::updated_at.eq(now),
                            )
                        )
                    })
                }

                fn soft_delete(&self, company_id: i64, id: i64) -> Result<()> {
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        update_live!(
                            conn,
                            company_id,
                            id,
                            Op::new(TABLE, "soft delete"),
                            $crate::set_deleted!(users, now)
                        )
                        .map(|_| ())
                    })
                }

                fn restore(&self, company_id: i64, id: i64) -> Result<User> {
                    let now = self.env().now();
                    self.write(TABLE, |conn| {
                        live_company(conn, company_id)?;
                        $crate::diesel::update(
                            users::table
                                .filter(users::company_id.eq(company_id))
                                .filter(users::id.eq(id))
                                .filter(users::deleted_at.is_not_null()),
                        )
                        .set($crate::set_restored!(users, now))
                        .execute(conn)
                        .map_err(|e| Op::new(TABLE, "restore").unique("email").error(e))?;
                        users::table
                            .filter(users::company_id.eq(company_id))
                            .filter(users::id.eq(id))
                            .select(Row::as_select())
                            .first(conn)
                            .optional()
                            .map_err(|e| Op::new(TABLE, "select").error(e))?
                            .map(User::from)
                            .ok_or_else(|| not_found(company_id, id))
                    })
                }
            }
        };
    };
}
