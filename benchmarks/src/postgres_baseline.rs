//! The PostgreSQL baseline: one bare libpq connection ([`Pq`]) to the store's database,
//! statements prepared once, text parameters and binary results decoded by hand.

use crate::pq::{Pq, Rows};
use crate::{key_prefix, locked, now, scopes_of, sql, Baseline};
use chrono::{DateTime, Utc};
use nerve::model::{ApiKey, Company, Role, Session, User, ValueSet};
use nerve_core::secret::{hashes_match, sha256_hex};

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn company(r: &Rows, i: usize) -> Company {
    Company {
        id: r.i64(i, 0),
        name: r.text(i, 1).expect("set"),
        domain: r.text(i, 2),
        created_at: r.ts(i, 3).expect("set"),
        updated_at: r.ts(i, 4).expect("set"),
        deleted_at: r.ts(i, 5),
        is_active: r.bool(i, 6),
    }
}

/// A bare libpq connection to a store's PostgreSQL database.
pub struct PgBaseline {
    pq: Pq,
}

impl PgBaseline {
    /// Connects to `url` (without NERVE's own URL parameters).
    pub fn open(url: &str) -> PgBaseline {
        PgBaseline {
            pq: Pq::connect(url).expect("connect with libpq"),
        }
    }

    fn in_transaction<T>(&mut self, f: impl FnOnce(&mut Pq) -> T) -> T {
        self.pq.exec("BEGIN").expect("begin");
        let out = f(&mut self.pq);
        self.pq.exec("COMMIT").expect("commit");
        out
    }
}

impl Baseline for PgBaseline {
    fn point_read(&mut self, id: i64) -> Company {
        let r = self
            .pq
            .query(sql::POINT_READ, &[Some(&id.to_string())])
            .expect("point read");
        company(&r, 0)
    }

    fn tenant_page(&mut self, company_id: i64, limit: u32) -> Vec<User> {
        let r = self
            .pq
            .query(
                sql::TENANT_PAGE,
                &[
                    Some(&company_id.to_string()),
                    Some("0"),
                    Some(&limit.to_string()),
                ],
            )
            .expect("tenant page");
        (0..r.len())
            .map(|i| User {
                id: r.i64(i, 0),
                company_id: r.i64(i, 1),
                email: r.text(i, 2).expect("set"),
                full_name: r.text(i, 3),
                role: Role::parse(&r.text(i, 4).expect("set")).expect("a role"),
                locked_at: r.ts(i, 5),
                locked_until: r.ts(i, 6),
                password_changed_at: r.ts(i, 7).expect("set"),
                last_login_at: r.ts(i, 8),
                created_at: r.ts(i, 9).expect("set"),
                updated_at: r.ts(i, 10).expect("set"),
                deleted_at: r.ts(i, 11),
                is_active: r.bool(i, 12),
            })
            .collect()
    }

    fn insert(&mut self, name: &str) -> Company {
        let r = self
            .pq
            .query(sql::INSERT, &[Some(name), Some(&ts(now()))])
            .expect("insert");
        company(&r, 0)
    }

    fn update(&mut self, id: i64, name: &str) -> Company {
        let r = self
            .pq
            .query(
                sql::UPDATE,
                &[Some(name), Some(&ts(now())), Some(&id.to_string())],
            )
            .expect("update");
        company(&r, 0)
    }

    fn soft_delete(&mut self, id: i64) {
        self.pq
            .query(sql::SOFT_DELETE, &[Some(&ts(now())), Some(&id.to_string())])
            .expect("soft delete");
    }

    fn validate_session(&mut self, token: &str) -> Session {
        let hash = sha256_hex(token);
        let now = now();
        self.in_transaction(|pq| {
            let r = pq.query(sql::SESSION, &[Some(&hash)]).expect("session");
            assert!(hashes_match(&r.text(0, 3).expect("set"), &hash));
            assert!(r.ts(0, 9).is_none() && r.ts(0, 10).is_none() && r.ts(0, 13).is_none());
            assert!(r.ts(0, 8).expect("set") > now && !locked((r.ts(0, 11), r.ts(0, 12)), now));
            let id = r.i64(0, 0).to_string();
            let r = pq
                .query(sql::SESSION_SEEN, &[Some(&ts(now)), Some(&id)])
                .expect("session seen");
            Session {
                id: r.i64(0, 0),
                company_id: r.i64(0, 1),
                user_id: r.i64(0, 2),
                ip_address: r.text(0, 3),
                user_agent: r.text(0, 4),
                created_at: r.ts(0, 5).expect("set"),
                last_seen_at: r.ts(0, 6).expect("set"),
                expires_at: r.ts(0, 7).expect("set"),
                revoked_at: r.ts(0, 8),
            }
        })
    }

