//! The properties NERVE's fuzz targets check, one function per target, each taking the
//! fuzzer's bytes and panicking when a property fails (which libFuzzer reports as a crash).
//!
//! `fuzz/` (a cargo fuzz project) calls them under libFuzzer; `tests/replay.rs` runs them
//! over the committed corpora in `fuzz/corpus/<target>/` as part of the test command, so a
//! fixed crash stays fixed. Each target reads outside input the way NERVE does:
//!
//! - [`url`]: database URLs and NERVE's URL parameters (durations and sizes such as
//!   `pool_timeout_ms`, `pool_max_size`);
//! - [`age`]: the `--older-than` argument of `nerve purge`;
//! - [`copy`]: the storage-class checks and COPY encoder of `nerve copy`, against a model of
//!   how PostgreSQL reads a COPY text field;
//! - [`legacy`]: the value conversions of `nerve import` and its `--timezone`;
//! - [`manifest`]: backup manifests read from disk.

use arbitrary::{Result, Unstructured};
use nerve_core::legacy::{self, Zone};
use nerve_core::transfer::{self, Cell, ColumnPlan, Kind};

/// Passwords the URL target puts in URLs: none may appear in an error, a redacted URL or
/// `Debug` output. Long and odd enough never to occur by chance in the rest of a URL.
const PASSWORDS: [&str; 3] = ["Fz9pW0rdQq", "s3cr%40tZz9", "Qx7pass%2Fword"];

/// The value set enum columns use in the generated plans.
const SET: [&str; 3] = ["passing", "failing", "needs_review"];

/// URLs: every function of `nerve_core::url` and the PostgreSQL driver's URL parameters take
/// any text without panicking, and no password reaches an error message, a redacted URL or
/// the `Debug` output of the options.
pub fn url(data: &[u8]) {
    let _ = url_checked(&mut Unstructured::new(data));
}

fn url_checked(u: &mut Unstructured<'_>) -> Result<()> {
    use nerve_core::url::{
        backend_of, database_name, redact, scrub, secrets_of, split_password, take_parameters,
        with_database, with_host,
    };
    let scheme = *u.choose(&["postgres://", "postgresql://", "sqlite://", ""])?;
    let password = *u.choose(&PASSWORDS)?;
    // A user name as libpq reads one: up to the first `:`, `@` or `/`.
    let user: String = u
        .arbitrary::<&str>()?
        .chars()
        .filter(|c| !":@/?#".contains(*c))
        .collect();
    let rest: &str = u.arbitrary()?;
    let url = if u.arbitrary()? {
        format!("{scheme}{user}:{password}@{rest}")
    } else {
        // Any text at all: nothing may panic.
        format!("{scheme}{rest}")
    };
    let decoded = password.replace("%40", "@").replace("%2F", "/");
    // The password's text elsewhere in the URL would be shown as that text, rightly.
    let elsewhere = |s: &str| s.contains(password) || s.contains(&decoded);
    if elsewhere(&user) || elsewhere(rest) {
        return Ok(());
    }
    let leaked = |what: &str, shown: &str| {
        assert!(
            !(url.contains(password) && elsewhere(shown)),
            "{what} shows the password of {url:?}: {shown:?}"
        );
    };
    let _ = backend_of(&url);
    let _ = database_name(&url);
    let _ = split_password(&url);
    let _ = with_database(&url, "nerve");
    let _ = with_host(&url, "replica.example:5433");
    let (without, _) = take_parameters(&url, &nerve_postgres::URL_PARAMETERS);
    leaked("redact", &redact(&url));
    leaked("redact after take_parameters", &redact(&without));
    let message = format!("could not connect to {url}: {url} refused");
    leaked("scrub", &scrub(&message, &secrets_of(&url)));
    match nerve_postgres::url_options(&url, &nerve_core::StoreOptions::default()) {
        Ok((_, options)) => leaked("StoreOptions' Debug", &format!("{options:?}")),
        Err(e) => {
            leaked("the error", &e.to_string());
            leaked("the error's Debug", &format!("{e:?}"));
        }
    }
    Ok(())
}

