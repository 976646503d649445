//! Uploaded files and the credentials parsed from them.

use crate::error::Result;
use crate::model::{
    Deleted, NewCredential, NewUploadedFile, Page, UploadedCredential, UploadedFile,
};

/// Files uploaded per company, their processing (pending, then parsed or failed) and the
/// credentials parsed from them. A credential's password is never stored: the store keeps a
/// masked form ([`crate::secret::mask`]) and its SHA-256. Company-owned: another company's file
/// is [`Error::NotFound`](crate::Error::NotFound). Every method is atomic.
/// While the company is soft-deleted, all of it is out of reach ([`Error::NotFound`](crate::Error::NotFound)
/// on `companies`) until it is restored. An owner or author named (`user_id`) must be a live
/// user of the company.
pub trait UploadStore {
    /// Records an upload, pending. Errors: [`Error::Validation`](crate::Error::Validation) on
    /// `uploaded_files.*` (name 1-255, size not negative, SHA-256 64 hex digits);
    /// [`Error::NotFound`](crate::Error::NotFound) for the company or the user.
    fn create_file(&self, company_id: i64, new: &NewUploadedFile) -> Result<UploadedFile>;

    /// The live file `id`.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_file(&self, company_id: i64, id: i64) -> Result<UploadedFile>;

    /// One page of the company's files, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_files(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<UploadedFile>>;

    /// Records the credentials parsed from the pending file and marks it parsed (with
    /// `parsed_at`), all or nothing; returns the file and how many credentials were stored.
    /// A file that is not pending is a [`Error::Validation`](crate::Error::Validation) on
    /// `uploaded_files.status` (parsed and failed are final), as is an invalid credential
    /// (naming its field; nothing is stored then).
    fn mark_parsed(
        &self,
        company_id: i64,
        file_id: i64,
        credentials: &[NewCredential],
    ) -> Result<(UploadedFile, u64)>;

    /// Marks the pending file failed, with `reason` (1 to 2000 characters). Not pending:
    /// [`Error::Validation`](crate::Error::Validation) on `uploaded_files.status`.
    fn mark_failed(&self, company_id: i64, file_id: i64, reason: &str) -> Result<UploadedFile>;

    /// One page of the live file's credentials, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_credentials(
        &self,
        company_id: i64,
        file_id: i64,
        page: Page,
    ) -> Result<Vec<UploadedCredential>>;

    /// Soft-deletes the live file (its credentials are kept and hidden with it).
    fn delete_file(&self, company_id: i64, id: i64) -> Result<()>;
}
