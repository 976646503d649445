//! Database URLs: which backend a URL names, and keeping passwords out of messages.

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

/// Where the password of `scheme://user:password@host...` lies, read the way libpq reads it:
/// the user part ends at the first `@` unless a `/` comes first.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let start = authority_start(url);
    let rest = &url[start..];
    let end = rest.find(['@', '/'])?;
    if rest.as_bytes()[end] != b'@' {
        return None;
    }
    let colon = rest[..end].find(':')?;
    Some((start + colon + 1, start + end))
}

/// Where the authority (`user:password@host:port`) of `url` begins: after the first `://`
/// when no `@` comes before it (a scheme, well formed or not), else at the start — a URL given
/// without its scheme (`admin:pw@db.example/nerve`) is refused, and the refusal must not show
/// its password.
fn authority_start(url: &str) -> usize {
    match url.find("://") {
        Some(i) if !url[..i].contains('@') => i + 3,
        _ => 0,
    }
}

/// The `password=` parameter's value span, in a query string or a keyword/value string.
fn parameter_span(url: &str) -> Option<(usize, usize)> {
    let pos = url.to_ascii_lowercase().find("password=")?;
    let start = pos + "password=".len();
    let end = url[start..]
        .find(['&', ' ', '#'])
        .map_or(url.len(), |i| start + i);
    Some((start, end))
}

/// `url` without the query parameters named in `names`, and those parameters' values, in the
/// order given (percent-decoded). The rest of the URL is kept as written.
pub fn take_parameters(url: &str, names: &[&str]) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), Vec::new());
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if names.contains(&key) {
            taken.push((key.to_string(), percent_decode(value)));
        } else {
            kept.push(pair);
        }
    }
    let mut out = base.to_string();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    (out, taken)
}

/// `url` without its password (in the user part or a `password=` parameter), and that
/// password percent-decoded: for handing the URL to a program's command line, where other
/// users can read it, and the password through its environment (`PGPASSWORD`).
pub fn split_password(url: &str) -> (String, Option<String>) {
    let mut out = url.to_string();
    let mut password = None;
    if let Some((s, e)) = password_span(&out) {
        password = Some(percent_decode(&out[s..e]));
        out.replace_range(s - 1..e, "");
    }
    let (out, taken) = take_parameters(&out, &["password"]);
    (out, password.or(taken.into_iter().next().map(|(_, v)| v)))
}

/// Where the database name of a `scheme://authority/name?...` URL lies (empty when absent).
fn database_span(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['?', '#'])
        .map_or(url.len(), |i| start + i);
    let slash = url[start..end].find('/')? + start + 1;
    Some((slash, end))
}

/// The database a PostgreSQL URL names (percent-decoded; a `dbname=` parameter, which libpq
/// lets override the path, wins), `None` when it names none.
pub fn database_name(url: &str) -> Option<String> {
    let (_, taken) = take_parameters(url, &["dbname"]);
    taken
        .into_iter()
        .map(|(_, v)| v)
        .next_back()
        .or_else(|| database_span(url).map(|(s, e)| percent_decode(&url[s..e])))
        .filter(|n| !n.is_empty())
}

/// `url` naming the database `name` instead (percent-encoded in the path; any `dbname=`
/// parameter removed).
pub fn with_database(url: &str, name: &str) -> String {
    let (url, _) = take_parameters(url, &["dbname"]);
    let url = url.as_str();
    let name: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    match database_span(url) {
        Some((s, e)) => format!("{}{name}{}", &url[..s], &url[e..]),
        None => {
            let start = url.find("://").map_or(0, |i| i + 3);
            let end = url[start..]
                .find(['?', '#'])
                .map_or(url.len(), |i| start + i);
            format!("{}/{name}{}", &url[..end], &url[end..])
        }
    }
}

/// Where the `host[:port]` of a `scheme://[user[:password]@]host[:port][/...]` URL lies.
fn host_span(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let host = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    Some((host, end))
}

