//! The SQLite baseline: rusqlite on the store's own file, with the store's pragmas, cached
//! prepared statements, and timestamps in the text form Diesel writes and reads.

use crate::{key_prefix, locked, now, scopes_of, sql, Baseline};
use chrono::{DateTime, Utc};
use nerve::model::{ApiKey, Company, Role, Session, User, ValueSet};
use nerve_core::secret::{hashes_match, sha256_hex};
use rusqlite::{params, Connection, Row};

/// Diesel's text form of a UTC timestamp on SQLite.
const TS: &str = "%F %T%.f%:z";

fn ts(t: DateTime<Utc>) -> String {
    t.format(TS).to_string()
}

fn read_ts(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row.get::<_, Option<String>>(i)?.map(|s| {
        DateTime::parse_from_str(&s, TS)
            .expect("a stored timestamp")
            .with_timezone(&Utc)
    }))
}

fn company(row: &Row<'_>) -> rusqlite::Result<Company> {
    Ok(Company {
        id: row.get(0)?,
        name: row.get(1)?,
        domain: row.get(2)?,
        created_at: read_ts(row, 3)?.expect("set"),
        updated_at: read_ts(row, 4)?.expect("set"),
        deleted_at: read_ts(row, 5)?,
        is_active: row.get(6)?,
    })
}

/// A bare rusqlite connection to a store's SQLite file.
pub struct SqliteBaseline {
    conn: Connection,
}

impl SqliteBaseline {
    /// Opens `path` with the pragmas the store sets on its connections.
    pub fn open(path: &str) -> SqliteBaseline {
        let conn = Connection::open(path).expect("open the SQLite file");
        conn.execute_batch(
            "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        )
        .expect("pragmas");
        // As NERVE's own connections: plans made once, whatever values are bound (without it
        // SQLite compiles a statement with a bound LIMIT again at every run).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .expect("QPSG");
        SqliteBaseline { conn }
    }

    fn in_write_transaction<T>(&mut self, f: impl FnOnce(&Connection) -> T) -> T {
        self.conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        let out = f(&self.conn);
        self.conn.execute_batch("COMMIT").expect("commit");
        out
    }
}

impl Baseline for SqliteBaseline {
    fn point_read(&mut self, id: i64) -> Company {
        self.conn
            .prepare_cached(sql::POINT_READ)
            .and_then(|mut s| s.query_row(params![id], company))
            .expect("point read")
    }

    fn tenant_page(&mut self, company_id: i64, limit: u32) -> Vec<User> {
        let mut s = self.conn.prepare_cached(sql::TENANT_PAGE).expect("prepare");
        s.query_map(params![company_id, 0i64, i64::from(limit)], |row| {
            Ok(User {
                id: row.get(0)?,
                company_id: row.get(1)?,
                email: row.get(2)?,
                full_name: row.get(3)?,
                role: Role::parse(&row.get::<_, String>(4)?).expect("a role"),
                locked_at: read_ts(row, 5)?,
                locked_until: read_ts(row, 6)?,
                password_changed_at: read_ts(row, 7)?.expect("set"),
                last_login_at: read_ts(row, 8)?,
                created_at: read_ts(row, 9)?.expect("set"),
                updated_at: read_ts(row, 10)?.expect("set"),
                deleted_at: read_ts(row, 11)?,
                is_active: row.get(12)?,
            })
        })
        .and_then(|rows| rows.collect())
        .expect("tenant page")
    }

    fn insert(&mut self, name: &str) -> Company {
        let now = ts(now());
        self.conn
            .prepare_cached(sql::INSERT)
            .and_then(|mut s| s.query_row(params![name, now], company))
            .expect("insert")
    }

    fn update(&mut self, id: i64, name: &str) -> Company {
        let now = ts(now());
        self.conn
            .prepare_cached(sql::UPDATE)
            .and_then(|mut s| s.query_row(params![name, now, id], company))
            .expect("update")
    }

    fn soft_delete(&mut self, id: i64) {
        let now = ts(now());
        let n = self
            .conn
            .prepare_cached(sql::SOFT_DELETE)
            .and_then(|mut s| s.execute(params![now, id]))
            .expect("soft delete");
        assert_eq!(n, 1);
    }

