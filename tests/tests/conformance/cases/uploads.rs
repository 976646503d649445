use super::{company, user};
use nerve::model::{Deleted, NewCredential, NewUploadedFile, Page, UploadStatus};
use nerve::secret::{mask, sha256_hex, Secret};
use nerve::{Backend, Clock, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};

fn upload(name: &str) -> NewUploadedFile {
    NewUploadedFile {
        user_id: None,
        file_name: name.into(),
        size_bytes: 1_048_576,
        sha256: "AB".repeat(32),
        mime_type: Some("text/csv".into()),
    }
}

fn credential(email: &str, password: Option<&str>, line: i64) -> NewCredential {
    NewCredential {
        email: Some(email.into()),
        username: Some("ada".into()),
        password: password.map(|p| Secret::new(p.into())),
        domain: Some("acme.test".into()),
        source_line: Some(line),
    }
}

pub fn a_file_is_parsed_once_and_passwords_are_never_stored(ctx: &Ctx) -> CaseResult {
    let uploads = ctx.store.uploads();
    let acme = company(&*ctx.store, "ACME", None)?;
    let owner = user(&*ctx.store, acme.id, "owner@acme.test")?;
    let f = uploads.create_file(
        acme.id,
        &NewUploadedFile {
            user_id: Some(owner.id),
            ..upload("combo.csv")
        },
    )?;
    assert_eq!(
        (f.status, f.sha256.as_str(), f.parsed_at),
        (UploadStatus::Pending, "ab".repeat(32).as_str(), None)
    );
    // 1200 credentials: more than one insert chunk; plaintext from the suite's watch list.
    let mut parsed: Vec<NewCredential> = (0..1200)
        .map(|i| credential(&format!("User{i}@ACME.test"), Some("Secret passphrase"), i))
        .collect();
    parsed.push(credential("not an address", None, 1200));
    let (done, stored) = uploads.mark_parsed(acme.id, f.id, &parsed)?;
    assert_eq!(
        (done.status, stored, done.parsed_at),
        (UploadStatus::Parsed, 1201, Some(ctx.clock.now()))
    );
    let first = uploads.list_credentials(acme.id, f.id, Page::first(2))?;
    assert_eq!(
        first[0].email.as_deref(),
        Some("user0@acme.test"),
        "valid addresses normalized"
    );
    assert_eq!(
        first[0].password_masked.as_deref(),
        Some(mask("Secret passphrase").as_str())
    );
    assert_eq!(
        first[0].password_masked.as_deref(),
        Some("S***************e")
    );
    assert_eq!(mask("hunter2"), "*******", "short passwords are all stars");
    assert_eq!(
        first[0].password_sha256,
        Some(sha256_hex("Secret passphrase"))
    );
    let mut all = Vec::new();
    let mut page = Page::first(500);
    loop {
        let batch = uploads.list_credentials(acme.id, f.id, page)?;
        match batch.last() {
            Some(last) => page = Page::after(last.id, 500),
            None => break,
        }
        all.extend(batch);
    }
    assert_eq!(all.len(), 1201);
    assert_eq!(
        all[1200].email.as_deref(),
        Some("not an address"),
        "kept as found"
    );
    assert_eq!(all[1200].password_sha256, None);
    // Parsed is final: no second parse, no failure.
    assert_err!(
        uploads.mark_parsed(acme.id, f.id, &[]),
        Error::Validation {
            table: "uploaded_files",
            field: "status",
            ..
        }
    );
    assert_err!(
        uploads.mark_failed(acme.id, f.id, "late"),
        Error::Validation {
            field: "status",
            ..
        }
    );
    // (The harness then checks that "Secret passphrase" appears nowhere in the database.)
    Ok(())
}

