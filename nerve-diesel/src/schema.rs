//! [`tables!`] and [`value_sets!`]: the one logical schema both drivers expand.
//!
//! Each driver's `schema` module defines `sql_types::Ts` (its timestamp-with-time-zone type),
//! `sql_types::Doc` (its JSON document type) and the value-set SQL types (with
//! [`value_sets!`]), then expands [`tables!`]: the columns, their nullability and the joins
//! are written once, so the two drivers cannot disagree about them. The row types the list
//! also makes are nerve-diesel's own ([`rows`](crate::rows)), compiled once.

/// Every closed value set: its driver-local SQL type, its nerve-core enum and its PostgreSQL
/// ENUM name. `value_sets!(types postgres)` / `value_sets!(types sqlite)` define the SQL types
/// (native ENUM, or CHECKed text); `value_sets!(impls DB, PATH)` maps each enum to the type
/// at `PATH` for backend `DB` (see [`value_set_sql!`]), in the module holding the driver's `Db`.
#[macro_export]
macro_rules! value_sets {
    (@list [types postgres] $($t:ident, $r:ident, $pg:literal;)*) => {
        $(
            #[doc = concat!("The native ENUM type `", $pg, "`.")]
            #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
            #[diesel(postgres_type(name = $pg))]
            pub struct $t;
        )*
    };
    (@list [types sqlite] $($t:ident, $r:ident, $pg:literal;)*) => {
        $(
            #[doc = concat!("Text CHECKed to the values of the PostgreSQL ENUM `", $pg, "`.")]
            #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
            #[diesel(sqlite_type(name = "Text"))]
            pub struct $t;
        )*
    };
    (@list [impls $db:ty, $($p:ident)::+] $($t:ident, $r:ident, $pg:literal;)*) => {
        const _: () = {
            use $($p)::+ as value_set_types;
            $( $crate::value_set_sql!($crate::nerve_core::model::$r => value_set_types::$t, $db); )*
        };
    };
    ($($mode:tt)*) => {
        $crate::value_sets!(@list [$($mode)*]
            UserRole, Role, "user_role";
            Severity, Severity, "severity";
            SecurityEventType, SecurityEventType, "security_event_type";
            LoginFailure, LoginFailure, "login_failure";
            SocialPlatform, SocialPlatform, "social_platform";
            BaitTokenType, BaitTokenType, "bait_token_type";
            UploadStatus, UploadStatus, "upload_status";
            ScanStatus, ScanStatus, "scan_status";
            GhostQueryType, GhostQueryType, "ghost_query_type";
            MonitorScope, MonitorScope, "monitor_scope";
            ScanSource, ScanSource, "scan_source";
            ComplianceFramework, ComplianceFramework, "compliance_framework";
            AssessmentStatus, AssessmentStatus, "assessment_status";
            ControlStatus, ControlStatus, "control_status";
            TaskStatus, TaskStatus, "task_status";
            TaskSource, TaskSource, "task_source";
        );
    };
}

