//! What could not be converted, and where: each problem names the `.tf`
//! file, line and column, the construct and why.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A construct that has no cairn equivalent (or needs a person's choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The Terraform file, relative to the converted directory (a module
    /// outside it: with `../`).
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// What it is: `provisioner "local-exec"`, `function call lookup2`.
    pub construct: String,
    /// Why it was not converted, and what to do instead when there is a way.
    pub why: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.construct,
            self.why
        )
    }
}

/// One source file being converted: its text, for spans and slices, and
/// where its problems and notes go.
pub(crate) struct FileCx<'a> {
    pub src: &'a str,
    pub path: PathBuf,
    pub problems: &'a mut Vec<Problem>,
    pub notes: &'a mut Vec<String>,
    line_starts: Vec<usize>,
}

impl<'a> FileCx<'a> {
    pub(crate) fn new(
        src: &'a str,
        path: &Path,
        problems: &'a mut Vec<Problem>,
        notes: &'a mut Vec<String>,
    ) -> Self {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        FileCx {
            src,
            path: path.to_path_buf(),
            problems,
            notes,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .src
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    pub(crate) fn problem(
        &mut self,
        span: Option<Range<usize>>,
        construct: impl Into<String>,
        why: impl Into<String>,
    ) {
        let (line, column) = self.line_col(span.map_or(0, |s| s.start));
        self.problems.push(Problem {
            file: self.path.clone(),
            line,
            column,
            construct: construct.into(),
            why: why.into(),
        });
    }

    /// `main.tf:12`: for notes and the comments left where a construct was
    /// not converted.
    pub(crate) fn at(&self, span: Option<Range<usize>>) -> String {
        let (line, _) = self.line_col(span.map_or(0, |s| s.start));
        format!("{}:{line}", self.path.display())
    }

    pub(crate) fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The source text of a span.
    pub(crate) fn slice(&self, span: Option<Range<usize>>) -> &'a str {
        span.and_then(|s| self.src.get(s)).unwrap_or("")
    }
}
