//! Database URLs: which backend a URL names, and redaction of the password for messages.

use crate::store::Backend;

/// The backend a URL names: `sqlite://PATH` and `sqlite::memory:` are SQLite; `postgres://`
/// and `postgresql://` are PostgreSQL. `None` for anything else.
pub fn backend_of(url: &str) -> Option<Backend> {
    if url.starts_with("sqlite:") {
        Some(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Backend::Postgres)
    } else {
        None
    }
}

/// `url` with any password replaced by `***`, for errors and logs. Handles
/// `scheme://user:password@host/...` and a `password=` query or keyword parameter.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, "***");
            }
        }
    }
    // password=... in a query string or a libpq keyword/value string.
    let lower = out.to_ascii_lowercase();
    if let Some(pos) = lower.find("password=") {
        let start = pos + "password=".len();
        let end = out[start..]
            .find(['&', ' ', '#'])
            .map_or(out.len(), |i| start + i);
        out.replace_range(start..end, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_everywhere() {
        assert_eq!(
            redact("postgres://u:s3cr3t@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact("postgresql://u:p%40ss@h/db?x=1"),
            "postgresql://u:***@h/db?x=1"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://h/db?password=abc&sslmode=x"),
            "postgres://h/db?password=***&sslmode=x"
        );
        assert_eq!(redact("sqlite://data/a:b@c.db"), "sqlite://data/a:b@c.db");
        assert!(!redact("postgres://u:a@b@h/db").contains("a@b"));
    }

    #[test]
    fn backends_from_urls() {
        assert_eq!(backend_of("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(backend_of("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("mysql://h/db"), None);
    }
}
