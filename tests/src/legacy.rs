//! A database as NERVE's Python application left it, for `nerve import`'s tests: the fixture
//! generator.
//!
//! [`build`] makes it in three steps:
//! 1. **What must arrive**: a NERVE SQLite database with rows in every table
//!    ([`crate::rows::round_trip_every_table`]: base rows and every edge value the schema
//!    accepts), its addresses, domains and secrets then made the valid values a store writes.
//! 2. **The legacy schema**: the tables whose `CREATE TABLE` the spec prints, verbatim
//!    (`fixtures/legacy_spec.sql`, checked against the spec by [`spec_statements`]); for the
//!    others, NERVE's columns with the Python application's types (`DATETIME`, `BOOLEAN`,
//!    `VARCHAR(n)`, JSON as `TEXT`, no CHECKs); `asm_scans` and `lightbox_findings` without
//!    their Phase 6 columns, which the spec's `ALTER TABLE` script then adds;
//!    `schema_migrations` with versions such as `1.2.0`.
//! 3. **The rows**, each value written in one of the forms Python code leaves (chosen by row
//!    id, so every form occurs): timestamps as SQLAlchemy, `CURRENT_TIMESTAMP`, `isoformat()`
//!    with `T`, `+HH:MM` or `Z`, dates and epoch numbers; booleans as 0/1, `true`, `t`, `YES`;
//!    value-set members in upper case; integers as text or integral reals; addresses and
//!    domains in upper case. Then the planted rows: bad ones ([`Legacy::planted`]) and users
//!    whose passwords were hashed by bcrypt, werkzeug and passlib ([`Legacy::users`]).

use crate::{rows, test_options, TestDb};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use nerve::model::{SchemaDescription, TableDescription};
use nerve::transfer::{parse_timestamp, Cell};
use nerve::{Backend, MigrationPolicy, Store, TestClock};
use nerve_sqlite::export::SqliteSource;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The spec's statements, as the fixture runs them.
pub const SPEC_SQL: &str = include_str!("../fixtures/legacy_spec.sql");

