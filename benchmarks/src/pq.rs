//! A bare libpq connection for the PostgreSQL baseline: prepared statements with text
//! parameters and binary results, decoded by hand — what hand-written code on libpq does, with
//! nothing between the caller and the server.

use chrono::{DateTime, Utc};
use pq_sys as pq;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

/// One libpq connection and the statements prepared on it (by SQL text).
pub struct Pq {
    conn: *mut pq::PGconn,
    prepared: HashMap<String, CString>,
}

// The connection is used by one thread at a time (the benchmark's).
unsafe impl Send for Pq {}

/// A result of a statement that returns rows; freed on drop.
pub struct Rows {
    res: *mut pq::PGresult,
}

/// A parameter: SQL text (libpq's text format), or NULL.
pub type Param<'a> = Option<&'a str>;

fn message(conn: *mut pq::PGconn) -> String {
    unsafe { CStr::from_ptr(pq::PQerrorMessage(conn)) }
        .to_string_lossy()
        .trim()
        .to_string()
}

impl Pq {
    /// Connects to `url` (a libpq URI).
    pub fn connect(url: &str) -> Result<Pq, String> {
        let url = CString::new(url).map_err(|e| e.to_string())?;
        let conn = unsafe { pq::PQconnectdb(url.as_ptr()) };
        if conn.is_null() || unsafe { pq::PQstatus(conn) } != pq::ConnStatusType::CONNECTION_OK {
            let reason = message(conn);
            unsafe { pq::PQfinish(conn) };
            return Err(reason);
        }
        Ok(Pq {
            conn,
            prepared: HashMap::new(),
        })
    }

    /// Runs `sql` (no parameters, no rows wanted): BEGIN, COMMIT and the like.
    pub fn exec(&mut self, sql: &str) -> Result<(), String> {
        let sql = CString::new(sql).map_err(|e| e.to_string())?;
        let res = unsafe { pq::PQexec(self.conn, sql.as_ptr()) };
        Rows::checked(res, self.conn).map(drop)
    }

    /// Runs `sql` with `params`, prepared on first use (server-side, once per connection),
    /// results in binary.
    pub fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Rows, String> {
        let name = match self.prepared.get(sql) {
            Some(n) => n.as_ptr(),
            None => {
                let name = CString::new(format!("s{}", self.prepared.len())).expect("no NUL");
                let text = CString::new(sql).map_err(|e| e.to_string())?;
                let res = unsafe {
                    pq::PQprepare(self.conn, name.as_ptr(), text.as_ptr(), 0, std::ptr::null())
                };
                Rows::checked(res, self.conn)?;
                self.prepared.insert(sql.to_string(), name);
                self.prepared[sql].as_ptr()
            }
        };
        let owned: Vec<Option<CString>> = params
            .iter()
            .map(|p| p.map(|v| CString::new(v).expect("no NUL in a parameter")))
            .collect();
        let values: Vec<*const c_char> = owned
            .iter()
            .map(|p| p.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()))
            .collect();
        let res = unsafe {
            pq::PQexecPrepared(
                self.conn,
                name,
                values.len() as c_int,
                values.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                1,
            )
        };
        Rows::checked(res, self.conn)
    }

    /// Runs `copy` (a `COPY ... FROM STDIN` statement) and sends `data`, already in the
    /// statement's format, in one piece; returns the rows the server took.
    pub fn copy_in(&mut self, copy: &str, data: &[u8]) -> Result<u64, String> {
        let sql = CString::new(copy).map_err(|e| e.to_string())?;
        let res = unsafe { pq::PQexec(self.conn, sql.as_ptr()) };
        let status = unsafe { pq::PQresultStatus(res) };
        unsafe { pq::PQclear(res) };
        if status != pq::ExecStatusType::PGRES_COPY_IN {
            return Err(message(self.conn));
        }
        // libpq takes an int length: send in pieces below it.
        for piece in data.chunks(1 << 30) {
            let sent = unsafe {
                pq::PQputCopyData(self.conn, piece.as_ptr().cast(), piece.len() as c_int)
            };
            if sent != 1 {
                return Err(message(self.conn));
            }
        }
        if unsafe { pq::PQputCopyEnd(self.conn, std::ptr::null()) } != 1 {
            return Err(message(self.conn));
        }
        let res = unsafe { pq::PQgetResult(self.conn) };
        let rows = Rows::checked(res, self.conn)?;
        let count = unsafe { CStr::from_ptr(pq::PQcmdTuples(rows.res)) }
            .to_str()
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| "COPY reported no row count".to_string())?;
        drop(rows);
        // The end of the command's results.
        let rest = unsafe { pq::PQgetResult(self.conn) };
        if !rest.is_null() {
            unsafe { pq::PQclear(rest) };
            return Err("COPY returned more than one result".into());
        }
        Ok(count)
    }
}

impl Drop for Pq {
    fn drop(&mut self) {
        unsafe { pq::PQfinish(self.conn) };
    }
}

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl Rows {
    fn checked(res: *mut pq::PGresult, conn: *mut pq::PGconn) -> Result<Rows, String> {
        if res.is_null() {
            return Err(message(conn));
        }
        let status = unsafe { pq::PQresultStatus(res) };
        if matches!(
            status,
            pq::ExecStatusType::PGRES_COMMAND_OK | pq::ExecStatusType::PGRES_TUPLES_OK
        ) {
            Ok(Rows { res })
        } else {
            let reason = unsafe { CStr::from_ptr(pq::PQresultErrorMessage(res)) }
                .to_string_lossy()
                .trim()
                .to_string();
            unsafe { pq::PQclear(res) };
            Err(reason)
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        unsafe { pq::PQntuples(self.res) as usize }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn raw(&self, row: usize, col: usize) -> Option<&[u8]> {
        unsafe {
            if pq::PQgetisnull(self.res, row as c_int, col as c_int) == 1 {
                return None;
            }
            let len = pq::PQgetlength(self.res, row as c_int, col as c_int) as usize;
            let ptr = pq::PQgetvalue(self.res, row as c_int, col as c_int) as *const u8;
            Some(std::slice::from_raw_parts(ptr, len))
        }
    }

    /// A BIGINT.
    pub fn i64(&self, row: usize, col: usize) -> i64 {
        i64::from_be_bytes(
            self.raw(row, col)
                .expect("not NULL")
                .try_into()
                .expect("8 bytes"),
        )
    }

    /// A BOOLEAN.
    pub fn bool(&self, row: usize, col: usize) -> bool {
        self.raw(row, col).expect("not NULL") == [1]
    }

    /// Text (or an enum's label), or NULL.
    pub fn text(&self, row: usize, col: usize) -> Option<String> {
        self.raw(row, col)
            .map(|b| String::from_utf8(b.to_vec()).expect("UTF-8"))
    }

    /// A TIMESTAMPTZ, or NULL.
    pub fn ts(&self, row: usize, col: usize) -> Option<DateTime<Utc>> {
        self.raw(row, col).map(|b| {
            let micros = i64::from_be_bytes(b.try_into().expect("8 bytes"));
            DateTime::from_timestamp_micros(micros + PG_EPOCH_MICROS).expect("in range")
        })
    }

    /// A JSONB document (binary format: version byte 1, then the text).
    pub fn json(&self, row: usize, col: usize) -> serde_json::Value {
        let b = self.raw(row, col).expect("not NULL");
        serde_json::from_slice(&b[1..]).expect("JSON")
    }
}

impl Drop for Rows {
    fn drop(&mut self) {
        unsafe { pq::PQclear(self.res) };
    }
}