/// The port of a `host[:port]` text (`[v6]:port` for IPv6 addresses), if it gives one.
fn port_of(host_port: &str) -> Option<&str> {
    let after_host = host_port.rfind(']').map_or(0, |i| i + 1);
    host_port[after_host..]
        .rfind(':')
        .map(|i| &host_port[after_host + i + 1..])
}

/// `url` naming the server `host_port` (`host`, `host:port`, or `[v6]:port`) instead of its
/// own, everything else (user, password, database, other parameters) kept: a replica's URL made
/// from its primary's. Without a port, the URL's own port is kept. The parameters that would
/// name another server or refuse a standby (`host`, `hostaddr`, `port`,
/// `target_session_attrs`) are removed. `None` when `url` has no `scheme://` authority or
/// `host_port` is empty or holds `/`, `?`, `#` or `@`.
pub fn with_host(url: &str, host_port: &str) -> Option<String> {
    if host_port.is_empty() || host_port.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (url, _) = take_parameters(url, &["host", "hostaddr", "port", "target_session_attrs"]);
    let url = url.as_str();
    let (s, e) = host_span(url)?;
    let mut replaced = host_port.to_string();
    if port_of(host_port).is_none() {
        if let Some(port) = port_of(&url[s..e]) {
            replaced = format!("{host_port}:{port}");
        }
    }
    Some(format!("{}{replaced}{}", &url[..s], &url[e..]))
}

/// `url` with any password replaced by `***`, for errors and logs.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    // The parameter lies after the user part, so replace it first.
    if let Some((s, e)) = parameter_span(&out) {
        out.replace_range(s..e, "***");
    }
    if let Some((s, e)) = password_span(&out) {
        out.replace_range(s..e, "***");
    }
    out
}

/// The passwords `url` carries, as written and percent-decoded, for [`scrub`].
pub fn secrets_of(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (s, e) in [password_span(url), parameter_span(url)]
        .into_iter()
        .flatten()
    {
        let raw = &url[s..e];
        if !raw.is_empty() {
            out.push(raw.to_string());
            let decoded = percent_decode(raw);
            if decoded != raw {
                out.push(decoded);
            }
        }
    }
    out
}

