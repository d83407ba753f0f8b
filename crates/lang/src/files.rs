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
