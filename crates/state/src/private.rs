//! Files that hold state, plans or what maps an estate: created readable by
//! their owner only (0600), in directories created 0700, from the moment
//! they exist (no window with wider permissions). Elsewhere than Unix the
//! platform's defaults apply.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Creates `dir` and its missing parents, each 0700 (existing ones keep
/// their mode).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Opens `path` for writing with `options`, 0600; an existing file is
/// narrowed to 0600 too.
pub fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let f = options.open(path)?;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}

/// Writes `bytes` to `path` (created or truncated, 0600), its directory
/// created 0700 if missing, and syncs it.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    let mut f = open(
        path,
        OpenOptions::new().write(true).create(true).truncate(true),
    )?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// A warning when `path` exists and its group or others may read or write
/// it, naming the file and the fix.
pub fn loose_permissions(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} is readable by others (mode {mode:04o}) and state holds secrets: run `chmod 600 {}` (cairn writes it 0600 from the next write on)",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_0600_in_directories_made_0700() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b/state.json");
        write(&file, b"{}").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        assert!(loose_permissions(&file).is_none());
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        let warning = loose_permissions(&file).unwrap();
        assert!(
            warning.contains("chmod 600") && warning.contains("0644"),
            "{warning}"
        );
        write(&file, b"{}").unwrap();
        assert_eq!(mode(&file), 0o600, "a rewrite narrows it");
    }
}
