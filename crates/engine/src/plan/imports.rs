//! `[[import]]` blocks: objects read into the state the plan starts from.

use std::collections::HashMap;

use cairn_core::provider::ReadContext;
use cairn_core::{Address, Providers, ReadOutcome, Value};
use cairn_lang::{Diagnostic, ModuleNode, ResourceBlock, Stack};
use cairn_state::{ResourceState, StateDocument};

use super::default_tags;
use super::drift::Current;
use crate::desired::mark_sensitive;
use crate::error::{EngineError, OperationError};
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
        let Some((node, block)) = block_of(stack, &import.to) else {
            continue;
        };
        let provider = stack.provider_of(node, block);
        let Some(resource) = providers.resource(&provider, &import.to.type_name) else {
            continue;
        };
        let ctx = ReadContext {
            default_tags: default_tags(stack, &provider),
            stack: stack.qualified_name(),
        };
        match resource.import(&import.id, &ctx).await {
            Ok(ReadOutcome::Live(mut obj)) => {
                mark_sensitive(resource.schema(), &mut obj);
                let id = obj
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or(&import.id)
                    .to_string();
                state.resources.insert(
                    key.clone(),
                    ResourceState::new(&import.to.type_name, &provider, &id, &obj, Vec::new()),
                );
                current.insert(key.clone(), Some(obj));
                out.insert(key, import.id.clone());
            }
            Ok(ReadOutcome::Gone) => errors.push(
                Diagnostic::at(
                    format!(
                        "cannot import `{key}`: no {} with id `{}` exists",
                        import.to.type_name, import.id
                    ),
                    import.span,
                )
                .hint("check the id (and the provider's account and region)"),
            ),
            Err(error) => {
                return Err(EngineError::Operations(vec![OperationError {
                    address: import.to.clone(),
                    action: "import",
                    error,
                }]))
            }
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
