//! Holds the core to the layer order stated in `ssr/mod.rs`: reads every
//! source file of `src/ssr`, collects the modules each one names
//! (`crate::ssr::…` and `super::…` paths), and checks that every import points
//! down the layers and that no files import each other in a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first (see `ssr/mod.rs`).
const LAYERS: [&str; 8] = [
    "db", "auth", "stream", "notify", "webhooks", "actions", "demo", "web",
];

/// Parts of the app the core must never use: they are built on top of it.
const ABOVE_THE_CORE: [&str; 4] = ["crate::api", "crate::pages", "crate::components", "crate::live"];

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src/ssr")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// `src/ssr/stream/feed.rs` → ["stream", "feed"]; `src/ssr/stream/mod.rs` → ["stream"].
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(root).expect("under src/ssr").with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The paths a file names, from `crate::ssr::` (absolute) or `super::`
/// (relative to its parent module), as module segments below `ssr`. Group
/// imports (`{a, b::c}`) are expanded one level deep.
fn named_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let code = code_of(text);
    let mut paths = Vec::new();
    // `super` is the parent of the file's module (for `a/mod.rs` too).
    let parent = module[..module.len().saturating_sub(1)].to_vec();
    for (prefix, base) in [("crate::ssr::", Vec::new()), ("super::", parent)] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let preceded_by_ident = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            rest = &rest[at + prefix.len()..];
            if preceded_by_ident {
                continue;
            }
            let (head, tail) = split_path(rest);
            let mut path = base.clone();
            path.extend(head.iter().cloned());
            if let Some(group) = tail.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for entry in group[..end].split(',') {
                    let (inner, _) = split_path(entry.trim());
                    let mut full = path.clone();
                    full.extend(inner);
                    paths.push(full);
                }
            } else {
                paths.push(path);
            }
        }
    }
    paths
}

/// The source without its comment lines (docs may name anything).
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Leading `ident::ident::…` segments, and what follows them.
fn split_path(text: &str) -> (Vec<String>, &str) {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segments.push(rest[..end].to_owned());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    (segments, rest)
}

type Module = Vec<String>;
type Edges = BTreeMap<Module, BTreeSet<Module>>;

#[test]
fn imports_point_down_the_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ssr");
    let mut files = Vec::new();
    source_files(&root, &mut files);
    let modules: BTreeMap<Module, PathBuf> = files.iter().map(|f| (module_of(&root, f), f.clone())).collect();

    let mut edges = Edges::new();
    let mut wrong = Vec::new();
    for (module, file) in &modules {
        if module.is_empty() || module[0] == "layers" {
            continue;
        }
        let text = code_of(&std::fs::read_to_string(file).expect("read source"));
        for above in ABOVE_THE_CORE {
            if text.contains(above) {
                wrong.push(format!(
                    "{} uses {above}, which is built on the core",
                    file.display()
                ));
            }
        }
        for target in imported_modules(&text, module, &modules) {
            if let Some(problem) = layer_problem(module, &target) {
                wrong.push(problem);
            }
            edges.entry(module.clone()).or_default().insert(target);
        }
    }
    wrong.extend(cycles(&edges).into_iter().map(|c| format!("import cycle: {c}")));

    let found: usize = edges.values().map(BTreeSet::len).sum();
    assert!(
        found >= 40,
        "the scan found too few imports ({found}) to be working: {edges:?}"
    );
    assert!(
        wrong.is_empty(),
        "the core's layering is broken:\n{}",
        wrong.join("\n")
    );
}

/// The core's files that `module` names, directly or through a module alias
/// (`use crate::ssr::db;` then `db::users::find(…)`).
fn imported_modules(text: &str, module: &[String], modules: &BTreeMap<Module, PathBuf>) -> BTreeSet<Module> {
    let mut paths = named_paths(text, module);
    let aliased: Vec<Module> = paths
        .iter()
        .filter(|path| modules.contains_key(*path))
        .flat_map(|module_path| {
            let alias = format!("{}::", module_path.last().map_or("", String::as_str));
            let mut found = Vec::new();
            let mut rest = text;
            while let Some(at) = rest.find(&alias) {
                let free = !rest[..at]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
                rest = &rest[at + alias.len()..];
                if free {
                    let mut full = module_path.clone();
                    full.extend(split_path(rest).0);
                    found.push(full);
                }
            }
            found
        })
        .collect();
    paths.extend(aliased);
    paths
        .into_iter()
        // The longest prefix of the path that is a file of the core.
        .filter_map(|path| {
            (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| modules.contains_key(prefix))
        })
        .filter(|target| !module.starts_with(target))
        .collect()
}

/// Why `module` may not use `target`, if it may not.
fn layer_problem(module: &Module, target: &Module) -> Option<String> {
    let layer = |m: &Module| LAYERS.iter().position(|l| *l == m[0]);
    match (layer(module), layer(target)) {
        (Some(from), Some(to)) if to > from => Some(format!(
            "{} ({}) uses {} ({}), a higher layer",
            module.join("::"),
            LAYERS[from],
            target.join("::"),
            LAYERS[to]
        )),
        (None, _) | (_, None) => Some(format!(
            "{} or {} is in no layer: add it to LAYERS and to ssr/mod.rs",
            module.join("::"),
            target.join("::")
        )),
        _ => None,
    }
}

/// Import cycles between files, by depth-first search.
fn cycles(edges: &Edges) -> Vec<String> {
    fn visit(
        node: &Module,
        edges: &Edges,
        trail: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
        found: &mut Vec<String>,
    ) {
        if let Some(at) = trail.iter().position(|n| n == node) {
            let cycle: Vec<String> = trail[at..].iter().chain([node]).map(|m| m.join("::")).collect();
            found.push(cycle.join(" -> "));
            return;
        }
        if !done.insert(node.clone()) {
            return;
        }
        trail.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, trail, done, found);
        }
        trail.pop();
    }
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for node in edges.keys() {
        visit(node, edges, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn the_scan_sees_absolute_relative_and_grouped_imports() {
    let module = vec!["stream".to_owned(), "feed".to_owned()];
    let text = "use crate::ssr::{db, auth::policy};\nuse super::hub::Hub;\n// use crate::ssr::web;\n";
    let paths = named_paths(text, &module);
    assert!(paths.contains(&vec!["db".to_owned()]));
    assert!(paths.contains(&vec!["auth".to_owned(), "policy".to_owned()]));
    assert!(paths.contains(&vec!["stream".to_owned(), "hub".to_owned(), "Hub".to_owned()]));
    assert!(
        !paths.iter().any(|p| p.first().is_some_and(|s| s == "web")),
        "comments are ignored"
    );
}