pub fn a_failed_parse_keeps_its_reason_and_nothing_else(ctx: &Ctx) -> CaseResult {
    let uploads = ctx.store.uploads();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let f = uploads.create_file(acme.id, &upload("broken.zip"))?;
    // An invalid credential stores nothing and leaves the file pending.
    let bad = vec![
        credential("a@acme.test", Some("correct horse battery"), 1),
        NewCredential {
            source_line: Some(-1),
            ..credential("b@acme.test", None, 0)
        },
    ];
    assert_err!(
        uploads.mark_parsed(acme.id, f.id, &bad),
        Error::Validation {
            table: "uploaded_credentials",
            field: "source_line",
            ..
        }
    );
    assert_eq!(
        uploads.get_file(acme.id, f.id)?.status,
        UploadStatus::Pending
    );
    assert!(uploads
        .list_credentials(acme.id, f.id, Page::first(10))?
        .is_empty());
    assert_err!(
        uploads.mark_failed(acme.id, f.id, " "),
        Error::Validation {
            field: "failure_reason",
            ..
        }
    );
    let failed = uploads.mark_failed(acme.id, f.id, "not a zip archive")?;
    assert_eq!(
        (failed.status, failed.failure_reason.as_deref()),
        (UploadStatus::Failed, Some("not a zip archive"))
    );
    assert_err!(
        uploads.mark_parsed(acme.id, f.id, &[]),
        Error::Validation {
            field: "status",
            ..
        }
    );
    // Validation of the upload itself, and tenancy.
    for (bad, field) in [
        (
            NewUploadedFile {
                sha256: "xyz".into(),
                ..upload("a")
            },
            "sha256",
        ),
        (
            NewUploadedFile {
                size_bytes: -1,
                ..upload("a")
            },
            "size_bytes",
        ),
        (
            NewUploadedFile {
                file_name: "".into(),
                ..upload("a")
            },
            "file_name",
        ),
    ] {
        assert_err!(uploads.create_file(acme.id, &bad), Error::Validation { table: "uploaded_files", field: f, .. } if f == field);
    }
    assert_err!(
        uploads.get_file(other.id, f.id),
        Error::NotFound {
            table: "uploaded_files",
            ..
        }
    );
    assert_err!(
        uploads.mark_failed(other.id, f.id, "x"),
        Error::NotFound { .. }
    );
    assert_err!(
        uploads.list_credentials(other.id, f.id, Page::first(10)),
        Error::NotFound { .. }
    );
    // Soft delete hides the file and its credentials.
    uploads.delete_file(acme.id, f.id)?;
    assert_err!(uploads.get_file(acme.id, f.id), Error::NotFound { .. });
    assert_eq!(
        uploads
            .list_files(acme.id, Page::first(10), Deleted::Only)?
            .len(),
        1
    );
    assert!(uploads
        .list_files(acme.id, Page::first(10), Deleted::Exclude)?
        .is_empty());
    Ok(())
}

pub fn a_credential_refused_by_the_database_leaves_the_file_pending(ctx: &Ctx) -> CaseResult {
    let uploads = ctx.store.uploads();
    let acme = company(&*ctx.store, "ACME", None)?;
    let f = uploads.create_file(acme.id, &upload("big.csv"))?;
    // The database refuses the credential of line 1200, in the third chunk of 500.
    ctx.execute_raw(match ctx.backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_line BEFORE INSERT ON uploaded_credentials \
             WHEN NEW.source_line = 1200 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse_line() RETURNS trigger LANGUAGE plpgsql AS \
               $$ BEGIN IF NEW.source_line = 1200 THEN RAISE EXCEPTION 'refused for the test'; END IF; \
                  RETURN NEW; END $$; \
             CREATE TRIGGER refuse_line BEFORE INSERT ON uploaded_credentials \
               FOR EACH ROW EXECUTE FUNCTION refuse_line();"
        }
    })?;
    let parsed: Vec<NewCredential> = (0..1201)
        .map(|i| {
            credential(
                &format!("u{i}@acme.test"),
                Some("a brand new passphrase"),
                i,
            )
        })
        .collect();
    assert_err!(
        uploads.mark_parsed(acme.id, f.id, &parsed),
        Error::Backend {
            table: "uploaded_credentials",
            ..
        }
    );
    let after = uploads.get_file(acme.id, f.id)?;
    assert_eq!(
        (after.status, after.parsed_at),
        (UploadStatus::Pending, None)
    );
    assert!(
        uploads
            .list_credentials(acme.id, f.id, Page::first(10))?
            .is_empty(),
        "the first chunks went too"
    );
    Ok(())
}
