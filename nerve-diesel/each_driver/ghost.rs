//! Implements [`GhostStore`](nerve_core::GhostStore) for [`Scope`],
//! against `ghost_search_queries`, `monitored_emails` and `monitored_email_findings` (and
//! their whole-row types) of `crate::schema`.

use super::accounts::{live_company, live_user_of_company};
use super::{Conn, Db, Scope};
use crate::schema::rows::{
    BreachFileResultsRow, GhostSearchQueriesRow, GithubFindingsRow, MonitoredEmailFindingsRow,
    MonitoredEmailsRow, OpsychSearchResultsRow, PastebinFindingsRow, UploadedBreachFilesRow,
};
use crate::schema::{
    breach_file_results, ghost_search_queries, github_findings, monitored_email_findings,
    monitored_emails, opsych_search_results, pastebin_findings, uploaded_breach_files, users,
};
use nerve_diesel::checks::ghost::{check_github, check_opsych, check_paste};
use nerve_diesel::checks::not_negative;
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{
    BreachFile, BreachRecord, Deleted, EmailFinding, GhostQuery, GhostQueryType, GithubFinding,
    MonitorScope, MonitoredEmail, NewBreachFile, NewBreachRecord, NewEmailFinding, NewGhostQuery,
    NewGithubFinding, NewMonitoredEmail, NewOpsychResult, NewPasteFinding, OpsychResult, Page,
    PasteFinding, UploadStatus, ValueSet,
};
use nerve_diesel::nerve_core::validate::{
    json_document, required_text, sanitize_input, sha256_digest, validate_email,
};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const QUERIES: &str = "ghost_search_queries";
const MONITORED: &str = "monitored_emails";
const FINDINGS: &str = "monitored_email_findings";

const BREACH_FILES: &str = "uploaded_breach_files";
const BREACH_RESULTS: &str = "breach_file_results";

fn breach_file(conn: &mut Conn, company_id: i64, id: i64) -> Result<UploadedBreachFilesRow> {
    live_company(conn, company_id)?;
    uploaded_breach_files::table
        .filter(uploaded_breach_files::id.eq(id))
        .filter(uploaded_breach_files::company_id.eq(company_id))
        .filter(uploaded_breach_files::deleted_at.is_null())
        .select(uploaded_breach_files::all_columns)
        .first::<UploadedBreachFilesRow>(conn)
        .optional()
        .map_err(|e| Op::new(BREACH_FILES, "select").error(e))?
        .ok_or_else(|| Error::not_found(BREACH_FILES, format!("company_id={company_id}, id={id}")))
}

/// Moves the live, pending breach file to `to`: see [`pending_to!`].
fn breach_transition(
    conn: &mut Conn,
    company_id: i64,
    id: i64,
    to: UploadStatus,
    reason: Option<&str>,
    records: i64,
    now: ::chrono::DateTime<::chrono::Utc>,
) -> Result<UploadedBreachFilesRow> {
    pending_to!(
        conn,
        uploaded_breach_files,
        UploadedBreachFilesRow,
        company_id,
        id,
        to,
        now,
        breach_file(conn, company_id, id),
        (
            uploaded_breach_files::failure_reason.eq(reason),
            uploaded_breach_files::records_count.eq(records),
        )
    )
}

fn watched(conn: &mut Conn, company_id: i64, id: i64) -> Result<MonitoredEmailsRow> {
    live_company(conn, company_id)?;
    monitored_emails::table
        .filter(monitored_emails::id.eq(id))
        .filter(monitored_emails::company_id.eq(company_id))
        .filter(monitored_emails::deleted_at.is_null())
        .select(monitored_emails::all_columns)
        .first::<MonitoredEmailsRow>(conn)
        .optional()
        .map_err(|e| Op::new(MONITORED, "select").error(e))?
        .ok_or_else(|| Error::not_found(MONITORED, format!("company_id={company_id}, id={id}")))
}

