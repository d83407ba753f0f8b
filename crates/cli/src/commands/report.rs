//! `cairn report`: gathers the state at one point, every stored version up
//! to it and the verification of the stored history, and hands them to
//! cairn-report, which masks and renders. Reads only: no lock.

use std::path::Path;

use futures::stream::{self, StreamExt, TryStreamExt};

use cairn_report::{Format, ReportInput, VersionInput};
use cairn_state::{Backend, StateDocument, StoredVersion};

use crate::args::{ReportFormat, StackArgs};
use crate::exit;
use crate::report::Failure;
use crate::workspace;

/// How many versions are fetched at once.
const CONCURRENT_READS: usize = 8;

pub async fn report(
    args: &StackArgs,
    version: Option<&str>,
    at: Option<&str>,
    out: Option<&Path>,
    format: ReportFormat,
) -> Result<i32, Failure> {
    // Parsed first: a mistyped time should fail before any read.
    let at = at.map(parse_time).transpose()?;
    let ws = workspace::load(args)?;
    // Secrets stay sealed: an auditor needs no decryption rights.
    let backend = workspace::backend_reading(&ws.stack, cairn_state::Reading::Masked)?;
    let (versions, warning) = stored_versions(backend.as_ref()).await?;

    let (state, version_id, history, later, selected_by) = if let Some(v) = version {
        match versions.iter().position(|(sv, _)| sv.id == v) {
            Some(i) => point(versions, i, format!("version {v}")),
            // An id the list does not spell this way (the local backend's
            // full hash): read it, with no history around it.
            None => {
                let doc = backend.read_version(v).await?;
                (
                    doc,
                    Some(v.to_string()),
                    Vec::new(),
                    0,
                    format!("version {v}"),
                )
            }
        }
    } else if let Some((text, t)) = at {
        let i = versions
            .iter()
            .rposition(|(sv, doc)| stored_at(sv, doc).is_some_and(|s| s <= t))
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "no version of the state at {} was stored at or before {text}{}",
                    backend.location(),
                    versions
                        .first()
                        .and_then(|(sv, d)| stored_at(sv, d))
                        .map(|t| format!(" (the oldest is from {})", rfc3339(t)))
                        .unwrap_or_default()
                ))
            })?;
        point(versions, i, format!("at {text}"))
    } else {
        let current = backend.read().await?.map(|v| v.doc).ok_or_else(|| {
            Failure::Usage(format!(
                "no state at {}: nothing to report",
                backend.location()
            ))
        })?;
        // The newest stored version is the current document.
        match versions.len().checked_sub(1) {
            Some(i) if versions[i].1.serial == current.serial => {
                point(versions, i, "current".into())
            }
            _ => {
                let history = to_inputs(versions);
                (current, None, history, 0, "current".into())
            }
        }
    };

    // The whole stored history is checked, not only up to the point: a
    // later rewrite matters to whoever reads an older point too.
    let (verification, verification_note) = match cairn_state::verify(backend.as_ref()).await {
        Ok(v) => (Some(verification(v)), None),
        Err(e) => (None, Some(e.to_string())),
    };

    let input = ReportInput {
        location: backend.location(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        cairn_version: env!("CARGO_PKG_VERSION").to_string(),
        selected_by,
        version_id,
        state,
        history,
        later_versions: later,
        history_warning: warning,
        verification,
        verification_note,
    };
    let format = match format {
        ReportFormat::Html => Format::Html,
        ReportFormat::Markdown => Format::Markdown,
        ReportFormat::Json => Format::Json,
    };
    let text = cairn_report::render(&input, format).map_err(|e| Failure::Usage(e.to_string()))?;
    match out {
        Some(path) => {
            // Readable by its owner only: the report holds no secret, but
            // it maps the whole estate.
            cairn_state::private::write(path, text.as_bytes())
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "Wrote the report of {} resource(s) and {} version(s) to {}.",
                input.state.resources.len(),
                input.history.len(),
                path.display()
            );
        }
        None => out!("{text}"),
    }
    Ok(exit::OK)
}

type Point = (
    StateDocument,
    Option<String>,
    Vec<VersionInput>,
    usize,
    String,
);

/// The state at `versions[i]`, the versions up to it, and how many follow.
fn point(
    mut versions: Vec<(StoredVersion, StateDocument)>,
    i: usize,
    selected_by: String,
) -> Point {
    let later = versions.len() - i - 1;
    versions.truncate(i + 1);
    let id = versions[i].0.id.clone();
    let state = versions[i].1.clone();
    (state, Some(id), to_inputs(versions), later, selected_by)
}

fn to_inputs(versions: Vec<(StoredVersion, StateDocument)>) -> Vec<VersionInput> {
    versions
        .into_iter()
        .map(|(sv, doc)| VersionInput {
            id: sv.id,
            stored: sv.stored,
            doc,
        })
        .collect()
}

/// Every stored version with its document, oldest first, and the
/// backend's note on completeness.
async fn stored_versions(
    backend: &dyn Backend,
) -> Result<(Vec<(StoredVersion, StateDocument)>, Option<String>), Failure> {
    let list = backend.versions().await?;
    let docs: Vec<StateDocument> = stream::iter(list.versions.iter())
        .map(|v| backend.read_version(&v.id))
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
    let mut pairs: Vec<(StoredVersion, StateDocument)> =
        list.versions.into_iter().zip(docs).collect();
    // Oldest first; within one second of the store's clock the lower
    // serial is the older (as `state history` orders them).
    pairs.sort_by(|(va, da), (vb, db)| va.stored.cmp(&vb.stored).then(da.serial.cmp(&db.serial)));
    Ok((pairs, list.warning))
}

type Time = chrono::DateTime<chrono::Utc>;

/// When a version was stored: the backend's time, else the writer's.
fn stored_at(sv: &StoredVersion, doc: &StateDocument) -> Option<Time> {
    sv.stored
        .as_deref()
        .or(doc.written_by.as_ref().map(|w| w.when.as_str()))
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn rfc3339(t: Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// RFC 3339, or a date: the end of that day in UTC, so `--at 2026-03-01`
/// is the state as that day left it.
fn parse_time(s: &str) -> Result<(String, Time), Failure> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok((s.to_string(), t.with_timezone(&chrono::Utc)));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| (s.to_string(), t.and_utc()))
        .ok_or_else(|| {
            Failure::Usage(format!(
                "`{s}` is not a time: use RFC 3339 (2026-03-01T12:00:00Z) or a date (2026-03-01)"
            ))
        })
}

fn verification(v: cairn_state::Verification) -> cairn_report::Verification {
    cairn_report::Verification {
        whole: v.whole,
        first_bad: v.first_bad,
        warning: v.warning,
        versions: v
            .versions
            .into_iter()
            .map(|c| cairn_report::VersionCheck {
                id: c.id,
                serial: c.serial,
                stored: c.stored,
                who: c.written_by.as_ref().map(|w| w.who.clone()),
                operation: c.written_by.as_ref().map(|w| w.operation.clone()),
                sha256: c.sha256,
                problems: c.problems,
                notes: c.notes,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_a_whole_day() {
        let (_, t) = parse_time("2026-03-01T12:00:00+01:00").ok().unwrap();
        assert_eq!(rfc3339(t), "2026-03-01T11:00:00Z");
        let (_, t) = parse_time("2026-03-01").ok().unwrap();
        assert_eq!(rfc3339(t), "2026-03-01T23:59:59Z");
        assert!(parse_time("yesterday").is_err());
    }
}