/// `message` (from a driver or library, which may quote what it was given) with every one of
/// `secrets` and the URL's own form replaced by `***`.
pub fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s.as_str(), "***");
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod parameter_tests {
    use super::take_parameters;

    #[test]
    fn our_parameters_are_taken_and_the_rest_kept() {
        let (url, taken) = take_parameters(
            "postgres://u:p@h/db?sslmode=disable&statement_cache=off&pool_max_size=16",
            &["statement_cache", "pool_max_size"],
        );
        assert_eq!(url, "postgres://u:p@h/db?sslmode=disable");
        assert_eq!(
            taken,
            [
                ("statement_cache".to_string(), "off".to_string()),
                ("pool_max_size".into(), "16".into())
            ]
        );
        assert_eq!(
            take_parameters("postgres://h/db?retries=2", &["retries"]).0,
            "postgres://h/db"
        );
        assert_eq!(take_parameters("postgres://h/db", &["retries"]).1, vec![]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_replaced_keeping_everything_else() {
        let primary = "postgres://u:p%40ss@db1:6432/nerve?sslmode=require";
        assert_eq!(
            with_host(primary, "db2").as_deref(),
            Some("postgres://u:p%40ss@db2:6432/nerve?sslmode=require")
        );
        assert_eq!(
            with_host(primary, "db2:5433").as_deref(),
            Some("postgres://u:p%40ss@db2:5433/nerve?sslmode=require")
        );
        assert_eq!(
            with_host("postgres://localhost/x", "[::1]:5433").as_deref(),
            Some("postgres://[::1]:5433/x")
        );
        assert_eq!(
            with_host("postgres://[::1]:5432", "127.0.0.2").as_deref(),
            Some("postgres://127.0.0.2:5432")
        );
        assert_eq!(
            with_host(
                "postgres://u@db1/nerve?host=db1&port=5432&sslmode=require&target_session_attrs=read-write",
                "db2:5433"
            )
            .as_deref(),
            Some("postgres://u@db2:5433/nerve?sslmode=require")
        );
        assert_eq!(with_host(primary, ""), None);
        assert_eq!(with_host(primary, "evil@db2"), None);
        assert_eq!(with_host("sqlite::memory:", "db2"), None);
    }

    #[test]
    fn passwords_split_off_and_databases_replaced() {
        assert_eq!(
            split_password("postgres://u:p%40ss@h:5/db?sslmode=disable"),
            (
                "postgres://u@h:5/db?sslmode=disable".to_string(),
                Some("p@ss".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://u@h/db?password=x&a=b"),
            ("postgres://u@h/db?a=b".to_string(), Some("x".to_string()))
        );
        assert_eq!(split_password("postgres://h/db").1, None);
        assert_eq!(
            database_name("postgres://u@h:5/my%5Fdb?x=1").as_deref(),
            Some("my_db")
        );
        assert_eq!(database_name("postgres://u@h:5"), None);
        assert_eq!(database_name("postgres://u@h:5/"), None);
        assert_eq!(
            with_database("postgres://u@h:5/a?x=1", "b"),
            "postgres://u@h:5/b?x=1"
        );
        assert_eq!(
            with_database("postgres://u@h:5?x=1", "b"),
            "postgres://u@h:5/b?x=1"
        );
        assert_eq!(
            database_name("postgres://h/a?dbname=b").as_deref(),
            Some("b")
        );
        assert_eq!(
            with_database("postgres://h/a?dbname=b&x=1", "é 1"),
            "postgres://h/%C3%A9%201?x=1"
        );
        assert_eq!(
            database_name(&with_database("postgres://h/a", "é 1")).as_deref(),
            Some("é 1")
        );
    }

    #[test]
    fn redacts_passwords_the_way_libpq_reads_them() {
        assert_eq!(
            redact("postgres://u:s3cr3t@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact("postgresql://u:p%40ss@h/db?x=1"),
            "postgresql://u:***@h/db?x=1"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://u:pa?ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u:pa#ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u:s3cr%zz@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://h/db?password=abc&sslmode=x"),
            "postgres://h/db?password=***&sslmode=x"
        );
        assert_eq!(
            redact("postgres://u:x@h/db?PASSWORD=y"),
            "postgres://u:***@h/db?PASSWORD=***"
        );
        assert_eq!(redact("sqlite://data/a:b@c.db"), "sqlite://data/a:b@c.db");
        // Found by fuzzing (fuzz/regressions/url/): a URL given without its scheme is refused, and
        // the refusal quoted its password.
        assert_eq!(redact("admin:s3cr3t@db/nerve"), "admin:***@db/nerve");
        assert_eq!(redact("u:s3cr3t@h/x://y"), "u:***@h/x://y");
        assert_eq!(redact("1x://u:s3cr3t@h"), "1x://u:***@h");
    }

    #[test]
    fn scrubs_raw_and_decoded_passwords_from_messages() {
        let secrets = secrets_of("postgres://u:p%40ss@h/db?password=zz%zz");
        assert_eq!(secrets, vec!["p%40ss", "p@ss", "zz%zz"]);
        assert_eq!(
            scrub("bad token \"p@ss\" and \"zz%zz\" in p%40ss", &secrets),
            "bad token \"***\" and \"***\" in ***"
        );
        assert!(secrets_of("postgres://u@h/db").is_empty());
    }

    #[test]
    fn backends_from_urls() {
        assert_eq!(backend_of("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(backend_of("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("mysql://h/db"), None);
    }
}