    fn verify_api_key(&mut self, key: &str, scope: &str, ip: &str) -> ApiKey {
        let hash = sha256_hex(key);
        let now = now();
        self.in_transaction(|pq| {
            let r = pq
                .query(sql::API_KEYS, &[Some(key_prefix(key))])
                .expect("API keys");
            let mut matched = None;
            for i in 0..r.len() {
                if hashes_match(&r.text(i, 3).expect("set"), &hash) {
                    matched = Some(i);
                }
            }
            let i = matched.expect("the key");
            let gone = r.ts(i, 12).or(r.ts(i, 13)).or(r.ts(i, 14));
            assert!(gone.is_none() && !locked((r.ts(i, 15), r.ts(i, 16)), now));
            assert!(r.ts(i, 11).is_none_or(|t| t > now));
            assert!(scopes_of(&r.json(i, 6)).iter().any(|s| s == scope));
            let id = r.i64(i, 0).to_string();
            let r = pq
                .query(sql::API_KEY_USED, &[Some(&ts(now)), Some(ip), Some(&id)])
                .expect("API key used");
            ApiKey {
                id: r.i64(0, 0),
                company_id: r.i64(0, 1),
                user_id: r.i64(0, 2),
                name: r.text(0, 3).expect("set"),
                key_prefix: r.text(0, 4).expect("set"),
                scopes: scopes_of(&r.json(0, 5)),
                last_used_at: r.ts(0, 6),
                last_used_ip: r.text(0, 7),
                usage_count: r.i64(0, 8),
                created_at: r.ts(0, 9).expect("set"),
                expires_at: r.ts(0, 10),
                revoked_at: r.ts(0, 11),
            }
        })
    }

    fn record_login_attempt(&mut self, email: &str, password: &str, ip: &str, dummy_hash: &str) {
        let account = self
            .pq
            .query(sql::ACCOUNT, &[Some(email)])
            .expect("account");
        assert!(account.is_empty());
        crate::verify_nothing(dummy_hash, password);
        let now = now();
        let since = now - chrono::Duration::minutes(15);
        let failures = self.in_transaction(|pq| {
            pq.query(sql::ATTEMPT, &[Some(email), Some(ip), Some(&ts(now))])
                .expect("attempt");
            pq.query(sql::FAILURES_FROM, &[Some(ip), Some(&ts(since))])
                .expect("failures")
                .i64(0, 0)
        });
        assert!(failures >= 1);
    }

    fn batch_insert(&mut self, rows: &[serde_json::Value]) -> u64 {
        // The limit a client can reach: the rows encoded by hand into COPY's text format and
        // sent in one COPY, the ids from the table's identity default.
        let mut data = Vec::with_capacity(rows.len() * 96);
        for row in rows {
            let fields = [
                row["email"].as_str().map(str::to_owned),
                row["user_id"].as_i64().map(|u| u.to_string()),
                row["ip_address"].as_str().map(str::to_owned),
                row["user_agent"].as_str().map(str::to_owned),
                row["success"].as_bool().map(|b| b.to_string()),
                row["failure"].as_str().map(str::to_owned),
                row["attempted_at"].as_str().map(str::to_owned),
            ];
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    data.push(b'\t');
                }
                match field {
                    None => data.extend_from_slice(b"\\N"),
                    Some(text) => copy_text(&mut data, text),
                }
            }
            data.push(b'\n');
        }
        self.in_transaction(|pq| pq.copy_in(sql::ATTEMPT_COPY, &data).expect("COPY the rows"))
    }
}

/// Appends `text` to `out` as one field of COPY's text format.
fn copy_text(out: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}