/// Expands the table list (`nerve-diesel/each_driver/schema_tables.rs`) in a driver's `schema`
/// module, which must define `sql_types` (the value-set types of [`value_sets!`], `Ts` and
/// `Doc`) and sit in a driver crate laid out as `each_driver/mod.rs` describes
/// (`crate::stores::Db`). Makes:
/// - a Diesel `table!` per table, the joins, and `allow_tables_to_appear_in_same_query!`;
/// - `TABLE_NAMES`, every table's name in list order;
/// - `rows`: nerve-diesel's whole-row types ([`rows`](crate::rows), re-exported), how this
///   driver writes them (`rows::write::<table>::Row<'a>`, `Insertable`; an `UPDATE`'s `SET`
///   list through [`set_all_but_id!`]) and, from [`raw_rows_by_name!`], whole rows of any table
///   by name as JSON.
// `crate::` here is meant: the driver crate that expands the list, whose `schema`, `stores`
// and `driver` modules the expansion names.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! tables {
    (
        $(
            $table:ident ($pk:ident) $row:ident {
                $( $col:ident -> $sql:ident $(<$inner:ident>)? $([$max:literal])? ),* $(,)?
            }
        )*
    ) => {
        $(
            diesel::table! {
                use diesel::sql_types::*;
                use crate::schema::sql_types::*;

                $table ($pk) {
                    $( $col -> $sql $(<$inner>)?, )*
                }
            }
        )*

        diesel::joinable!(users -> companies (company_id));
        diesel::joinable!(sessions -> users (user_id));
        diesel::joinable!(api_keys -> users (user_id));
        diesel::joinable!(social_media -> profiles (profile_id));
        diesel::joinable!(breaches -> profiles (profile_id));
        diesel::joinable!(bait_accesses -> bait_tokens (token_id));
        diesel::joinable!(uploaded_credentials -> uploaded_files (file_id));
        diesel::joinable!(scan_results_xasm -> xasm_scan_history (scan_id));
        diesel::joinable!(scan_results_lightbox -> lightbox_scan_history (scan_id));
        diesel::joinable!(monitored_email_findings -> monitored_emails (monitored_email_id));
        diesel::joinable!(breach_file_results -> uploaded_breach_files (file_id));
        diesel::joinable!(github_findings -> monitored_emails (monitored_email_id));
        diesel::joinable!(pastebin_findings -> monitored_emails (monitored_email_id));
        diesel::joinable!(opsych_search_results -> monitored_emails (monitored_email_id));
        diesel::joinable!(compliance_controls -> compliance_assessments (assessment_id));
        diesel::joinable!(compliance_evidence -> compliance_controls (control_id));
        diesel::joinable!(roadmap_user_tasks -> roadmap_profiles (profile_id));
        diesel::joinable!(roadmap_achievements -> roadmap_profiles (profile_id));
        diesel::joinable!(roadmap_progress_history -> roadmap_profiles (profile_id));
        diesel::allow_tables_to_appear_in_same_query!($($table),*);

        /// Every table of the schema, in the list's order.
        pub(crate) const TABLE_NAMES: &[&str] = &[$(stringify!($table)),*];

        /// The whole-row types (nerve-diesel's, compiled once) and how this driver writes them;
        /// whole rows of any table as JSON.
        pub(crate) mod rows {
            pub(crate) use $crate::rows::*;
            #[allow(unused_imports)]
            use $crate::diesel::prelude::*;
            use super::*;

            /// Whole rows as this driver writes them: per table, `Row<'a>`, a view of a whole
            /// row (its fields borrowed; value sets copied into the driver's `Db`, to bind as
            /// its SQL types): `Insertable`, and, through [`set_all_but_id!`], an `UPDATE`'s `SET` list.
            pub(crate) mod write {
                $(
                    #[doc = concat!("Writing whole rows of `", stringify!($table), "`.")]
                    pub(crate) mod $table {
                        #[allow(unused_imports)]
                        use $crate::diesel::prelude::*;
                        #[allow(unused_imports)]
                        use crate::stores::Db;

                        #[doc = concat!("A whole row of `", stringify!($table), "` to write.")]
                        #[derive(Clone, Copy, Insertable)]
                        #[diesel(table_name = crate::schema::$table, treat_none_as_default_value = false)]
                        pub(crate) struct Row<'a> {
                            $( pub(crate) $col: $crate::write_type!([Db 'a] $sql $(<$inner>)?), )*
                        }

                        impl<'a> From<&'a $crate::rows::$row> for Row<'a> {
                            fn from(r: &'a $crate::rows::$row) -> Self {
                                Row { $( $col: $crate::write_value!([Db] r.$col, $sql $(<$inner>)?), )* }
                            }
                        }
                    }
                )*
            }

            $crate::raw_rows_by_name! { $( $table ($pk) $row { $( $col -> $sql $(<$inner>)? $([$max])? ),* } )* }
        }
    };
}