/// `nerve purge --older-than`: any text is an instant within the storable years or a
/// validation error naming the field; never a panic.
pub fn age(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_796_000_000, 123_456_789).expect("an instant");
    match nerve_core::clock::cutoff(text, now) {
        Ok(t) => {
            assert!(nerve_core::clock::storable(t), "{text:?} gave {t}");
            assert_eq!(t, nerve_core::clock::truncate_micros(t), "{text:?}");
        }
        Err(nerve_core::Error::Validation { field, .. }) => assert_eq!(field, "older_than"),
        Err(other) => panic!("{text:?}: not a validation error: {other:?}"),
    }
}

/// A column plan of any kind, nullability and limit.
fn plan(u: &mut Unstructured<'_>) -> Result<ColumnPlan> {
    let kind = match u.int_in_range(0..=8)? {
        0 => Kind::BigInt,
        1 => Kind::Integer,
        2 => Kind::Real,
        3 => Kind::Text,
        4 => Kind::Boolean,
        5 => Kind::Timestamp,
        6 => Kind::Json,
        7 => Kind::Blob,
        _ => Kind::Enum(SET.iter().map(|s| s.to_string()).collect()),
    };
    Ok(ColumnPlan {
        name: "c".into(),
        kind,
        nullable: u.arbitrary()?,
        max_length: if u.arbitrary()? {
            Some(u.int_in_range(0..=40)?)
        } else {
            None
        },
    })
}

/// A SQLite value of any storage class; text is often one of the forms NERVE and legacy
/// databases write, so the fuzzer reaches the accepting paths.
fn cell<'a>(u: &mut Unstructured<'a>) -> Result<Cell<'a>> {
    Ok(match u.int_in_range(0..=4)? {
        0 => Cell::Null,
        1 => Cell::Integer(*u.choose(&[0, 1, -1, i64::from(i32::MAX) + 1, i64::MIN])?),
        2 => Cell::Integer(u.arbitrary()?),
        3 => Cell::Real(f64::from_bits(u.arbitrary()?)),
        _ if u.arbitrary()? => Cell::Blob(u.arbitrary()?),
        _ => Cell::Text(u.arbitrary()?),
    })
}

/// `nerve copy`'s encoder against a model of PostgreSQL's reading of a binary COPY field:
/// what the encoder accepts, the canonical form (what verify compares) accepts too, and the
/// field, read back as PostgreSQL's receive functions read it, has the very canonical form
/// verify expects. The field's length prefix covers exactly its bytes.
pub fn copy(data: &[u8]) {
    let _ = copy_checked(&mut Unstructured::new(data));
}

fn copy_checked(u: &mut Unstructured<'_>) -> Result<()> {
    let plan = plan(u)?;
    let cell = cell(u)?;
    let mut field = Vec::new();
    let encoded = transfer::encode_copy(&plan, cell, &mut field);
    let canonical = transfer::canonical_of_cell(&plan, cell);
    let Ok(()) = encoded else {
        // Refused by the copy: verify may still read it (a NULL is canonical whatever the
        // column allows), but the encoder must give a reason.
        return Ok(());
    };
    let canonical = canonical.unwrap_or_else(|e| {
        panic!("{plan:?} {cell:?}: encoded as {field:?} but verify refuses it: {e}")
    });
    let read = as_postgres_reads(&plan, &field);
    assert_eq!(
        read, canonical,
        "{plan:?} {cell:?}: the COPY field {field:?} reads back differently"
    );
    Ok(())
}

