//! [`attack_surface_store!`]: the shared scan cache and the companies' scan histories.

/// Runs `$body` with `$t` the history table of `$source` (XASM or Lightbox; the two have one
/// shape) and `$row` its whole-row type, from the `schema` module path given.
#[doc(hidden)]
#[macro_export]
macro_rules! on_history {
    ([$($schema:ident)::+] $source:expr, $t:ident, $row:ident => $body:expr) => {
        match $source {
            $crate::nerve_core::model::ScanSource::Xasm => {
                use $($schema)::+::rows::XasmScanHistoryRow as $row;
                use $($schema)::+::xasm_scan_history as $t;
                $body
            }
            $crate::nerve_core::model::ScanSource::Lightbox => {
                use $($schema)::+::lightbox_scan_history as $t;
                use $($schema)::+::rows::LightboxScanHistoryRow as $row;
                $body
            }
        }
    };
}

/// Implements [`AttackSurfaceStore`](nerve_core::AttackSurfaceStore) for the `Scope` of
/// [`define_scope!`], against `cached_asm_scans` and the two scan histories of the `schema`
/// module path given, which must also provide `scan_results_prefilter(pattern)`: the
/// backend's own (index-using) filter for cached scans whose results may contain `pattern`,
/// or `None` to filter in Rust only.
#[macro_export]
macro_rules! attack_surface_store {
    (schema = $($schema:ident)::+) => {
        const _: () = {
            use self::account_stores::{live_company, live_user_of_company};
            use $($schema)::+::cached_asm_scans;
            use $($schema)::+::rows::{CachedAsmScansRow, LightboxScanHistoryRow, XasmScanHistoryRow};
            use $crate::diesel::prelude::*;
            use $crate::nerve_core::model::{
                json_contains, CachedScan, NewCachedScan, NewScanRecord, Page, ScanRecord, ScanSource,
            };
            use $crate::nerve_core::validate::{json_document, validate_domain};
            use $crate::nerve_core::{Error, Field, Result};
            use $crate::Op;
            use ::chrono::Duration;

            const CACHE: &str = "cached_asm_scans";

            impl From<CachedAsmScansRow> for CachedScan {
                fn from(r: CachedAsmScansRow) -> Self {
                    CachedScan {
                        id: r.id,
                        domain: r.domain,
                        scanned_at: r.scanned_at,
                        risk_score: r.risk_score,
                        risk_level: r.risk_level.map(|l| l.0),
                        total_cves: r.total_cves,
                        critical_cves: r.critical_cves,
                        vulnerabilities_found: r.vulnerabilities_found,
                        open_ports_count: r.open_ports_count,
                        scan_results: r.scan_results,
                        user_id: r.user_id,
                        updated_at: r.updated_at,
                        deleted_at: r.deleted_at,
                        is_active: r.is_active,
                    }
                }
            }

            /// The two histories' rows, one conversion (they have one shape).
            macro_rules! record_from {
                ($row:ident) => {
                    impl $row {
                        fn record(self, source: ScanSource) -> ScanRecord {
                            ScanRecord {
                                id: self.id,
                                source,
                                company_id: self.company_id,
                                user_id: self.user_id,
                                domain: self.domain,
                                status: self.status.0,
                                risk_score: self.risk_score,
                                risk_level: self.risk_level.map(|l| l.0),
                                findings_count: self.findings_count,
                                scan_results: self.scan_results,
                                duration_ms: self.duration_ms,
                                scanned_at: self.scanned_at,
                                created_at: self.created_at,
                                updated_at: self.updated_at,
                                deleted_at: self.deleted_at,
                                is_active: self.is_active,
                            }
                        }
                    }
                };
            }
            record_from!(XasmScanHistoryRow);
            record_from!(LightboxScanHistoryRow);

            fn history_table(source: ScanSource) -> &'static str {
                match source {
                    ScanSource::Xasm => "xasm_scan_history",
                    ScanSource::Lightbox => "lightbox_scan_history",
                }
            }

            fn count(table: &'static str, name: &'static str, v: Option<i64>) -> Result<()> {
                match v {
                    Some(n) if n < 0 => Err(Field::new(table, name).invalid("must not be negative")),
                    _ => Ok(()),
                }
            }

            fn risk(table: &'static str, v: Option<i64>) -> Result<()> {
                match v {
                    Some(n) if !(0..=100).contains(&n) => {
                        Err(Field::new(table, "risk_score").invalid(format!("{n} is not 0 to 100")))
                    }
                    _ => Ok(()),
                }
            }

            impl $crate::nerve_core::AttackSurfaceStore for Scope<'_> {
                fn cache_scan(&self, scan: &NewCachedScan) -> Result<CachedScan> {
                    let domain = validate_domain(Field::new(CACHE, "domain"), &scan.domain)?;
                    risk(CACHE, scan.risk_score)?;
                    count(CACHE, "total_cves", scan.total_cves)?;
                    count(CACHE, "critical_cves", scan.critical_cves)?;
                    count(CACHE, "vulnerabilities_found", scan.vulnerabilities_found)?;
                    count(CACHE, "open_ports_count", scan.open_ports_count)?;
                    if let Some(r) = &scan.scan_results {
                        json_document(Field::new(CACHE, "scan_results"), r)?;
                    }
                    let now = self.env().now();
                    let scanned_at = Some(scan.scanned_at.map($crate::nerve_core::clock::truncate_micros).unwrap_or(now));
                    self.write(CACHE, |conn| {
                        let values = || (
                            cached_asm_scans::scanned_at.eq(scanned_at),
                            cached_asm_scans::risk_score.eq(scan.risk_score),
                            cached_asm_scans::risk_level.eq(scan.risk_level.map(Db)),
                            cached_asm_scans::total_cves.eq(scan.total_cves),
                            cached_asm_scans::critical_cves.eq(scan.critical_cves),
                            cached_asm_scans::vulnerabilities_found.eq(scan.vulnerabilities_found),
                            cached_asm_scans::open_ports_count.eq(scan.open_ports_count),
                            cached_asm_scans::scan_results.eq(scan.scan_results.as_ref()),
                            cached_asm_scans::user_id.eq(scan.user_id),
                            cached_asm_scans::updated_at.eq(now),
                        );
                        let updated = $crate::diesel::update(
                            cached_asm_scans::table
                                .filter(cached_asm_scans::domain.eq(&domain))
                                .filter(cached_asm_scans::deleted_at.is_null()),
                        )
                        .set(values())
                        .returning(CachedAsmScansRow::as_returning())
                        .get_result(conn)
                        .optional()
                        .map_err(|e| Op::new(CACHE, "update").foreign("user_id").error(e))?;
                        if let Some(row) = updated {
                            return Ok(CachedScan::from(row));
                        }
                        $crate::diesel::insert_into(cached_asm_scans::table)
                            .values((values(), cached_asm_scans::domain.eq(&domain), cached_asm_scans::is_active.eq(true)))
                            .returning(CachedAsmScansRow::as_returning())
                            .get_result(conn)
                            .map(CachedScan::from)
                            .map_err(|e| Op::new(CACHE, "insert").unique("domain").foreign("user_id").error(e))
                    })
                }

                fn fresh_scan(&self, domain: &str, max_age: Duration) -> Result<Option<CachedScan>> {
                    let domain = validate_domain(Field::new(CACHE, "domain"), domain)?;
                    let since = self.env().now() - max_age;
                    self.read(|conn| {
                        cached_asm_scans::table
                            .filter(cached_asm_scans::domain.eq(&domain))
                            .filter(cached_asm_scans::deleted_at.is_null())
                            .filter(cached_asm_scans::scanned_at.ge(since))
                            .select(CachedAsmScansRow::as_select())
                            .first(conn)
                            .optional()
                            .map(|r| r.map(CachedScan::from))
                            .map_err(|e| Op::new(CACHE, "select").error(e))
                    })
                }

                fn cached_scans_containing(&self, pattern: &$crate::serde_json::Value, page: Page) -> Result<Vec<CachedScan>> {
                    let page = page.checked(CACHE)?;
                    json_document(Field::new(CACHE, "scan_results"), pattern)?;
                    let want = page.limit as usize;
                    self.read(|conn| {
                        let mut out = Vec::new();
                        let mut after = page.after_id();
                        // Fetch in batches: the backend's filter may let through rows the
                        // containment rule then drops, and the page must still fill up.
                        loop {
                            let batch = 500_i64.max(want as i64);
                            let mut q = cached_asm_scans::table
                                .filter(cached_asm_scans::deleted_at.is_null())
                                .filter(cached_asm_scans::scan_results.is_not_null())
                                .filter(cached_asm_scans::id.gt(after))
                                .order(cached_asm_scans::id.asc())
                                .limit(batch)
                                .select(CachedAsmScansRow::as_select())
                                .into_boxed();
                            if let Some(filter) = $($schema)::+::scan_results_prefilter(pattern) {
                                q = q.filter(filter);
                            }
                            let rows: Vec<CachedAsmScansRow> =
                                q.load(conn).map_err(|e| Op::new(CACHE, "select").error(e))?;
                            let fetched = rows.len() as i64;
                            for row in rows {
                                after = row.id;
                                if row.scan_results.as_ref().is_some_and(|r| json_contains(r, pattern)) {
                                    out.push(CachedScan::from(row));
                                    if out.len() == want {
                                        return Ok(out);
                                    }
                                }
                            }
                            if fetched < batch {
                                return Ok(out);
                            }
                        }
                    })
                }

                fn record_scan(&self, company_id: i64, source: ScanSource, scan: &NewScanRecord) -> Result<ScanRecord> {
                    let table = history_table(source);
                    let domain = validate_domain(Field::new(table, "domain"), &scan.domain)?;
                    risk(table, scan.risk_score)?;
                    count(table, "findings_count", Some(scan.findings_count))?;
                    count(table, "duration_ms", scan.duration_ms)?;
                    json_document(Field::new(table, "scan_results"), &scan.scan_results)?;
                    let now = self.env().now();
                    let scanned_at = $crate::nerve_core::clock::truncate_micros(scan.scanned_at);
                    self.write(table, |conn| {
                        live_company(conn, company_id)?;
                        if let Some(user_id) = scan.user_id {
                            live_user_of_company(conn, company_id, user_id)?;
                        }
                        $crate::on_history!([$($schema)::+] source, h, Row => {
                            $crate::diesel::insert_into(h::table)
                                .values((
                                    h::company_id.eq(company_id),
                                    h::user_id.eq(scan.user_id),
                                    h::domain.eq(&domain),
                                    h::status.eq(Db(scan.status)),
                                    h::risk_score.eq(scan.risk_score),
                                    h::risk_level.eq(scan.risk_level.map(Db)),
                                    h::findings_count.eq(scan.findings_count),
                                    h::scan_results.eq(&scan.scan_results),
                                    h::duration_ms.eq(scan.duration_ms),
                                    h::scanned_at.eq(scanned_at),
                                    h::created_at.eq(now),
                                    h::updated_at.eq(now),
                                    h::is_active.eq(true),
                                ))
                                .returning(Row::as_returning())
                                .get_result(conn)
                                .map(|r: Row| r.record(source))
                                .map_err(|e| Op::new(table, "insert").error(e))
                        })
                    })
                }

                fn scan_history(&self, company_id: i64, source: ScanSource, domain: &str, page: Page) -> Result<Vec<ScanRecord>> {
                    let table = history_table(source);
                    let page = page.checked(table)?;
                    let domain = validate_domain(Field::new(table, "domain"), domain)?;
                    self.read(|conn| {
                        live_company(conn, company_id)?;
                        $crate::on_history!([$($schema)::+] source, h, Row => {
                            let mut q = h::table
                                .filter(h::company_id.eq(company_id))
                                .filter(h::domain.eq(&domain))
                                .filter(h::deleted_at.is_null())
                                .order((h::scanned_at.asc(), h::id.asc()))
                                .limit(i64::from(page.limit))
                                .select(Row::as_select())
                                .into_boxed();
                            if let Some(after) = page.after {
                                // Keyset on (scanned_at, id): after the row `after` was.
                                let at = h::table
                                    .filter(h::id.eq(after))
                                    .filter(h::company_id.eq(company_id))
                                    .select(h::scanned_at)
                                    .first::<::chrono::DateTime<::chrono::Utc>>(conn)
                                    .optional()
                                    .map_err(|e| Op::new(table, "select").error(e))?
                                    .ok_or_else(|| Error::not_found(table, format!("company_id={company_id}, id={after}")))?;
                                q = q.filter(h::scanned_at.gt(at).or(h::scanned_at.eq(at).and(h::id.gt(after))));
                            }
                            q.load::<Row>(conn)
                                .map(|rows| rows.into_iter().map(|r| r.record(source)).collect())
                                .map_err(|e| Op::new(table, "select").error(e))
                        })
                    })
                }

                fn trim_scan_history(&self, company_id: i64, source: ScanSource, domain: &str, keep: u32) -> Result<u64> {
                    let table = history_table(source);
                    let domain = validate_domain(Field::new(table, "domain"), domain)?;
                    self.write(table, |conn| {
                        live_company(conn, company_id)?;
                        $crate::on_history!([$($schema)::+] source, h, Row => {
                            // The ids to keep: the `keep` latest in time order.
                            let kept: Vec<i64> = h::table
                                .filter(h::company_id.eq(company_id))
                                .filter(h::domain.eq(&domain))
                                .order((h::scanned_at.desc(), h::id.desc()))
                                .limit(i64::from(keep))
                                .select(h::id)
                                .load(conn)
                                .map_err(|e| Op::new(table, "select").error(e))?;
                            $crate::diesel::delete(
                                h::table
                                    .filter(h::company_id.eq(company_id))
                                    .filter(h::domain.eq(&domain))
                                    .filter(h::id.ne_all(kept)),
                            )
                            .execute(conn)
                            .map(|n| n as u64)
                            .map_err(|e| Op::new(table, "delete").error(e))
                        })
                    })
                }
            }
        };
    };
}
