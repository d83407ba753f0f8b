//! `cairn fmt`: stack files in the canonical layout (see the cairn-fmt
//! crate for the rules), in place, or checked for CI.

use std::path::{Path, PathBuf};

use crate::exit;
use crate::report::Failure;

pub fn fmt(paths: &[PathBuf], recursive: bool, check: bool, diff: bool) -> Result<i32, Failure> {
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_file() {
            files.push(root.clone());
        } else if root.is_dir() {
            collect(root, recursive, &mut files);
        } else {
            return Err(Failure::Usage(format!(
                "{}: no such file or directory",
                root.display()
            )));
        }
    }
    files.sort();
    files.dedup();
    let (mut unformatted, mut failed) = (0, 0);
    for path in &files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
        let formatted = match cairn_fmt::format(&text) {
            Ok(f) => f,
            Err(e) => {
                let (line, col) = cairn_lang::source::line_col(&text, e.span.start);
                eprintln!("error: {}:{line}:{col}: {}", path.display(), e.message);
                failed += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if diff {
            let d = similar::TextDiff::from_lines(&text, &formatted);
            let name = path.display().to_string();
            out!("{}", d.unified_diff().header(&name, &name));
        }
        if check {
            if !diff {
                outln!("{}", path.display());
            }
            continue;
        }
        write_atomically(path, &formatted)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
        if !diff {
            outln!("{}", path.display());
        }
    }
    if failed > 0 {
        eprintln!("{failed} file(s) could not be read as TOML; they were left as they are.");
        return Ok(exit::ERROR);
    }
    if check && unformatted > 0 {
        eprintln!("{unformatted} of {} file(s) are not in the canonical layout; run `cairn fmt` to rewrite them.", files.len());
        return Ok(exit::CHANGES);
    }
    Ok(exit::OK)
}

/// A directory's `*.toml` files and its env files; with `recursive`, those
/// of every directory below (but hidden ones and build output).
fn collect(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = listing.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_file() && name.ends_with(".toml") {
            out.push(p);
        } else if p.is_dir()
            && !name.starts_with('.')
            && name != "target"
            && (recursive || name == "envs")
        {
            collect(&p, recursive, out);
        }
    }
}

/// The new text replaces the file in one step, keeping its permissions.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
