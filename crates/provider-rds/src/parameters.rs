//! What `aws_db_parameter_group` and `aws_rds_cluster_parameter_group`
//! share: the schema, the `parameter` set and how a change of it is
//! written (ModifyDB*ParameterGroup, at most 20 a call; a removed
//! parameter goes back to the engine default with ResetDB*ParameterGroup),
//! and the resource operations. Each type's file supplies its API calls
//! through [`GroupApi`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, Parameter};
use cairn_aws::{delete_with_retry, read_concurrently, ReadFuture, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{names, Rds, READ_CONCURRENCY};

/// ModifyDBParameterGroup and ResetDBParameterGroup take at most 20
/// parameters a call.
const PER_CALL: usize = 20;

/// A parameter group as both kinds describe it.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub name: String,
    pub family: String,
    pub description: String,
    pub arn: String,
}

/// One `parameter` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: String,
    pub apply_method: String,
}

impl Param {
    fn sdk(&self) -> Parameter {
        Parameter::builder()
            .parameter_name(&self.name)
            .parameter_value(&self.value)
            .apply_method(ApplyMethod::from(self.apply_method.as_str()))
            .build()
    }
}

/// The calls of one kind of parameter group.
#[async_trait]
pub trait GroupApi: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    /// "DB parameter group", "DB cluster parameter group".
    fn what(&self) -> &'static str;
    fn rds(&self) -> &Rds;
    /// Every group of the kind, by name (their describe takes one name or
    /// none: `Filters` are not supported).
    async fn list(&self) -> Result<HashMap<String, Group>, ProviderError>;
    async fn by_name(&self, name: &str) -> Result<Option<Group>, ProviderError>;
    /// The parameters a user set (`Source = user`): RDS answers them per
    /// group only.
    async fn parameters(&self, name: &str) -> Result<Vec<Param>, ProviderError>;
    async fn create(
        &self,
        name: &str,
        family: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<Group, ProviderError>;
    async fn modify(&self, name: &str, params: Vec<Parameter>) -> Result<(), ProviderError>;
    async fn reset(&self, name: &str, params: Vec<Parameter>) -> Result<(), ProviderError>;
    async fn delete(&self, name: &str) -> Result<(), ProviderError>;
}

pub fn schema(describe: &'static str) -> Schema {
    let parameter = Schema::new()
        .attr("name", Attribute::string().required())
        .attr("value", Attribute::string().required())
        .attr(
            "apply_method",
            Attribute::string()
                .default("immediate")
                .check(Check::OneOf(&["immediate", "pending-reboot"])),
        );
    Schema::new()
        .describe(describe)
        .attr("name", Attribute::string().optional_computed().force_new())
        .attr("name_prefix", Attribute::string().force_new())
        .attr("family", Attribute::string().required().force_new())
        .attr(
            "description",
            Attribute::string().default("Managed by Terraform").force_new(),
        )
        .attr(
            "parameter",
            Attribute::new(Type::set(Type::object(parameter))).describe(
                "Parameters set in the group (`rds.force_ssl = 1`); changed in place, a removed one is reset to the engine default.",
            ),
        )
        .attr("id", Attribute::string().computed())
        .attr("arn", Attribute::string().computed())
        .with_tags()
}

/// The configured (or recorded) parameters, by name.
pub fn configured(o: &Object) -> BTreeMap<String, Param> {
    o.get("parameter")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let m = p.as_map()?;
            let name = m.str("name")?.to_string();
            Some((
                name.clone(),
                Param {
                    name,
                    value: m.str("value")?.to_string(),
                    apply_method: m.str("apply_method").unwrap_or("immediate").to_string(),
                },
            ))
        })
        .collect()
}

/// What brings `from` to `to`: the parameters to set and the ones to
/// reset to their defaults.
pub fn changes(
    from: &BTreeMap<String, Param>,
    to: &BTreeMap<String, Param>,
) -> (Vec<Param>, Vec<Param>) {
    let set = to
        .values()
        .filter(|p| from.get(&p.name) != Some(p))
        .cloned()
        .collect();
    let reset = from
        .values()
        .filter(|p| !to.contains_key(&p.name))
        .cloned()
        .collect();
    (set, reset)
}

/// The parameters as read, in the recorded spelling of `apply_method`
/// where name and value agree: it says how a change was to be applied,
/// and RDS reports static parameters as `pending-reboot` whatever was
/// asked, which would otherwise never stop showing as a change.
fn as_read(live: Vec<Param>, prior: &BTreeMap<String, Param>) -> Value {
    let mut items: Vec<Param> = live
        .into_iter()
        .map(|mut p| {
            if let Some(r) = prior.get(&p.name).filter(|r| r.value == p.value) {
                p.apply_method = r.apply_method.clone();
            }
            if p.apply_method.is_empty() {
                p.apply_method = "immediate".into();
            }
            p
        })
        .collect();
    items.sort_by(|a, b| a.name.cmp(&b.name));
    Value::List(
        items
            .into_iter()
            .map(|p| {
                Value::Map(
                    [
                        ("name".to_string(), Value::from(p.name)),
                        ("value".to_string(), Value::from(p.value)),
                        ("apply_method".to_string(), Value::from(p.apply_method)),
                    ]
                    .into(),
                )
            })
            .collect(),
    )
}

