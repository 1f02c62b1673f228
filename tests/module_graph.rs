//! The files of each crate import one another without a cycle (issue 17): a module's
//! `crate::` and `super::` paths (outside comments and the test module) are its edges, each
//! resolved to the longest path that is a file of the crate. A child naming its own parent
//! module is not an edge (the parent declares the child).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every `.rs` file under `src`, by module path (`a/mod.rs` and `a.rs` are both `a`).
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: Module = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    module.pop();
                }
                found.insert(module, path);
            }
        }
    }
    found
}

/// The code of `path` before its `#[cfg(test)]` module, without comment lines.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Paths written as `crate::a::b` or `super::a`, and the items of `crate::a::{b, c}`, as
/// absolute segment lists.
fn paths(code: &str, module: &Module) -> Vec<Module> {
    let mut out = Vec::new();
    for (start, root) in code.match_indices("crate::").map(|(i, _)| (i, "crate")).chain(code.match_indices("super::").map(|(i, _)| (i, "super"))) {
        if start > 0 && code.as_bytes()[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &code[start + root.len() + 2..];
        let mut base: Module = if root == "crate" { Vec::new() } else { module[..module.len().saturating_sub(1)].to_vec() };
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        base.extend(rest[..end].split("::").filter(|s| !s.is_empty()).map(str::to_string));
        if rest[end..].starts_with('{') {
            let group = &rest[end + 1..rest[end..].find('}').map_or(rest.len(), |j| end + j)];
            for item in group.split(',') {
                let head = item.trim().split("::").next().unwrap_or_default().split(' ').next().unwrap_or_default();
                let mut path = base.clone();
                path.push(head.to_string());
                out.push(path);
            }
        }
        out.push(base);
    }
    out
}

/// A cycle in `edges`, as the modules along it, if there is one.
fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(node: &Module, edges: &BTreeMap<Module, BTreeSet<Module>>, state: &mut BTreeMap<Module, bool>, stack: &mut Vec<Module>) -> Option<Vec<Module>> {
        state.insert(node.clone(), false);
        stack.push(node.clone());
        for next in &edges[node] {
            match state.get(next) {
                Some(false) => {
                    let from = stack.iter().position(|m| m == next).unwrap();
                    return Some(stack[from..].iter().cloned().chain([next.clone()]).collect());
                }
                Some(true) => {}
                None => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.clone(), true);
        None
    }
    let mut state = BTreeMap::new();
    edges.keys().find_map(|node| if state.contains_key(node) { None } else { visit(node, edges, &mut state, &mut Vec::new()) })
}

fn edges_of(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let files = modules(src);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = files.keys().map(|m| (m.clone(), BTreeSet::new())).collect();
    for (module, path) in &files {
        for mut target in paths(&code(path), module) {
            while !target.is_empty() && !files.contains_key(&target) {
                target.pop();
            }
            let is_ancestor = target.len() < module.len() && module.starts_with(&target);
            if !target.is_empty() && &target != module && !is_ancestor {
                edges.get_mut(module).unwrap().insert(target);
            }
        }
    }
    edges
}

#[test]
fn no_crate_has_an_import_cycle_between_its_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![root.join("src")];
    sources.extend(std::fs::read_dir(root.join("crates")).unwrap().map(|e| e.unwrap().path().join("src")).filter(|p| p.is_dir()));
    let mut cycles = Vec::new();
    for src in &sources {
        if let Some(cycle) = find_cycle(&edges_of(src)) {
            cycles.push(format!("{}: {}", src.display(), cycle.iter().map(|m| m.join("/")).collect::<Vec<_>>().join(" -> ")));
        }
    }
    assert!(sources.len() > 5, "found only {sources:?}");
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_finder_sees_a_two_file_cycle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(dir.path().join("a.rs"), "use crate::b::thing;\n").unwrap();
    std::fs::write(dir.path().join("b.rs"), "use super::a::{other, more};\n// use crate::c;\n").unwrap();
    let cycle = find_cycle(&edges_of(dir.path())).expect("a -> b -> a");
    assert_eq!(cycle.len(), 3, "{cycle:?}");
    std::fs::write(dir.path().join("b.rs"), "// use super::a;\n#[cfg(test)]\nmod tests { use crate::a; }\n").unwrap();
    assert_eq!(find_cycle(&edges_of(dir.path())), None);
}