/// The canonical form of the value PostgreSQL stores from a binary COPY `field` (length
/// prefix included) of `plan`'s column (a model: PostgreSQL's receive functions as NERVE's
/// columns use them, including the checks they make).
fn as_postgres_reads(plan: &ColumnPlan, field: &[u8]) -> Option<String> {
    let (length, value) = field.split_at(4);
    let length = i32::from_be_bytes(length.try_into().expect("a length prefix"));
    if length == -1 {
        assert!(value.is_empty(), "bytes after a NULL: {field:?}");
        return None;
    }
    assert_eq!(length as usize, value.len(), "length prefix of {field:?}");
    let fixed = |n: usize| -> [u8; 8] {
        assert_eq!(value.len(), n, "{field:?} is not {n} bytes");
        let mut b = [0u8; 8];
        b[8 - n..].copy_from_slice(value);
        b
    };
    let text = |bytes: &[u8]| -> String {
        let t = String::from_utf8(bytes.to_vec()).expect("PostgreSQL (UTF8) takes only UTF-8");
        assert!(
            !t.contains('\0'),
            "PostgreSQL refuses U+0000 in text: {field:?}"
        );
        t
    };
    Some(match &plan.kind {
        Kind::BigInt => i64::from_be_bytes(fixed(8)).to_string(),
        Kind::Integer => (i64::from_be_bytes(fixed(4)) as u32 as i32).to_string(),
        Kind::Real => format!("{:?}", f64::from_bits(u64::from_be_bytes(fixed(8)))),
        Kind::Boolean => match value {
            [0] => "false".into(),
            [1] => "true".into(),
            other => panic!("{other:?} is not the encoder's boolean"),
        },
        Kind::Text => {
            let t = text(value);
            if let Some(max) = plan.max_length {
                assert!(
                    t.chars().count() <= max as usize,
                    "varchar({max}) refuses {t:?}"
                );
            }
            t
        }
        Kind::Enum(values) => {
            let t = text(value);
            assert!(values.contains(&t), "{t:?} is no label of {values:?}");
            t
        }
        Kind::Json => {
            let (version, doc) = value.split_first().expect("a JSONB version byte");
            assert_eq!(*version, 1, "JSONB version");
            let v: serde_json::Value = serde_json::from_str(&text(doc)).expect("JSON");
            assert!(
                !nerve_core::validate::holds_nul(&v),
                "JSONB refuses \\u0000"
            );
            transfer::canonical_json(&v)
        }
        Kind::Timestamp => {
            // Microseconds since 2000-01-01 00:00:00 UTC.
            let micros = i64::from_be_bytes(fixed(8));
            let t = chrono::DateTime::from_timestamp_micros(micros + 946_684_800_000_000)
                .expect("a timestamp chrono holds");
            assert!(
                nerve_core::clock::storable(t),
                "{t} is outside what every backend stores"
            );
            t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        }
        Kind::Blob => value.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// `nerve import`'s conversions: `--timezone` and every legacy value take any input without
/// panicking, and a value the import accepts is one the copy encoder and verify accept for
/// the same column (an import never writes what NERVE's schema would refuse).
pub fn legacy(data: &[u8]) {
    let _ = legacy_checked(&mut Unstructured::new(data));
}

fn legacy_checked(u: &mut Unstructured<'_>) -> Result<()> {
    let zone_text: &str = u.arbitrary()?;
    let fallback = *u.choose(&["UTC", "+02:00", "Europe/Paris", "-0930"])?;
    let zone = Zone::parse(zone_text)
        .or_else(|_| Zone::parse(fallback))
        .expect("a known zone");
    let plan = plan(u)?;
    let cell = cell(u)?;
    let _ = legacy::legacy_timestamp(cell, zone);
    let Ok(value) = legacy::convert(&plan, cell, zone) else {
        return Ok(());
    };
    let converted = value.as_cell();
    let mut field = Vec::new();
    if let Err(e) = transfer::encode_copy(&plan, converted, &mut field) {
        panic!("{plan:?}: {cell:?} imported as {value:?}, which the copy refuses: {e}");
    }
    if let Err(e) = transfer::canonical_of_cell(&plan, converted) {
        panic!("{plan:?}: {cell:?} imported as {value:?}, which verify refuses: {e}");
    }
    Ok(())
}

/// Backup manifests: any bytes where a manifest belongs are a manifest or an error naming the
/// file; one that is read writes back and reads again equal.
pub fn manifest(data: &[u8]) {
    use nerve_core::backup::{manifest_path, read_manifest, write_manifest};
    let dir = tempfile::tempdir().expect("a directory");
    let backup = dir.path().join("nerve_backup_x.db");
    std::fs::write(manifest_path(&backup), data).expect("write the manifest");
    match read_manifest(&backup) {
        Ok(Some(m)) => {
            let again = dir.path().join("nerve_backup_y.db");
            write_manifest(&again, &m).expect("write it back");
            assert_eq!(read_manifest(&again).expect("read it back"), Some(m));
        }
        Ok(None) => panic!("a manifest file was there"),
        Err(nerve_core::Error::Backup { path, .. }) => {
            assert!(path.contains("nerve_backup_x"), "{path}")
        }
        Err(other) => panic!("not a backup error: {other:?}"),
    }
}

/// A target: the fuzzer's bytes in, a panic when a property fails.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const TARGETS: [(&str, Target); 5] = [
    ("url", url),
    ("age", age),
    ("copy", copy),
    ("legacy", legacy),
    ("manifest", manifest),
];
