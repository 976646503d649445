//! Checks the store code makes that need no database: validation of what callers give, and
//! decisions on values read. Compiled once here; the store code of each driver
//! (`each_driver/<domain>.rs`) calls them. Every check that fails returns
//! [`Error::Validation`] naming the table and field (or [`Error::Denied`] for a lock).

use nerve_core::{Field, Result};

/// `Ok` when `v` is absent or at least zero; else a validation error on `table.name`.
pub fn not_negative(table: &'static str, name: &'static str, v: Option<i64>) -> Result<()> {
    match v {
        Some(n) if n < 0 => Err(Field::new(table, name).invalid("must not be negative")),
        _ => Ok(()),
    }
}

/// Checks of the account stores (logins, sessions, API keys).
pub mod accounts {
    use chrono::{DateTime, Utc};
    use nerve_core::validate::{sanitize_input, validate_ip_address};
    use nerve_core::{Denial, Error, Field, Result};

    /// `Denied(Locked { until })` while a lock `(locked_at, locked_until)` holds at `now`: set
    /// and either without an end or ending after `now`. `Ok` for no lock or one that ended.
    pub fn denied_if_locked(
        lock: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        now: DateTime<Utc>,
    ) -> Result<()> {
        match lock {
            (Some(_), until) if until.is_none_or(|t| t > now) => Err(Error::Denied {
                reason: Denial::Locked { until },
            }),
            _ => Ok(()),
        }
    }

    /// An optional IP address, validated and in its canonical form.
    pub fn ip_of(field: Field, ip: Option<&str>) -> Result<Option<String>> {
        ip.map(|ip| validate_ip_address(field, ip)).transpose()
    }

    /// An optional text, checked as free text of at most `max` characters.
    pub fn text_of(field: Field, value: Option<&str>, max: usize) -> Result<Option<&str>> {
        value.map(|v| sanitize_input(field, v, max)).transpose()
    }

    /// The prefix of an API key of the form `nrv_<8 lower-case hex>_<secret>` (the part stored
    /// readable and indexed, to find the key's row), or `None` for any other text.
    pub fn key_prefix(key: &str) -> Option<&str> {
        let rest = key.strip_prefix("nrv_")?;
        let (prefix, secret) = rest.split_once('_')?;
        let ok = prefix.len() == 8
            && prefix.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
            && !secret.is_empty();
        ok.then_some(prefix)
    }
}

/// Checks of the attack-surface store.
pub mod attack_surface {
    use nerve_core::{Field, Result};

    /// `Ok` when the risk score `v` of a scan row of `table` is absent or from 0 to 100.
    pub fn risk(table: &'static str, v: Option<i64>) -> Result<()> {
        match v {
            Some(n) if !(0..=100).contains(&n) => {
                Err(Field::new(table, "risk_score").invalid(format!("{n} is not 0 to 100")))
            }
            _ => Ok(()),
        }
    }
}

/// Checks of the compliance store.
pub mod compliance {
    use chrono::{DateTime, Utc};
    use nerve_core::validate::{in_range, timestamp};
    use nerve_core::{Field, Result};

    /// An optional score, from 0 to 100.
    pub fn score(field: Field, s: Option<i64>) -> Result<Option<i64>> {
        s.map(|s| in_range(field, s, 0, 100)).transpose()
    }

    /// An optional instant, within the years both backends store (see
    /// [`nerve_core::validate::timestamp`]).
    pub fn instant(field: Field, t: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>> {
        t.map(|t| timestamp(field, t)).transpose()
    }
}

/// Checks of the ghost store (monitored e-mail addresses and their findings).
pub mod ghost {
    use crate::limits::{github_findings, opsych_search_results, pastebin_findings};
    use nerve_core::model::{NewGithubFinding, NewOpsychResult, NewPasteFinding};
    use nerve_core::validate::{json_document, required_text, sanitize_input, timestamp};
    use nerve_core::{Field, Result};

