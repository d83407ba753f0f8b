//! What is known before planning: the root module's variables and the
//! locals computed from them (and from literals and functions). Resources,
//! data sources, modules and a module's own variables are unknown here.
//! Provider and backend settings are evaluated in this scope; so are
//! attribute values at load time, so that `validate` catches what it can
//! without any state or network.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_core::Value;

use crate::eval::Scope;
use crate::expr::Subject;
use crate::files::FileCache;
use crate::model::{Module, Stack};

pub struct StaticScope<'a> {
    module: &'a Module,
    /// The root module's values; `None` in a module, whose variables come
    /// from its caller.
    vars: Option<&'a BTreeMap<String, Value>>,
    root_dir: PathBuf,
    module_dir: PathBuf,
    files: Arc<FileCache>,
    locals: RefCell<HashMap<String, Value>>,
    evaluating: RefCell<HashSet<String>>,
}

impl<'a> StaticScope<'a> {
    pub fn new(
        module: &'a Module,
        vars: Option<&'a BTreeMap<String, Value>>,
        root_dir: &Path,
        module_dir: &Path,
        files: Arc<FileCache>,
    ) -> Self {
        StaticScope {
            module,
            vars,
            root_dir: root_dir.to_path_buf(),
            module_dir: module_dir.to_path_buf(),
            files,
            locals: RefCell::new(HashMap::new()),
            evaluating: RefCell::new(HashSet::new()),
        }
    }

    /// The scope of a module configuration of a loaded stack.
    pub fn of(stack: &'a Stack, module: crate::model::ModuleId) -> Self {
        let m = &stack.modules[module];
        StaticScope::new(
            m,
            (module == 0).then_some(&stack.variables),
            &stack.dir,
            &m.dir,
            stack.files.clone(),
        )
    }
}

impl Scope for StaticScope<'_> {
    fn get(&self, s: &Subject) -> Result<Cow<'_, Value>, String> {
        Ok(Cow::Owned(match s {
            Subject::Var(n) => match self.vars {
                Some(vars) => vars.get(n).cloned().unwrap_or(Value::Unknown),
                None => Value::Unknown,
            },
            Subject::Local(n) => {
                if let Some(v) = self.locals.borrow().get(n) {
                    return Ok(Cow::Owned(v.clone()));
                }
                let Some(local) = self.module.locals.get(n) else {
                    return Ok(Cow::Owned(Value::Unknown));
                };
                // A cycle among locals is reported by the graph; here it is
                // just not known.
                if !self.evaluating.borrow_mut().insert(n.clone()) {
                    return Ok(Cow::Owned(Value::Unknown));
                }
                let v = local.expr.eval(self).unwrap_or(Value::Unknown);
                self.evaluating.borrow_mut().remove(n);
                self.locals.borrow_mut().insert(n.clone(), v.clone());
                v
            }
            s @ (Subject::PathModule | Subject::PathRoot | Subject::PathCwd) => {
                crate::files::path_value(s, &self.module_dir, &self.root_dir)
                    .unwrap_or(Value::Unknown)
            }
            _ => Value::Unknown,
        }))
    }

    fn module_dir(&self) -> &Path {
        &self.module_dir
    }

    fn files(&self) -> &dyn cairn_functions::FileSource {
        self.files.as_ref()
    }
}
