//! The layer order of ARCHITECTURE.md, enforced: every `crate::<module>`
//! reference in the code under `src/` (single and grouped `use`
//! declarations, paths in expressions, `super::` chains that climb out of
//! a top-level module) must point to a module on a lower layer. Comments,
//! doc comments and string literals do not count; test modules inside
//! `src/` do.
//!
//! Also checked here: every top-level module is in the table, and no two
//! public types of the crate share a name.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers of ARCHITECTURE.md, lowest first. A module may use modules
/// on lower layers only: not its own layer's other modules, not higher
/// ones.
const LAYERS: &[(u32, &[&str])] = &[
    (0, &["time", "error", "xorshift", "sys"]),
    (1, &["frame", "audio"]),
    (2, &["codec"]),
    (3, &["mux", "preset"]),
    (4, &["video", "playlist", "decode"]),
    (5, &["ingest", "registry"]),
    (6, &["encode"]),
    (7, &["publish", "transcode"]),
    (8, &["job"]),
    (9, &["web"]),
];

/// Edges that run against the order on purpose: (file, target, why). Empty:
/// keep it so, and say why in ARCHITECTURE.md if one must be added.
const ALLOWED: &[(&str, &str, &str)] = &[];

fn layer_of(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(_, modules)| modules.contains(&module)).map(|(layer, _)| *layer)
}

// ---------------------------------------------------------------------------
// Source text without comments and literals
// ---------------------------------------------------------------------------

