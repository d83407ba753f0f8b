//! SES v2 objects are named by their users (a domain, a configuration set
//! name): a create finds an existing one of that name first, adopts it
//! when it carries this stack's and this address's ownership tags (an
//! apply that died before recording it), and refuses any other, left as it
//! was.

use cairn_core::{tags, OpContext, ProviderError};

pub fn check_owner(
    ctx: &OpContext,
    operation: &str,
    what: &str,
    live: &tags::Tags,
) -> Result<(), ProviderError> {
    if ctx.owns(live) {
        return Ok(());
    }
    let owner = match live.get(tags::STACK_TAG) {
        Some(stack) => format!(
            "stack `{stack}` ({})",
            live.get(tags::ADDRESS_TAG)
                .map_or("no address", String::as_str)
        ),
        None => "nothing cairn manages".to_string(),
    };
    Err(ProviderError::new(
        operation,
        "AlreadyExistsException",
        format!(
            "{what} already exists and belongs to {owner}, not to `{}` of `{}`; nothing was \
             changed. Import it, or choose another name",
            ctx.address, ctx.stack
        ),
    ))
}
