//! Validation of values before they reach a database (the spec's `validate_email`,
//! `validate_domain`, `validate_ip_address`, `sanitize_input`).
//!
//! Rules are checked in Rust so both backends accept and reject exactly the same values.
//! Nothing here silently alters a value: a value is either accepted as given, rejected with a
//! [`Error::Validation`] naming the field and the reason, or (for e-mail addresses and domains
//! only, and as documented) normalized to its canonical lower-case form.

use crate::error::{Field, Result};
use std::net::IpAddr;

/// Longest e-mail address accepted (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Longest local part (before `@`) of an e-mail address.
pub const EMAIL_LOCAL_MAX: usize = 64;
/// Longest domain name accepted.
pub const DOMAIN_MAX: usize = 253;
/// Longest label of a domain name.
pub const DOMAIN_LABEL_MAX: usize = 63;

/// Checks that `value` can be stored as text in `field` unchanged and is at most `max_chars`
/// characters long.
///
/// Rejected: U+0000 (PostgreSQL cannot store it), other control characters except tab, line
/// feed and carriage return, and values longer than `max_chars` characters. Returns the value
/// itself; it is never trimmed, truncated or otherwise altered.
pub fn sanitize_input(field: Field, value: &str, max_chars: usize) -> Result<&str> {
    if let Some((pos, c)) = value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        let what = if c == '\0' {
            "the NUL character U+0000".to_string()
        } else {
            format!("the control character U+{:04X}", c as u32)
        };
        return Err(field.invalid(format!(
            "contains {what} at character {pos}, which cannot be stored"
        )));
    }
    let len = value.chars().count();
    if len > max_chars {
        return Err(field.invalid(format!(
            "is {len} characters long; at most {max_chars} are allowed"
        )));
    }
    Ok(value)
}

/// [`sanitize_input`] of an optional value: `None` passes.
pub fn optional_text(field: Field, value: Option<&str>, max_chars: usize) -> Result<Option<&str>> {
    value
        .map(|v| sanitize_input(field, v, max_chars))
        .transpose()
}

/// Checks a whole number is within `min..=max`, as a CHECK constraint of `field` would.
pub fn in_range(field: Field, value: i64, min: i64, max: i64) -> Result<i64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else if max == i64::MAX {
        Err(field.invalid(format!("{value} is less than {min}")))
    } else {
        Err(field.invalid(format!("{value} is not {min} to {max}")))
    }
}

/// Like [`sanitize_input`], and also rejects a value that is empty or only white space.
pub fn required_text(field: Field, value: &str, max_chars: usize) -> Result<&str> {
    if value.trim().is_empty() {
        return Err(field.invalid("must not be empty"));
    }
    sanitize_input(field, value, max_chars)
}

/// Validates an e-mail address and returns its normalized form: the whole address lower-cased
/// (Unicode lower case, done here because SQLite's `lower()` folds ASCII only).
///
/// Accepted: `local@domain` with exactly one `@`, a local part of 1 to 64 characters without
/// white space, control characters or any of `<>()[],;:\"`, no leading, trailing or doubled
/// dot, and a domain accepted by [`validate_domain`] that has at least two labels. At most 254
/// characters in all. Surrounding white space is rejected, not trimmed.
pub fn validate_email(field: Field, value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(field.invalid("must not be empty"));
    }
    if value.chars().count() > EMAIL_MAX {
        return Err(field.invalid(format!("is longer than {EMAIL_MAX} characters")));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(field.invalid("must not contain white space or control characters"));
    }
    let lower = value.to_lowercase();
    // Lower-casing can lengthen a string (U+0130 becomes two characters): check again.
    if lower.chars().count() > EMAIL_MAX {
        return Err(field.invalid(format!(
            "is longer than {EMAIL_MAX} characters once lower-cased"
        )));
    }
    let (local, domain) = match lower.split_once('@') {
        Some((l, d)) if !d.contains('@') => (l, d),
        _ => return Err(field.invalid("must contain exactly one '@'")),
    };
    if local.is_empty() || local.chars().count() > EMAIL_LOCAL_MAX {
        return Err(field.invalid(format!(
            "the part before '@' must have 1 to {EMAIL_LOCAL_MAX} characters"
        )));
    }
    if let Some(c) = local.chars().find(|c| "<>()[],;:\\\"".contains(*c)) {
        return Err(field.invalid(format!("the part before '@' must not contain '{c}'")));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(field.invalid("the part before '@' has a misplaced '.'"));
    }
    let domain = validate_domain(field, domain)?;
    if !domain.contains('.') {
        return Err(field.invalid("the domain must have at least two labels"));
    }
    Ok([local, "@", &domain].concat())
}