/// Whole rows of any table, by the table's name, as JSON: `insert_json`, `batch_insert_json`,
/// `update_json` and `get_json` (what the contract's `RawRows` is), each one `match` on the name
/// over the list [`tables!`] was given; expanded by [`tables!`] in the `rows` module.
#[doc(hidden)]
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! raw_rows_by_name {
    (
        $(
            $table:ident ($pk:ident) $row:ident {
                $( $col:ident -> $sql:ident $(<$inner:ident>)? $([$max:literal])? ),* $(,)?
            }
        )*
    ) => {
        /// Inserts `row`, a whole row of `table` as JSON (every column, the id included),
        /// and returns the row as stored. Timestamps are truncated to microseconds first.
        /// Errors: [`Validation`](nerve_core::Error::Validation) for an unknown table, a row
        /// that is not one of its rows (the reason names the field), or text holding U+0000;
        /// a database constraint's variant otherwise.
        pub(crate) fn insert_json(
            conn: &mut crate::stores::Conn,
            table: &str,
            row: &$crate::serde_json::Value,
        ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
            match table {
                $(
                    stringify!($table) => {
                        const TABLE: &str = stringify!($table);
                        let obj = $crate::raw_rows::object(TABLE, $row::COLUMNS, row)?;
                        let r = $row::new_from_json(obj, None)?;
                        let op = $crate::Op::new(TABLE, "insert");
                        $crate::diesel::insert_into($table::table)
                            .values(write::$table::Row::from(&r))
                            .execute(conn)
                            .map_err(|e| op.error(e))?;
                        <crate::driver::ThisDriver as $crate::Driver>::after_explicit_ids(conn, TABLE).map_err(|e| op.error(e))?;
                        get_json(conn, TABLE, r.$pk)
                    }
                )*
                other => Err($crate::raw_rows::unknown_table(other)),
            }
        }

        /// Inserts `rows` of `table` (whole rows as JSON, as [`insert_json`] takes them; a
        /// row without `id` gets one from the table's identity) by
        /// [`raw_rows::batch_insert`]($crate::raw_rows::batch_insert), and returns how many.
        /// Errors as [`insert_json`]'s, the reason naming the row (from 0).
        pub(crate) fn batch_insert_json(
            conn: &mut crate::stores::Conn,
            table: &str,
            rows: &[$crate::serde_json::Value],
        ) -> $crate::nerve_core::Result<u64> {
            match table {
                $(
                    stringify!($table) => $crate::raw_rows::batch_insert::<crate::driver::ThisDriver, $row>(
                        conn,
                        stringify!($table),
                        $row::COLUMNS,
                        rows,
                        $row::new_from_json,
                    ),
                )*
                other => Err($crate::raw_rows::unknown_table(other)),
            }
        }

        /// Replaces the values of the row `id` of `table` by `changes` (an object of column
        /// to new value; `id`, `created_at` and `updated_at` excluded), sets `updated_at`
        /// to `now`, only if the row's `updated_at` is still `expected` — one statement,
        /// so a concurrent change in between makes it match nothing. Returns the row as
        /// stored. Errors: [`NotFound`](nerve_core::Error::NotFound);
        /// [`Conflict`](nerve_core::Error::Conflict) on `updated_at` with
        /// [`Constraint::Stale`](nerve_core::Constraint::Stale) when the row changed
        /// since; [`Validation`](nerve_core::Error::Validation) for an unknown table or
        /// column, a table without `updated_at` (append-only), or a value as for
        /// [`insert_json`].
        pub(crate) fn update_json(
            conn: &mut crate::stores::Conn,
            table: &str,
            id: i64,
            expected: $crate::chrono::DateTime<$crate::chrono::Utc>,
            changes: &$crate::serde_json::Value,
            now: $crate::chrono::DateTime<$crate::chrono::Utc>,
        ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
            match table {
                $(
                    stringify!($table) => {
                        const TABLE: &str = stringify!($table);
                        let merged = $crate::raw_rows::merge_changes(
                            TABLE,
                            $row::COLUMNS,
                            get_json(conn, TABLE, id)?,
                            changes,
                            expected,
                            now,
                        )?;
                        let obj = $crate::raw_rows::object(TABLE, $row::COLUMNS, &merged)?;
                        let r = $row::from_json(obj)?;
                        let written = write::$table::Row::from(&r);
                        let n = $crate::cached::update(
                            $table::table.find(id).filter(
                                $crate::diesel::dsl::sql::<$crate::diesel::sql_types::Bool>("updated_at = ")
                                    .bind::<crate::schema::sql_types::Ts, _>($crate::nerve_core::clock::truncate_micros(expected)),
                            ),
                        )
                        .set($crate::set_all_but_id!(written, $table; $($col),*))
                        .execute(conn)
                        .map_err(|e| $crate::Op::new(TABLE, "update").error(e))?;
                        if n == 0 {
                            return Err($crate::raw_rows::stale(TABLE, id));
                        }
                        get_json(conn, TABLE, id)
                    }
                )*
                other => Err($crate::raw_rows::unknown_table(other)),
            }
        }

        /// The row of `table` with key `id`, as JSON. Errors:
        /// [`NotFound`](nerve_core::Error::NotFound) when there is none,
        /// [`Validation`](nerve_core::Error::Validation) for an unknown table.
        pub(crate) fn get_json(
            conn: &mut crate::stores::Conn,
            table: &str,
            id: i64,
        ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
            match table {
                $(
                    stringify!($table) => {
                        const TABLE: &str = stringify!($table);
                        let r = $table::table
                            .find(id)
                            .select($table::all_columns)
                            .first::<$row>(conn)
                            .optional()
                            .map_err(|e| $crate::Op::new(TABLE, "select").error(e))?
                            .ok_or_else(|| $crate::nerve_core::Error::not_found(TABLE, format!("id={id}")))?;
                        $crate::raw_rows::encode(TABLE, &r)
                    }
                )*
                other => Err($crate::raw_rows::unknown_table(other)),
            }
        }
    };
}

