//! The core's modules form layers (the list under "Layers" in `src/lib.rs`): every `crate::…`/`super::…`
//! path in a module names a module of a lower layer, or a sibling of the same layer inside the same
//! directory module, and the module graph has no cycle. Test-only code (a `#[cfg(test)]` item at column 0,
//! the unit-test modules) is not part of the layering.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every module file as (`a::b` path, source text before the first column-0 `#[cfg(test)]`), `lib.rs`
/// excluded (the crate root only declares modules and constants).
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(stem);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut name = prefix.to_vec();
                if stem != "mod" {
                    name.push(stem);
                }
                if name.is_empty() || name == ["lib"] {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("\n#[cfg(test)]").next().unwrap_or_default();
                out.insert(name.join("::"), code.to_owned());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src_dir(), &[], &mut out);
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The `::`-separated identifiers after `at` in `line` (`crate::a::b::{c, d}` → `a`, `b`).
fn segments_after(line: &str, at: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = &line[at..];
    while let Some(tail) = rest.strip_prefix("::") {
        let len = tail.bytes().take_while(|b| is_ident(*b)).count();
        if len == 0 {
            break;
        }
        out.push(tail[..len].to_owned());
        rest = &tail[len..];
    }
    out
}

/// Where `word` starts as a whole identifier in `line`, not as the tail of a longer path (`x::word`).
fn word_starts(line: &str, word: &str) -> Vec<usize> {
    line.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = &line.as_bytes()[..i];
            let after = line.as_bytes().get(i + word.len());
            !before.last().is_some_and(|b| is_ident(*b) || *b == b':')
                && !after.is_some_and(|b| is_ident(*b))
        })
        .collect()
}

/// The modules `module` uses: `crate::` and `super::` paths resolved to the longest module they name, and
/// in a directory module's `mod.rs` its children named by relative paths (`key::parse_jwt_key`).
fn edges(module: &str, code: &str, all: &BTreeMap<String, String>) -> BTreeSet<String> {
    let own: Vec<String> = module.split("::").map(str::to_owned).collect();
    let is_dir = all.keys().any(|m| m.starts_with(&format!("{module}::")));
    let resolve = |segs: &[String]| -> Option<String> {
        (1..=segs.len())
            .rev()
            .map(|n| segs[..n].join("::"))
            .find(|m| all.contains_key(m))
    };
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut targets = Vec::new();
        // Paths only: `pub(crate)` and `pub(super)` are not uses.
        for at in word_starts(line, "crate") {
            targets.push(segments_after(line, at + "crate".len()));
        }
        for at in word_starts(line, "super") {
            let segments = segments_after(line, at + "super".len());
            if !segments.is_empty() {
                // `super` of `a::b` is `a`, whether `a::b` is a file or a directory module.
                targets.push([&own[..own.len() - 1], segments.as_slice()].concat());
            }
        }
        if is_dir {
            let children = all
                .keys()
                .filter_map(|m| m.strip_prefix(&format!("{module}::")));
            for child in children.filter(|c| !c.contains("::")) {
                let named = word_starts(line, child)
                    .into_iter()
                    .any(|i| line[i + child.len()..].starts_with("::"));
                if named {
                    targets.push([own.as_slice(), &[child.to_owned()]].concat());
                }
            }
        }
        for segs in targets {
            if let Some(target) = resolve(&segs) {
                if target != module {
                    out.insert(target);
                }
            }
        }
    }
    out
}

/// The layers of `src/lib.rs`, bottom first: the backquoted module names before the `: ` of each numbered
/// line under `## Layers`.
fn documented_layers() -> Vec<Vec<String>> {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    let section = lib
        .split("//! ## Layers")
        .nth(1)
        .expect("src/lib.rs has a `## Layers` section");
    let mut layers = Vec::new();
    for line in section.lines().skip(1).take_while(|l| l.starts_with("//!")) {
        let text = line.trim_start_matches("//!").trim_start();
        let Some((number, rest)) = text.split_once(". ") else {
            continue;
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        assert_eq!(
            number.parse::<usize>().unwrap(),
            layers.len() + 1,
            "layer numbering: {text}"
        );
        let names = rest.split(": ").next().unwrap_or_default();
        let layer: Vec<String> = names
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        assert!(!layer.is_empty(), "a layer without modules: {text}");
        layers.push(layer);
    }
    layers
}

/// A module's layer: its own entry, else its directory module's.
fn layer_of(module: &str, layers: &[Vec<String>]) -> usize {
    let mut name = module;
    loop {
        if let Some(i) = layers.iter().position(|l| l.iter().any(|m| m == name)) {
            return i;
        }
        match name.rsplit_once("::") {
            Some((parent, _)) => name = parent,
            None => panic!("module `{module}` is in no layer of src/lib.rs"),
        }
    }
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn every_use_points_to_a_lower_layer() {
    let all = modules();
    let layers = documented_layers();
    for name in layers.iter().flatten() {
        assert!(
            all.contains_key(name),
            "src/lib.rs lists `{name}`, which is not a module"
        );
    }
    let mut wrong = Vec::new();
    for (module, code) in &all {
        let from = layer_of(module, &layers);
        for target in edges(module, code, &all) {
            let to = layer_of(&target, &layers);
            let sibling = to == from && top(&target) == top(module);
            if to > from || (to == from && !sibling) {
                wrong.push(format!(
                    "{module} (layer {}) uses {target} (layer {})",
                    from + 1,
                    to + 1
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers of src/lib.rs:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let all = modules();
    let graph: BTreeMap<&str, BTreeSet<String>> = all
        .iter()
        .map(|(m, code)| (m.as_str(), edges(m, code, &all)))
        .collect();
    // Depth-first search; `path` is the current chain, so a back edge shows the whole cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(start) = path.iter().position(|p| *p == m) {
            panic!("import cycle: {} -> {m}", path[start..].join(" -> "));
        }
        path.push(m);
        for next in &graph[m] {
            visit(next, graph, done, path);
        }
        path.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut done, &mut Vec::new());
    }
    // The scan sees the real imports (a cycle-free graph with no edges would prove nothing).
    assert!(graph["m2m"].contains("http") && graph["http"].contains("config"));
    assert!(graph["jwks"].contains("jwks::cache"), "mod.rs children");
    assert!(graph["jwks::cache"].contains("jwks::key"), "super:: paths");
}
