//! Implements [`UploadStore`](nerve_core::UploadStore) for [`Scope`],
//! against `uploaded_files` and `uploaded_credentials` (and their whole-row types) of
//! `crate::schema`.

use super::accounts::{live_company, live_user_of_company};
use super::{Conn, Db, Scope};
use crate::schema::rows::{UploadedCredentialsRow, UploadedFilesRow};
use crate::schema::{uploaded_credentials, uploaded_files};
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{
    Deleted, NewCredential, NewUploadedFile, Page, UploadStatus, UploadedCredential, UploadedFile,
};
use nerve_diesel::nerve_core::validate::{required_text, sanitize_input, sha256_digest};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const FILES: &str = "uploaded_files";
const CREDENTIALS: &str = "uploaded_credentials";

fn not_found(company_id: i64, id: i64) -> Error {
    Error::not_found(FILES, format!("company_id={company_id}, id={id}"))
}

fn live_file(conn: &mut Conn, company_id: i64, id: i64) -> Result<UploadedFilesRow> {
    live_company(conn, company_id)?;
    uploaded_files::table
        .filter(uploaded_files::id.eq(id))
        .filter(uploaded_files::company_id.eq(company_id))
        .filter(uploaded_files::deleted_at.is_null())
        .select(uploaded_files::all_columns)
        .first::<UploadedFilesRow>(conn)
        .optional()
        .map_err(|e| Op::new(FILES, "select").error(e))?
        .ok_or_else(|| not_found(company_id, id))
}

/// Moves the live, pending file to `to` (with `reason` for a failure): see
/// [`pending_to!`].
fn transition(
    conn: &mut Conn,
    company_id: i64,
    id: i64,
    to: UploadStatus,
    reason: Option<&str>,
    now: ::chrono::DateTime<::chrono::Utc>,
) -> Result<UploadedFilesRow> {
    pending_to!(
        conn,
        uploaded_files,
        UploadedFilesRow,
        company_id,
        id,
        to,
        now,
        live_file(conn, company_id, id),
        (uploaded_files::failure_reason.eq(reason))
    )
}

impl nerve_diesel::nerve_core::UploadStore for Scope<'_> {
    fn create_file(&self, company_id: i64, new: &NewUploadedFile) -> Result<UploadedFile> {
        let name = required_text(
            Field::new(FILES, "file_name"),
            &new.file_name,
            limits::uploaded_files::file_name,
        )?;
        if new.size_bytes < 0 {
            return Err(Field::new(FILES, "size_bytes").invalid("must not be negative"));
        }
        let sha = sha256_digest(Field::new(FILES, "sha256"), &new.sha256)?;
        let mime = new
            .mime_type
            .as_deref()
            .map(|m| {
                sanitize_input(
                    Field::new(FILES, "mime_type"),
                    m,
                    limits::uploaded_files::mime_type,
                )
            })
            .transpose()?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), FILES, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = new.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            nerve_diesel::diesel::insert_into(uploaded_files::table)
                .values((
                    uploaded_files::company_id.eq(company_id),
                    uploaded_files::user_id.eq(new.user_id),
                    uploaded_files::file_name.eq(name),
                    uploaded_files::size_bytes.eq(new.size_bytes),
                    uploaded_files::sha256.eq(&sha),
                    uploaded_files::mime_type.eq(mime),
                    uploaded_files::status.eq(Db(UploadStatus::Pending)),
                    uploaded_files::created_at.eq(WriteTs(now)),
                    uploaded_files::updated_at.eq(WriteTs(now)),
                    uploaded_files::is_active.eq(true),
                ))
                .returning(uploaded_files::all_columns)
                .get_result::<UploadedFilesRow>(conn)
                .map(UploadedFile::from)
                .map_err(|e| Op::new(FILES, "insert").error(e))
        })
    }

    fn get_file(&self, company_id: i64, id: i64) -> Result<UploadedFile> {
        self.read(nerve_diesel::op_name!(), |conn| {
            live_file(conn, company_id, id).map(UploadedFile::from)
        })
    }

    fn list_files(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<UploadedFile>> {
        let page = page.checked(FILES)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            let q = uploaded_files::table
                .filter(uploaded_files::company_id.eq(company_id))
                .filter(uploaded_files::id.gt(page.after_id()))
                .order(uploaded_files::id.asc())
                .limit(i64::from(page.limit))
                .select(uploaded_files::all_columns);
            nerve_diesel::load_by_deleted!(uploaded_files, q, deleted, UploadedFilesRow, conn)
                .map(|rows| rows.into_iter().map(UploadedFile::from).collect())
                .map_err(|e| Op::new(FILES, "select").error(e))
        })
    }

    fn mark_parsed(
        &self,
        company_id: i64,
        file_id: i64,
        credentials: &[NewCredential],
    ) -> Result<(UploadedFile, u64)> {
        let checked = credentials
            .iter()
            .map(|c| c.stored(CREDENTIALS))
            .collect::<Result<Vec<_>>>()?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), FILES, |conn| {
            let file = transition(conn, company_id, file_id, UploadStatus::Parsed, None, now)?;
            let mut stored = 0_u64;
            // In chunks: SQLite binds at most 32 766 variables per statement.
            for chunk in checked.chunks(500) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|c| {
                        credential_columns!(
                            uploaded_credentials,
                            file_id,
                            company_id,
                            file.user_id,
                            c,
                            now
                        )
                    })
                    .collect();
                stored += nerve_diesel::diesel::insert_into(uploaded_credentials::table)
                    .values(rows)
                    .execute(conn)
                    .map_err(|e| Op::new(CREDENTIALS, "insert").error(e))?
                    as u64;
            }
            Ok((UploadedFile::from(file), stored))
        })
    }

    fn mark_failed(&self, company_id: i64, file_id: i64, reason: &str) -> Result<UploadedFile> {
        let reason = required_text(Field::new(FILES, "failure_reason"), reason, 2000)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), FILES, |conn| {
            transition(
                conn,
                company_id,
                file_id,
                UploadStatus::Failed,
                Some(reason),
                now,
            )
            .map(UploadedFile::from)
        })
    }

    fn list_credentials(
        &self,
        company_id: i64,
        file_id: i64,
        page: Page,
    ) -> Result<Vec<UploadedCredential>> {
        let page = page.checked(CREDENTIALS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_file(conn, company_id, file_id)?;
            nerve_diesel::live_children_page!(
                conn,
                uploaded_credentials,
                UploadedCredentialsRow,
                UploadedCredential,
                file_id = file_id,
                page,
                CREDENTIALS
            )
        })
    }

    fn delete_file(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), FILES, |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::soft_delete_owned!(conn, uploaded_files, company_id, id, now, FILES)
        })
    }
}