    fn validate_session(&mut self, token: &str) -> Session {
        let hash = sha256_hex(token);
        let now = now();
        self.in_write_transaction(|conn| {
            let (id, stored, revoked, gone, lock, expires) = conn
                .prepare_cached(sql::SESSION)
                .and_then(|mut s| {
                    s.query_row(params![hash], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(3)?,
                            read_ts(row, 9)?,
                            read_ts(row, 10)?.or(read_ts(row, 13)?),
                            (read_ts(row, 11)?, read_ts(row, 12)?),
                            read_ts(row, 8)?.expect("set"),
                        ))
                    })
                })
                .expect("session");
            assert!(hashes_match(&stored, &hash) && revoked.is_none() && gone.is_none());
            assert!(expires > now && !locked(lock, now));
            conn.prepare_cached(sql::SESSION_SEEN)
                .and_then(|mut s| {
                    s.query_row(params![ts(now), id], |row| {
                        Ok(Session {
                            id: row.get(0)?,
                            company_id: row.get(1)?,
                            user_id: row.get(2)?,
                            ip_address: row.get(3)?,
                            user_agent: row.get(4)?,
                            created_at: read_ts(row, 5)?.expect("set"),
                            last_seen_at: read_ts(row, 6)?.expect("set"),
                            expires_at: read_ts(row, 7)?.expect("set"),
                            revoked_at: read_ts(row, 8)?,
                        })
                    })
                })
                .expect("session seen")
        })
    }

    fn verify_api_key(&mut self, key: &str, scope: &str, ip: &str) -> ApiKey {
        let hash = sha256_hex(key);
        let prefix = key_prefix(key).to_string();
        let now = now();
        self.in_write_transaction(|conn| {
            let mut s = conn.prepare_cached(sql::API_KEYS).expect("prepare");
            let candidates = s
                .query_map(params![prefix], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(3)?,
                        serde_json::from_str::<serde_json::Value>(&row.get::<_, String>(6)?)
                            .expect("JSON"),
                        read_ts(row, 11)?,
                        read_ts(row, 12)?
                            .or(read_ts(row, 13)?)
                            .or(read_ts(row, 14)?),
                        (read_ts(row, 15)?, read_ts(row, 16)?),
                    ))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .expect("API keys");
            let mut matched = None;
            for candidate in candidates {
                if hashes_match(&candidate.1, &hash) {
                    matched = Some(candidate);
                }
            }
            let (id, _, permissions, expires, gone, lock) = matched.expect("the key");
            assert!(gone.is_none() && !locked(lock, now) && expires.is_none_or(|t| t > now));
            assert!(scopes_of(&permissions).iter().any(|s| s == scope));
            conn.prepare_cached(sql::API_KEY_USED)
                .and_then(|mut s| {
                    s.query_row(params![ts(now), ip, id], |row| {
                        Ok(ApiKey {
                            id: row.get(0)?,
                            company_id: row.get(1)?,
                            user_id: row.get(2)?,
                            name: row.get(3)?,
                            key_prefix: row.get(4)?,
                            scopes: scopes_of(
                                &serde_json::from_str(&row.get::<_, String>(5)?).expect("JSON"),
                            ),
                            last_used_at: read_ts(row, 6)?,
                            last_used_ip: row.get(7)?,
                            usage_count: row.get(8)?,
                            created_at: read_ts(row, 9)?.expect("set"),
                            expires_at: read_ts(row, 10)?,
                            revoked_at: read_ts(row, 11)?,
                        })
                    })
                })
                .expect("API key used")
        })
    }

    fn record_login_attempt(&mut self, email: &str, password: &str, ip: &str, dummy_hash: &str) {
        let account = self
            .conn
            .prepare_cached(sql::ACCOUNT)
            .and_then(|mut s| {
                s.query_map(params![email], |row| row.get::<_, i64>(0))
                    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            })
            .expect("account");
        assert!(account.is_empty());
        crate::verify_nothing(dummy_hash, password);
        let now = now();
        let since = now - chrono::Duration::minutes(15);
        let failures: i64 = self.in_write_transaction(|conn| {
            conn.prepare_cached(sql::ATTEMPT)
                .and_then(|mut s| s.execute(params![email, ip, ts(now)]))
                .expect("attempt");
            conn.prepare_cached(sql::FAILURES_FROM)
                .and_then(|mut s| s.query_row(params![ip, ts(since)], |row| row.get(0)))
                .expect("failures")
        });
        assert!(failures >= 1);
    }

    fn batch_insert(&mut self, rows: &[serde_json::Value]) -> u64 {
        self.in_write_transaction(|conn| {
            let mut s = conn.prepare_cached(sql::ATTEMPT_ROW).expect("prepare");
            for row in rows {
                let at: DateTime<Utc> = row["attempted_at"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .expect("attempted_at");
                s.execute(params![
                    row["email"].as_str(),
                    row["user_id"].as_i64(),
                    row["ip_address"].as_str(),
                    row["user_agent"].as_str(),
                    row["success"].as_bool(),
                    row["failure"].as_str(),
                    ts(at),
                ])
                .expect("a row");
            }
            rows.len() as u64
        })
    }

    /// The write-ahead log checkpointed into the database and truncated (a checkpoint is
    /// SQLite's own cost, the same whoever's writes made it due), then one write that changes
    /// nothing (`user_version` set to itself; nothing in NERVE reads it): the first write into
    /// a reset log syncs the log's new header, and that is paid here too, not in the round.
    fn settle(&mut self) {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .expect("checkpoint");
        assert_eq!(busy, 0, "the checkpoint was blocked by another connection");
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("user_version");
        self.conn
            .execute_batch(&format!("PRAGMA user_version = {version}"))
            .expect("a write into the reset log");
    }
}