/// The spec's `CREATE TABLE` and `ALTER TABLE` statements in [`SPEC_SQL`], comments dropped.
pub fn spec_statements() -> Vec<String> {
    SPEC_SQL
        .split(";\n")
        .map(|s| {
            s.lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .map(|s| format!("{s};"))
        .collect()
}

/// A row the import must refuse.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planted {
    /// Its table.
    pub table: String,
    /// Its rowid (= id).
    pub rowid: i64,
    /// The column the refusal names.
    pub column: String,
}

/// A user whose password hash the Python application made.
#[derive(Debug, Clone)]
pub struct LegacyUser {
    /// The address as imported (normalised).
    pub email: String,
    /// The password.
    pub password: &'static str,
    /// `bcrypt`, `werkzeug_pbkdf2`, `passlib_pbkdf2` or `unknown`.
    pub format: &'static str,
}

/// The legacy database and what its import must give.
pub struct Legacy {
    _dir: tempfile::TempDir,
    /// The legacy file.
    pub path: PathBuf,
    /// Its URL.
    pub url: String,
    /// The NERVE database whose rows the import must reproduce.
    pub original: TestDb,
    /// The rows the import must refuse.
    pub planted: Vec<Planted>,
    /// Users with hashes of the Python application's libraries.
    pub users: Vec<LegacyUser>,
    /// A session whose token the legacy table holds in clear: (id, token).
    pub clear_session: (i64, String),
    /// Source columns with data and no home in NERVE's schema (to pass to `--drop`).
    pub drops: Vec<String>,
    /// Per table, the columns the legacy table has.
    pub legacy_columns: BTreeMap<String, Vec<String>>,
}

impl Legacy {
    /// The planted rows as (table, rowid, column), the form a rejects file's lines give.
    pub fn planted_keys(&self) -> std::collections::BTreeSet<(String, i64, String)> {
        self.planted
            .iter()
            .map(|p| (p.table.clone(), p.rowid, p.column.clone()))
            .collect()
    }

    /// Every row of the original arrived with every value the legacy table carried equal, and
    /// the derived columns follow their rules; returns how many values were compared.
    pub fn compare(&self, imported: &dyn Store) -> usize {
        let options = test_options(
            Arc::new(TestClock::new(crate::start_time())),
            MigrationPolicy::Require,
        );
        let original = nerve::connect_with(&self.original.url, &options)
            .unwrap_or_else(|e| panic!("open {}: {e}", self.original.url));
        let schema = nerve::describe_schema(&self.original.url).unwrap();
        let mut compared = 0;
        for table in &schema.tables {
            let Some(columns) = self.legacy_columns.get(&table.name) else {
                continue;
            };
            let ids = self
                .original
                .query_strings(&format!(
                    "SELECT CAST(id AS TEXT) AS value FROM {} ORDER BY id",
                    table.name
                ))
                .unwrap();
            for id in ids {
                let id: i64 = id.parse().unwrap();
                let want = original.raw_rows().get(&table.name, id).unwrap();
                let have = imported
                    .raw_rows()
                    .get(&table.name, id)
                    .unwrap_or_else(|e| panic!("{}.{id} was not imported: {e}", table.name));
                for c in &table.columns {
                    let (w, h) = (&want[&c.name], &have[&c.name]);
                    if columns.contains(&c.name) {
                        assert_eq!(w, h, "{}.{} of row {id}", table.name, c.name);
                        compared += 1;
                    } else if c.name == "company_id" && have["user_id"].is_i64() {
                        // Derived: the company of the row's user.
                        let user = imported
                            .raw_rows()
                            .get("users", have["user_id"].as_i64().unwrap())
                            .unwrap();
                        assert_eq!(
                            *h, user["company_id"],
                            "{}.company_id of row {id}",
                            table.name
                        );
                    } else if c.name == "updated_at" {
                        // Derived from created_at (or the table's other time) by the rule.
                        assert!(
                            h.is_string(),
                            "{}.updated_at of row {id} derived",
                            table.name
                        );
                    } else if c.name == "is_active" {
                        assert_eq!(
                            *h,
                            Value::Bool(have["deleted_at"].is_null()),
                            "{}.is_active of row {id} derived from deleted_at",
                            table.name
                        );
                    }
                }
            }
        }
        compared
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A SQL literal for a cell.
fn literal(cell: &Cell<'_>) -> String {
    match cell {
        Cell::Null => "NULL".into(),
        Cell::Integer(n) => n.to_string(),
        Cell::Real(x) => format!("{x:?}"),
        Cell::Text(t) => literal_text(&String::from_utf8_lossy(t)),
        Cell::Blob(b) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
    }
}

/// The Python application's type for a NERVE column.
fn legacy_type(logical: &str, max: Option<u32>) -> String {
    match logical {
        "bigint" | "integer" => "INTEGER".into(),
        "boolean" => "BOOLEAN".into(),
        "timestamp" => "DATETIME".into(),
        "json" => "TEXT".into(),
        "real" => "FLOAT".into(),
        "blob" => "BLOB".into(),
        "text" => max.map_or("TEXT".into(), |n| format!("VARCHAR({n})")),
        _ => "VARCHAR(50)".into(),
    }
}

fn generated_ddl(table: &TableDescription, without: &[String]) -> String {
    let mut columns = Vec::new();
    for c in table.columns.iter().filter(|c| !without.contains(&c.name)) {
        if c.name == "id" {
            columns.push("    id INTEGER PRIMARY KEY".to_string());
            continue;
        }
        let mut line = format!(
            "    {} {}",
            c.name,
            legacy_type(&c.logical_type, c.max_length)
        );
        if !c.nullable {
            line.push_str(" NOT NULL");
        }
        if let Some(f) = table
            .foreign_keys
            .iter()
            .find(|f| f.columns == [c.name.clone()])
        {
            line.push_str(&format!(" REFERENCES {}(id)", f.references));
        }
        columns.push(line);
    }
    format!("CREATE TABLE {} (\n{}\n);", table.name, columns.join(",\n"))
}

/// The value of a timestamp in the form chosen by `variant`.
fn timestamp_form(t: DateTime<Utc>, variant: i64) -> Cell<'static> {
    let whole = t.nanosecond() == 0;
    let text = match variant.rem_euclid(7) {
        0 => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        1 => t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        2 => t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
        3 => t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        4 if t.year() < 9999 => (t + Duration::hours(2))
            .format("%Y-%m-%dT%H:%M:%S%.6f+02:00")
            .to_string(),
        5 if whole => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        6 if whole && (1970..2100).contains(&t.year()) => {
            if t.hour() == 0 && t.minute() == 0 && t.second() == 0 {
                return Cell::Text(
                    Box::leak(t.format("%Y-%m-%d").to_string().into_boxed_str()).as_bytes(),
                );
            }
            return Cell::Integer(t.timestamp());
        }
        _ => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
    };
    Cell::Text(Box::leak(text.into_boxed_str()).as_bytes())
}

/// The literal a Python application would have left for `cell` of a column of `logical`
/// type, in the form chosen by the row id.
fn legacy_literal(logical: &str, table: &str, column: &str, cell: &Cell<'_>, id: i64) -> String {
    let upper = id % 2 == 1;
    match (logical, cell) {
        ("timestamp", Cell::Text(t)) => {
            let t = parse_timestamp(&String::from_utf8_lossy(t)).expect("stored timestamps parse");
            literal(&timestamp_form(t, id))
        }
        ("boolean", Cell::Integer(b)) => match id.rem_euclid(5) {
            0 => b.to_string(),
            1 => literal_text(if *b == 1 { "true" } else { "false" }),
            2 => literal_text(if *b == 1 { "t" } else { "f" }),
            3 => literal_text(if *b == 1 { "YES" } else { "No" }),
            _ => literal_text(if *b == 1 { "True" } else { "FALSE" }),
        },
        ("bigint" | "integer", Cell::Integer(n)) if column != "id" => match id.rem_euclid(3) {
            1 => literal_text(&n.to_string()),
            2 if n.unsigned_abs() < (1 << 52) => format!("{:?}", *n as f64),
            _ => n.to_string(),
        },
        (t, Cell::Text(v)) if t.starts_with("enum:") && upper => {
            literal_text(&String::from_utf8_lossy(v).to_uppercase())
        }
        ("text", Cell::Text(v))
            if upper
                && (column == "domain"
                    || column == "scan_domain"
                    || (table, column) == ("users", "email")
                    || (table, column) == ("profiles", "email")
                    || (table, column) == ("monitored_emails", "email_address")) =>
        {
            literal_text(&String::from_utf8_lossy(v).to_uppercase())
        }
        _ => literal(cell),
    }
}

fn columns_of(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<(String, bool, String)>, String> {
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Info {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        notnull: i32,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
    }
    diesel::sql_query(format!(
        "SELECT name, \"notnull\", type AS kind FROM pragma_table_info({})",
        literal_text(table)
    ))
    .load::<Info>(conn)
    .map(|rows| {
        rows.into_iter()
            .map(|r| (r.name, r.notnull == 1, r.kind))
            .collect()
    })
    .map_err(|e| format!("{table}: {e}"))
}

/// Builds the legacy database (see the module docs), with `bulk` extra rows of
/// `login_attempts` (for tests that need an import long enough to interrupt).
pub fn build(bulk: u32) -> Result<Legacy, String> {
    // 1. What must arrive.
    let original = TestDb::migrated(Backend::Sqlite)?;
    let clock = Arc::new(TestClock::new(crate::start_time()));
    let store = nerve::connect_with(
        &original.url,
        &test_options(clock, MigrationPolicy::Require),
    )
    .map_err(|e| e.to_string())?;
    let schema: SchemaDescription =
        nerve::describe_schema(&original.url).map_err(|e| e.to_string())?;
    rows::round_trip_every_table(&*store, &schema)?;
    drop(store);
    let mut fix = String::new();
    for t in &schema.tables {
        for c in &t.columns {
            let (tn, cn) = (t.name.as_str(), c.name.as_str());
            if cn == "domain" || cn == "scan_domain" {
                fix += &format!(
                    "UPDATE {tn} SET {cn} = 'd' || id || '.example' WHERE {cn} IS NOT NULL;\n"
                );
            }
            if matches!(
                (tn, cn),
                ("users", "email")
                    | ("profiles", "email")
                    | ("monitored_emails", "email_address")
                    | ("login_attempts", "email")
            ) {
                fix += &format!(
                    "UPDATE {tn} SET {cn} = 'u' || id || '@acme.example' WHERE {cn} IS NOT NULL;\n"
                );
            }
            if matches!(
                (tn, cn),
                ("sessions", "token_hash") | ("api_keys", "key_hash")
            ) {
                fix += &format!(
                    "UPDATE {tn} SET {cn} = printf('%064x', id) WHERE {cn} IS NOT NULL;\n"
                );
            }
        }
    }
    original
        .execute_raw(&fix)
        .map_err(|e| format!("making the original's values valid: {e}"))?;

    // 2. The legacy schema.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("ghost.db");
    let url = format!("sqlite://{}", path.display());
    let mut legacy =
        SqliteConnection::establish(&path.display().to_string()).map_err(|e| e.to_string())?;
    // Python's sqlite3 leaves foreign keys unenforced (Diesel turns them on).
    legacy
        .batch_execute("PRAGMA foreign_keys = OFF")
        .map_err(|e| e.to_string())?;
    let statements = spec_statements();
    let creates: BTreeMap<String, &String> = statements
        .iter()
        .filter_map(|s| {
            let rest = s.strip_prefix("CREATE TABLE ")?;
            Some((rest.split_whitespace().next()?.to_string(), s))
        })
        .collect();
    let alters: Vec<&String> = statements
        .iter()
        .filter(|s| s.starts_with("ALTER TABLE"))
        .collect();
    let phase6 = |table: &str| -> Vec<String> {
        alters
            .iter()
            .filter_map(|a| {
                let rest = a.strip_prefix(&format!("ALTER TABLE {table} ADD COLUMN "))?;
                Some(rest.split_whitespace().next()?.to_string())
            })
            .collect()
    };
    let ordered = schema.parents_first().ok_or("foreign keys form a cycle")?;
    let mut ddl = String::new();
    for t in &ordered {
        if t.name == "audit_log_maintenance" {
            continue;
        }
        match creates.get(&t.name) {
            Some(spec) => ddl += spec,
            None => ddl += &generated_ddl(t, &phase6(&t.name)),
        }
        ddl.push('\n');
    }
    for a in &alters {
        ddl += a;
        ddl.push('\n');
    }
    ddl += creates
        .get("schema_migrations")
        .ok_or("the spec's schema_migrations")?;
    ddl += "\nINSERT INTO schema_migrations (version, description, applied_at) VALUES \
            ('1.0.0', 'Initial schema', '2025-12-01 09:00:00'), \
            ('1.1.0', 'Ghost Search tables', '2025-12-20 10:30:00'), \
            ('1.2.0', 'Add new_field to users', CURRENT_TIMESTAMP);\n";
    legacy
        .batch_execute(&ddl)
        .map_err(|e| format!("the legacy schema: {e}"))?;

    // 3. The rows.
    let source = SqliteSource::open(&original.url).map_err(|e| e.to_string())?;
    let mut legacy_columns = BTreeMap::new();
    let mut drops = Vec::new();
    let mut first_ids: BTreeMap<String, i64> = BTreeMap::new();
    let mut max_ids: BTreeMap<String, i64> = BTreeMap::new();
    for t in &ordered {
        if t.name == "audit_log_maintenance" {
            continue;
        }
        let have = columns_of(&mut legacy, &t.name)?;
        legacy_columns.insert(
            t.name.clone(),
            have.iter().map(|(n, ..)| n.clone()).collect::<Vec<_>>(),
        );
        let ours: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        let shared: Vec<String> = ours
            .iter()
            .filter(|c| have.iter().any(|(n, ..)| n == *c))
            .cloned()
            .collect();
        // Legacy-only NOT NULL columns need a value: they are data with no home.
        let extra: Vec<(String, String)> = have
            .iter()
            .filter(|(n, notnull, _)| *notnull && !ours.contains(n))
            .map(|(n, _, kind)| {
                let v = if kind.starts_with("INTEGER") {
                    first_ids.get("users").copied().unwrap_or(1).to_string()
                } else if kind.starts_with("DATETIME") {
                    "'2026-01-01 00:00:00'".to_string()
                } else {
                    "'legacy'".to_string()
                };
                (n.clone(), v)
            })
            .collect();
        for (n, _) in &extra {
            drops.push(format!("{}.{n}", t.name));
        }
        let mut batch = String::new();
        source
            .scan(&t.name, &shared, &mut |rowid, cells| {
                let mut names: Vec<String> = shared.iter().map(|c| quote(c)).collect();
                let mut values: Vec<String> = shared
                    .iter()
                    .zip(cells)
                    .map(|(c, cell)| {
                        let logical = &t
                            .columns
                            .iter()
                            .find(|d| d.name == *c)
                            .expect("ours")
                            .logical_type;
                        legacy_literal(logical, &t.name, c, cell, rowid)
                    })
                    .collect();
                for (n, v) in &extra {
                    names.push(quote(n));
                    values.push(v.clone());
                }
                batch += &format!(
                    "INSERT INTO {} ({}) VALUES ({});\n",
                    quote(&t.name),
                    names.join(", "),
                    values.join(", ")
                );
                first_ids.entry(t.name.clone()).or_insert(rowid);
                max_ids.insert(t.name.clone(), rowid);
                Ok(true)
            })
            .map_err(|e| e.to_string())?;
        legacy
            .batch_execute(&format!("BEGIN; {batch} COMMIT;"))
            .map_err(|e| format!("{}: {e}", t.name))?;
    }
    drop(source);

    // Planted rows: a live company with users whose hashes the Python libraries made,
    // secrets in clear, bad rows.
    let mut next = max_ids.values().copied().max().unwrap_or(0) + 100_000;
    let mut id = || {
        next += 1;
        next
    };
    let company = id();
    let mut planted_sql = format!(
        "INSERT INTO companies (id, name, domain, created_at, updated_at, is_active) VALUES \
         ({company}, 'Legacy Co', 'LEGACY.example', '2025-12-01 09:00:00', \
         '2025-12-01T09:00:00.250000Z', 't');\n"
    );
    let users_cols = &legacy_columns["users"];
    let user_row = |id: i64, email: &str, hash: &str| -> String {
        let mut names = Vec::new();
        let mut values = Vec::new();
        for c in users_cols {
            let v = match c.as_str() {
                "id" => id.to_string(),
                "company_id" => company.to_string(),
                "email" => literal_text(email),
                "password_hash" => literal_text(hash),
                "role" => "'ANALYST'".into(),
                "full_name" => "'Legacy User'".into(),
                "password_changed_at" | "created_at" | "updated_at" => {
                    "'2025-12-01 10:00:00'".into()
                }
                "is_active" => "1".into(),
                _ => continue,
            };
            names.push(c.clone());
            values.push(v);
        }
        format!(
            "INSERT INTO users ({}) VALUES ({});\n",
            names.join(", "),
            values.join(", ")
        )
    };
    let bcrypt_hash = bcrypt::hash("bcrypt passphrase", 4).map_err(|e| e.to_string())?;
    let mut dk = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"werkzeug passphrase", b"aB3dE6", 1000, &mut dk);
    let werkzeug = format!(
        "pbkdf2:sha256:1000$aB3dE6${}",
        dk.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let salt = [3u8, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"passlib passphrase", &salt, 1000, &mut dk);
    let ab64 = |b: &[u8]| {
        use base64ct::{Base64Unpadded, Encoding};
        Base64Unpadded::encode_string(b).replace('+', ".")
    };
    let passlib = format!("$pbkdf2-sha256$1000${}${}", ab64(&salt), ab64(&dk));
    let users = vec![
        LegacyUser {
            email: "bcrypt.user@acme.example".into(),
            password: "bcrypt passphrase",
            format: "bcrypt",
        },
        LegacyUser {
            email: "werkzeug.user@acme.example".into(),
            password: "werkzeug passphrase",
            format: "werkzeug_pbkdf2",
        },
        LegacyUser {
            email: "passlib.user@acme.example".into(),
            password: "passlib passphrase",
            format: "passlib_pbkdf2",
        },
        LegacyUser {
            email: "md5.user@acme.example".into(),
            password: "md5 passphrase",
            format: "unknown",
        },
    ];
    let mut user_ids = Vec::new();
    for (u, hash) in users.iter().zip([
        bcrypt_hash.as_str(),
        werkzeug.as_str(),
        passlib.as_str(),
        "5f4dcc3b5aa765d61d8327deb882cf99",
    ]) {
        let uid = id();
        user_ids.push(uid);
        planted_sql += &user_row(uid, &u.email.to_uppercase(), hash);
    }
    // A session whose token the legacy table kept in clear.
    let session_id = id();
    let token = "legacy-clear-session-token-0001".to_string();
    planted_sql += &format!(
        "INSERT INTO sessions (id, company_id, user_id, token_hash, created_at, last_seen_at, \
         expires_at, updated_at, is_active) VALUES ({session_id}, {company}, {}, '{token}', \
         '2026-01-02 03:00:00', '2026-01-02 03:00:00', '2030-01-01T00:00:00Z', \
         '2026-01-02 03:00:00', 'true');\n",
        user_ids[0]
    );
    // Bad rows: each refused for one reason.
    let mut planted = Vec::new();
    let event = |id: i64, column: &str, value: &str| -> String {
        let mut row: BTreeMap<&str, String> = BTreeMap::from([
            ("id", id.to_string()),
            ("event_type", "'OTHER'".into()),
            ("severity", "'High'".into()),
            ("description", "'planted'".into()),
            ("acknowledged", "0".into()),
            ("created_at", "'2026-01-02 03:04:05'".into()),
        ]);
        row.insert(
            Box::leak(column.to_string().into_boxed_str()),
            value.to_string(),
        );
        let (names, values): (Vec<&str>, Vec<String>) = row.into_iter().unzip();
        format!(
            "INSERT INTO security_events ({}) VALUES ({});\n",
            names.join(", "),
            values.join(", ")
        )
    };
    for (column, value) in [
        ("metadata_json", "'{''source'': ''python'', ''count'': 1}'"),
        ("created_at", "'2026-01-02 03:04:05.123456789'"),
        ("location", &format!("'{}'", "x".repeat(300))),
        ("user_id", "987654321"),
        ("acknowledged", "'maybe'"),
        ("severity", "'catastrophic'"),
    ] {
        let rowid = id();
        planted_sql += &event(rowid, column, value);
        planted.push(Planted {
            table: "security_events".into(),
            rowid,
            column: column.into(),
        });
    }
    // A user refused (an address that is none) and a session of theirs, refused with it.
    let bad_user = id();
    planted_sql += &user_row(bad_user, "not an address", "$2b$04$abcdefghijklmnopqrstuu");
    planted.push(Planted {
        table: "users".into(),
        rowid: bad_user,
        column: "email".into(),
    });
    let orphan_session = id();
    planted_sql += &format!(
        "INSERT INTO sessions (id, company_id, user_id, token_hash, created_at, last_seen_at, \
         expires_at, updated_at, is_active) VALUES ({orphan_session}, {company}, {bad_user}, \
         '{}', '2026-01-02 03:00:00', '2026-01-02 03:00:00', '2030-01-01 00:00:00', \
         '2026-01-02 03:00:00', 1);\n",
        "e".repeat(64)
    );
    planted.push(Planted {
        table: "sessions".into(),
        rowid: orphan_session,
        column: "user_id".into(),
    });
    if bulk > 0 {
        planted_sql += &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {bulk}) \
             INSERT INTO login_attempts (id, email, success, failure, attempted_at) \
             SELECT {} + i, 'bulk' || i || '@Acme.example', i % 2, \
                    CASE WHEN i % 2 = 0 THEN 'BAD_PASSWORD' END, \
                    datetime(1767323045 + i, 'unixepoch') FROM n;\n",
            id() + 1_000_000
        );
    }
    legacy
        .batch_execute(&format!("BEGIN; {planted_sql} COMMIT;"))
        .map_err(|e| format!("planted rows: {e}"))?;
    drop(legacy);
    planted.sort();
    Ok(Legacy {
        _dir: dir,
        path,
        url,
        original,
        planted,
        users,
        clear_session: (session_id, token),
        drops,
        legacy_columns,
    })
}
