//! file, dirname, basename, abspath. Paths use `/` semantics (those of Go's
//! path/filepath on Unix, which Terraform's functions follow).

use std::path::Path;

use cairn_core::Value;

use crate::args::{Args, Fail};
use crate::Context;

/// Reads a text file through the caller's `FileSource`; relative paths are
/// relative to the stack or module directory, not the process's.
pub(crate) fn file(a: &mut Args, ctx: &Context) -> Result<Value, Fail> {
    let p = a.string(0)?;
    if p.is_empty() {
        return Err(Fail::at(0, "the path must not be empty").plain());
    }
    let path = Path::new(&p);
    let resolved = if path.is_absolute() {
        path.to_path_buf()
    } else {
        ctx.base_dir.join(path)
    };
    ctx.files
        .read(&resolved)
        .map(Value::String)
        .map_err(|e| Fail::at(0, format!("cannot read {}: {e}", resolved.display())))
}

pub(crate) fn dirname(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let p = a.string(0)?;
    let head = match p.rfind('/') {
        Some(i) => p.get(..=i).unwrap_or(""),
        None => "",
    };
    Ok(Value::String(clean(head)))
}

pub(crate) fn basename(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let p = a.string(0)?;
    if p.is_empty() {
        return Ok(Value::string("."));
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Value::string("/"));
    }
    let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
    Ok(Value::string(base))
}

/// Like Terraform's abspath, but a relative path is taken relative to the
/// stack directory (as file() reads it) rather than the process's working
/// directory, so the result does not depend on where cairn was started.
pub(crate) fn abspath(a: &mut Args, ctx: &Context) -> Result<Value, Fail> {
    let p = a.string(0)?;
    let path = Path::new(&p);
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let base = if ctx.base_dir.is_absolute() {
            ctx.base_dir.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| Fail::whole(format!("cannot determine the working directory: {e}")))?
                .join(ctx.base_dir)
        };
        base.join(path)
    };
    Ok(Value::String(clean(&joined.to_string_lossy())))
}

/// Go's `path.Clean`: collapses repeated slashes, drops `.`, resolves `..`
/// lexically, and never returns the empty string.
fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::clean;
    use crate::testutil::*;
    use crate::FileSource;
    use cairn_core::Value;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// Records every path asked for, as the real caller's cache does.
    struct Recording(Mutex<Vec<PathBuf>>);

    impl FileSource for Recording {
        fn read(&self, path: &Path) -> Result<String, String> {
            if let Ok(mut seen) = self.0.lock() {
                seen.push(path.to_path_buf());
            }
            Err("not here".to_string())
        }
    }

    #[test]
    fn file_reads_relative_to_the_stack_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("stack")).unwrap();
        std::fs::write(dir.path().join("stack/user_data.sh"), "#!/bin/sh\n").unwrap();
        let base = dir.path().join("stack");
        let got = run_in("file", vec![s("user_data.sh")], &base, &crate::DiskFiles).unwrap();
        assert_same(&got, &s("#!/bin/sh\n"));
        let abs = dir.path().join("stack/user_data.sh");
        let got = run_in(
            "file",
            vec![s(&abs.to_string_lossy())],
            Path::new("/nowhere"),
            &crate::DiskFiles,
        )
        .unwrap();
        assert_same(&got, &s("#!/bin/sh\n"));
    }

    #[test]
    fn file_errors_name_the_resolved_path() {
        let files = Recording(Mutex::new(Vec::new()));
        let e = run_in("file", vec![s("a/b.txt")], Path::new("/stacks/web"), &files).unwrap_err();
        assert_eq!(e.arg, Some(0));
        assert_eq!(e.message, "cannot read /stacks/web/a/b.txt: not here");
        assert_eq!(
            files.0.lock().unwrap().as_slice(),
            [PathBuf::from("/stacks/web/a/b.txt")]
        );
        let e = run_in("file", vec![s("")], Path::new("/"), &files).unwrap_err();
        assert_eq!(e.arg, Some(0));
        let e = run_in("file", vec![list(vec![])], Path::new("/"), &files).unwrap_err();
        assert!(e.message.contains("a string is required"), "{}", e.message);
    }

    #[test]
    fn dirname_and_basename_follow_go() {
        let cases = [
            ("foo/bar/baz.txt", "foo/bar", "baz.txt"),
            ("baz.txt", ".", "baz.txt"),
            ("/foo", "/", "foo"),
            ("foo/bar/", "foo/bar", "bar"),
            ("/", "/", "/"),
            ("", ".", "."),
            ("a//b/../c", "a", "c"),
        ];
        for (p, dir, base) in cases {
            assert_same(&ok("dirname", vec![s(p)]), &s(dir));
            assert_same(&ok("basename", vec![s(p)]), &s(base));
        }
        err_at(
            "dirname",
            vec![list(vec![])],
            Some(0),
            "a string is required",
        );
        err_at("basename", vec![Value::Null], Some(0), "must not be null");
    }

    #[test]
    fn abspath_resolves_against_the_stack_directory() {
        let got = run_in(
            "abspath",
            vec![s("../shared/./x")],
            Path::new("/stacks/web"),
            &crate::DiskFiles,
        )
        .unwrap();
        assert_same(&got, &s("/stacks/shared/x"));
        let got = run_in(
            "abspath",
            vec![s("/etc//hosts")],
            Path::new("/stacks"),
            &crate::DiskFiles,
        )
        .unwrap();
        assert_same(&got, &s("/etc/hosts"));
        err_at("abspath", vec![map(&[])], Some(0), "a string is required");
    }

    #[test]
    fn clean_is_lexical() {
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean("../../a"), "../../a");
        assert_eq!(clean("a/../.."), "..");
        assert_eq!(clean("./"), ".");
    }
}
