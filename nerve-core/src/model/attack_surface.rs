use super::value_set::value_set;

value_set! {
    /// Where a scan stands.
    pub enum ScanStatus as "scan_status" {
        /// Requested, not started.
        Queued = "queued",
        /// Running.
        Running = "running",
        /// Finished with results.
        Completed = "completed",
        /// Finished without results; the error is recorded.
        Failed = "failed",
    }
}

value_set! {
    /// The scanner a finding comes from.
    pub enum ScanSource as "scan_source" {
        /// The external attack-surface scanner (XASM).
        Xasm = "xasm",
        /// The Lightbox web scanner.
        Lightbox = "lightbox",
    }
}

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The latest ASM scan of a domain, shared by every company: one live row per domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedScan {
    /// Identity.
    pub id: i64,
    /// The scanned domain (lower case).
    pub domain: String,
    /// When the scan ran.
    pub scanned_at: Option<DateTime<Utc>>,
    /// Overall risk.
    pub risk_score: Option<i64>,
    /// The risk as a severity.
    pub risk_level: Option<super::Severity>,
    /// CVEs found.
    pub total_cves: Option<i64>,
    /// Critical CVEs found.
    pub critical_cves: Option<i64>,
    /// Vulnerabilities found.
    pub vulnerabilities_found: Option<i64>,
    /// Open ports found.
    pub open_ports_count: Option<i64>,
    /// The scanner's results.
    pub scan_results: Option<serde_json::Value>,
    /// Who ran the scan.
    pub user_id: Option<i64>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// A scan to cache for its domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCachedScan {
    /// The scanned domain (validated, lower-cased).
    pub domain: String,
    /// When the scan ran (the store's clock when `None`).
    pub scanned_at: Option<DateTime<Utc>>,
    /// Overall risk, 0 to 100.
    pub risk_score: Option<i64>,
    /// The risk as a severity.
    pub risk_level: Option<super::Severity>,
    /// CVEs found (not negative).
    pub total_cves: Option<i64>,
    /// Critical CVEs found (not negative).
    pub critical_cves: Option<i64>,
    /// Vulnerabilities found (not negative).
    pub vulnerabilities_found: Option<i64>,
    /// Open ports found (not negative).
    pub open_ports_count: Option<i64>,
    /// The scanner's results (no U+0000).
    pub scan_results: Option<serde_json::Value>,
    /// Who ran the scan.
    pub user_id: Option<i64>,
}

/// One scan in a company's XASM or Lightbox history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    /// Identity (per history).
    pub id: i64,
    /// Which scanner's history.
    pub source: ScanSource,
    /// The owning company.
    pub company_id: i64,
    /// Who ran it.
    pub user_id: Option<i64>,
    /// The scanned domain (lower case).
    pub domain: String,
    /// Where the scan stands.
    pub status: ScanStatus,
    /// Overall risk, 0 to 100.
    pub risk_score: Option<i64>,
    /// The risk as a severity.
    pub risk_level: Option<super::Severity>,
    /// How many findings it produced.
    pub findings_count: i64,
    /// The scanner's results.
    pub scan_results: serde_json::Value,
    /// How long it took.
    pub duration_ms: Option<i64>,
    /// When it ran: the history's time order.
    pub scanned_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// A scan to append to a history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewScanRecord {
    /// Who ran it (a user of the company).
    pub user_id: Option<i64>,
    /// The scanned domain (validated, lower-cased).
    pub domain: String,
    /// Where the scan stands.
    pub status: ScanStatus,
    /// Overall risk, 0 to 100.
    pub risk_score: Option<i64>,
    /// The risk as a severity.
    pub risk_level: Option<super::Severity>,
    /// How many findings it produced (not negative).
    pub findings_count: i64,
    /// The scanner's results (no U+0000).
    pub scan_results: serde_json::Value,
    /// How long it took (not negative).
    pub duration_ms: Option<i64>,
    /// When it ran.
    pub scanned_at: DateTime<Utc>,
}

/// Whether `target` contains `pattern` in PostgreSQL's JSONB containment sense (`@>`): an object
/// contains an object whose every key it has with a containing value; an array contains an
/// array each of whose elements some element of it contains; scalars contain equal scalars
/// (numbers compared as numbers); and, at the top level only, an array contains a scalar it
/// holds. The one rule both backends' content queries apply.
pub fn json_contains(target: &serde_json::Value, pattern: &serde_json::Value) -> bool {
    use serde_json::Value;
    fn scalar_eq(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                // Integers exactly; an integer and a double only when the double is that very
                // integer (PostgreSQL compares numerics exactly); doubles as doubles.
                fn int(n: &serde_json::Number) -> Option<i128> {
                    n.as_i64()
                        .map(i128::from)
                        .or_else(|| n.as_u64().map(i128::from))
                }
                fn float_is(f: f64, i: i128) -> bool {
                    f.fract() == 0.0 && f.abs() < 1.7e38 && f as i128 == i
                }
                match (int(x), int(y)) {
                    (Some(i), Some(j)) => i == j,
                    (Some(i), None) => y.as_f64().is_some_and(|f| float_is(f, i)),
                    (None, Some(j)) => x.as_f64().is_some_and(|f| float_is(f, j)),
                    (None, None) => x.as_f64() == y.as_f64(),
                }
            }
            _ => a == b,
        }
    }
    fn deep(t: &Value, p: &Value) -> bool {
        match (t, p) {
            (Value::Object(a), Value::Object(b)) => {
                b.iter().all(|(k, v)| a.get(k).is_some_and(|x| deep(x, v)))
            }
            (Value::Array(a), Value::Array(b)) => {
                b.iter().all(|pv| a.iter().any(|tv| deep(tv, pv)))
            }
            (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
                false
            }
            _ => scalar_eq(t, p),
        }
    }
    match (target, pattern) {
        (Value::Array(items), p) if !p.is_array() && !p.is_object() => items
            .iter()
            .any(|t| !t.is_array() && !t.is_object() && scalar_eq(t, p)),
        _ => deep(target, pattern),
    }
}