/// `(t::b.eq(row.b), t::c.eq(row.c), ...)` for the columns `id, b, c, ...` of table `t`: a
/// write-side row's `SET` list without its key (a table whose first column is not `id` does
/// not match).
#[doc(hidden)]
#[macro_export]
macro_rules! set_all_but_id {
    ($row:ident, $table:ident; id $(, $col:ident)*) => {
        ( $( $crate::diesel::ExpressionMethods::eq($table::$col, $row.$col), )* )
    };
}

/// The Rust type of a column of SQL type `T` in the whole-row types ([`rows`](crate::rows)).
#[doc(hidden)]
#[macro_export]
macro_rules! row_type {
    (Nullable<$inner:ident>) => {
        ::std::option::Option<$crate::row_type!($inner)>
    };
    (BigInt) => { i64 };
    (Text) => { ::std::string::String };
    (Bool) => { bool };
    (Ts) => { $crate::chrono::DateTime<$crate::chrono::Utc> };
    (Doc) => { $crate::serde_json::Value };
    (UserRole) => { $crate::nerve_core::model::Role };
    ($set:ident) => { $crate::nerve_core::model::$set };
}

/// The type a column of SQL type `T` is decoded into before it becomes its [`row_type!`]:
/// [`ReadTs`](crate::ReadTs) / [`ReadNullableTs`](crate::ReadNullableTs) for timestamps (on
/// SQLite a fast reader of the text the store writes), the row type for every other column.
#[doc(hidden)]
#[macro_export]
macro_rules! read_type {
    (Ts) => { $crate::ReadTs };
    (Nullable<Ts>) => { $crate::ReadNullableTs };
    ($($other:tt)*) => { $crate::row_type!($($other)*) };
}