/// Validates a DNS domain name and returns it lower-cased, without a trailing dot accepted.
///
/// Accepted: ASCII labels of 1 to 63 letters, digits and hyphens, not starting or ending with
/// a hyphen, separated by single dots, at most 253 characters; internationalized names must be
/// given in their `xn--` (punycode) form. A domain is not an IP address.
pub fn validate_domain(field: Field, value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(field.invalid("the domain must not be empty"));
    }
    if value.len() > DOMAIN_MAX {
        return Err(field.invalid(format!("the domain is longer than {DOMAIN_MAX} characters")));
    }
    if !value.is_ascii() {
        return Err(field.invalid(
            "the domain must be ASCII; give internationalized names in punycode (xn--...)",
        ));
    }
    if value.parse::<IpAddr>().is_ok() {
        return Err(field.invalid("an IP address is not a domain"));
    }
    for label in value.split('.') {
        if label.is_empty() {
            return Err(field.invalid("the domain has an empty label (misplaced '.')"));
        }
        if label.len() > DOMAIN_LABEL_MAX {
            return Err(field.invalid(format!(
                "the domain label '{label}' is longer than {DOMAIN_LABEL_MAX} characters"
            )));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(field.invalid(format!(
                "the domain label '{label}' starts or ends with '-'"
            )));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(field.invalid(format!("the domain contains '{c}'")));
        }
    }
    if value
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(field.invalid("the last label of a domain cannot be numeric"));
    }
    Ok(value.to_ascii_lowercase())
}

/// Validates an IPv4 or IPv6 address and returns it in canonical text form (as
/// [`std::net::IpAddr`] prints it: IPv6 compressed and lower-case), at most 45 characters.
pub fn validate_ip_address(field: Field, value: &str) -> Result<String> {
    value
        .parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| field.invalid("is not an IPv4 or IPv6 address"))
}

/// A caller-given instant as every backend stores it: truncated to microseconds; refused
/// outside the years 1 to 9999 (UTC), which SQLite's text form cannot hold.
pub fn timestamp(
    field: Field,
    t: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>> {
    let t = crate::clock::truncate_micros(t);
    if crate::clock::storable(t) {
        Ok(t)
    } else {
        Err(field.invalid(format!("{t} is outside the years 1 to 9999")))
    }
}

/// A SHA-256 digest given as 64 hexadecimal digits, returned lower-case.
pub fn sha256_digest(field: Field, value: &str) -> Result<String> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(field.invalid("must be 64 hexadecimal digits"))
    }
}

/// Whether a JSON value holds U+0000 in a string or an object key, at any depth.
pub fn holds_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// Checks that a JSON document can be stored on every backend: no key or string holds U+0000
/// (SQLite's `json_valid` accepts `\u0000`, PostgreSQL's JSONB refuses it).
pub fn json_document(field: Field, value: &serde_json::Value) -> Result<()> {
    if holds_nul(value) {
        return Err(field.invalid("a JSON key or string contains U+0000"));
    }
    Ok(())
}

