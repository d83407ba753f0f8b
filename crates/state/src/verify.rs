//! `state verify`: is the stored history the one cairn wrote?
//!
//! Every version records `previous_sha256`, the SHA-256 of the exact stored
//! bytes of the version it replaced (set by each backend's `write`). Walking
//! the stored versions oldest first, each must link to the one stored before
//! it, carry the checksum cairn stored beside it (S3), parse, be exactly what
//! cairn serialises, keep the lineage and add one to the serial. What each
//! finding means is in docs/state.md ("Verifying the history").
//!
//! The chain makes rewriting, removing or reordering stored versions
//! detectable; it cannot tell a forged *newest* version from a real one
//! written by someone with write access who links it correctly (no secret
//! is involved): S3 object lock and access control cover that.

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::backend::{Backend, RawVersion, StateError, StoredVersion};
use crate::document::{sha256_hex, StateDocument, WrittenBy};

/// How many versions are fetched at once.
const CONCURRENT_READS: usize = 8;

/// The whole history's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// No version has a problem.
    pub whole: bool,
    /// The id of the oldest version with a problem.
    pub first_bad: Option<String>,
    /// Oldest first, in the order the backend stored them.
    pub versions: Vec<VersionCheck>,
    /// The backend's note on how complete its history is (e.g. bucket
    /// versioning off, or the local file keeping one version).
    pub warning: Option<String>,
    /// Where the state lives (`s3://bucket/key`, a file path).
    pub location: String,
}

/// One stored version and what is wrong with it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionCheck {
    /// The backend's version id (the S3 version id).
    pub id: String,
    /// `None` when the version does not parse.
    pub serial: Option<u64>,
    /// When the backend stored it (RFC 3339), if it knows.
    pub stored: Option<String>,
    pub written_by: Option<WrittenBy>,
    /// SHA-256 of its stored bytes, hex: what the next version must record.
    pub sha256: String,
    /// What it records as the digest of the version it replaced.
    pub previous_sha256: Option<String>,
    pub lineage: Option<String>,
    /// Human-readable findings that break the chain; empty when it is fine.
    pub problems: Vec<String>,
    /// One stable code per entry of `problems`, same order (see [`Problem`]).
    pub codes: Vec<&'static str>,
    /// Facts that are not problems: written before cairn kept the chain,
    /// a predecessor the backend does not keep.
    pub notes: Vec<String>,
}

/// A finding that breaks the chain. `code` is what scripts match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The backend keeps checksums but this version has none.
    NoChecksum,
    /// Its bytes do not match the checksum stored with it.
    ChecksumMismatch {
        stored: String,
    },
    /// Not UTF-8 or not a state document.
    Unreadable(String),
    /// Parses, but cairn would have written other bytes for it.
    NotCanonical,
    /// It links to a stored version other than its predecessor.
    Reordered {
        links_to: String,
    },
    /// It links to a digest no stored version has.
    Deleted {
        missing: String,
    },
    /// No link although the chain had begun before it.
    Unlinked,
    /// A copy of an earlier stored version's bytes.
    Copy {
        of: String,
    },
    SerialGap {
        before: u64,
        after: u64,
    },
    LineageChange {
        before: String,
        after: String,
    },
}

impl Problem {
    pub fn code(&self) -> &'static str {
        match self {
            Problem::NoChecksum => "no_checksum",
            Problem::ChecksumMismatch { .. } => "checksum_mismatch",
            Problem::Unreadable(_) => "unreadable",
            Problem::NotCanonical => "not_canonical",
            Problem::Reordered { .. } => "chain_break",
            Problem::Deleted { .. } => "deleted_version",
            Problem::Unlinked => "unlinked",
            Problem::Copy { .. } => "copy",
            Problem::SerialGap { .. } => "serial_gap",
            Problem::LineageChange { .. } => "lineage_change",
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NoChecksum => write!(
                f,
                "not written by cairn: it has no cairn-sha256 checksum beside it"
            ),
            Problem::ChecksumMismatch { stored } => write!(
                f,
                "edited outside cairn: its bytes do not match the cairn-sha256 checksum stored with it ({stored})"
            ),
            Problem::Unreadable(e) => write!(f, "not a state document: {e}"),
            Problem::NotCanonical => write!(
                f,
                "written or edited outside cairn: its bytes are not what cairn serialises for its content"
            ),
            Problem::Reordered { links_to } => write!(
                f,
                "chain break: it replaced version {links_to}, not the version stored before it (versions re-uploaded or reordered)"
            ),
            Problem::Deleted { missing } => write!(
                f,
                "chain break: the version it replaced (sha256 {missing}) is no longer stored (deleted)"
            ),
            Problem::Unlinked => write!(
                f,
                "chain break: it records no previous_sha256 although the versions before it do (written by an older cairn after a newer one, or outside cairn)"
            ),
            Problem::Copy { of } => write!(f, "a copy of the earlier version {of}"),
            Problem::SerialGap { before, after } => write!(
                f,
                "serial {after} follows serial {before} (expected {})",
                before + 1
            ),
            Problem::LineageChange { before, after } => write!(
                f,
                "lineage changes from {before} to {after}: another state was written over this one"
            ),
        }
    }
}