/// The type of a column of SQL type `T` in a driver's write-side mirror of a whole row
/// (`rows::write`, made by [`tables!`]): a reference to the row's field, except value sets,
/// which are copied into the driver's `Db` (`$b`) to bind as its SQL type.
#[doc(hidden)]
#[macro_export]
macro_rules! write_type {
    ([$b:ident $l:lifetime] Nullable<BigInt>) => { &$l Option<i64> };
    ([$b:ident $l:lifetime] Nullable<Text>) => { &$l Option<String> };
    ([$b:ident $l:lifetime] Nullable<Bool>) => { &$l Option<bool> };
    ([$b:ident $l:lifetime] Nullable<Ts>) => { &$l Option<$crate::chrono::DateTime<$crate::chrono::Utc>> };
    ([$b:ident $l:lifetime] Nullable<Doc>) => { &$l Option<$crate::serde_json::Value> };
    ([$b:ident $l:lifetime] Nullable<$set:ident>) => { Option<$b<$crate::row_type!($set)>> };
    ([$b:ident $l:lifetime] BigInt) => { &$l i64 };
    ([$b:ident $l:lifetime] Text) => { &$l String };
    ([$b:ident $l:lifetime] Bool) => { &$l bool };
    ([$b:ident $l:lifetime] Ts) => { &$l $crate::chrono::DateTime<$crate::chrono::Utc> };
    ([$b:ident $l:lifetime] Doc) => { &$l $crate::serde_json::Value };
    ([$b:ident $l:lifetime] $set:ident) => { $b<$crate::row_type!($set)> };
}

/// A whole row's field `$e` as its [`write_type!`].
#[doc(hidden)]
#[macro_export]
macro_rules! write_value {
    ([$b:ident] $e:expr, Nullable<BigInt>) => {
        &$e
    };
    ([$b:ident] $e:expr, Nullable<Text>) => {
        &$e
    };
    ([$b:ident] $e:expr, Nullable<Bool>) => {
        &$e
    };
    ([$b:ident] $e:expr, Nullable<Ts>) => {
        &$e
    };
    ([$b:ident] $e:expr, Nullable<Doc>) => {
        &$e
    };
    ([$b:ident] $e:expr, Nullable<$set:ident>) => {
        $e.map($b)
    };
    ([$b:ident] $e:expr, BigInt) => {
        &$e
    };
    ([$b:ident] $e:expr, Text) => {
        &$e
    };
    ([$b:ident] $e:expr, Bool) => {
        &$e
    };
    ([$b:ident] $e:expr, Ts) => {
        &$e
    };
    ([$b:ident] $e:expr, Doc) => {
        &$e
    };
    ([$b:ident] $e:expr, $set:ident) => {
        $b($e)
    };
}

/// Every type, as itself: lets a type computed by a macro stand where only a type path may
/// (Diesel's `deserialize_as` attribute takes `<read_type!(..) as Itself>::Type`).
pub trait Itself {
    /// `Self`.
    type Type;
}

impl<T> Itself for T {
    type Type = T;
}

/// Checks a column's value as both backends would store it: timestamps truncated to
/// microseconds and within years 1 to 9999, JSON documents of NOT NULL columns not `null`;
/// nothing for other types.
#[doc(hidden)]
#[macro_export]
macro_rules! micros {
    ($table:expr, $col:expr, Ts, $e:expr) => {
        $e = $crate::raw_rows::timestamp($table, $col, $e)?
    };
    ($table:expr, $col:expr, Nullable<Ts>, $e:expr) => {
        $e = $e
            .map(|t| $crate::raw_rows::timestamp($table, $col, t))
            .transpose()?
    };
    ($table:expr, $col:expr, Doc, $e:expr) => {
        $crate::raw_rows::document($table, $col, &$e)?
    };
    ($table:expr, $col:expr, $sql:ident $(<$inner:ident>)?, $e:expr) => {};
}