impl nerve_diesel::nerve_core::GhostStore for Scope<'_> {
    fn record_query(&self, company_id: i64, query: &NewGhostQuery) -> Result<GhostQuery> {
        let value = required_text(
            Field::new(QUERIES, "query_value"),
            &query.query_value,
            limits::ghost_search_queries::query_value,
        )?;
        not_negative(QUERIES, "results_count", Some(query.results_count))?;
        not_negative(QUERIES, "response_time_ms", query.response_time_ms)?;
        if let Some(s) = &query.search_sources {
            json_document(Field::new(QUERIES, "search_sources"), s)?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), QUERIES, |conn| {
            live_company(conn, company_id)?;
            live_user_of_company(conn, company_id, query.user_id)?;
            nerve_diesel::diesel::insert_into(ghost_search_queries::table)
                .values((
                    ghost_search_queries::user_id.eq(query.user_id),
                    ghost_search_queries::query_type.eq(Db(query.query_type)),
                    ghost_search_queries::query_value.eq(value),
                    ghost_search_queries::results_count.eq(query.results_count),
                    ghost_search_queries::search_sources.eq(query.search_sources.as_ref()),
                    ghost_search_queries::response_time_ms.eq(query.response_time_ms),
                    ghost_search_queries::searched_at.eq(WriteTs(now)),
                    ghost_search_queries::created_at.eq(WriteTs(now)),
                    ghost_search_queries::updated_at.eq(WriteTs(now)),
                    ghost_search_queries::is_active.eq(true),
                ))
                .returning(ghost_search_queries::all_columns)
                .get_result::<GhostSearchQueriesRow>(conn)
                .map(GhostQuery::from)
                .map_err(|e| Op::new(QUERIES, "insert").error(e))
        })
    }

    fn list_queries(&self, company_id: i64, user_id: i64, page: Page) -> Result<Vec<GhostQuery>> {
        let page = page.checked(QUERIES)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            live_user_of_company(conn, company_id, user_id)?;
            ghost_search_queries::table
                .filter(ghost_search_queries::user_id.eq(user_id))
                .filter(ghost_search_queries::deleted_at.is_null())
                .filter(ghost_search_queries::id.lt(page.before_id()))
                .order(ghost_search_queries::id.desc())
                .limit(i64::from(page.limit))
                .select(ghost_search_queries::all_columns)
                .load::<GhostSearchQueriesRow>(conn)
                .map(|rows| rows.into_iter().map(GhostQuery::from).collect())
                .map_err(|e| Op::new(QUERIES, "select").error(e))
        })
    }

    fn query_counts(
        &self,
        company_id: i64,
        user_id: Option<i64>,
    ) -> Result<Vec<(GhostQueryType, u64)>> {
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            let mut q = ghost_search_queries::table
                .inner_join(users::table.on(users::id.eq(ghost_search_queries::user_id)))
                .filter(users::company_id.eq(company_id))
                .filter(ghost_search_queries::deleted_at.is_null())
                .select(ghost_search_queries::query_type)
                .into_boxed();
            if let Some(user_id) = user_id {
                q = q.filter(ghost_search_queries::user_id.eq(user_id));
            }
            let types: Vec<Db<GhostQueryType>> = q
                .load(conn)
                .map_err(|e| Op::new(QUERIES, "select").error(e))?;
            Ok(GhostQueryType::ALL
                .iter()
                .map(|t| (*t, types.iter().filter(|x| x.0 == *t).count() as u64))
                .collect())
        })
    }

    fn monitor_email(
        &self,
        company_id: i64,
        new: &NewMonitoredEmail,
    ) -> Result<(MonitoredEmail, bool)> {
        let email = validate_email(Field::new(MONITORED, "email_address"), &new.email_address)?;
        match (new.monitor_scope, new.user_id) {
            (MonitorScope::User, None) => {
                return Err(Field::new(MONITORED, "user_id").invalid("scope user needs the user"))
            }
            (MonitorScope::Company, Some(_)) => {
                return Err(Field::new(MONITORED, "user_id").invalid("scope company takes no user"))
            }
            _ => {}
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), MONITORED, |conn| {
            live_company(conn, company_id)?;
            live_user_of_company(conn, company_id, new.created_by_user_id)?;
            if let Some(user_id) = new.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            let existing = |conn: &mut Conn| {
                let mut q = monitored_emails::table
                    .filter(monitored_emails::company_id.eq(company_id))
                    .filter(monitored_emails::email_address.eq(&email))
                    .filter(monitored_emails::monitor_scope.eq(Db(new.monitor_scope)))
                    .filter(monitored_emails::deleted_at.is_null())
                    .select(monitored_emails::all_columns)
                    .into_boxed();
                q = match new.user_id {
                    Some(u) => q.filter(monitored_emails::user_id.eq(u)),
                    None => q.filter(monitored_emails::user_id.is_null()),
                };
                q.first::<MonitoredEmailsRow>(conn)
                    .optional()
                    .map_err(|e| Op::new(MONITORED, "select").error(e))
            };
            if let Some(row) = existing(conn)? {
                return Ok((MonitoredEmail::from(row), false));
            }
            // In a savepoint, under the live unique key: a concurrent call may insert
            // the same watch first; then its row is the answer.
            let inserted = conn.transaction::<_, nerve_diesel::diesel::result::Error, _>(|c| {
                nerve_diesel::diesel::insert_into(monitored_emails::table)
                    .values((
                        monitored_emails::company_id.eq(company_id),
                        monitored_emails::user_id.eq(new.user_id),
                        monitored_emails::created_by_user_id.eq(new.created_by_user_id),
                        monitored_emails::email_address.eq(&email),
                        monitored_emails::monitor_scope.eq(Db(new.monitor_scope)),
                        monitored_emails::findings_count.eq(0_i64),
                        monitored_emails::created_at.eq(WriteTs(now)),
                        monitored_emails::updated_at.eq(WriteTs(now)),
                        monitored_emails::is_active.eq(true),
                    ))
                    .returning(monitored_emails::all_columns)
                    .get_result::<MonitoredEmailsRow>(c)
            });
            match inserted {
                Ok(r) => Ok((MonitoredEmail::from(r), true)),
                Err(nerve_diesel::diesel::result::Error::DatabaseError(
                    nerve_diesel::diesel::result::DatabaseErrorKind::UniqueViolation,
                    info,
                )) => existing(conn)?
                    .map(|r| (MonitoredEmail::from(r), false))
                    .ok_or_else(|| {
                        Op::new(MONITORED, "insert").error(
                            nerve_diesel::diesel::result::Error::DatabaseError(
                                nerve_diesel::diesel::result::DatabaseErrorKind::UniqueViolation,
                                info,
                            ),
                        )
                    }),
                Err(e) => Err(Op::new(MONITORED, "insert").error(e)),
            }
        })
    }

    fn list_monitored(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<MonitoredEmail>> {
        let page = page.checked(MONITORED)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            let q = monitored_emails::table
                .filter(monitored_emails::company_id.eq(company_id))
                .filter(monitored_emails::id.gt(page.after_id()))
                .order(monitored_emails::id.asc())
                .limit(i64::from(page.limit))
                .select(monitored_emails::all_columns);
            nerve_diesel::load_by_deleted!(monitored_emails, q, deleted, MonitoredEmailsRow, conn)
                .map(|rows| rows.into_iter().map(MonitoredEmail::from).collect())
                .map_err(|e| Op::new(MONITORED, "select").error(e))
        })
    }

    fn stop_monitoring(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), MONITORED, |conn| {
            watched(conn, company_id, id)?;
            nerve_diesel::cached::update(
                monitored_emails::table.filter(monitored_emails::id.eq(id)),
            )
            .set(nerve_diesel::set_deleted!(monitored_emails, now))
            .execute(conn)
            .map(drop)
            .map_err(|e| Op::new(MONITORED, "soft delete").error(e))
        })
    }

    fn record_findings(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        findings: &[NewEmailFinding],
    ) -> Result<(MonitoredEmail, u64)> {
        for f in findings {
            required_text(
                Field::new(FINDINGS, "source"),
                &f.source,
                limits::monitored_email_findings::source,
            )?;
            required_text(
                Field::new(FINDINGS, "finding_key"),
                &f.finding_key,
                limits::monitored_email_findings::finding_key,
            )?;
            if let Some(b) = &f.breach_name {
                sanitize_input(
                    Field::new(FINDINGS, "breach_name"),
                    b,
                    limits::monitored_email_findings::breach_name,
                )?;
            }
            if let Some(t) = f.breach_date {
                nerve_diesel::nerve_core::validate::timestamp(
                    Field::new(FINDINGS, "breach_date"),
                    t,
                )?;
            }
            for (name, doc) in [
                ("data_classes", &f.data_classes),
                ("source_details", &f.source_details),
            ] {
                if let Some(d) = doc {
                    json_document(Field::new(FINDINGS, name), d)?;
                }
            }
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), FINDINGS, |conn| {
            watched(conn, company_id, monitored_email_id)?;
            // Lock the address's row first: concurrent recordings for it then run
            // one after the other, and each recount sees the others' findings.
            nerve_diesel::cached::update(
                monitored_emails::table.filter(monitored_emails::id.eq(monitored_email_id)),
            )
            .set(monitored_emails::updated_at.eq(WriteTs(now)))
            .execute(conn)
            .map_err(|e| Op::new(MONITORED, "update").error(e))?;
            let mut added = 0_u64;
            for f in findings {
                // A finding already recorded (from this source, under this key)
                // adds nothing; the unique key decides, under concurrency too.
                added += nerve_diesel::diesel::insert_into(monitored_email_findings::table)
                    .values((
                        monitored_email_findings::monitored_email_id.eq(monitored_email_id),
                        monitored_email_findings::source.eq(&f.source),
                        monitored_email_findings::finding_key.eq(&f.finding_key),
                        monitored_email_findings::breach_name.eq(f.breach_name.as_deref()),
                        monitored_email_findings::breach_date.eq(f
                            .breach_date
                            .map(nerve_diesel::nerve_core::clock::truncate_micros)),
                        monitored_email_findings::data_classes.eq(f.data_classes.as_ref()),
                        monitored_email_findings::severity.eq(Db(f.severity)),
                        monitored_email_findings::source_details.eq(f.source_details.as_ref()),
                        monitored_email_findings::found_at.eq(WriteTs(now)),
                        monitored_email_findings::created_at.eq(WriteTs(now)),
                        monitored_email_findings::updated_at.eq(WriteTs(now)),
                        monitored_email_findings::is_active.eq(true),
                    ))
                    .on_conflict((
                        monitored_email_findings::monitored_email_id,
                        monitored_email_findings::source,
                        monitored_email_findings::finding_key,
                    ))
                    .do_nothing()
                    .execute(conn)
                    .map_err(|e| Op::new(FINDINGS, "insert").error(e))?
                    as u64;
            }
            // The count is the truth, recounted, not incremented.
            let live: i64 = monitored_email_findings::table
                .filter(monitored_email_findings::monitored_email_id.eq(monitored_email_id))
                .filter(monitored_email_findings::deleted_at.is_null())
                .count()
                .get_result(conn)
                .map_err(|e| Op::new(FINDINGS, "count").error(e))?;
            let row = nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(
                    monitored_emails::table.filter(monitored_emails::id.eq(monitored_email_id)),
                )
                .set((
                    monitored_emails::findings_count.eq(live),
                    monitored_emails::last_checked.eq(WriteTs(now)),
                    monitored_emails::updated_at.eq(WriteTs(now)),
                ))
                .returning(monitored_emails::all_columns),
            )
            .get_result::<MonitoredEmailsRow>(conn)
            .map_err(|e| Op::new(MONITORED, "update").error(e))?;
            Ok((MonitoredEmail::from(row), added))
        })
    }

    fn list_findings(
        &self,
        company_id: i64,
        monitored_email_id: i64,
        page: Page,
    ) -> Result<Vec<EmailFinding>> {
        let page = page.checked(FINDINGS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            watched(conn, company_id, monitored_email_id)?;
            nerve_diesel::live_children_page!(
                conn,
                monitored_email_findings,
                MonitoredEmailFindingsRow,
                EmailFinding,
                monitored_email_id = monitored_email_id,
                page,
                FINDINGS
            )
        })
    }

    url_findings!(
        record_github_finding, list_github_findings, github_findings, GithubFindingsRow,
        GithubFinding, NewGithubFinding, check_github,
        |n| {
            repository: n.repository.as_deref(),
            file_path: n.file_path.as_deref(),
            matched_text: n.matched_text.as_deref(),
            severity: Db(n.severity),
            committed_at: n.committed_at.map(nerve_diesel::nerve_core::clock::truncate_micros),
        }
    );

    url_findings!(
        record_paste_finding, list_paste_findings, pastebin_findings, PastebinFindingsRow,
        PasteFinding, NewPasteFinding, check_paste,
        |n| {
            paste_title: n.paste_title.as_deref(),
            paste_author: n.paste_author.as_deref(),
            matched_text: n.matched_text.as_deref(),
            severity: Db(n.severity),
            posted_at: n.posted_at.map(nerve_diesel::nerve_core::clock::truncate_micros),
        }
    );

    url_findings!(
        record_opsych_result, list_opsych_results, opsych_search_results, OpsychSearchResultsRow,
        OpsychResult, NewOpsychResult, check_opsych,
        |n| {
            platform: Db(n.platform),
            username: n.username.as_deref(),
            display_name: n.display_name.as_deref(),
            details: n.details.as_ref(),
        }
    );

    fn create_breach_file(&self, company_id: i64, new: &NewBreachFile) -> Result<BreachFile> {
        let name = required_text(
            Field::new(BREACH_FILES, "file_name"),
            &new.file_name,
            limits::uploaded_breach_files::file_name,
        )?;
        not_negative(BREACH_FILES, "size_bytes", Some(new.size_bytes))?;
        let sha = sha256_digest(Field::new(BREACH_FILES, "sha256"), &new.sha256)?;
        if let Some(b) = &new.breach_name {
            sanitize_input(
                Field::new(BREACH_FILES, "breach_name"),
                b,
                limits::uploaded_breach_files::breach_name,
            )?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), BREACH_FILES, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = new.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            nerve_diesel::diesel::insert_into(uploaded_breach_files::table)
                .values((
                    uploaded_breach_files::company_id.eq(company_id),
                    uploaded_breach_files::user_id.eq(new.user_id),
                    uploaded_breach_files::file_name.eq(name),
                    uploaded_breach_files::size_bytes.eq(new.size_bytes),
                    uploaded_breach_files::sha256.eq(&sha),
                    uploaded_breach_files::breach_name.eq(new.breach_name.as_deref()),
                    uploaded_breach_files::status.eq(Db(UploadStatus::Pending)),
                    uploaded_breach_files::records_count.eq(0_i64),
                    uploaded_breach_files::created_at.eq(WriteTs(now)),
                    uploaded_breach_files::updated_at.eq(WriteTs(now)),
                    uploaded_breach_files::is_active.eq(true),
                ))
                .returning(uploaded_breach_files::all_columns)
                .get_result::<UploadedBreachFilesRow>(conn)
                .map(BreachFile::from)
                .map_err(|e| Op::new(BREACH_FILES, "insert").error(e))
        })
    }

    fn list_breach_files(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<BreachFile>> {
        let page = page.checked(BREACH_FILES)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            let q = uploaded_breach_files::table
                .filter(uploaded_breach_files::company_id.eq(company_id))
                .filter(uploaded_breach_files::id.gt(page.after_id()))
                .order(uploaded_breach_files::id.asc())
                .limit(i64::from(page.limit))
                .select(uploaded_breach_files::all_columns);
            nerve_diesel::load_by_deleted!(
                uploaded_breach_files,
                q,
                deleted,
                UploadedBreachFilesRow,
                conn
            )
            .map(|rows| rows.into_iter().map(BreachFile::from).collect())
            .map_err(|e| Op::new(BREACH_FILES, "select").error(e))
        })
    }

    fn mark_breach_file_parsed(
        &self,
        company_id: i64,
        file_id: i64,
        records: &[NewBreachRecord],
    ) -> Result<BreachFile> {
        let stored = records
            .iter()
            .map(|r| {
                if let Some(x) = &r.extra_fields {
                    json_document(Field::new(BREACH_RESULTS, "extra_fields"), x)?;
                }
                r.credential.stored(BREACH_RESULTS)
            })
            .collect::<Result<Vec<_>>>()?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), BREACH_FILES, |conn| {
            let file = breach_transition(
                conn,
                company_id,
                file_id,
                UploadStatus::Parsed,
                None,
                records.len() as i64,
                now,
            )?;
            for (chunk, raw) in stored.chunks(500).zip(records.chunks(500)) {
                let rows: Vec<_> = chunk
                    .iter()
                    .zip(raw)
                    .map(|(c, r)| {
                        (
                            credential_columns!(
                                breach_file_results,
                                file_id,
                                company_id,
                                file.user_id,
                                c,
                                now
                            ),
                            breach_file_results::extra_fields.eq(r.extra_fields.as_ref()),
                        )
                    })
                    .collect();
                nerve_diesel::diesel::insert_into(breach_file_results::table)
                    .values(rows)
                    .execute(conn)
                    .map_err(|e| Op::new(BREACH_RESULTS, "insert").error(e))?;
            }
            Ok(BreachFile::from(file))
        })
    }

    fn mark_breach_file_failed(
        &self,
        company_id: i64,
        file_id: i64,
        reason: &str,
    ) -> Result<BreachFile> {
        let reason = required_text(Field::new(BREACH_FILES, "failure_reason"), reason, 2000)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), BREACH_FILES, |conn| {
            breach_transition(
                conn,
                company_id,
                file_id,
                UploadStatus::Failed,
                Some(reason),
                0,
                now,
            )
            .map(BreachFile::from)
        })
    }

    fn list_breach_records(
        &self,
        company_id: i64,
        file_id: i64,
        page: Page,
    ) -> Result<Vec<BreachRecord>> {
        let page = page.checked(BREACH_RESULTS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            breach_file(conn, company_id, file_id)?;
            nerve_diesel::live_children_page!(
                conn,
                breach_file_results,
                BreachFileResultsRow,
                BreachRecord,
                file_id = file_id,
                page,
                BREACH_RESULTS
            )
        })
    }
}