fn object(g: &Group, params: Value, prior: &Object, live: &Tags, default_tags: &Tags) -> Object {
    let mut o = Object::new();
    o.insert("id".into(), g.name.as_str().into());
    o.insert("name".into(), g.name.as_str().into());
    o.insert(
        "name_prefix".into(),
        names::recorded_prefix(prior, "name_prefix", &g.name),
    );
    o.insert("family".into(), g.family.as_str().into());
    o.insert("description".into(), g.description.as_str().into());
    o.insert("arn".into(), g.arn.as_str().into());
    o.insert("parameter".into(), params);
    tags::set_live(&mut o, live, default_tags);
    o
}

pub struct ParameterGroup<A: GroupApi> {
    api: Arc<A>,
}

impl<A: GroupApi> ParameterGroup<A> {
    pub fn new(api: A) -> Self {
        ParameterGroup { api: Arc::new(api) }
    }

    async fn write(
        &self,
        name: &str,
        from: &BTreeMap<String, Param>,
        to: &BTreeMap<String, Param>,
    ) -> Result<(), ProviderError> {
        let (set, reset) = changes(from, to);
        for chunk in reset.chunks(PER_CALL) {
            self.api
                .reset(name, chunk.iter().map(Param::sdk).collect())
                .await?;
        }
        for chunk in set.chunks(PER_CALL) {
            self.api
                .modify(name, chunk.iter().map(Param::sdk).collect())
                .await?;
        }
        Ok(())
    }

    async fn read_one(
        &self,
        g: &Group,
        prior: &Object,
        default_tags: &Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let params = crate::gone_as_none(self.api.parameters(&g.name).await)?;
        let live = crate::gone_as_none(crate::tags::list(self.api.rds(), &g.arn).await)?;
        let (Some(params), Some(live)) = (params, live) else {
            return Ok(None);
        };
        Ok(Some(object(
            g,
            as_read(params, &configured(prior)),
            prior,
            &live,
            default_tags,
        )))
    }

    /// A same-named group found by a create: this address's leftover is
    /// brought to the plan; anyone else's is refused untouched.
    async fn adopt(
        &self,
        ctx: &OpContext,
        name: &str,
        planned: &Object,
        taken: ProviderError,
    ) -> Result<Object, ProviderError> {
        let Some(g) = self.api.by_name(name).await? else {
            return Err(taken);
        };
        let live = crate::tags::list(self.api.rds(), &g.arn).await?;
        if !ctx.owns(&live) || g.family != planned.str("family").unwrap_or_default() {
            return Err(ProviderError {
                message: format!(
                    "{}: a {} named `{name}` (family {}) exists and is not this stack's {}; \
                     choose another name or import it",
                    taken.message,
                    self.api.what(),
                    g.family,
                    ctx.address,
                ),
                ..taken
            });
        }
        let have: BTreeMap<String, Param> = self
            .api
            .parameters(name)
            .await?
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect();
        self.write(name, &have, &configured(planned)).await?;
        crate::tags::bring_to(self.api.rds(), &g.arn, ctx, &live, planned).await?;
        self.read_one(&g, planned, &ctx.default_tags)
            .await?
            .ok_or_else(|| gone_after(self.api.what(), name))
    }
}

fn gone_after(what: &str, name: &str) -> ProviderError {
    ProviderError::new(
        "rds:DescribeDBParameters",
        "DBParameterGroupNotFound",
        format!("{what} {name} not found after writing it"),
    )
}