    /// `source_url` of a finding of `table`: an http(s) URL of at most 2048 characters (the
    /// limit every finding table's `source_url` has).
    pub fn check_url(table: &'static str, url: &str) -> Result<()> {
        let url = required_text(
            Field::new(table, "source_url"),
            url,
            github_findings::source_url,
        )?;
        if url.starts_with("https://") || url.starts_with("http://") {
            Ok(())
        } else {
            Err(Field::new(table, "source_url").invalid("must be an http(s) URL"))
        }
    }

    /// An optional free text of `table.name`, of at most `max` characters.
    pub fn optional(
        table: &'static str,
        name: &'static str,
        v: &Option<String>,
        max: usize,
    ) -> Result<()> {
        if let Some(v) = v {
            sanitize_input(Field::new(table, name), v, max)?;
        }
        Ok(())
    }

    /// A new GitHub finding: its URL, commit time and texts.
    pub fn check_github(n: &NewGithubFinding) -> Result<()> {
        const T: &str = "github_findings";
        check_url(T, &n.source_url)?;
        if let Some(t) = n.committed_at {
            timestamp(Field::new(T, "committed_at"), t)?;
        }
        optional(T, "repository", &n.repository, github_findings::repository)?;
        optional(T, "file_path", &n.file_path, github_findings::file_path)?;
        optional(T, "matched_text", &n.matched_text, 10_000)
    }

    /// A new paste finding: its URL, posting time and texts.
    pub fn check_paste(n: &NewPasteFinding) -> Result<()> {
        const T: &str = "pastebin_findings";
        check_url(T, &n.source_url)?;
        if let Some(t) = n.posted_at {
            timestamp(Field::new(T, "posted_at"), t)?;
        }
        optional(
            T,
            "paste_title",
            &n.paste_title,
            pastebin_findings::paste_title,
        )?;
        optional(
            T,
            "paste_author",
            &n.paste_author,
            pastebin_findings::paste_author,
        )?;
        optional(T, "matched_text", &n.matched_text, 10_000)
    }

    /// A new OPSYCH search result: its URL, names and details document.
    pub fn check_opsych(n: &NewOpsychResult) -> Result<()> {
        const T: &str = "opsych_search_results";
        check_url(T, &n.source_url)?;
        optional(T, "username", &n.username, opsych_search_results::username)?;
        optional(
            T,
            "display_name",
            &n.display_name,
            opsych_search_results::display_name,
        )?;
        if let Some(d) = &n.details {
            json_document(Field::new(T, "details"), d)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nerve_core::Error;

    #[test]
    fn checks_name_the_field_and_accept_the_bounds() {
        assert!(not_negative("t", "n", Some(0)).is_ok() && not_negative("t", "n", None).is_ok());
        assert!(matches!(
            not_negative("t", "n", Some(-1)),
            Err(Error::Validation {
                table: "t",
                field: "n",
                ..
            })
        ));
        assert_eq!(
            accounts::key_prefix("nrv_0123abcd_s3cret"),
            Some("0123abcd")
        );
        assert_eq!(accounts::key_prefix("nrv_0123ABCD_s3cret"), None);
        assert_eq!(accounts::key_prefix("nrv_0123abcd_"), None);
        assert!(attack_surface::risk("t", Some(100)).is_ok());
        assert!(attack_surface::risk("t", Some(101)).is_err());
        assert!(ghost::check_url("t", "https://example.com/x").is_ok());
        // check_url's one limit is every finding table's.
        use crate::limits::{github_findings, opsych_search_results, pastebin_findings};
        assert_eq!(github_findings::source_url, pastebin_findings::source_url);
        assert_eq!(
            github_findings::source_url,
            opsych_search_results::source_url
        );
        let long = format!(
            "https://example.com/{}",
            "x".repeat(github_findings::source_url)
        );
        assert!(ghost::check_url("t", &long).is_err());
        assert!(matches!(
            ghost::check_url("t", "ftp://example.com/x"),
            Err(Error::Validation {
                field: "source_url",
                ..
            })
        ));
    }
}
