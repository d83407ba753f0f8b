//! The module tree: the root directory and every local module it calls
//! (read once however often called), where each lands under OUT_DIR, and
//! the other files that travel with them (templates read by file() and
//! templatefile(), variables files).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use hcl_edit::structure::{Body, Structure};

use crate::config::{self, FileEnv};
use crate::problems::{FileCx, Problem};
use crate::toml_out::{self, Section, Val};
use crate::{tfvars, Conversion, ConvertError, Schemas};

/// One `.tf` file, read and parsed.
struct TfFile {
    /// As shown in problems: relative to TF_DIR.
    display: PathBuf,
    /// Its stack file, relative to OUT_DIR.
    out: PathBuf,
    src: String,
    body: Option<Body>,
}

struct ModuleDir {
    canon: PathBuf,
    /// Relative to OUT_DIR (empty for the root).
    out: PathBuf,
    files: Vec<TfFile>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ConvertError + '_ {
    move |source| ConvertError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `to` as seen from `from` (both absolute, or both relative to one base).
pub(crate) fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// A module source as written in a stack file: `/` separators, and `./`
/// in front unless it climbs.
fn source_text(p: &Path) -> String {
    let s: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let s = s.join("/");
    if s.starts_with("..") {
        s
    } else if s.is_empty() {
        ".".into()
    } else {
        format!("./{s}")
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, ConvertError> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

fn name_of(p: &Path) -> &str {
    p.file_name().and_then(OsStr::to_str).unwrap_or("")
}

/// Local module sources of a parsed file.
fn module_sources(body: &Body) -> Vec<String> {
    body.iter()
        .filter_map(Structure::as_block)
        .filter(|b| b.ident.as_str() == "module")
        .filter_map(|b| b.body.get_attribute("source"))
        .filter_map(|a| a.value.as_str().map(str::to_string))
        .filter(|s| s.starts_with("./") || s.starts_with("../"))
        .collect()
}

pub(crate) fn convert(tf_dir: &Path, schemas: &dyn Schemas) -> Result<Conversion, ConvertError> {
    let root = std::fs::canonicalize(tf_dir).map_err(io(tf_dir))?;
    if !root.is_dir() {
        return Err(ConvertError::NotADirectory(tf_dir.to_path_buf()));
    }
    let mut problems: Vec<Problem> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    // Read the tree: the root, then each module it reaches, once each.
    let mut dirs: Vec<ModuleDir> = Vec::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut queue = VecDeque::from([root.clone()]);
    seen.insert(root.clone());
    let mut outside_names: BTreeSet<PathBuf> = BTreeSet::new();
    while let Some(dir) = queue.pop_front() {
        let out = if dir == root {
            PathBuf::new()
        } else if let Ok(rel) = dir.strip_prefix(&root) {
            rel.to_path_buf()
        } else {
            // Outside TF_DIR: under modules/<name>, numbered when two share a name.
            let base = name_of(&dir).to_string();
            let mut candidate = Path::new("modules").join(&base);
            let mut n = 2;
            while outside_names.contains(&candidate) || root.join(&candidate).is_dir() {
                candidate = Path::new("modules").join(format!("{base}-{n}"));
                n += 1;
            }
            outside_names.insert(candidate.clone());
            notes.push(format!(
                "module directory {} is outside the converted directory: converted into {} (its callers' `source` rewritten)",
                relative(&root, &dir).display(),
                candidate.display()
            ));
            candidate
        };
        let mut files = Vec::new();
        for path in sorted_entries(&dir)? {
            let name = name_of(&path).to_string();
            if !path.is_file() || !name.ends_with(".tf") {
                continue;
            }
            let display = relative(&root, &path);
            let src = std::fs::read_to_string(&path).map_err(io(&path))?;
            let body = match hcl_edit::parser::parse_body(&src) {
                Ok(b) => Some(b),
                Err(e) => {
                    problems.push(Problem {
                        file: display.clone(),
                        line: e.location().line(),
                        column: e.location().column(),
                        construct: "HCL syntax".into(),
                        why: e.message().to_string(),
                    });
                    None
                }
            };
            if name == "override.tf" || name.ends_with("_override.tf") {
                problems.push(Problem {
                    file: display.clone(),
                    line: 1,
                    column: 1,
                    construct: "override file".into(),
                    why: "cairn has no override files: merge it into the block it overrides".into(),
                });
            }
            if let Some(b) = &body {
                for s in module_sources(b) {
                    if let Ok(d) = std::fs::canonicalize(dir.join(&s)) {
                        if d.is_dir() && seen.insert(d.clone()) {
                            queue.push_back(d);
                        }
                    }
                }
            }
            let stem = name.trim_end_matches(".tf");
            files.push(TfFile {
                display,
                out: out.join(format!("{stem}.toml")),
                src,
                body,
            });
        }
        dirs.push(ModuleDir {
            canon: dir,
            out,
            files,
        });
    }
    let out_of: BTreeMap<PathBuf, PathBuf> = dirs
        .iter()
        .map(|d| (d.canon.clone(), d.out.clone()))
        .collect();

    // Convert each file.
    let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut root_vars: BTreeSet<String> = BTreeSet::new();
    for d in &dirs {
        let is_root = d.canon == root;
        let module_source = |source: &str| -> Result<String, String> {
            let target = std::fs::canonicalize(d.canon.join(source))
                .map_err(|_| format!("module directory `{source}` not found"))?;
            let out = out_of
                .get(&target)
                .ok_or_else(|| format!("module directory `{source}` was not read"))?;
            Ok(source_text(&relative(&d.out, out)))
        };
        let env = FileEnv {
            schemas,
            is_root,
            module_source: &module_source,
        };
        for f in &d.files {
            let Some(body) = &f.body else { continue };
            if is_root {
                root_vars.extend(
                    body.iter()
                        .filter_map(Structure::as_block)
                        .filter(|b| b.ident.as_str() == "variable")
                        .filter_map(|b| b.labels.first().map(|l| l.as_str().to_string())),
                );
            }
            let mut cx = FileCx::new(&f.src, &f.display, &mut problems, &mut notes);
            let mut sections = config::file(&mut cx, &env, body);
            if is_root && f.out == Path::new("main.toml") {
                sections.insert(0, stack_section(&root));
            }
            files.insert(f.out.clone(), toml_out::document(&sections));
        }
        if is_root && !files.contains_key(Path::new("main.toml")) {
            files.insert(
                "main.toml".into(),
                toml_out::document(&[stack_section(&root)]),
            );
        }
    }

    // Everything else in the directories: variables files, templates.
    for d in &dirs {
        let is_root = d.canon == root;
        let module_dirs: BTreeSet<&PathBuf> = out_of.keys().collect();
        extra_files(
            &root,
            &d.canon,
            &d.out,
            is_root,
            &module_dirs,
            &root_vars,
            &mut files,
            &mut problems,
            &mut notes,
        )?;
    }
    if is_root_default_env(&files) {
        notes.push("terraform.tfvars and *.auto.tfvars became envs/default.toml: run cairn with `--env default`".into());
    }
    notes.push("Terraform's TF_VAR_NAME environment variables are CAIRN_VAR_NAME for cairn".into());

    // The canonical layout, so the output passes `cairn fmt --check`.
    for (path, text) in files.iter_mut() {
        if path.extension() == Some(OsStr::new("toml")) {
            *text = cairn_fmt::format(text).map_err(|e| ConvertError::Format {
                path: path.clone(),
                message: e.message,
            })?;
        }
    }
    Ok(Conversion {
        files,
        problems,
        notes,
    })
}

fn is_root_default_env(files: &BTreeMap<PathBuf, String>) -> bool {
    files.contains_key(Path::new("envs/default.toml"))
}

fn stack_section(root: &Path) -> Section {
    let mut s = Section::table(&["stack"]);
    s.set("name", Val::Str(name_of(root).to_string()));
    s
}

/// Files Terraform reads itself, never copied.
fn terraform_own(name: &str) -> bool {
    name.ends_with(".tf")
        || name.ends_with(".tfstate")
        || name.ends_with(".tfstate.backup")
        || name == ".terraform.lock.hcl"
        || name == "terraform.tfstate.d"
}

#[allow(clippy::too_many_arguments)]
fn extra_files(
    root: &Path,
    dir: &Path,
    out: &Path,
    is_root: bool,
    module_dirs: &BTreeSet<&PathBuf>,
    root_vars: &BTreeSet<String>,
    files: &mut BTreeMap<PathBuf, String>,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let mut auto: Vec<PathBuf> = Vec::new();
    walk(
        root,
        dir,
        dir,
        out,
        is_root,
        module_dirs,
        root_vars,
        &mut auto,
        files,
        problems,
        notes,
    )?;
    if is_root {
        tfvars::default_env(root, &auto, root_vars, files, problems, notes)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn walk(
    root: &Path,
    module: &Path,
    dir: &Path,
    out: &Path,
    is_root: bool,
    module_dirs: &BTreeSet<&PathBuf>,
    root_vars: &BTreeSet<String>,
    auto: &mut Vec<PathBuf>,
    files: &mut BTreeMap<PathBuf, String>,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Result<(), ConvertError> {
    for path in sorted_entries(dir)? {
        let name = name_of(&path).to_string();
        if name.starts_with('.') || terraform_own(&name) {
            continue;
        }
        let display = relative(root, &path);
        if path.is_dir() {
            let canon = std::fs::canonicalize(&path).map_err(io(&path))?;
            // Modules are converted on their own; a directory of `.tf` files
            // no module calls is another configuration, not this one's.
            let has_tf = sorted_entries(&path)?
                .iter()
                .any(|p| name_of(p).ends_with(".tf"));
            if module_dirs.contains(&canon) || has_tf {
                continue;
            }
            walk(
                root,
                module,
                &path,
                &out.join(&name),
                is_root,
                module_dirs,
                root_vars,
                auto,
                files,
                problems,
                notes,
            )?;
            continue;
        }
        let rel_in_module = relative(module, &path);
        if name.ends_with(".tf.json") {
            problems.push(Problem {
                file: display,
                line: 1,
                column: 1,
                construct: "JSON configuration".into(),
                why: "Terraform's JSON syntax is not converted: write it as HCL first".into(),
            });
            continue;
        }
        let tfvars = name.ends_with(".tfvars") || name.ends_with(".tfvars.json");
        if tfvars && !is_root {
            notes.push(format!(
                "{}: variables file in a module, not converted",
                display.display()
            ));
            continue;
        }
        let loaded = dir == module
            && (name == "terraform.tfvars"
                || name == "terraform.tfvars.json"
                || name.ends_with(".auto.tfvars")
                || name.ends_with(".auto.tfvars.json"));
        if tfvars && loaded && !name.ends_with(".json") {
            auto.push(path.clone());
            continue;
        }
        if tfvars {
            tfvars::var_file(
                root,
                &path,
                &rel_in_module,
                root_vars,
                loaded,
                files,
                problems,
                notes,
            )?;
            continue;
        }
        if name.ends_with(".toml") && dir == module {
            notes.push(format!(
                "{}: not copied: a .toml file in a stack directory would be read as a stack file",
                display.display()
            ));
            continue;
        }
        match std::fs::read(&path)
            .map_err(io(&path))
            .map(String::from_utf8)?
        {
            Ok(text) => {
                files.insert(out.join(&name), text);
            }
            Err(_) => notes.push(format!("{}: binary file not copied", display.display())),
        }
    }
    Ok(())
}