/// Checks a length in characters is within `min..=max`, for secrets that are never stored as
/// given (passwords): the value is not echoed in the error.
pub fn secret_length(field: Field, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(field.invalid(format!("must be {min} to {max} characters long (got {n})")));
    }
    if value.contains('\0') {
        return Err(field.invalid("contains the NUL character U+0000"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    const F: Field = Field::new("t", "f");

    fn reason(e: Error) -> String {
        match e {
            Error::Validation {
                table,
                field,
                reason,
            } => {
                assert_eq!((table, field), ("t", "f"));
                reason
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn email_is_normalized_in_rust_including_non_ascii() {
        assert_eq!(
            validate_email(F, "Alice@Example.COM").unwrap(),
            "alice@example.com"
        );
        assert_eq!(
            validate_email(F, "ÉLODIE@example.com").unwrap(),
            "élodie@example.com"
        );
        assert_eq!(
            validate_email(F, "a.b+tag@sub.example.org").unwrap(),
            "a.b+tag@sub.example.org"
        );
    }

    #[test]
    fn bad_emails_are_rejected_with_a_reason() {
        for bad in [
            "",
            "plain",
            "a@b@c.com",
            "@example.com",
            "a@",
            " a@example.com",
            "a@example.com ",
            "a b@example.com",
            ".a@example.com",
            "a..b@example.com",
            "a@localhost",
            "a@exa_mple.com",
            "a<b>@example.com",
            "a@-example.com",
            "a@example..com",
            "a@1.2.3.4",
        ] {
            let r = reason(validate_email(F, bad).unwrap_err());
            assert!(!r.is_empty(), "{bad}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(validate_email(F, &long_local).is_err());
        let long = format!("a@{}.com", "b".repeat(60).repeat(5));
        assert!(validate_email(F, &long).is_err());
        // 32 dotted capital I (2 characters each once lower-cased) and a 221-character domain.
        let domain = format!(
            "{}.{}.{}.{}.com",
            "d".repeat(54),
            "d".repeat(54),
            "d".repeat(54),
            "d".repeat(52)
        );
        let growing = format!("{}@{domain}", "\u{130}".repeat(32));
        assert!(growing.chars().count() <= EMAIL_MAX);
        assert!(reason(validate_email(F, &growing).unwrap_err()).contains("once lower-cased"));
    }

    #[test]
    fn domains() {
        assert_eq!(validate_domain(F, "Example.COM").unwrap(), "example.com");
        assert_eq!(
            validate_domain(F, "xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert!(validate_domain(F, "bücher.example").is_err());
        assert!(validate_domain(F, &format!("{}.com", "a".repeat(64))).is_err());
        assert!(validate_domain(F, "10.0.0.1").is_err());
        assert!(validate_domain(F, "a.123").is_err());
        assert!(validate_domain(F, "a.b.").is_err());
    }

    #[test]
    fn json_documents_without_nul() {
        assert!(json_document(F, &serde_json::json!({"a": ["b", 1, null, {"c": "d"}]})).is_ok());
        assert!(json_document(F, &serde_json::json!({"a": ["b\u{0}"]})).is_err());
        assert!(json_document(F, &serde_json::json!({"k\u{0}": 1})).is_err());
    }

    #[test]
    fn ip_addresses_v4_and_v6() {
        assert_eq!(validate_ip_address(F, "192.0.2.1").unwrap(), "192.0.2.1");
        assert_eq!(
            validate_ip_address(F, "2001:DB8:0:0::1").unwrap(),
            "2001:db8::1"
        );
        assert!(validate_ip_address(F, "256.1.1.1").is_err());
        assert!(validate_ip_address(F, "example.com").is_err());
        assert!(validate_ip_address(F, " 192.0.2.1").is_err());
    }

    #[test]
    fn sanitize_rejects_nul_and_controls_and_never_alters() {
        let v = "  tabs\tand\nnewlines\r and unicode ✓  ";
        assert_eq!(sanitize_input(F, v, 100).unwrap(), v);
        assert!(reason(sanitize_input(F, "a\0b", 100).unwrap_err()).contains("U+0000"));
        assert!(reason(sanitize_input(F, "a\u{7}b", 100).unwrap_err()).contains("U+0007"));
        assert!(sanitize_input(F, "ééé", 3).is_ok());
        assert!(reason(sanitize_input(F, "éééé", 3).unwrap_err()).contains("at most 3"));
        assert!(required_text(F, "   ", 10).is_err());
    }
}

/// Characters that can be part of an e-mail address next to its ends: a mention of an
/// address is only one when neither side continues it (`bob@x.test` is not mentioned in
/// `jimbob@x.test` nor in `bob@x.test.evil`).
fn continues_address(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '@')
}

/// The byte ranges of the mentions of the address `email` in `text`, compared without regard
/// to case (Unicode lower case), whole addresses only (see above; a `.` ending a sentence
/// does not continue it).
fn mentions(text: &str, email: &str) -> Vec<(usize, usize)> {
    let needle: Vec<char> = email.to_lowercase().chars().collect();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|(_, c)| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut out = Vec::new();
    let n = needle.len();
    let mut i = 0;
    while n > 0 && i + n <= lower.len() {
        if lower[i..i + n] == needle[..] {
            let before_ok = i == 0 || !continues_address(lower[i - 1]);
            let after_ok = match lower.get(i + n) {
                None => true,
                // A trailing dot ends a sentence unless the address goes on after it.
                Some('.') => !lower.get(i + n + 1).is_some_and(|c| c.is_alphanumeric()),
                Some(c) => !continues_address(*c),
            };
            if before_ok && after_ok {
                let start = chars[i].0;
                let end = chars.get(i + n).map_or(text.len(), |(b, _)| *b);
                out.push((start, end));
                i += n;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Whether `text` mentions the address `email` (whole, in any case).
pub fn mentions_address(text: &str, email: &str) -> bool {
    !mentions(text, email).is_empty()
}

/// `text` with every mention of the address `email` (whole, in any case) replaced by
/// `replacement`.
pub fn replace_address(text: &str, email: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in mentions(text, email) {
        out.push_str(&text[last..start]);
        out.push_str(replacement);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod address_tests {
    use super::{mentions_address, replace_address};

    #[test]
    fn only_whole_addresses_in_any_case_are_mentions() {
        let e = "bob@x.test";
        assert!(mentions_address("mail Bob@X.Test now", e));
        assert!(mentions_address("to bob@x.test.", e));
        assert!(mentions_address("{\"a\":\"bob@x.test\"}", e));
        assert!(!mentions_address("jimbob@x.test", e));
        assert!(!mentions_address("bob@x.test.evil", e));
        assert!(!mentions_address("bob@x.tester", e));
        assert_eq!(
            replace_address("BOB@x.test, jimbob@x.test, bob@x.test.", e, "[erased]"),
            "[erased], jimbob@x.test, [erased]."
        );
    }
}
