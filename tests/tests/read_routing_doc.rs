//! Every read method of the domain stores is classified in its documentation as a *Primary
//! read* or a *Replica read* (see "Where reads go" in nerve-core's `store` module), and the
//! class it states is the one its shared implementation (`nerve-diesel/each_driver/`) runs:
//! `Scope::read` runs on the primary, `Scope::replica_read` on the read replica when there is
//! one. Writes state neither and never read from the replica.

use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Write,
    Primary,
    Replica,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
}

fn sources(dir: &str) -> Vec<(String, String)> {
    let mut out: Vec<_> = std::fs::read_dir(root().join(dir))
        .expect("a source directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a source file");
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// `fn name` at the start of a trimmed line: the name.
fn fn_name(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix("fn ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// The bodies of the methods the shared store code implements: `(trait, method) -> body`, and the
/// helpers of `impl Scope<'_>` blocks: `method -> body`.
type Bodies = BTreeMap<(String, String), String>;

fn implementations() -> (Bodies, BTreeMap<String, String>) {
    let mut methods = BTreeMap::new();
    let mut helpers = BTreeMap::new();
    for (_, text) in sources("nerve-diesel/each_driver") {
        // (trait or "" for helpers, indentation of the impl line)
        let mut block: Option<(String, usize)> = None;
        let mut current: Option<(String, String)> = None;
        let mut flush = |block: &Option<(String, usize)>,
                         current: &mut Option<(String, String)>| {
            if let (Some((t, _)), Some((name, body))) = (block, current.take()) {
                if t.is_empty() {
                    helpers.insert(name, body);
                } else {
                    methods.insert((t.clone(), name), body);
                }
            }
        };
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("impl ") && trimmed.ends_with("for Scope<'_> {")
                || trimmed == "impl Scope<'_> {"
            {
                flush(&block, &mut current);
                // `impl path::Trait for Scope<'_> {`: the trait's name; "" for helpers.
                let name = trimmed
                    .strip_suffix(" for Scope<'_> {")
                    .and_then(|r| r.strip_prefix("impl "))
                    .map(|path| path.rsplit("::").next().unwrap_or(path))
                    .unwrap_or("")
                    .to_string();
                block = Some((name, indent(line)));
                continue;
            }
            let Some((_, at)) = &block else { continue };
            if trimmed == "}" && indent(line) == *at {
                flush(&block, &mut current);
                block = None;
                continue;
            }
            if indent(line) == at + 4 {
                if let Some(name) = fn_name(trimmed) {
                    flush(&block, &mut current);
                    current = Some((name.to_string(), String::new()));
                    continue;
                }
            }
            if let Some((_, body)) = &mut current {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    (methods, helpers)
}

/// What a body runs: a write, a replica read or a primary read (helpers it calls followed).
fn kind(body: &str, helpers: &BTreeMap<String, String>, depth: u32) -> Option<Kind> {
    if body.contains("self.write(") || body.contains("self.write_one(") {
        assert!(
            !body.contains("self.replica_read("),
            "a write reads from the replica:\n{body}"
        );
        return Some(Kind::Write);
    }
    if body.contains("self.replica_read(") {
        return Some(Kind::Replica);
    }
    if body.contains("self.read(") {
        return Some(Kind::Primary);
    }
    if depth > 3 {
        return None;
    }
    body.match_indices("self.").find_map(|(i, _)| {
        let rest = &body[i + 5..];
        let name = &rest[..rest.find('(')?];
        helpers.get(name).and_then(|h| kind(h, helpers, depth + 1))
    })
}

/// The documentation of every method of the contract's traits: `(trait, method) -> docs`.
fn documented() -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for (_, text) in sources("nerve-core/src/store") {
        let mut trait_name: Option<String> = None;
        let mut docs = String::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix("pub trait ") {
                let end = rest
                    .find(|c: char| !c.is_alphanumeric())
                    .unwrap_or(rest.len());
                trait_name = Some(rest[..end].to_string());
                docs.clear();
            } else if let Some(doc) = trimmed.strip_prefix("///") {
                docs.push_str(doc);
                docs.push('\n');
            } else if let (Some(t), Some(name)) = (&trait_name, fn_name(trimmed)) {
                out.insert((t.clone(), name.to_string()), std::mem::take(&mut docs));
            } else if !trimmed.starts_with("#[") {
                docs.clear();
            }
        }
    }
    out
}

const PRIMARY: &str = "*Primary read*";
const REPLICA: &str = "*Replica read*";

#[test]
fn every_read_method_states_where_it_reads_and_runs_there() {
    let (methods, helpers) = implementations();
    let docs = documented();
    let mut counts = BTreeMap::new();
    let mut problems = Vec::new();
    for ((t, m), body) in &methods {
        let Some(kind) = kind(body, &helpers, 0) else {
            // Only the admin store works outside read/write (always on the primary), and
            // `Repos` only hands the stores out.
            assert!(
                t == "AdminStore" || t == "Repos",
                "{t}::{m}: neither a read nor a write"
            );
            continue;
        };
        *counts.entry(format!("{kind:?}")).or_insert(0) += 1;
        let Some(doc) = docs.get(&(t.clone(), m.clone())) else {
            problems.push(format!("{t}::{m}: implemented but not found in nerve-core"));
            continue;
        };
        let stated = (doc.contains(PRIMARY), doc.contains(REPLICA));
        let expected = match kind {
            Kind::Write => (false, false),
            Kind::Primary => (true, false),
            Kind::Replica => (false, true),
        };
        if stated != expected {
            problems.push(format!(
                "{t}::{m} runs as a {kind:?} but its docs state primary={} replica={}",
                stated.0, stated.1
            ));
        }
    }
    // Every classified method of the contract is one the shared store code implements.
    for ((t, m), doc) in &docs {
        if (doc.contains(PRIMARY) || doc.contains(REPLICA))
            && !methods.contains_key(&(t.clone(), m.clone()))
        {
            problems.push(format!(
                "{t}::{m} is classified but has no shared implementation"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The parse found the contract: dozens of each kind, not an empty pass.
    println!("{counts:?}");
    assert!(counts.get("Write").copied().unwrap_or(0) > 50, "{counts:?}");
    assert!(
        counts.get("Primary").copied().unwrap_or(0) >= 15,
        "{counts:?}"
    );
    assert!(
        counts.get("Replica").copied().unwrap_or(0) >= 30,
        "{counts:?}"
    );
}
