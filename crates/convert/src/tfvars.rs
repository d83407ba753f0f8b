//! Variables files. What Terraform loads by itself (`terraform.tfvars`,
//! then `*.auto.tfvars` in name order) becomes the env file
//! `envs/default.toml`; any other `NAME.tfvars` becomes `vars/NAME.toml`
//! for `--var-file` (outside the stack directory's top level, where every
//! `.toml` is a stack file). JSON ones are copied as JSON var files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::template::Element;
use hcl_edit::Span;

use crate::problems::{FileCx, Problem};
use crate::toml_out::{self, Section, Val};
use crate::tree::relative;
use crate::ConvertError;

fn read(path: &Path) -> Result<String, ConvertError> {
    std::fs::read_to_string(path).map_err(|source| ConvertError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A variables file's values, in order; later files override earlier ones
/// key by key, as Terraform does.
fn values(
    root: &Path,
    path: &Path,
    declared: &BTreeSet<String>,
    into: &mut Vec<(String, Val)>,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let src = read(path)?;
    let display = relative(root, path);
    let body = match hcl_edit::parser::parse_body(&src) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem {
                file: display,
                line: e.location().line(),
                column: e.location().column(),
                construct: "HCL syntax".into(),
                why: e.message().to_string(),
            });
            return Ok(());
        }
    };
    let mut cx = FileCx::new(&src, &display, problems, notes);
    for a in body.attributes() {
        let key = a.key.as_str().to_string();
        if !declared.contains(&key) {
            let at = cx.at(a.key.span());
            cx.note(format!("{at}: `{key}` is not a declared variable: left out (cairn refuses undeclared names)"));
            continue;
        }
        if let Some(v) = literal(&mut cx, &a.value) {
            into.retain(|(k, _)| *k != key);
            into.push((key, v));
        }
    }
    for b in body.blocks() {
        cx.problem(
            b.ident.span(),
            format!("block {}", b.ident.as_str()),
            "a variables file holds values only",
        );
    }
    Ok(())
}

/// A value as data: variables files hold literals only, and their strings
/// are not templates in cairn (no `$${` escaping).
fn literal(cx: &mut FileCx, e: &Expression) -> Option<Val> {
    let refuse = |cx: &mut FileCx, why: &str| {
        cx.problem(e.span(), "value", why);
        None
    };
    Some(match e {
        Expression::Bool(b) => Val::Raw(b.value().to_string()),
        Expression::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Val::Raw(i.to_string()),
            (None, Some(f)) if f.is_finite() => Val::Raw(format!("{f:?}")),
            _ => return refuse(cx, "a number TOML cannot hold"),
        },
        Expression::String(s) => Val::Str(s.as_str().to_string()),
        Expression::HeredocTemplate(h) => {
            let mut s = String::new();
            for el in h.template.iter() {
                match el {
                    Element::Literal(l) => s.push_str(l.as_str()),
                    _ => return refuse(cx, "a variables file holds literal values only"),
                }
            }
            Val::Str(s)
        }
        Expression::Array(items) => Val::Array(
            items
                .iter()
                .map(|i| literal(cx, i))
                .collect::<Option<_>>()?,
        ),
        Expression::Object(obj) => {
            let mut t = Vec::new();
            for (k, v) in obj.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
                    ObjectKey::Expression(_) => {
                        return refuse(cx, "a variables file holds literal keys only")
                    }
                };
                t.push((key, literal(cx, v.expr())?));
            }
            Val::Table(t)
        }
        Expression::Null(_) => {
            return refuse(
                cx,
                "TOML has no null: leave the variable out to get its default",
            )
        }
        _ => return refuse(cx, "a variables file holds literal values only"),
    })
}

/// `terraform.tfvars` and `*.auto.tfvars` -> `envs/default.toml`.
pub(crate) fn default_env(
    root: &Path,
    auto: &[PathBuf],
    declared: &BTreeSet<String>,
    files: &mut BTreeMap<PathBuf, String>,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Result<(), ConvertError> {
    if auto.is_empty() {
        return Ok(());
    }
    // Terraform's order: terraform.tfvars first, then the rest by name.
    let mut ordered: Vec<&PathBuf> = auto.iter().collect();
    ordered.sort_by_key(|p| {
        (
            p.file_name().is_none_or(|n| n != "terraform.tfvars"),
            (*p).clone(),
        )
    });
    let mut vars = Vec::new();
    for p in ordered {
        values(root, p, declared, &mut vars, problems, notes)?;
    }
    let mut sec = Section::table(&["vars"]);
    sec.entries = vars;
    files.insert("envs/default.toml".into(), toml_out::document(&[sec]));
    Ok(())
}

/// Any other variables file -> `vars/NAME.toml` (JSON: `vars/NAME.json`,
/// as it is).
#[allow(clippy::too_many_arguments)]
pub(crate) fn var_file(
    root: &Path,
    path: &Path,
    rel: &Path,
    declared: &BTreeSet<String>,
    loaded: bool,
    files: &mut BTreeMap<PathBuf, String>,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let json = rel.to_string_lossy().ends_with(".json");
    // `envs/prod.tfvars` -> `vars/envs-prod.toml`: one flat directory.
    let flat = rel.to_string_lossy().replace(['/', '\\'], "-");
    let stem = flat
        .trim_end_matches(".json")
        .trim_end_matches(".tfvars")
        .to_string();
    let out = PathBuf::from("vars").join(format!("{stem}.{}", if json { "json" } else { "toml" }));
    if json {
        files.insert(out.clone(), read(path)?);
    } else {
        let mut vars = Vec::new();
        values(root, path, declared, &mut vars, problems, notes)?;
        let sec = Section {
            entries: vars,
            ..Section::default()
        };
        files.insert(out.clone(), toml_out::document(&[sec]));
    }
    let when = if loaded {
        " (Terraform loaded it by itself; cairn needs it named)"
    } else {
        ""
    };
    notes.push(format!(
        "{} became {}: pass it with `--var-file OUT_DIR/{}`{when}",
        rel.display(),
        out.display(),
        out.display()
    ));
    Ok(())
}
