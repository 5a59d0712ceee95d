//! The project's docs stay true: every rule in ARCHITECTURE.md's enforcement
//! index is still enforced in the file it names, and every repository path
//! that ARCHITECTURE.md or docs/security.md names exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text between the first pair of backticks of `cell`, if any.
fn code(cell: &str) -> Option<&str> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(&cell[start..start + len])
}

/// Rows `(rule, file, needle)` of the enforcement index.
fn index_rows(doc: &str) -> Vec<(String, String, String)> {
    let section = doc
        .split("## Enforcement index")
        .nth(1)
        .expect("ARCHITECTURE.md has an `## Enforcement index` section");
    section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| rule"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").collect();
            assert_eq!(cells.len(), 3, "malformed index row {l:?}");
            (
                cells[0].trim().to_string(),
                code(cells[1]).expect("file in backticks").to_string(),
                code(cells[2]).expect("code in backticks").to_string(),
            )
        })
        .collect()
}

#[test]
fn every_indexed_rule_is_still_enforced_where_the_index_says() {
    let rows = index_rows(&read("ARCHITECTURE.md"));
    assert!(rows.len() >= 15, "only {} rows in the index", rows.len());
    for (rule, file, needle) in rows {
        let text = read(&file);
        assert!(
            text.contains(&needle),
            "{rule}: {file} no longer contains `{needle}`"
        );
    }
}

/// Backticked words that look like repository paths (`dir/…/file.ext`).
fn named_paths(doc: &str) -> Vec<String> {
    let roots = [
        "shared/",
        "broker/",
        "vault-proc/",
        "dns-proc/",
        "ui-bridge/",
        "tests/",
        "scripts/",
        "docs/",
    ];
    doc.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| roots.iter().any(|r| w.starts_with(r)))
        .filter(|w| !w.contains(char::is_whitespace) && !w.contains('*') && !w.contains('<'))
        .map(|w| w.trim_end_matches('/').to_string())
        .collect()
}

#[test]
fn every_path_the_docs_name_exists() {
    let mut checked = 0;
    for doc in ["ARCHITECTURE.md", "docs/security.md"] {
        for path in named_paths(&read(doc)) {
            assert!(
                repo().join(&path).exists(),
                "{doc} names {path}, which does not exist"
            );
            checked += 1;
        }
    }
    // Method check: the scan found the paths these documents are built on.
    assert!(checked >= 20, "only {checked} paths found");
}
