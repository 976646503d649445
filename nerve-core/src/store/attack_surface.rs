//! Attack surface: the shared cache of the latest ASM scan per domain, with content queries
//! on its JSON results, and each company's XASM and Lightbox scan histories.

use crate::error::Result;
use crate::model::{
    AsmScan, CachedScan, LightboxFinding, NewAsmScan, NewCachedScan, NewLightboxFinding,
    NewScanRecord, NewScanResult, Page, ScanRecord, ScanResult, ScanSource,
};
use chrono::Duration;

/// Scan caching and history.
///
/// The cache is shared by every company (the spec's `cached_asm_scans` has no company): one
/// live row per domain. Histories are company-owned: another company's scan is
/// [`Error::NotFound`](crate::Error::NotFound). Every method is atomic.
pub trait AttackSurfaceStore {
    /// Stores `scan` as the latest scan of its domain: creates the domain's row or replaces
    /// every value of the live one (`updated_at` the clock). Concurrent calls for one domain
    /// leave one row, the last writer's. Errors: [`Error::Validation`](crate::Error::Validation)
    /// on `cached_asm_scans.*` (domain, counts not negative, risk 0-100, JSON without U+0000).
    fn cache_scan(&self, scan: &NewCachedScan) -> Result<CachedScan>;

    /// The domain's cached scan if it ran no longer than `max_age` before now (the clock);
    /// `None` when there is none, it is older, or its time is unknown.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn fresh_scan(&self, domain: &str, max_age: Duration) -> Result<Option<CachedScan>>;

    /// The live cached scans whose results contain `pattern`, in JSON containment's sense
    /// (PostgreSQL's `@>`: an object contains an object whose every key it has with a
    /// containing value; an array contains an array whose every element some element of it
    /// contains; scalars contain equal scalars, numbers compared as numbers; a scalar pattern
    /// is contained by an array holding it). One page, ascending by id. PostgreSQL answers
    /// from the GIN index; SQLite scans the rows it prefilters with `json_tree` by the
    /// pattern's first scalar; both apply the same containment rule, so the rows are the same.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn cached_scans_containing(
        &self,
        pattern: &serde_json::Value,
        page: Page,
    ) -> Result<Vec<CachedScan>>;

    /// Appends a scan to the company's history of `source`.
    fn record_scan(
        &self,
        company_id: i64,
        source: ScanSource,
        scan: &NewScanRecord,
    ) -> Result<ScanRecord>;

    /// The company's live scans of `domain` in `source`'s history, in time order: ascending
    /// `scanned_at`, then id. [`Page::after`] takes the id of the last scan seen.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn scan_history(
        &self,
        company_id: i64,
        source: ScanSource,
        domain: &str,
        page: Page,
    ) -> Result<Vec<ScanRecord>>;

    /// Keeps the `keep` latest live scans (by time order) of `domain` in the company's history
    /// of `source` and deletes every other one (older, or soft-deleted), with its results, for
    /// good; returns how many were deleted. A scan recorded meanwhile is never deleted (it is
    /// newer than the ones kept).
    fn trim_scan_history(
        &self,
        company_id: i64,
        source: ScanSource,
        domain: &str,
        keep: u32,
    ) -> Result<u64>;

    /// Records an ASM scan the company ran.
    fn record_asm_scan(&self, company_id: i64, scan: &NewAsmScan) -> Result<AsmScan>;

    /// The company's live ASM scans (of `domain`, when given), one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_asm_scans(
        &self,
        company_id: i64,
        domain: Option<&str>,
        page: Page,
    ) -> Result<Vec<AsmScan>>;

    /// Records a Lightbox finding (discovered now, by the clock).
    fn record_lightbox_finding(
        &self,
        company_id: i64,
        finding: &NewLightboxFinding,
    ) -> Result<LightboxFinding>;

    /// The company's live Lightbox findings (of `domain`, when given; resolved ones only when
    /// `include_resolved`), one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_lightbox_findings(
        &self,
        company_id: i64,
        domain: Option<&str>,
        include_resolved: bool,
        page: Page,
    ) -> Result<Vec<LightboxFinding>>;

    /// Marks the finding resolved now; resolving a resolved finding keeps the first time.
    fn resolve_lightbox_finding(&self, company_id: i64, id: i64) -> Result<LightboxFinding>;

    /// Attaches results to the company's scan `scan_id` in `source`'s history, all or none;
    /// returns how many.
    fn add_scan_results(
        &self,
        company_id: i64,
        source: ScanSource,
        scan_id: i64,
        results: &[NewScanResult],
    ) -> Result<u64>;

    /// The results of the company's scan, one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_scan_results(
        &self,
        company_id: i64,
        source: ScanSource,
        scan_id: i64,
        page: Page,
    ) -> Result<Vec<ScanResult>>;
}
