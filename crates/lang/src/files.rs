//! Files read by `file()` and `templatefile()` while evaluating a stack,
//! kept so that a saved plan carries them and applies exactly what was
//! planned, and so that each file is read from disk once per run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct FileCache {
    read: Mutex<BTreeMap<PathBuf, Result<String, String>>>,
}

impl FileCache {
    /// Every file read successfully so far, by the path it was read at.
    pub fn files(&self) -> Vec<(PathBuf, String)> {
        self.read
            .lock()
            .map(|m| {
                m.iter()
                    .filter_map(|(p, r)| r.as_ref().ok().map(|t| (p.clone(), t.clone())))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl cairn_functions::FileSource for FileCache {
    fn read(&self, path: &Path) -> Result<String, String> {
        let Ok(mut m) = self.read.lock() else {
            return Err("the file cache is unusable after a panic".into());
        };
        m.entry(path.to_path_buf())
            .or_insert_with(|| {
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read `{}`: {e}", path.display()))
            })
            .clone()
    }
}

/// `path.module`, `path.root` and `path.cwd`. Relative paths in `file()`
/// and `templatefile()` start from the module's directory, so `path.module`
/// is `.` and `path.root` is the stack directory as seen from the module:
/// both keep working when joined (`"${path.module}/user-data.sh"`), and
/// neither puts a machine's absolute path into plans or state.
pub fn path_value(
    which: &crate::expr::Subject,
    module_dir: &Path,
    root_dir: &Path,
) -> Option<cairn_core::Value> {
    use crate::expr::Subject;
    let text = match which {
        Subject::PathModule => ".".to_string(),
        Subject::PathRoot => relative(module_dir, root_dir),
        Subject::PathCwd => std::env::current_dir().ok()?.display().to_string(),
        _ => return None,
    };
    Some(cairn_core::Value::String(text))
}

/// `to` as a path relative to `from` (both directories).
fn relative(from: &Path, to: &Path) -> String {
    let (Ok(from), Ok(to)) = (std::fs::canonicalize(from), std::fs::canonicalize(to)) else {
        return to.display().to_string();
    };
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in from.components().skip(common) {
        out.push("..");
    }
    for c in to.components().skip(common) {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.display().to_string()
    }
}