/// `src` with comments (line, block, doc), string and char literals
/// replaced by spaces, newlines kept, so offsets and line numbers stay.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank =
        |out: &mut Vec<u8>, bytes: &[u8]| out.extend(bytes.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }));
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            // Block comments nest in Rust.
            let (mut depth, mut j) = (0usize, 0usize);
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if !ident_before && raw_string_start(rest).is_some() {
            let (prefix, hashes) = raw_string_start(rest).unwrap();
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let body = prefix + hashes + 1;
            let end = find(&rest[body..], &close).map_or(rest.len(), |p| body + p + close.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'"' || (!ident_before && rest.starts_with(b"b\"")) {
            let start = if rest[0] == b'"' { 1 } else { 2 };
            let mut j = start;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'\'' && !ident_before {
            // A char literal ('x', '\n', '\u{..}', b'x'), or a lifetime.
            match char_literal_len(rest) {
                Some(len) => {
                    blank(&mut out, &rest[..len]);
                    i += len;
                }
                None => {
                    out.push(b'\'');
                    i += 1;
                }
            }
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `r"`, `r#"`, `br##"`, ...: the prefix length (`r` or `br`) and the
/// number of `#`.
fn raw_string_start(s: &[u8]) -> Option<(usize, usize)> {
    let prefix = if s.starts_with(b"br") {
        2
    } else if s.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = s[prefix..].iter().take_while(|&&c| c == b'#').count();
    (s.get(prefix + hashes) == Some(&b'"')).then_some((prefix, hashes))
}

/// Length of the char literal at the start of `s` (which starts with `'`),
/// or `None` for a lifetime or label.
fn char_literal_len(s: &[u8]) -> Option<usize> {
    if s.get(1) == Some(&b'\\') {
        let close = s[2..].iter().position(|&c| c == b'\'')?;
        return Some(2 + close + 1);
    }
    // One UTF-8 character (1 to 4 bytes), then the closing quote.
    let len = (1..=4).find(|&n| s.get(1..1 + n).is_some_and(|c| std::str::from_utf8(c).is_ok()))?;
    (s.get(1 + len) == Some(&b'\'')).then_some(len + 2)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------
// Edges
// ---------------------------------------------------------------------------

/// One reference from a file to a top-level module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge {
    /// Path relative to the crate root, e.g. `src/mux/boxes.rs`.
    file: String,
    line: usize,
    /// The file's top-level module.
    from: String,
    /// The module it names.
    to: String,
}

/// The module path of a file under `src/`: `src/mux/reader/codec.rs` is
/// `["mux", "reader", "codec"]`; `mod.rs` and `lib.rs` name their folder.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> =
        rel.iter().skip(1).map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Every top-level module `code` (a file whose module path is `path`)
/// names: through `crate::` (also inside grouped `use crate::{..}`) and
/// through `super::` chains that climb above the top-level module.
fn edges_in(file: &str, path: &[String], code: &str) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let line_of = |at: usize| code[..at].bytes().filter(|&c| c == b'\n').count() + 1;
    let ident_at =
        |at: usize| -> String { code[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let skip_ws = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    let mut found = Vec::new();
    // Inline `mod name {` blocks deepen the module path for `super::`.
    let mut inline: Vec<usize> = Vec::new(); // brace depth at which each inline mod opened
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if c == b'{' {
            depth += 1;
        } else if c == b'}' {
            depth = depth.saturating_sub(1);
            if inline.last() == Some(&depth) {
                inline.pop();
            }
        } else if word_start && code[i..].starts_with("mod ") {
            let name_at = skip_ws(i + 4);
            let name = ident_at(name_at);
            let after = skip_ws(name_at + name.len());
            if !name.is_empty() && bytes.get(after) == Some(&b'{') {
                inline.push(depth);
                depth += 1;
                i = after + 1;
                continue;
            }
        } else if word_start
            && code[i..].starts_with("crate")
            && !code[i + 5..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            let after = skip_ws(i + 5);
            if code[after..].starts_with("::") {
                let next = skip_ws(after + 2);
                if bytes.get(next) == Some(&b'{') {
                    // `crate::{a::.., b::{..}}`: the first segment of each item.
                    for (at, name) in group_heads(code, next) {
                        found.push((line_of(at), name));
                    }
                } else {
                    let name = ident_at(next);
                    if !name.is_empty() {
                        found.push((line_of(i), name));
                    }
                }
            }
        } else if word_start && code[i..].starts_with("super::") && (i < 2 || &code[i - 2..i] != "::") {
            // A chain `super::super::x` climbs one level per `super`.
            let mut at = i;
            let mut climbs = 0;
            while code[at..].starts_with("super::") {
                climbs += 1;
                at = skip_ws(at + 7);
            }
            let here = path.len() + inline.len();
            if climbs >= here {
                // Above the crate root is an error rustc reports; at the
                // root, the next segment is a top-level module.
                if bytes.get(at) == Some(&b'{') {
                    for (pos, name) in group_heads(code, at) {
                        found.push((line_of(pos), name));
                    }
                } else {
                    let name = ident_at(at);
                    if !name.is_empty() {
                        found.push((line_of(i), name));
                    }
                }
            }
            i = at;
            continue;
        }
        i += 1;
    }
    let _ = file;
    found
}

/// The first path segment of each item of the `{ .. }` group opening at
/// `open`, with its offset (nested groups are items' tails).
fn group_heads(code: &str, open: usize) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                depth += 1;
                if depth == 1 {
                    expect_head = true;
                }
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expect_head = true,
            c if depth == 1 && expect_head && (c.is_ascii_alphabetic() || c == b'_') => {
                let name: String = code[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                expect_head = false;
                if name != "self" {
                    heads.push((i, name.clone()));
                }
                i += name.len();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    heads
}

/// Every edge of the files under `src`.
fn edges(root: &Path) -> Vec<Edge> {
    let mut out = Vec::new();
    for file in rust_files(&root.join("src")) {
        let rel = file.strip_prefix(root).unwrap().to_path_buf();
        let path = module_path(&rel);
        let Some(from) = path.first().cloned() else { continue }; // lib.rs: the root declares modules only
        let code = code_only(&fs::read_to_string(&file).unwrap());
        let name = rel.to_string_lossy().replace('\\', "/");
        for (line, to) in edges_in(&name, &path, &code) {
            out.push(Edge { file: name.clone(), line, from: from.clone(), to });
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            files.push(p);
        }
    }
    files
}

/// The edges that break the order, as messages.
fn violations(edges: &[Edge]) -> Vec<String> {
    let mut out = Vec::new();
    for e in edges {
        if e.to == e.from {
            continue;
        }
        let (Some(from), to) = (layer_of(&e.from), layer_of(&e.to)) else {
            out.push(format!("{}:{} is in module {}, which the layer table does not list", e.file, e.line, e.from));
            continue;
        };
        let Some(to) = to else {
            // Not a module of ours (`crate::x` where x is an item of the
            // root, e.g. a macro): rustc checks those.
            continue;
        };
        if to >= from && !ALLOWED.iter().any(|(file, target, _)| *file == e.file && *target == e.to) {
            out.push(format!("{}:{} (layer {from}, {}) imports crate::{} (layer {to})", e.file, e.line, e.from, e.to));
        }
    }
    out
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_module_imports_its_own_layer_or_a_higher_one() {
    let edges = edges(&crate_root());
    assert!(edges.len() > 200, "only {} edges found: is the scanner blind?", edges.len());
    let bad = violations(&edges);
    assert!(bad.is_empty(), "{} edges break the layer order of ARCHITECTURE.md:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn every_top_level_module_is_in_the_table() {
    let root = crate_root();
    let lib = code_only(&fs::read_to_string(root.join("src/lib.rs")).unwrap());
    let mut declared = Vec::new();
    for line in lib.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "mod") {
            if let Some(name) = words.get(at + 1) {
                declared.push(name.trim_end_matches(';').to_string());
            }
        }
    }
    for entry in fs::read_dir(root.join("src")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().trim_end_matches(".rs").to_string();
        if name != "lib" && !declared.contains(&name) {
            declared.push(name);
        }
    }
    assert!(declared.len() >= 10, "{declared:?}");
    let missing: Vec<_> = declared.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        missing.is_empty(),
        "top-level modules missing from the layer table (tests/layers.rs, ARCHITECTURE.md): {missing:?}"
    );
}

/// The gate can fail: an upward edge in every form the scanner knows.
#[test]
fn the_checker_reports_upward_edges() {
    let src = r#"
//! use crate::publish::Nothing; (a doc comment: ignored)
use crate::time::Timestamp;
use crate::{
    frame::Size,
    transcode::{self, AudioTranscoder},
};
use super::super::registry::audio_encoder;
/* crate::web::x in a block comment */
fn f() -> &'static str {
    let _ = crate::playlist::hls::MediaPlaylist::new;
    let c = '"';
    "crate::ingest in a string"
}
mod tests {
    use super::super::super::decode::AudioDecoder;
}
"#;
    // As if in src/codec/aac.rs.
    let path = vec!["codec".to_string(), "aac".to_string()];
    let found: Vec<(usize, String)> = edges_in("src/codec/aac.rs", &path, &code_only(src));
    let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["time", "frame", "transcode", "registry", "playlist", "decode"], "{found:?}");
    let edges: Vec<Edge> = found
        .into_iter()
        .map(|(line, to)| Edge { file: "src/codec/aac.rs".into(), line, from: "codec".into(), to })
        .collect();
    let bad = violations(&edges);
    assert_eq!(
        bad,
        [
            "src/codec/aac.rs:6 (layer 2, codec) imports crate::transcode (layer 7)",
            "src/codec/aac.rs:8 (layer 2, codec) imports crate::registry (layer 5)",
            "src/codec/aac.rs:11 (layer 2, codec) imports crate::playlist (layer 4)",
            "src/codec/aac.rs:16 (layer 2, codec) imports crate::decode (layer 4)",
        ]
    );
    // From src/codec/aac.rs, `super::x` stays in codec and
    // `super::super::x` is the top-level module x. The same layer is
    // refused too, and so is a module the table does not list.
    let inside = edges_in("src/codec/aac.rs", &path, &code_only("use super::adts::AdtsFormat;"));
    assert!(inside.is_empty(), "{inside:?}");
    let same = [Edge { file: "src/mux/x.rs".into(), line: 1, from: "mux".into(), to: "preset".into() }];
    assert_eq!(violations(&same), ["src/mux/x.rs:1 (layer 3, mux) imports crate::preset (layer 3)"]);
    let unknown = [Edge { file: "src/attic/x.rs".into(), line: 2, from: "attic".into(), to: "time".into() }];
    assert_eq!(violations(&unknown).len(), 1);
}
// ---------------------------------------------------------------------------
// Public type names
// ---------------------------------------------------------------------------

/// `pub struct`, `pub enum`, `pub type`, `pub trait` and `pub union` names
/// of `code` (`pub(crate)` and narrower do not count), and the names that
/// its `macro_rules!` macros generate as `pub struct $name` / `pub enum
/// $name` from the first identifier of each call.
fn public_types(code: &str) -> Vec<(usize, String)> {
    let words: Vec<(usize, &str)> = words(code);
    let mut out = Vec::new();
    for win in words.windows(3) {
        let [(_, a), (_, b), (at, name)] = win else { continue };
        if *a == "pub" && matches!(*b, "struct" | "enum" | "type" | "trait" | "union") && !name.starts_with('$') {
            out.push((*at, name.to_string()));
        }
    }
    // Macros whose body declares `pub struct $x` or `pub enum $x`.
    let mut from = 0;
    while let Some(p) = code[from..].find("macro_rules!") {
        let start = from + p + "macro_rules!".len();
        let name = words.iter().find(|(at, _)| *at >= start).map(|(_, w)| *w).unwrap_or_default();
        let open = code[start..].find('{').map_or(code.len(), |o| start + o);
        let body = &code[open..matching_brace(code, open)];
        from = open + 1;
        if !(body.contains("pub struct $") || body.contains("pub enum $")) {
            continue;
        }
        let call = format!("{name}!(");
        let mut at = 0;
        while let Some(q) = code[at..].find(&call) {
            at += q + call.len();
            if let Some((pos, arg)) = words.iter().find(|(pos, _)| *pos >= at) {
                out.push((*pos, arg.to_string()));
            }
        }
    }
    out
}

/// The words (identifiers, `$` metavariables) of `code` with their offsets.
fn words(code: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices().chain(std::iter::once((code.len(), ' '))) {
        let word = c.is_alphanumeric() || c == '_' || c == '$';
        match (start, word) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push((s, &code[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Offset just past the brace that closes the one at `open`.
fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

#[test]
fn no_two_public_types_share_a_name() {
    let root = crate_root();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in rust_files(&root.join("src")) {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        // The bindings give JS classes the names of the core types they
        // wrap (`FramePipeline`, `DecodedFrame`, ...) on purpose.
        if rel.starts_with("src/web/") {
            continue;
        }
        let code = code_only(&fs::read_to_string(&file).unwrap());
        let mut names: Vec<String> = public_types(&code).into_iter().map(|(_, n)| n).collect();
        // The same name twice in one file: alternatives under `cfg`.
        names.sort();
        names.dedup();
        for name in names {
            seen.entry(name).or_default().push(rel.clone());
        }
    }
    assert!(seen.len() > 150, "only {} public types found", seen.len());
    let dups: Vec<String> = seen
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(n, files)| format!("{n}: {}", files.join(", ")))
        .collect();
    assert!(dups.is_empty(), "public type names defined more than once:\n{}", dups.join("\n"));
}

#[test]
fn the_type_scanner_sees_macro_generated_types() {
    let code = code_only(
        r#"
pub struct Plain;
pub(crate) struct Hidden;
macro_rules! auto_or {
    ($name:ident) => { pub enum $name { Auto } };
}
auto_or!(
    /// Docs.
    SampleRate
);
"#,
    );
    let names: Vec<String> = public_types(&code).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["Plain", "SampleRate"]);
}
