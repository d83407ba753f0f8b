//! Writing a conversion to OUT_DIR: all of it or nothing.

use std::path::{Component, Path};

use crate::{Conversion, ConvertError};

pub(crate) fn write(c: &Conversion, out_dir: &Path, partial: bool) -> Result<(), ConvertError> {
    // Every refusal comes before the first write, so a refused conversion
    // leaves nothing behind.
    if !c.problems.is_empty() && !partial {
        return Err(ConvertError::Problems(c.problems.len()));
    }
    if out_dir.exists() {
        let empty = std::fs::read_dir(out_dir)
            .map_err(|source| ConvertError::Io {
                path: out_dir.to_path_buf(),
                source,
            })?
            .next()
            .is_none();
        if !empty {
            return Err(ConvertError::OutDirNotEmpty(out_dir.to_path_buf()));
        }
    }
    for path in c.files.keys() {
        // The paths come from this crate, but a file must never land
        // outside OUT_DIR whatever a bug makes of them.
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(ConvertError::OutsideOutDir(path.clone()));
        }
    }
    for (rel, text) in &c.files {
        let path = out_dir.join(rel);
        let io = |source| ConvertError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, text).map_err(io)?;
    }
    Ok(())
}
