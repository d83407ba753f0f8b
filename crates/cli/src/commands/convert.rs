//! `cairn convert TF_DIR OUT_DIR`: a Terraform configuration as cairn stack
//! files (the cairn-convert crate), checked against every resource type the
//! binary knows. Whatever does not convert is listed with its `.tf` file,
//! line and source, and nothing is written unless `--partial`.

use std::path::Path;

use cairn_convert::{ConvertError, Problem};

use crate::exit;
use crate::report::Failure;

pub fn convert(tf_dir: &Path, out_dir: &Path, partial: bool) -> Result<i32, Failure> {
    let registry = crate::workspace::registry(cairn_aws::AwsSettings::default());
    let conversion = cairn_convert::convert(tf_dir, &registry).map_err(usage)?;
    for problem in &conversion.problems {
        eprintln!("{}", render(tf_dir, problem));
    }
    match cairn_convert::write(&conversion, out_dir, partial) {
        Ok(()) => {}
        Err(ConvertError::Problems(n)) => {
            eprintln!(
                "{n} construct(s) cannot be converted; nothing was written to {} \
                 (`--partial` writes the rest, with a comment where each one stood)",
                out_dir.display()
            );
            return Ok(exit::ERROR);
        }
        Err(e) => return Err(usage(e)),
    }
    for note in &conversion.notes {
        outln!("note: {note}");
    }
    outln!(
        "Converted {} into {} file(s) in {}.",
        tf_dir.display(),
        conversion.files.len(),
        out_dir.display()
    );
    outln!(
        "Next: `cairn validate -C {0}`, then `cairn migrate --from-terraform` to carry the state over.",
        out_dir.display()
    );
    Ok(if conversion.problems.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}

/// `error: <construct>: <why>` at the `.tf` file, line and column, with the
/// source line, the way stack file errors look.
fn render(tf_dir: &Path, p: &Problem) -> String {
    let path = tf_dir.join(&p.file);
    let line = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| {
            text.lines()
                .nth(p.line.saturating_sub(1))
                .map(str::to_string)
        })
        .unwrap_or_default();
    let gutter = p.line.to_string().len();
    format!(
        "error: {}: {}\n{:gutter$}--> {}:{}:{}\n{:gutter$} |\n{} | {}\n{:gutter$} | {}^\n",
        p.construct,
        p.why,
        "",
        path.display(),
        p.line,
        p.column,
        "",
        p.line,
        line,
        "",
        " ".repeat(p.column.saturating_sub(1)),
    )
}

fn usage(e: ConvertError) -> Failure {
    Failure::Usage(e.to_string())
}