#[cfg(test)]
mod tests {
    use super::json_contains;
    use serde_json::json;

    #[test]
    fn containment_follows_postgresql() {
        let doc =
            json!({"cves": [{"id": "CVE-2024-3094", "score": 10}], "ports": [22, 443], "ok": true});
        assert!(json_contains(
            &doc,
            &json!({"cves": [{"id": "CVE-2024-3094"}]})
        ));
        assert!(
            json_contains(&doc, &json!({"cves": [{"score": 10.0}]})),
            "numbers as numbers"
        );
        assert!(json_contains(&doc, &json!({"ports": [443]})));
        assert!(json_contains(&doc, &json!({})));
        assert!(
            !json_contains(&doc, &json!({"ports": 443})),
            "no scalar-in-array below the top"
        );
        assert!(!json_contains(
            &doc,
            &json!({"cves": {"id": "CVE-2024-3094"}})
        ));
        assert!(!json_contains(&doc, &json!({"missing": null})));
        assert!(
            json_contains(&json!(["a", "b"]), &json!("a")),
            "top-level array holds a scalar"
        );
        assert!(!json_contains(&json!({"a": 1}), &json!("a")));
        assert!(json_contains(&json!([[1, 2], [3]]), &json!([[3]])));
        assert!(
            !json_contains(
                &json!({"s": 9007199254740993_u64}),
                &json!({"s": 9007199254740992.0})
            ),
            "an integer and a double differing past 2^53 are different numbers"
        );
        assert!(json_contains(&json!({"s": 10}), &json!({"s": 10.0})));
    }
}

/// An ASM scan a company ran against one of its domains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AsmScan {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// Who ran it.
    pub user_id: Option<i64>,
    /// The scanned domain (lower case).
    pub domain: String,
    /// Where it stands.
    pub status: ScanStatus,
    /// Overall risk, 0 to 100.
    pub risk_score: i64,
    /// The risk as a severity.
    pub risk_level: Option<super::Severity>,
    /// The scanner's results.
    pub scan_results: Option<serde_json::Value>,
    /// Why a failed scan failed.
    pub error: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// An ASM scan to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAsmScan {
    /// Who ran it (a live user of the company).
    pub user_id: Option<i64>,
    /// The scanned domain (validated, lower-cased).
    pub domain: String,
    /// Where it stands.
    pub status: ScanStatus,
    /// Overall risk, 0 to 100.
    pub risk_score: i64,
    /// The risk as a severity.
    pub risk_level: Option<super::Severity>,
    /// The scanner's results (no U+0000).
    pub scan_results: Option<serde_json::Value>,
    /// Why it failed, up to 2000 characters.
    pub error: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A finding of the Lightbox web scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LightboxFinding {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// Who recorded it.
    pub user_id: Option<i64>,
    /// The domain it is on (lower case).
    pub domain: String,
    /// The scanner's finding type (what compliance mappings key on).
    pub finding_type: String,
    /// How serious it is.
    pub severity: super::Severity,
    /// A one-line summary.
    pub title: String,
    /// Details.
    pub description: Option<String>,
    /// The affected URL.
    pub url: Option<String>,
    /// The scanner's evidence.
    pub evidence: Option<serde_json::Value>,
    /// When it was first seen.
    pub discovered_at: DateTime<Utc>,
    /// When it was seen fixed.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A Lightbox finding to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLightboxFinding {
    /// Who records it (a live user of the company).
    pub user_id: Option<i64>,
    /// The domain (validated, lower-cased).
    pub domain: String,
    /// The finding type, 1 to 100 characters.
    pub finding_type: String,
    /// How serious it is.
    pub severity: super::Severity,
    /// A one-line summary, 1 to 255 characters.
    pub title: String,
    /// Details, up to 10 000 characters.
    pub description: Option<String>,
    /// The affected URL, up to 2048 characters.
    pub url: Option<String>,
    /// The scanner's evidence (no U+0000).
    pub evidence: Option<serde_json::Value>,
}

/// One result (finding) of a scan in a history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanResult {
    /// Identity (per source).
    pub id: i64,
    /// The scan it belongs to.
    pub scan_id: i64,
    /// The scanner.
    pub source: ScanSource,
    /// The scan's domain.
    pub domain: String,
    /// The kind of result.
    pub result_type: String,
    /// How serious it is.
    pub severity: super::Severity,
    /// The result.
    pub scan_results: serde_json::Value,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A result to attach to a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewScanResult {
    /// The kind of result, 1 to 100 characters.
    pub result_type: String,
    /// How serious it is.
    pub severity: super::Severity,
    /// The result (no U+0000).
    pub scan_results: serde_json::Value,
}
