//! Implements [`AttackSurfaceStore`](nerve_core::AttackSurfaceStore) for [`Scope`] against
//! `cached_asm_scans` and the two scan histories, with the backend's own (index-using)
//! pre-filter for cached scans whose results may contain a pattern
//! ([`Driver::scan_results_prefilter`](nerve_diesel::Driver::scan_results_prefilter)).

use super::accounts::{live_company, live_user_of_company};
use super::{Db, Scope};
use crate::driver::ThisDriver;
use crate::schema::rows::{AsmScansRow, CachedAsmScansRow, LightboxFindingsRow};
use crate::schema::{asm_scans, cached_asm_scans, lightbox_findings};
use ::chrono::Duration;
use nerve_diesel::checks::attack_surface::risk;
use nerve_diesel::checks::not_negative;
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{
    json_contains, AsmScan, CachedScan, LightboxFinding, NewAsmScan, NewCachedScan,
    NewLightboxFinding, NewScanRecord, NewScanResult, Page, ScanRecord, ScanResult, ScanSource,
};
use nerve_diesel::nerve_core::validate::{
    json_document, required_text, sanitize_input, timestamp, validate_domain,
};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Driver as _;
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

/// `result_type` of both results tables (one shape): checked equal when compiled.
const RESULT_TYPE_MAX: usize = limits::scan_results_xasm::result_type;
const _: () = assert!(RESULT_TYPE_MAX == limits::scan_results_lightbox::result_type);
const CACHE: &str = "cached_asm_scans";

fn results_table(source: ScanSource) -> &'static str {
    match source {
        ScanSource::Xasm => "scan_results_xasm",
        ScanSource::Lightbox => "scan_results_lightbox",
    }
}

fn history_table(source: ScanSource) -> &'static str {
    match source {
        ScanSource::Xasm => "xasm_scan_history",
        ScanSource::Lightbox => "lightbox_scan_history",
    }
}

