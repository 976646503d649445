//! Ghost Search: query history, monitored e-mail addresses and what is found about them.

use crate::error::Result;
use crate::model::{BreachFile, BreachRecord, NewBreachFile, NewBreachRecord};
use crate::model::{
    Deleted, EmailFinding, GhostQuery, GhostQueryType, GithubFinding, MonitoredEmail,
    NewEmailFinding, NewGhostQuery, NewGithubFinding, NewMonitoredEmail, NewOpsychResult,
    NewPasteFinding, OpsychResult, Page, PasteFinding,
};

/// Ghost Search per company. Queries belong to users, and so to the users' company; monitored
/// addresses belong to the company that added them, whatever their scope. Another company's
/// rows are [`Error::NotFound`](crate::Error::NotFound), and so is everything of a
/// soft-deleted company (on `companies`). Every method is atomic.
pub trait GhostStore {
    /// Records a query the live user ran (searched now, by the clock).
    fn record_query(&self, company_id: i64, query: &NewGhostQuery) -> Result<GhostQuery>;

    /// The user's queries, newest first (descending id; [`Page::after`] takes the last id seen).
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_queries(&self, company_id: i64, user_id: i64, page: Page) -> Result<Vec<GhostQuery>>;

    /// How many live queries of each type the company's users (or the one user given) ran:
    /// every type of [`GhostQueryType`], in its order, zeros included.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn query_counts(
        &self,
        company_id: i64,
        user_id: Option<i64>,
    ) -> Result<Vec<(GhostQueryType, u64)>>;

    /// Starts watching an address. Idempotent: when the company already watches it for the
    /// same scope (and user), that row is returned with `false`. Scope `user` needs `user_id`,
    /// scope `company` refuses one ([`Error::Validation`](crate::Error::Validation) on
    /// `monitored_emails.user_id`).
    fn monitor_email(
        &self,
        company_id: i64,
        new: &NewMonitoredEmail,
    ) -> Result<(MonitoredEmail, bool)>;

    /// The company's watched addresses, one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_monitored(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<MonitoredEmail>>;

    /// Stops watching (soft delete); the findings are kept.
    fn stop_monitoring(&self, company_id: i64, id: i64) -> Result<()>;

    /// Records findings for the watched address. Idempotent per (source, finding key): a
    /// finding already recorded adds nothing and changes nothing. Afterwards `findings_count`
    /// equals the address's live findings and `last_checked` is now, even when nothing was
    /// new. Returns the address and how many findings were added.
    fn record_findings(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        findings: &[NewEmailFinding],
    ) -> Result<(MonitoredEmail, u64)>;

    /// The watched address's findings, one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_findings(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        page: Page,
    ) -> Result<Vec<EmailFinding>>;

    /// Records a GitHub finding for the watched address. Idempotent on the source URL: a URL
    /// already recorded for the address returns that finding, unchanged, with `false`.
    /// [`Error::Validation`](crate::Error::Validation) on `github_findings.source_url` for a
    /// URL that is not http(s).
    fn record_github_finding(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        new: &NewGithubFinding,
    ) -> Result<(GithubFinding, bool)>;

    /// The watched address's GitHub findings, one page, ascending by id.
    fn list_github_findings(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        page: Page,
    ) -> Result<Vec<GithubFinding>>;

    /// Records a Pastebin finding; idempotent on the source URL as
    /// [`GhostStore::record_github_finding`].
    fn record_paste_finding(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        new: &NewPasteFinding,
    ) -> Result<(PasteFinding, bool)>;

    /// The watched address's Pastebin findings, one page, ascending by id.
    fn list_paste_findings(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        page: Page,
    ) -> Result<Vec<PasteFinding>>;

    /// Records an OPSYCH result; idempotent on the source URL as
    /// [`GhostStore::record_github_finding`].
    fn record_opsych_result(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        new: &NewOpsychResult,
    ) -> Result<(OpsychResult, bool)>;

    /// The watched address's OPSYCH results, one page, ascending by id.
    fn list_opsych_results(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        page: Page,
    ) -> Result<Vec<OpsychResult>>;

    /// Records an uploaded breach file, pending. [`Error::Validation`](crate::Error::Validation)
    /// on `uploaded_breach_files.*` (name 1-255, size not negative, SHA-256 64 hex digits).
    fn create_breach_file(&self, company_id: i64, new: &NewBreachFile) -> Result<BreachFile>;

    /// One page of the company's breach files, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_breach_files(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<BreachFile>>;

    /// Stores the records parsed from the pending file (passwords only masked and hashed,
    /// as [`NewCredential::stored`](crate::model::NewCredential::stored)) and marks it parsed
    /// with `records_count`, all or nothing. A file that is not pending is a
    /// [`Error::Validation`](crate::Error::Validation) on `uploaded_breach_files.status`.
    fn mark_breach_file_parsed(
        &self,
        company_id: i64,
        file_id: i64,
        records: &[NewBreachRecord],
    ) -> Result<BreachFile>;

    /// Marks the pending file failed with `reason` (1 to 2000 characters).
    fn mark_breach_file_failed(
        &self,
        company_id: i64,
        file_id: i64,
        reason: &str,
    ) -> Result<BreachFile>;

    /// One page of the live file's records, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_breach_records(
        &self,
        company_id: i64,
        file_id: i64,
        page: Page,
    ) -> Result<Vec<BreachRecord>>;
}
