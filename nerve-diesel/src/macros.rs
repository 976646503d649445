//! The short macros the store code uses: value-set SQL mappings, and the soft-delete and
//! paging fragments every table's store repeats.

/// Maps a [`nerve_core::model::ValueSet`] enum to a driver's local SQL type (a PostgreSQL ENUM
/// type, or SQLite text under a CHECK) for backend `$db`: `FromSql` for the enum itself (so
/// rows read it directly) and `ToSql`/`AsExpression` for `Db<enum>` (values bound in queries
/// are wrapped in the driver's `Db` newtype, defined in `each_driver/scope.rs`: the enum lives in
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

        // `Db<_>` reads as the type too, for a query that loads a value set beside a row
        // (compliance's controls with their assessment's framework).
        impl $crate::diesel::deserialize::FromSql<$sql, $db> for Db<$rust> {
            fn from_sql(
                raw: <$db as $crate::diesel::backend::Backend>::RawValue<'_>,
            ) -> $crate::diesel::deserialize::Result<Self> {
                <$rust as $crate::diesel::deserialize::FromSql<$sql, $db>>::from_sql(raw).map(Db)
            }
        }

        impl $crate::diesel::deserialize::Queryable<$sql, $db> for Db<$rust> {
            type Row = Self;
            fn build(row: Self) -> $crate::diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }

        // Comparisons with a nullable column of the type.
        impl $crate::diesel::serialize::ToSql<$crate::diesel::sql_types::Nullable<$sql>, $db>
            for Db<$rust>
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::diesel::serialize::Output<'b, '_, $db>,
            ) -> $crate::diesel::serialize::Result {
                <Self as $crate::diesel::serialize::ToSql<$sql, $db>>::to_sql(self, out)
            }
        }

        impl $crate::diesel::expression::AsExpression<$crate::diesel::sql_types::Nullable<$sql>>
            for Db<$rust>
        {
            type Expression = $crate::diesel::internal::derives::as_expression::Bound<
                $crate::diesel::sql_types::Nullable<$sql>,
                Self,
            >;
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
            $t::deleted_at.eq($crate::WriteTs($now)),
            $t::is_active.eq(false),
            $t::updated_at.eq($crate::WriteTs($now)),
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
            $t::updated_at.eq($crate::WriteTs($now)),
        )
    };
}

/// One page, ascending by id, of the live rows of table `$t` whose `$parent` column is
/// `$parent_id`, as `$model`s: the list of a parent's children every store has (a company's
/// rows included), optionally narrowed by more filters (`|q| ...`). `$name` names the table
/// in errors.
#[doc(hidden)]
#[macro_export]
macro_rules! live_children_page {
    // With `|q| narrow`: `narrow` returns the boxed query `q` with more filters.
    ($conn:expr, $t:ident, $row:ident, $model:ty, $parent:ident = $parent_id:expr, $page:expr, $name:expr,
     |$q:ident| $narrow:expr) => {{
        let $q = $t::table
            .filter($t::$parent.eq($parent_id))
            .filter($t::deleted_at.is_null())
            .filter($t::id.gt($page.after_id()))
            .order($t::id.asc())
            .limit(i64::from($page.limit))
            .select($t::all_columns)
            .into_boxed();
        let narrowed = $narrow;
        narrowed
            .load::<$row>($conn)
            .map(|rows| rows.into_iter().map(<$model>::from).collect())
            .map_err(|e| $crate::Op::new($name, "select").error(e))
    }};
    ($conn:expr, $t:ident, $row:ident, $model:ty, $parent:ident = $parent_id:expr, $page:expr, $name:expr) => {
        $t::table
            .filter($t::$parent.eq($parent_id))
            .filter($t::deleted_at.is_null())
            .filter($t::id.gt($page.after_id()))
            .order($t::id.asc())
            .limit(i64::from($page.limit))
            .select($t::all_columns)
            .load::<$row>($conn)
            .map(|rows| rows.into_iter().map(<$model>::from).collect())
            .map_err(|e| $crate::Op::new($name, "select").error(e))
    };
}

/// Soft-deletes the live row `$id` of table `$t` whose `company_id` is `$company_id`, on
/// `$conn`: `Ok(())`, or NotFound on `$name` (keyed by company and id) when no live row of the
/// company has the id. The company-owned delete every store has; the caller checks the
/// company is live first.
#[doc(hidden)]
#[macro_export]
macro_rules! soft_delete_owned {
    ($conn:expr, $t:ident, $company_id:expr, $id:expr, $now:expr, $name:expr) => {{
        let (company_id, id): (i64, i64) = ($company_id, $id);
        $crate::cached::update(
            $t::table
                .filter($t::id.eq(id))
                .filter($t::company_id.eq(company_id))
                .filter($t::deleted_at.is_null()),
        )
        .set($crate::set_deleted!($t, $now))
        .execute($conn)
        .map_err(|e| $crate::Op::new($name, "soft delete").error(e))
        .and_then(|n| match n {
            0 => Err($crate::nerve_core::Error::not_found(
                $name,
                format!("company_id={company_id}, id={id}"),
            )),
            _ => Ok(()),
        })
    }};
}

/// `filter_deleted!(table, q, deleted)`: the boxed query `q` with `deleted`'s filter on
/// `table.deleted_at` (for a query whose other filters vary too; a fixed one loads through
/// [`load_by_deleted!`]).
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

/// `load_by_deleted!(table, q, deleted, Row, conn)`: loads the query `q` (not boxed) as `Row`s
/// with `deleted`'s filter on `table.deleted_at`, one statically typed query per choice: each is
/// prepared once and found again by its type, where a boxed query's SQL is built anew at every
/// call to find its prepared statement (29 000 instructions of 423 000 a call for a tenant's
/// page of users on PostgreSQL, counted by `scripts/profile.sh`).
#[doc(hidden)]
#[macro_export]
macro_rules! load_by_deleted {
    ($t:ident, $q:expr, $deleted:expr, $row:ty, $conn:expr) => {
        match $deleted {
            $crate::nerve_core::model::Deleted::Exclude => {
                $q.filter($t::deleted_at.is_null()).load::<$row>($conn)
            }
            $crate::nerve_core::model::Deleted::Only => {
                $q.filter($t::deleted_at.is_not_null()).load::<$row>($conn)
            }
            $crate::nerve_core::model::Deleted::Include => $q.load::<$row>($conn),
        }
    };
}

/// `columns!(NAME: Type = table(a, b, c))`: the constant `NAME`, the select list
/// `(table::a, table::b, table::c)`, and `Type`, its type, from one list of columns. A driver
/// selects a view ([`models`](crate::models)) through it; the view's fields must have the same
/// order (a unit test in each driver compares the list with the view's `COLUMNS`).
#[doc(hidden)]
#[macro_export]
macro_rules! columns {
    ($name:ident: $ty:ident = $table:ident($($col:ident),* $(,)?)) => {
        #[doc = concat!("The select list of [`", stringify!($name), "`].")]
        type $ty = ($($table::$col,)*);
        #[doc = concat!("`", stringify!($table), "`'s columns a view reads, in its fields' order.")]
        const $name: $ty = ($($table::$col,)*);
    };
}