impl nerve_diesel::nerve_core::AttackSurfaceStore for Scope<'_> {
    fn cache_scan(&self, scan: &NewCachedScan) -> Result<CachedScan> {
        let domain = validate_domain(Field::new(CACHE, "domain"), &scan.domain)?;
        risk(CACHE, scan.risk_score)?;
        not_negative(CACHE, "total_cves", scan.total_cves)?;
        not_negative(CACHE, "critical_cves", scan.critical_cves)?;
        not_negative(CACHE, "vulnerabilities_found", scan.vulnerabilities_found)?;
        not_negative(CACHE, "open_ports_count", scan.open_ports_count)?;
        if let Some(r) = &scan.scan_results {
            json_document(Field::new(CACHE, "scan_results"), r)?;
        }
        let now = self.env().now();
        let scanned_at = Some(match scan.scanned_at {
            Some(t) => timestamp(Field::new(CACHE, "scanned_at"), t)?,
            None => now,
        });
        self.write(nerve_diesel::op_name!(), CACHE, |conn| {
            let values = || {
                (
                    cached_asm_scans::scanned_at.eq(scanned_at),
                    cached_asm_scans::risk_score.eq(scan.risk_score),
                    cached_asm_scans::risk_level.eq(scan.risk_level.map(Db)),
                    cached_asm_scans::total_cves.eq(scan.total_cves),
                    cached_asm_scans::critical_cves.eq(scan.critical_cves),
                    cached_asm_scans::vulnerabilities_found.eq(scan.vulnerabilities_found),
                    cached_asm_scans::open_ports_count.eq(scan.open_ports_count),
                    cached_asm_scans::scan_results.eq(scan.scan_results.as_ref()),
                    cached_asm_scans::user_id.eq(scan.user_id),
                    cached_asm_scans::updated_at.eq(WriteTs(now)),
                )
            };
            let updated = nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(
                    cached_asm_scans::table
                        .filter(cached_asm_scans::domain.eq(&domain))
                        .filter(cached_asm_scans::deleted_at.is_null()),
                )
                .set(values())
                .returning(cached_asm_scans::all_columns),
            )
            .get_result::<CachedAsmScansRow>(conn)
            .optional()
            .map_err(|e| Op::new(CACHE, "update").error(e))?;
            if let Some(row) = updated {
                return Ok(CachedScan::from(row));
            }
            // In a savepoint: a concurrent first scan of the domain may insert its
            // row first (PostgreSQL, read committed); then this one replaces it.
            let inserted = conn.transaction::<_, nerve_diesel::diesel::result::Error, _>(|c| {
                nerve_diesel::diesel::insert_into(cached_asm_scans::table)
                    .values((
                        values(),
                        cached_asm_scans::domain.eq(&domain),
                        cached_asm_scans::is_active.eq(true),
                    ))
                    .returning(cached_asm_scans::all_columns)
                    .get_result::<CachedAsmScansRow>(c)
            });
            match inserted {
                Ok(row) => Ok(CachedScan::from(row)),
                Err(nerve_diesel::diesel::result::Error::DatabaseError(
                    nerve_diesel::diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => nerve_diesel::cached::CacheBySql(
                    nerve_diesel::diesel::update(
                        cached_asm_scans::table
                            .filter(cached_asm_scans::domain.eq(&domain))
                            .filter(cached_asm_scans::deleted_at.is_null()),
                    )
                    .set(values())
                    .returning(cached_asm_scans::all_columns),
                )
                .get_result::<CachedAsmScansRow>(conn)
                .map(CachedScan::from)
                .map_err(|e| Op::new(CACHE, "update").error(e)),
                Err(e) => Err(Op::new(CACHE, "insert").error(e)),
            }
        })
    }

    fn fresh_scan(&self, domain: &str, max_age: Duration) -> Result<Option<CachedScan>> {
        let domain = validate_domain(Field::new(CACHE, "domain"), domain)?;
        let since = self
            .env()
            .now()
            .checked_sub_signed(max_age)
            .ok_or_else(|| {
                Field::new(CACHE, "scanned_at").invalid("the age reaches before any date")
            })?;
        self.read(nerve_diesel::op_name!(), |conn| {
            cached_asm_scans::table
                .filter(cached_asm_scans::domain.eq(&domain))
                .filter(cached_asm_scans::deleted_at.is_null())
                .filter(cached_asm_scans::scanned_at.ge(WriteTs(since)))
                .select(cached_asm_scans::all_columns)
                .first::<CachedAsmScansRow>(conn)
                .optional()
                .map(|r| r.map(CachedScan::from))
                .map_err(|e| Op::new(CACHE, "select").error(e))
        })
    }

    fn cached_scans_containing(
        &self,
        pattern: &nerve_diesel::serde_json::Value,
        page: Page,
    ) -> Result<Vec<CachedScan>> {
        let page = page.checked(CACHE)?;
        json_document(Field::new(CACHE, "scan_results"), pattern)?;
        let want = page.limit as usize;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
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
                    .select(cached_asm_scans::all_columns)
                    .into_boxed();
                if let Some(filter) = ThisDriver::scan_results_prefilter(pattern) {
                    q = q.filter(filter);
                }
                let rows: Vec<CachedAsmScansRow> = q
                    .load(conn)
                    .map_err(|e| Op::new(CACHE, "select").error(e))?;
                let fetched = rows.len() as i64;
                for row in rows {
                    after = row.id;
                    if row
                        .scan_results
                        .as_ref()
                        .is_some_and(|r| json_contains(r, pattern))
                    {
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

    fn record_scan(
        &self,
        company_id: i64,
        source: ScanSource,
        scan: &NewScanRecord,
    ) -> Result<ScanRecord> {
        let table = history_table(source);
        let domain = validate_domain(Field::new(table, "domain"), &scan.domain)?;
        risk(table, scan.risk_score)?;
        not_negative(table, "findings_count", Some(scan.findings_count))?;
        not_negative(table, "duration_ms", scan.duration_ms)?;
        json_document(Field::new(table, "scan_results"), &scan.scan_results)?;
        let now = self.env().now();
        let scanned_at = timestamp(Field::new(table, "scanned_at"), scan.scanned_at)?;
        self.write(nerve_diesel::op_name!(), table, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = scan.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            on_history!(source, h, Row => {
                nerve_diesel::diesel::insert_into(h::table)
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
                        h::created_at.eq(WriteTs(now)),
                        h::updated_at.eq(WriteTs(now)),
                        h::is_active.eq(true),
                    ))
                    .returning(h::all_columns)
                    .get_result(conn)
                    .map(|r: Row| r.record(source))
                    .map_err(|e| Op::new(table, "insert").error(e))
            })
        })
    }

    fn scan_history(
        &self,
        company_id: i64,
        source: ScanSource,
        domain: &str,
        page: Page,
    ) -> Result<Vec<ScanRecord>> {
        let table = history_table(source);
        let page = page.checked(table)?;
        let domain = validate_domain(Field::new(table, "domain"), domain)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            on_history!(source, h, Row => {
                let mut q = h::table
                    .filter(h::company_id.eq(company_id))
                    .filter(h::domain.eq(&domain))
                    .filter(h::deleted_at.is_null())
                    .order((h::scanned_at.asc(), h::id.asc()))
                    .limit(i64::from(page.limit))
                    .select(h::all_columns)
                    .into_boxed();
                if let Some(after) = page.after {
                    // Keyset on (scanned_at, id): after the row `after` was.
                    let at = h::table
                        .filter(h::id.eq(after))
                        .filter(h::company_id.eq(company_id))
                        .filter(h::domain.eq(&domain))
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

    fn trim_scan_history(
        &self,
        company_id: i64,
        source: ScanSource,
        domain: &str,
        keep: u32,
    ) -> Result<u64> {
        let table = history_table(source);
        let domain = validate_domain(Field::new(table, "domain"), domain)?;
        self.write(nerve_diesel::op_name!(), table, |conn| {
            live_company(conn, company_id)?;
            on_history!(source, h, Row => {
                // The boundary: the `keep`-th latest live scan in time order. Every
                // scan before it (and every soft-deleted one) goes; a scan recorded
                // meanwhile is after it, so it is never deleted by mistake.
                let scope = || {
                    h::table
                        .filter(h::company_id.eq(company_id))
                        .filter(h::domain.eq(&domain))
                };
                let boundary: Option<(::chrono::DateTime<::chrono::Utc>, i64)> = if keep == 0 {
                    None
                } else {
                    scope()
                        .filter(h::deleted_at.is_null())
                        .order((h::scanned_at.desc(), h::id.desc()))
                        .offset(i64::from(keep) - 1)
                        .select((h::scanned_at, h::id))
                        .first(conn)
                        .optional()
                        .map_err(|e| Op::new(table, "select").error(e))?
                };
                let doomed = match boundary {
                    None if keep > 0 => {
                        // Fewer than `keep` live scans: only soft-deleted ones go.
                        nerve_diesel::diesel::delete(scope().filter(h::deleted_at.is_not_null())).execute(conn)
                    }
                    None => nerve_diesel::diesel::delete(scope()).execute(conn),
                    Some((at, id)) => nerve_diesel::diesel::delete(scope().filter(
                        h::deleted_at
                            .is_not_null()
                            .or(h::scanned_at.lt(at))
                            .or(h::scanned_at.eq(at).and(h::id.lt(id))),
                    ))
                    .execute(conn),
                };
                doomed.map(|n| n as u64).map_err(|e| Op::new(table, "delete").error(e))
            })
        })
    }

    fn record_asm_scan(&self, company_id: i64, scan: &NewAsmScan) -> Result<AsmScan> {
        const T: &str = "asm_scans";
        let domain = validate_domain(Field::new(T, "domain"), &scan.domain)?;
        risk(T, Some(scan.risk_score))?;
        if let Some(r) = &scan.scan_results {
            json_document(Field::new(T, "scan_results"), r)?;
        }
        if let Some(e) = &scan.error {
            sanitize_input(Field::new(T, "error"), e, 2000)?;
        }
        let now = self.env().now();
        let started_at = timestamp(Field::new(T, "started_at"), scan.started_at)?;
        let completed_at = scan
            .completed_at
            .map(|t| timestamp(Field::new(T, "completed_at"), t))
            .transpose()?;
        self.write(nerve_diesel::op_name!(), T, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = scan.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            nerve_diesel::diesel::insert_into(asm_scans::table)
                .values((
                    asm_scans::company_id.eq(company_id),
                    asm_scans::user_id.eq(scan.user_id),
                    asm_scans::domain.eq(&domain),
                    asm_scans::status.eq(Db(scan.status)),
                    asm_scans::risk_score.eq(scan.risk_score),
                    asm_scans::risk_level.eq(scan.risk_level.map(Db)),
                    asm_scans::scan_results.eq(scan.scan_results.as_ref()),
                    asm_scans::error.eq(scan.error.as_deref()),
                    asm_scans::started_at.eq(started_at),
                    asm_scans::completed_at.eq(completed_at),
                    asm_scans::created_at.eq(WriteTs(now)),
                    asm_scans::updated_at.eq(WriteTs(now)),
                    asm_scans::is_active.eq(true),
                ))
                .returning(asm_scans::all_columns)
                .get_result::<AsmScansRow>(conn)
                .map(AsmScan::from)
                .map_err(|e| Op::new(T, "insert").error(e))
        })
    }

    fn list_asm_scans(
        &self,
        company_id: i64,
        domain: Option<&str>,
        page: Page,
    ) -> Result<Vec<AsmScan>> {
        const T: &str = "asm_scans";
        let page = page.checked(T)?;
        let domain = domain
            .map(|d| validate_domain(Field::new(T, "domain"), d))
            .transpose()?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::live_children_page!(
                conn,
                asm_scans,
                AsmScansRow,
                AsmScan,
                company_id = company_id,
                page,
                T,
                |q| match &domain {
                    Some(d) => q.filter(asm_scans::domain.eq(d)),
                    None => q,
                }
            )
        })
    }

    fn record_lightbox_finding(
        &self,
        company_id: i64,
        finding: &NewLightboxFinding,
    ) -> Result<LightboxFinding> {
        const T: &str = "lightbox_findings";
        let domain = validate_domain(Field::new(T, "domain"), &finding.domain)?;
        let kind = required_text(
            Field::new(T, "finding_type"),
            &finding.finding_type,
            limits::lightbox_findings::finding_type,
        )?;
        let title = required_text(
            Field::new(T, "title"),
            &finding.title,
            limits::lightbox_findings::title,
        )?;
        if let Some(d) = &finding.description {
            sanitize_input(Field::new(T, "description"), d, 10_000)?;
        }
        if let Some(u) = &finding.url {
            sanitize_input(Field::new(T, "url"), u, limits::lightbox_findings::url)?;
        }
        if let Some(e) = &finding.evidence {
            json_document(Field::new(T, "evidence"), e)?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), T, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = finding.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            nerve_diesel::diesel::insert_into(lightbox_findings::table)
                .values((
                    lightbox_findings::company_id.eq(company_id),
                    lightbox_findings::user_id.eq(finding.user_id),
                    lightbox_findings::domain.eq(&domain),
                    lightbox_findings::finding_type.eq(kind),
                    lightbox_findings::severity.eq(Db(finding.severity)),
                    lightbox_findings::title.eq(title),
                    lightbox_findings::description.eq(finding.description.as_deref()),
                    lightbox_findings::url.eq(finding.url.as_deref()),
                    lightbox_findings::evidence.eq(finding.evidence.as_ref()),
                    lightbox_findings::discovered_at.eq(WriteTs(now)),
                    lightbox_findings::created_at.eq(WriteTs(now)),
                    lightbox_findings::updated_at.eq(WriteTs(now)),
                    lightbox_findings::is_active.eq(true),
                ))
                .returning(lightbox_findings::all_columns)
                .get_result::<LightboxFindingsRow>(conn)
                .map(LightboxFinding::from)
                .map_err(|e| Op::new(T, "insert").error(e))
        })
    }

    fn list_lightbox_findings(
        &self,
        company_id: i64,
        domain: Option<&str>,
        include_resolved: bool,
        page: Page,
    ) -> Result<Vec<LightboxFinding>> {
        const T: &str = "lightbox_findings";
        let page = page.checked(T)?;
        let domain = domain
            .map(|d| validate_domain(Field::new(T, "domain"), d))
            .transpose()?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::live_children_page!(
                conn,
                lightbox_findings,
                LightboxFindingsRow,
                LightboxFinding,
                company_id = company_id,
                page,
                T,
                |q| {
                    let mut q = q;
                    if let Some(d) = &domain {
                        q = q.filter(lightbox_findings::domain.eq(d));
                    }
                    if !include_resolved {
                        q = q.filter(lightbox_findings::resolved_at.is_null());
                    }
                    q
                }
            )
        })
    }

    fn resolve_lightbox_finding(&self, company_id: i64, id: i64) -> Result<LightboxFinding> {
        const T: &str = "lightbox_findings";
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), T, |conn| {
            live_company(conn, company_id)?;
            let live = lightbox_findings::table
                .filter(lightbox_findings::id.eq(id))
                .filter(lightbox_findings::company_id.eq(company_id))
                .filter(lightbox_findings::deleted_at.is_null());
            nerve_diesel::cached::update(live.filter(lightbox_findings::resolved_at.is_null()))
                .set((
                    lightbox_findings::resolved_at.eq(WriteTs(now)),
                    lightbox_findings::updated_at.eq(WriteTs(now)),
                ))
                .execute(conn)
                .map_err(|e| Op::new(T, "update").error(e))?;
            live.select(lightbox_findings::all_columns)
                .first::<LightboxFindingsRow>(conn)
                .optional()
                .map_err(|e| Op::new(T, "select").error(e))?
                .map(LightboxFinding::from)
                .ok_or_else(|| Error::not_found(T, format!("company_id={company_id}, id={id}")))
        })
    }

    fn add_scan_results(
        &self,
        company_id: i64,
        source: ScanSource,
        scan_id: i64,
        results: &[NewScanResult],
    ) -> Result<u64> {
        let table = results_table(source);
        for r in results {
            required_text(
                Field::new(table, "result_type"),
                &r.result_type,
                RESULT_TYPE_MAX,
            )?;
            json_document(Field::new(table, "scan_results"), &r.scan_results)?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), table, |conn| {
            live_company(conn, company_id)?;
            on_results!(source, h, t, Row => {
                let domain: String = h::table
                    .filter(h::id.eq(scan_id))
                    .filter(h::company_id.eq(company_id))
                    .filter(h::deleted_at.is_null())
                    .select(h::domain)
                    .first(conn)
                    .optional()
                    .map_err(|e| Op::new(history_table(source), "select").error(e))?
                    .ok_or_else(|| Error::not_found(history_table(source), format!("company_id={company_id}, id={scan_id}")))?;
                let mut added = 0_u64;
                for chunk in results.chunks(500) {
                    let rows: Vec<_> = chunk
                        .iter()
                        .map(|r| {
                            (
                                t::scan_id.eq(scan_id),
                                t::company_id.eq(company_id),
                                t::domain.eq(&domain),
                                t::result_type.eq(&r.result_type),
                                t::severity.eq(Db(r.severity)),
                                t::scan_results.eq(&r.scan_results),
                                t::created_at.eq(WriteTs(now)),
                                t::updated_at.eq(WriteTs(now)),
                                t::is_active.eq(true),
                            )
                        })
                        .collect();
                    added += nerve_diesel::diesel::insert_into(t::table)
                        .values(rows)
                        .execute(conn)
                        .map_err(|e| Op::new(table, "insert").error(e))? as u64;
                }
                Ok(added)
            })
        })
    }

    fn list_scan_results(
        &self,
        company_id: i64,
        source: ScanSource,
        scan_id: i64,
        page: Page,
    ) -> Result<Vec<ScanResult>> {
        let table = results_table(source);
        let page = page.checked(table)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            on_results!(source, h, t, Row => {
                h::table
                    .filter(h::id.eq(scan_id))
                    .filter(h::company_id.eq(company_id))
                    .filter(h::deleted_at.is_null())
                    .select(h::id)
                    .first::<i64>(conn)
                    .optional()
                    .map_err(|e| Op::new(history_table(source), "select").error(e))?
                    .ok_or_else(|| Error::not_found(history_table(source), format!("company_id={company_id}, id={scan_id}")))?;
                t::table
                    .filter(t::scan_id.eq(scan_id))
                    .filter(t::deleted_at.is_null())
                    .filter(t::id.gt(page.after_id()))
                    .order(t::id.asc())
                    .limit(i64::from(page.limit))
                    .select(t::all_columns)
                    .load::<Row>(conn)
                    .map(|rows| rows.into_iter().map(|r| r.result(source)).collect())
                    .map_err(|e| Op::new(table, "select").error(e))
            })
        })
    }
}
