//! Local macros shared by the store modules: each picks a table module by a value.

/// Runs `$body` with `$t` the history table of `$source` (XASM or Lightbox; the two have one
/// shape) and `$row` its whole-row type, from `crate::schema`.
macro_rules! on_history {
    ($source:expr, $t:ident, $row:ident => $body:expr) => {
        match $source {
            nerve_diesel::nerve_core::model::ScanSource::Xasm => {
                #[allow(unused_imports)]
                use crate::schema::rows::XasmScanHistoryRow as $row;
                use crate::schema::xasm_scan_history as $t;
                $body
            }
            nerve_diesel::nerve_core::model::ScanSource::Lightbox => {
                use crate::schema::lightbox_scan_history as $t;
                #[allow(unused_imports)]
                use crate::schema::rows::LightboxScanHistoryRow as $row;
                $body
            }
        }
    };
}

/// Runs `$body` with `$h` the history table of `$source`, `$t` its results table and `$row`
/// the results' whole-row type.
macro_rules! on_results {
    ($source:expr, $h:ident, $t:ident, $row:ident => $body:expr) => {
        match $source {
            nerve_diesel::nerve_core::model::ScanSource::Xasm => {
                #[allow(unused_imports)]
                use crate::schema::rows::ScanResultsXasmRow as $row;
                use crate::schema::scan_results_xasm as $t;
                use crate::schema::xasm_scan_history as $h;
                $body
            }
            nerve_diesel::nerve_core::model::ScanSource::Lightbox => {
                use crate::schema::lightbox_scan_history as $h;
                #[allow(unused_imports)]
                use crate::schema::rows::ScanResultsLightboxRow as $row;
                use crate::schema::scan_results_lightbox as $t;
                $body
            }
        }
    };
}

/// The record/list pair of a finding table deduplicated on (address, source URL): `$record`
/// inserts with ON CONFLICT DO NOTHING and returns the row (new, `true`) or the one already
/// there (unchanged, `false`); `$list` pages the address's rows by id. `$check` validates a
/// new finding; the columns besides the address, URL and times are given as `column: value`
/// with `$n` the new finding.
macro_rules! url_findings {
    (
        $record:ident, $list:ident, $t:ident, $row:ident, $model:ident, $new:ty, $check:path,
        |$n:ident| { $($col:ident: $val:expr),* $(,)? }
    ) => {
        fn $record(&self, company_id: i64, monitored_email_id: i64, new: &$new) -> Result<($model, bool)> {
            const TABLE: &str = stringify!($t);
            $check(new)?;
            let now = self.env().now();
            self.write(nerve_diesel::op_name!(), TABLE, |conn| {
                watched(conn, company_id, monitored_email_id)?;
                let $n = new;
                let inserted = nerve_diesel::diesel::insert_into($t::table)
                    .values((
                        $t::monitored_email_id.eq(monitored_email_id),
                        $t::source_url.eq(&$n.source_url),
                        $( $t::$col.eq($val), )*
                        $t::found_at.eq(nerve_diesel::WriteTs(now)),
                        $t::created_at.eq(nerve_diesel::WriteTs(now)),
                        $t::updated_at.eq(nerve_diesel::WriteTs(now)),
                        $t::is_active.eq(true),
                    ))
                    .on_conflict(($t::monitored_email_id, $t::source_url))
                    .do_nothing()
                    .returning($t::all_columns)
                    .get_result::<$row>(conn)
                    .optional()
                    .map_err(|e| Op::new(TABLE, "insert").error(e))?;
                if let Some(row) = inserted {
                    return Ok(($model::from(row), true));
                }
                $t::table
                    .filter($t::monitored_email_id.eq(monitored_email_id))
                    .filter($t::source_url.eq(&$n.source_url))
                    .select($t::all_columns)
                    .first::<$row>(conn)
                    .map(|r| ($model::from(r), false))
                    .map_err(|e| Op::new(TABLE, "select").error(e))
            })
        }

        fn $list(&self, company_id: i64, monitored_email_id: i64, page: Page) -> Result<Vec<$model>> {
            const TABLE: &str = stringify!($t);
            let page = page.checked(TABLE)?;
            self.read(nerve_diesel::op_name!(), |conn| {
                watched(conn, company_id, monitored_email_id)?;
                nerve_diesel::live_children_page!(conn, $t, $row, $model, monitored_email_id = monitored_email_id, page, TABLE)
            })
        }
    };
}

/// Moves the live, pending file `$id` of company `$company_id` in table `$t` (whole-row type
/// `$row`) to status `$to`, with the extra column assignments given, in one conditional UPDATE
/// that takes the row's lock: of two concurrent transitions one wins, the other finds the file
/// no longer pending. Evaluates to the row, or to NotFound (via `$reread`, which loads the
/// live file) or a Validation error on `$t.status`. Shared by the upload and breach-file
/// stores; `live_company`, `Db`, `Op`, `Field` must be in scope.
macro_rules! pending_to {
    ($conn:expr, $t:ident, $row:ident, $company_id:expr, $id:expr, $to:expr, $now:expr, $reread:expr, ($($set:expr),* $(,)?)) => {{
        const TABLE: &str = stringify!($t);
        let to: nerve_diesel::nerve_core::model::UploadStatus = $to;
        live_company($conn, $company_id)?;
        let moved = nerve_diesel::cached::CacheBySql(nerve_diesel::diesel::update(
            $t::table
                .filter($t::id.eq($id))
                .filter($t::company_id.eq($company_id))
                .filter($t::deleted_at.is_null())
                .filter($t::status.eq(Db(nerve_diesel::nerve_core::model::UploadStatus::Pending))),
        )
        .set(($t::status.eq(Db(to)), $t::parsed_at.eq(Some($now)), $t::updated_at.eq($now), $($set,)*))
        .returning($t::all_columns))
        .get_result::<$row>($conn)
        .optional()
        .map_err(|e| Op::new(TABLE, "update").error(e))?;
        match moved {
            Some(row) => Ok(row),
            None => {
                let file: $row = $reread?;
                Err(Field::new(TABLE, "status").invalid(format!(
                    "a {} file cannot become {to}: only a pending file is parsed or failed",
                    file.status
                )))
            }
        }
    }};
}

/// The columns of a credential parsed from a file, as both credential tables
/// (`uploaded_credentials`, `breach_file_results`) store a
/// [`StoredCredential`](nerve_core::model::StoredCredential) `$c`.
macro_rules! credential_columns {
    ($t:ident, $file_id:expr, $company_id:expr, $user_id:expr, $c:expr, $now:expr) => {
        (
            $t::file_id.eq($file_id),
            $t::company_id.eq($company_id),
            $t::user_id.eq($user_id),
            $t::email.eq($c.email.as_deref()),
            $t::username.eq($c.username.as_deref()),
            $t::password_masked.eq($c.password_masked.as_deref()),
            $t::password_sha256.eq($c.password_sha256.as_deref()),
            $t::domain.eq($c.domain.as_deref()),
            $t::source_line.eq($c.source_line),
            $t::created_at.eq($now),
            $t::updated_at.eq($now),
            $t::is_active.eq(true),
        )
    };
}
