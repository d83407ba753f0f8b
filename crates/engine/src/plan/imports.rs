//! `[[import]]` blocks: objects read into the state the plan starts from.

use std::collections::HashMap;

use cairn_core::{Address, Providers};
use cairn_lang::{Diagnostic, ModuleNode, ResourceBlock, Stack};
use cairn_state::StateDocument;

use super::drift::Current;
use crate::error::EngineError;
use crate::import::ImportError;
use crate::targets::Selection;

/// `[[import]]` blocks whose address state does not have yet: each object
/// is read now and recorded in the state apply starts from, so the plan
/// diffs the configuration against it.
pub(super) async fn read_imports(
    stack: &Stack,
    providers: &Providers,
    state: &mut StateDocument,
    current: &mut Current,
    selection: &Selection,
    refresh: bool,
) -> Result<HashMap<String, String>, EngineError> {
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    for import in &stack.imports {
        let key = import.to.to_string();
        if state.resources.contains_key(&key)
            || !selection.includes_recorded(&import.to) && selection.is_partial()
        {
            continue;
        }
        if !refresh {
            return Err(EngineError::Config(vec![Diagnostic::at(
                format!(
                    "importing `{key}` needs to read it from AWS, which --refresh=false forbids"
                ),
                import.span,
            )
            .hint("plan without --refresh=false")]));
        }
        match crate::import::read(stack, providers, &import.to, &import.id).await {
            Ok(imported) => {
                state.resources.insert(key.clone(), imported.state);
                current.insert(key.clone(), Some(imported.object));
                out.insert(key, import.id.clone());
            }
            Err(ImportError::Gone { type_name, id, .. }) => errors.push(
                Diagnostic::at(
                    format!("cannot import `{key}`: no {type_name} with id `{id}` exists"),
                    import.span,
                )
                .hint("check the id (and the provider's account and region)"),
            ),
            Err(ImportError::Read(e)) => return Err(EngineError::Operations(vec![e])),
            // The configuration was checked when loaded.
            Err(e) => errors.push(Diagnostic::at(e.to_string(), import.span)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(EngineError::Config(errors))
    }
}

/// The configured block (and where in the module tree) of an address.
pub fn block_of<'s>(stack: &'s Stack, a: &Address) -> Option<(&'s ModuleNode, &'s ResourceBlock)> {
    let path: Vec<String> = a.module.iter().map(|s| s.name.clone()).collect();
    let (_, node) = stack.module_at(&path)?;
    Some((node, stack.resource(a)?))
}
