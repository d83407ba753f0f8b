//! `cairn convert`: a Terraform configuration (the `.tf` files of a root
//! module and of the local modules it calls, and its `.tfvars`) to cairn
//! stack files.
//!
//! Expressions are copied as their source text into `"${...}"` (cairn's
//! expression language is HCL's), literals become native TOML, and nested
//! blocks take the shape the cairn schema gives them. What has no cairn
//! equivalent is a [`Problem`] with its file, line and column; [`write`]
//! writes nothing while there are problems unless asked for a partial
//! conversion. Each module says which part of the mapping it owns.

mod blocks;
mod config;
mod expr;
mod problems;
mod tfvars;
mod toml_out;
mod tree;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cairn_core::provider::Registry;
use cairn_core::schema::Schema;
use cairn_core::Mode;

pub use problems::Problem;

/// Where the converter looks up resource and data source types: their
/// nested blocks' shapes and attributes. A provider [`Registry`] is one.
pub trait Schemas {
    fn resource(&self, type_name: &str) -> Option<&Schema>;
    fn data(&self, type_name: &str) -> Option<&Schema>;
}

impl Schemas for Registry {
    fn resource(&self, type_name: &str) -> Option<&Schema> {
        self.schema(Mode::Managed, type_name)
    }
    fn data(&self, type_name: &str) -> Option<&Schema> {
        self.schema(Mode::Data, type_name)
    }
}

/// The converted configuration, not yet written.
#[derive(Debug, Default)]
pub struct Conversion {
    /// Path relative to OUT_DIR -> content: stack files (formatted as
    /// `cairn fmt` does), the env and variables files, and copied files
    /// (templates).
    pub files: BTreeMap<PathBuf, String>,
    /// What was not converted.
    pub problems: Vec<Problem>,
    /// What changed on the way and what to do about it (state key moved,
    /// settings dropped, how to pass the variables files).
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error(
        "{0} constructs could not be converted; nothing was written (--partial writes the rest)"
    )]
    Problems(usize),
    #[error("{} is not empty; convert into a new or empty directory", .0.display())]
    OutDirNotEmpty(PathBuf),
    #[error("refusing to write {} outside the output directory", .0.display())]
    OutsideOutDir(PathBuf),
    #[error("internal error: the converted {} is not valid TOML: {message}", path.display())]
    Format { path: PathBuf, message: String },
}

/// Converts the Terraform configuration in `tf_dir`. Reads files only; the
/// result says what would be written and what could not be converted.
pub fn convert(tf_dir: &Path, schemas: &dyn Schemas) -> Result<Conversion, ConvertError> {
    tree::convert(tf_dir, schemas)
}

/// Writes a conversion into `out_dir`, which must be new or empty. With
/// problems, writes nothing unless `partial`.
pub fn write(conversion: &Conversion, out_dir: &Path, partial: bool) -> Result<(), ConvertError> {
    write::write(conversion, out_dir, partial)
}