/// Reads every stored version's bytes and checks the chain.
pub async fn verify(backend: &dyn Backend) -> Result<Verification, StateError> {
    let list = backend.versions().await?;
    let raws: Vec<RawVersion> = stream::iter(list.versions.iter())
        .map(|v| backend.read_version_raw(&v.id))
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
    // Backends list newest first, in the order they stored the versions
    // (not by timestamp, which ties within a second): that storage order is
    // the one the chain must follow.
    let mut inputs: Vec<(StoredVersion, RawVersion)> =
        list.versions.into_iter().zip(raws).collect();
    inputs.reverse();
    let mut v = check(
        &inputs,
        Options {
            checksums: backend.keeps_checksums(),
            complete: list.complete,
        },
    );
    v.warning = list.warning;
    v.location = backend.location();
    Ok(v)
}

/// What the backend promises, which decides what a gap means.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Every version cairn writes has a checksum beside it.
    pub checksums: bool,
    /// Every version written is kept: a missing predecessor was deleted.
    pub complete: bool,
}

/// The chain check itself, on versions oldest first (no I/O).
pub fn check(versions: &[(StoredVersion, RawVersion)], opts: Options) -> Verification {
    struct Seen {
        id: String,
        sha256: String,
        doc: Option<StateDocument>,
    }
    let mut seen: Vec<Seen> = Vec::with_capacity(versions.len());
    let mut out = Vec::with_capacity(versions.len());
    // Whether a version of the current lineage already records a link:
    // from then on a version without one is a break, before it an older
    // cairn's history.
    let mut chain_started = false;
    for (stored, raw) in versions {
        let sha256 = sha256_hex(&raw.bytes);
        let mut problems = Vec::new();
        let mut notes = Vec::new();

        match &raw.checksum {
            Some(sum) if !sum.eq_ignore_ascii_case(&sha256) => {
                problems.push(Problem::ChecksumMismatch {
                    stored: sum.clone(),
                })
            }
            Some(_) => {}
            None if opts.checksums => problems.push(Problem::NoChecksum),
            None => {}
        }
        let doc = match std::str::from_utf8(&raw.bytes)
            .map_err(|e| e.to_string())
            .and_then(|t| StateDocument::from_json(t).map_err(|e| e.to_string()))
        {
            Ok(d) => {
                if d.to_json_pretty().as_bytes() != raw.bytes.as_slice() {
                    problems.push(Problem::NotCanonical);
                }
                Some(d)
            }
            Err(e) => {
                problems.push(Problem::Unreadable(e));
                None
            }
        };

        let prev = seen.last();
        if let (Some(d), Some(p)) = (&doc, prev.and_then(|p| p.doc.as_ref())) {
            if d.lineage != p.lineage {
                problems.push(Problem::LineageChange {
                    before: p.lineage.clone(),
                    after: d.lineage.clone(),
                });
                chain_started = false;
            } else if d.serial != p.serial + 1 {
                problems.push(Problem::SerialGap {
                    before: p.serial,
                    after: d.serial,
                });
            }
        }
        let new_lineage = problems
            .iter()
            .any(|p| matches!(p, Problem::LineageChange { .. }));
        let link = doc.as_ref().and_then(|d| d.previous_sha256.clone());
        // An unreadable version has no link to check: it is reported as
        // unreadable, not also as unlinked.
        let readable = doc.is_some();
        match (&link, prev) {
            _ if !readable => {}
            (Some(l), Some(p)) if *l == p.sha256 => {}
            (Some(l), _) => match seen.iter().find(|s| s.sha256 == *l) {
                Some(s) => problems.push(Problem::Reordered {
                    links_to: s.id.clone(),
                }),
                None if prev.is_some() || opts.complete => {
                    problems.push(Problem::Deleted { missing: l.clone() })
                }
                // The oldest kept version of a backend that keeps one.
                None => notes.push(format!(
                    "the version it replaced (sha256 {l}) is not kept by this backend"
                )),
            },
            // A new lineage starts without a link; that is reported above.
            (None, Some(_)) if new_lineage => {}
            (None, Some(_)) if chain_started => problems.push(Problem::Unlinked),
            (None, Some(_)) => notes.push(
                "written before cairn kept the hash chain (no previous_sha256): its link to the version before it cannot be checked".into(),
            ),
            (None, None) => {}
        }
        if link.is_some() {
            chain_started = true;
        }
        if let Some(s) = seen.iter().find(|s| s.sha256 == sha256) {
            problems.push(Problem::Copy { of: s.id.clone() });
        }

        out.push(VersionCheck {
            id: stored.id.clone(),
            serial: doc.as_ref().map(|d| d.serial),
            stored: stored.stored.clone(),
            written_by: doc.as_ref().and_then(|d| d.written_by.clone()),
            sha256: sha256.clone(),
            previous_sha256: link,
            lineage: doc.as_ref().map(|d| d.lineage.clone()),
            codes: problems.iter().map(Problem::code).collect(),
            problems: problems.iter().map(ToString::to_string).collect(),
            notes,
        });
        seen.push(Seen {
            id: stored.id.clone(),
            sha256,
            doc,
        });
    }
    let first_bad = out
        .iter()
        .find(|c| !c.problems.is_empty())
        .map(|c| c.id.clone());
    Verification {
        whole: first_bad.is_none(),
        first_bad,
        versions: out,
        warning: None,
        location: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S3: Options = Options {
        checksums: true,
        complete: true,
    };

    /// A history as cairn writes it: each version links to the bytes of
    /// the one before, with its checksum.
    fn chain(n: u64) -> Vec<(StoredVersion, RawVersion)> {
        let mut out: Vec<(StoredVersion, RawVersion)> = Vec::new();
        let mut doc = StateDocument::new("s", Some("e"));
        for serial in 1..=n {
            doc.serial = serial;
            doc.previous_sha256 = out.last().map(|(_, r)| sha256_hex(&r.bytes));
            out.push(version(&format!("v{serial}"), &doc));
        }
        out
    }

    fn version(id: &str, doc: &StateDocument) -> (StoredVersion, RawVersion) {
        raw(id, doc.to_json_pretty().into_bytes())
    }

    fn raw(id: &str, bytes: Vec<u8>) -> (StoredVersion, RawVersion) {
        let checksum = Some(sha256_hex(&bytes));
        (
            StoredVersion {
                id: id.into(),
                stored: None,
            },
            RawVersion { bytes, checksum },
        )
    }

    fn doc(v: &(StoredVersion, RawVersion)) -> StateDocument {
        StateDocument::from_json(std::str::from_utf8(&v.1.bytes).unwrap()).unwrap()
    }

    fn codes(v: &Verification, id: &str) -> Vec<&'static str> {
        v.versions
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .codes
            .clone()
    }

    #[test]
    fn an_untouched_chain_is_whole() {
        let v = check(&chain(4), S3);
        assert!(v.whole, "{v:#?}");
        assert_eq!(v.first_bad, None);
        assert_eq!(v.versions.len(), 4);
        assert_eq!(v.versions[0].previous_sha256, None);
        assert_eq!(
            v.versions[3].previous_sha256.as_deref(),
            Some(v.versions[2].sha256.as_str())
        );
    }

    #[test]
    fn an_edited_body_breaks_its_checksum_and_nothing_before_it() {
        let mut h = chain(4);
        let text = String::from_utf8(h[2].1.bytes.clone()).unwrap();
        h[2].1.bytes = text
            .replace("\"stack\": \"s\"", "\"stack\": \"x\"")
            .into_bytes();
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v3"));
        assert_eq!(codes(&v, "v3"), vec!["checksum_mismatch"]);
        // v4 links to v3's original bytes, which are no longer stored.
        assert_eq!(codes(&v, "v4"), vec!["deleted_version"]);
        assert!(codes(&v, "v1").is_empty() && codes(&v, "v2").is_empty());
    }

    #[test]
    fn a_new_version_not_written_by_cairn_is_named() {
        let mut h = chain(3);
        let mut forged = doc(&h[2]);
        forged.serial = 4;
        // Links to v2, as an edit of the stored document would.
        let (id, mut r) = version("v4", &forged);
        r.checksum = None;
        h.push((id, r));
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v4"));
        assert_eq!(codes(&v, "v4"), vec!["no_checksum", "chain_break"]);
    }

    #[test]
    fn a_forged_checksum_with_a_stale_link_is_a_chain_break() {
        let mut h = chain(3);
        let mut forged = doc(&h[2]);
        forged.serial = 4;
        h.push(version("v4", &forged));
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v4"));
        assert_eq!(codes(&v, "v4"), vec!["chain_break"]);
    }

    #[test]
    fn a_deleted_middle_version_is_detected_at_the_next() {
        let mut h = chain(4);
        h.remove(1);
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v3"));
        assert_eq!(codes(&v, "v3"), vec!["serial_gap", "deleted_version"]);
        assert!(v.versions[2].problems.is_empty());
    }

    #[test]
    fn deleted_oldest_versions_are_detected_where_history_is_complete() {
        let h: Vec<_> = chain(3).into_iter().skip(1).collect();
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v2"));
        assert_eq!(codes(&v, "v2"), vec!["deleted_version"]);
        // The local file keeps one version: its predecessor is expected to
        // be absent.
        let local = Options {
            checksums: false,
            complete: false,
        };
        let v = check(&h[1..], local);
        assert!(v.whole, "{v:#?}");
        assert_eq!(v.versions[0].notes.len(), 1);
    }

    #[test]
    fn an_old_version_uploaded_again_is_a_reorder_and_a_copy() {
        let mut h = chain(4);
        let again = raw("v5", h[1].1.bytes.clone());
        h.push(again);
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v5"));
        assert_eq!(codes(&v, "v5"), vec!["serial_gap", "chain_break", "copy"]);
        assert!(v.versions[4].problems[1].contains("v1"));
    }

    #[test]
    fn a_pre_chain_history_is_not_called_tampered() {
        let mut h = Vec::new();
        let mut d = StateDocument::new("s", None);
        for serial in 1..=3 {
            d.serial = serial;
            h.push(version(&format!("v{serial}"), &d));
        }
        // A chained cairn takes over: it links to the last old version.
        d.serial = 4;
        d.previous_sha256 = Some(sha256_hex(&h[2].1.bytes));
        h.push(version("v4", &d));
        let v = check(&h, S3);
        assert!(v.whole, "{v:#?}");
        assert!(v.versions[1].notes[0].contains("before cairn kept the hash chain"));
        assert!(v.versions[3].notes.is_empty());
        // After the chain began, a version without a link is a break.
        d.serial = 5;
        d.previous_sha256 = None;
        h.push(version("v5", &d));
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v5"));
        assert_eq!(codes(&v, "v5"), vec!["unlinked"]);
    }

    #[test]
    fn a_lineage_change_and_unreadable_or_reformatted_bytes_are_problems() {
        let mut h = chain(2);
        let other = StateDocument {
            serial: 1,
            ..StateDocument::new("s", Some("e"))
        };
        h.push(version("v3", &other));
        let v = check(&h, S3);
        assert_eq!(codes(&v, "v3"), vec!["lineage_change"]);

        let mut h = chain(2);
        let compact = serde_json::to_vec(&doc(&h[1])).unwrap();
        h[1] = raw("v2", compact);
        h.push(raw("v3", b"{ not json".to_vec()));
        let v = check(&h, S3);
        assert_eq!(v.first_bad.as_deref(), Some("v2"));
        assert_eq!(codes(&v, "v2"), vec!["not_canonical"]);
        assert_eq!(codes(&v, "v3"), vec!["unreadable"]);
    }
}
