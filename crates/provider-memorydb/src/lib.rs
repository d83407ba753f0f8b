//! cairn resource types backed by Amazon MemoryDB, one file each:
//! `aws_memorydb_subnet_group`, `aws_memorydb_cluster`.
//!
//! Both are found again by identity: a name is unique in a region, and a
//! create that meets its own name (an apply retried after a crash) adopts
//! the object when its ownership tags say it is this address's. A
//! generated name (`name_prefix`) is made from the create's idempotency
//! token, so the retried create meets the same name. No MemoryDB describe
//! returns tags and ListTags takes one ARN: a refresh costs one ListTags
//! per object besides the listing.

mod cluster;
mod subnet_group;

use std::sync::Arc;

use aws_sdk_memorydb::types::Tag;
use aws_sdk_memorydb::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient};
use cairn_core::{tags, Attrs, Object, OpContext, ProviderError, Registry};

/// Adds the MemoryDB types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let mdb = Arc::new(MemoryDb::new(aws.clone(), sdk_client!(aws_sdk_memorydb)));
    registry.add_resource(Arc::new(subnet_group::SubnetGroup::new(mdb.clone())));
    registry.add_resource(Arc::new(cluster::Cluster::new(mdb)));
}

/// The MemoryDB client every MemoryDB type shares.
pub type MemoryDb = LazyClient<Client>;

/// ListTags has no batch form: at most this many at once.
const TAG_READ_CONCURRENCY: usize = 8;

/// MemoryDB's "not found" codes end in `NotFoundFault`
/// (`ClusterNotFoundFault`), which the kit's `is_not_found` does not know.
fn is_gone(e: &ProviderError) -> bool {
    cairn_aws::is_not_found(e) || e.code.ends_with("NotFoundFault")
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The name to create: `name`, or `name_prefix` (default `terraform-`)
/// and as much of the idempotency token as fits in `max` characters.
fn name_for(planned: &Object, token: &str, max: usize) -> String {
    if let Some(name) = planned.str("name") {
        return name.to_string();
    }
    let prefix = planned.str("name_prefix").unwrap_or("terraform-");
    let room = max.saturating_sub(prefix.len());
    let suffix: String = token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(room.min(26))
        .collect();
    format!("{prefix}{suffix}")
}

/// The tags of one object (`None`: it is gone).
async fn tags_of(mdb: &MemoryDb, arn: &str) -> Result<Option<tags::Tags>, ProviderError> {
    let client = mdb.client().await?;
    match client.list_tags().resource_arn(arn).send().await {
        Ok(out) => Ok(Some(
            out.tag_list()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect(),
        )),
        Err(e) => {
            let e = error("memorydb:ListTags", e);
            if is_gone(&e) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// Refuses to adopt an object a create met under its name unless its
/// tags make it this stack's and address's.
fn check_owner(
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
        "AlreadyExists",
        format!(
            "{what} already exists and belongs to {owner}, not to `{}` of `{}`; nothing was changed. \
             Import it, or choose another name",
            ctx.address, ctx.stack
        ),
    ))
}

/// Applies a change of `tags` to the object of `arn`.
async fn update_tags(
    mdb: &MemoryDb,
    arn: &str,
    ctx: &OpContext,
    prior: &Object,
    planned: &Object,
) -> Result<(), ProviderError> {
    let client = mdb.client().await?;
    let tag = |set: tags::Tags| async move {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("memorydb:TagResource", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("memorydb:UntagResource", e))
    };
    cairn_aws::sync_tags(ctx, prior, planned, tag, untag).await
}

/// A name or prefix of `name`/`name_prefix`: checked together in
/// `validate`, as Terraform does.
fn name_issues(config: &Object, max: usize) -> Vec<cairn_core::ValidationIssue> {
    let mut issues = Vec::new();
    if config.str("name").is_some() && config.str("name_prefix").is_some() {
        issues.push(cairn_core::ValidationIssue {
            attribute: "name_prefix".into(),
            message: "set `name` or `name_prefix`, not both".into(),
        });
    }
    if let Some(p) = config.str("name_prefix").filter(|p| p.len() + 6 > max) {
        issues.push(cairn_core::ValidationIssue {
            attribute: "name_prefix".into(),
            message: format!(
                "`{p}` leaves no room for a unique suffix: at most {} characters",
                max - 6
            ),
        });
    }
    issues
}

/// Lower-case letters, digits and hyphens; a letter first, no two hyphens
/// in a row, no hyphen last; at most `max` characters.
fn name_problem(name: &str, max: usize, what: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.contains("--")
        && !name.ends_with('-');
    (!ok).then(|| {
        format!(
            "`{name}`: a {what} name has 1 to {max} lower-case letters, digits and hyphens, starts with a letter, and has no two hyphens in a row nor one at the end"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::Value;

    #[test]
    fn generated_names_come_from_the_token_and_fit() {
        let token = "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d";
        let planned: Object = [("name_prefix".to_string(), Value::from("tracker-"))].into();
        let a = name_for(&planned, token, 40);
        assert_eq!(a, "tracker-2f1e6c527a4c4c1e9d7e0d8a3f");
        assert_eq!(
            a,
            name_for(&planned, token, 40),
            "the same for a retried create"
        );
        assert!(name_for(&Object::new(), token, 40).starts_with("terraform-"));
        assert!(name_problem(&a, 40, "cluster").is_none());
        let named: Object = [("name".to_string(), Value::from("cache"))].into();
        assert_eq!(name_for(&named, token, 40), "cache");
    }

    #[test]
    fn names_are_checked_offline() {
        assert!(name_problem("tracker-valkey", 40, "cluster").is_none());
        for bad in ["", "Tracker", "1x", "a--b", "a-", "a_b"] {
            assert!(name_problem(bad, 40, "cluster").is_some(), "{bad}");
        }
        assert!(name_problem(&"a".repeat(41), 40, "cluster").is_some());
    }
}