#[async_trait]
impl<A: GroupApi> Resource for ParameterGroup<A> {
    fn type_name(&self) -> &'static str {
        self.api.type_name()
    }

    fn schema(&self) -> &Schema {
        crate::parameters::schema_of(self.api.type_name())
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = names::check_pair(config, "name", "name_prefix", 255, true);
        let mut seen = std::collections::BTreeSet::new();
        for p in config
            .get("parameter")
            .and_then(Value::as_list)
            .unwrap_or_default()
        {
            if let Some(n) = p.as_map().and_then(|m| m.str("name")) {
                if !seen.insert(n.to_string()) {
                    issues.push(ValidationIssue {
                        attribute: "parameter".into(),
                        message: format!("parameter `{n}` is set twice"),
                    });
                }
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.api.list().await?;
        let reads = requests
            .iter()
            .map(|r| {
                let g = all.get(r.id);
                Box::pin(async move {
                    match g {
                        None => Ok(None),
                        Some(g) => self.read_one(g, r.prior, &ctx.default_tags).await,
                    }
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let name = names::chosen(planned, "name", "name_prefix", &ctx.idempotency_token);
        let all_tags = ctx.create_tags(planned);
        let g = match self
            .api
            .create(
                &name,
                planned.str("family").unwrap_or_default(),
                planned.str("description").unwrap_or_default(),
                &all_tags,
            )
            .await
        {
            Ok(g) => g,
            Err(e) if e.code == "DBParameterGroupAlreadyExists" => {
                return self.adopt(ctx, &name, planned, e).await;
            }
            Err(e) => return Err(e),
        };
        let name = cairn_aws::created_id(&format!("{}:create", self.type_name()), Some(&g.name))?;
        let wanted = configured(planned);
        self.write(&name, &BTreeMap::new(), &wanted)
            .await
            .map_err(|e| e.with_partial_id(&name))?;
        let params = wanted.into_values().collect();
        Ok(object(
            &g,
            as_read(params, &configured(planned)),
            planned,
            &all_tags,
            &ctx.default_tags,
        ))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        for name in changed {
            match name.as_str() {
                "parameter" => {
                    self.write(id, &configured(prior), &configured(planned))
                        .await?
                }
                "tags" => {
                    let arn = prior.str("arn").unwrap_or_default();
                    crate::tags::sync(self.api.rds(), arn, ctx, prior, planned).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        let g = self
            .api
            .by_name(id)
            .await?
            .ok_or_else(|| gone_after(self.api.what(), id))?;
        self.read_one(&g, planned, &ctx.default_tags)
            .await?
            .ok_or_else(|| gone_after(self.api.what(), id))
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        // An instance or cluster deleted just before still uses it.
        let in_use = [RetryOn::new("InvalidDBParameterGroupState", ctx.timeout)];
        delete_with_retry(self.api.what(), &in_use, || async {
            crate::gone_as_none(self.api.delete(id).await).map(|_| ())
        })
        .await
    }
}

/// The schema of each kind, built once.
pub fn schema_of(type_name: &str) -> &'static Schema {
    use std::sync::OnceLock;
    static DB: OnceLock<Schema> = OnceLock::new();
    static CLUSTER: OnceLock<Schema> = OnceLock::new();
    if type_name == "aws_rds_cluster_parameter_group" {
        CLUSTER.get_or_init(|| {
            schema("An Aurora cluster parameter group (`rds.force_ssl` for Aurora PostgreSQL lives here); parameters change in place, name, family and description force a new one.")
        })
    } else {
        DB.get_or_init(|| {
            schema("A DB parameter group; parameters change in place (a removed one is reset to the default), name, family and description force a new one.")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, value: &str, m: &str) -> (String, Param) {
        (
            name.to_string(),
            Param {
                name: name.into(),
                value: value.into(),
                apply_method: m.into(),
            },
        )
    }

    #[test]
    fn changes_set_what_differs_and_reset_what_went() {
        let from: BTreeMap<_, _> = [
            p("rds.force_ssl", "0", "immediate"),
            p("max_connections", "100", "pending-reboot"),
            p("log_min_duration_statement", "500", "immediate"),
        ]
        .into();
        let to: BTreeMap<_, _> = [
            p("rds.force_ssl", "1", "immediate"),
            p("max_connections", "100", "pending-reboot"),
            p(
                "shared_preload_libraries",
                "pg_stat_statements",
                "pending-reboot",
            ),
        ]
        .into();
        let (set, reset) = changes(&from, &to);
        let set: Vec<&str> = set.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(set, ["rds.force_ssl", "shared_preload_libraries"]);
        assert_eq!(reset.len(), 1);
        assert_eq!(reset[0].name, "log_min_duration_statement");
    }

    #[test]
    fn a_static_parameter_read_as_pending_reboot_keeps_the_recorded_method() {
        let prior: BTreeMap<_, _> = [p("rds.force_ssl", "1", "immediate")].into();
        let live = vec![p("rds.force_ssl", "1", "pending-reboot").1];
        let v = as_read(live, &prior);
        let m = v.as_list().unwrap()[0].as_map().unwrap();
        assert_eq!(m.str("apply_method"), Some("immediate"));
        // A value changed outside cairn shows as AWS reports it.
        let live = vec![p("rds.force_ssl", "0", "pending-reboot").1];
        let v = as_read(live, &prior);
        let m = v.as_list().unwrap()[0].as_map().unwrap();
        assert_eq!(m.str("apply_method"), Some("pending-reboot"));
    }
}
