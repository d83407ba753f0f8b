//! `cairn report`: what an auditor opens. From the state at one point, its
//! stored versions and the verification of them, this crate renders the
//! inventory, the resource graph, the timeline of versions with each one's
//! attribute diff, what is known about drift, and the verification result:
//! as one self-contained HTML file, as Markdown, or as JSON.
//!
//! Secrets never reach a renderer: [`build`](build::build) masks every
//! value into the [`Report`] model first (see [`mask`]), and the finished
//! text is scanned for every secret before it is returned.

mod build;
pub mod graph;
pub mod html;
mod json;
pub mod layout;
mod markdown;
pub mod mask;
pub mod model;
mod svg;

pub use model::{Report, ReportInput, Verification, VersionCheck, VersionInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A masking rule missed a secret; the caller must write nothing.
    #[error("a sensitive value from the state would appear in the {0} report; nothing was written (this is a bug in cairn's masking: please report it, without the state)")]
    SecretInOutput(&'static str),
}

/// The masked report model (what `--format json` prints).
pub fn build(input: &ReportInput) -> Report {
    build::build(input).0
}

/// Renders the report, or refuses if any secret of the covered versions
/// would appear in it.
pub fn render(input: &ReportInput, format: Format) -> Result<String, ReportError> {
    let (report, secrets) = build::build(input);
    let (text, name) = match format {
        Format::Html => (html::render(&report), "HTML"),
        Format::Markdown => (markdown::render(&report), "Markdown"),
        Format::Json => (json::render(&report), "JSON"),
    };
    if secrets.leaked_in(&text) {
        return Err(ReportError::SecretInOutput(name));
    }
    Ok(text)
}
