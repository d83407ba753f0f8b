//! `aws_ecs_cluster_capacity_providers`: which capacity providers a
//! cluster may use (FARGATE, FARGATE_SPOT) and its default strategy.
//! id = the cluster name, which forces a new one; the rest changes in
//! place. PutClusterCapacityProviders replaces the whole setting, so a
//! retried create is harmless; destroying it puts empty lists back.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, Cluster};
use cairn_aws::error;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{cluster_name, describe_clusters, Ecs};

pub struct CapacityProviders {
    ecs: Arc<Ecs>,
}

impl CapacityProviders {
    pub fn new(ecs: Arc<Ecs>) -> Self {
        CapacityProviders { ecs }
    }
}

/// The strategy item schema, shared with `aws_ecs_service`.
pub fn strategy_schema() -> Schema {
    Schema::new()
        .attr("capacity_provider", Attribute::string().required())
        .attr(
            "weight",
            Attribute::number().default(0).check(Check::Range(0, 1000)),
        )
        .attr(
            "base",
            Attribute::number()
                .default(0)
                .check(Check::Range(0, 100_000)),
        )
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("The capacity providers of a cluster (FARGATE, FARGATE_SPOT) and its default strategy; in place.")
            .attr("cluster_name", Attribute::string().required().force_new())
            .attr(
                "capacity_providers",
                Attribute::new(Type::set(Type::String)).optional_computed(),
            )
            .attr(
                "default_capacity_provider_strategy",
                Attribute::new(Type::set(Type::object(strategy_schema()))).optional_computed(),
            )
            .attr("id", Attribute::string().computed())
    })
}

/// A strategy as SDK items.
pub fn sdk_strategy(v: Option<&Value>) -> Vec<CapacityProviderStrategyItem> {
    v.and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .filter_map(|s| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(s.str("capacity_provider")?)
                .weight(s.i64("weight").unwrap_or(0) as i32)
                .base(s.i64("base").unwrap_or(0) as i32)
                .build()
                .ok()
        })
        .collect()
}

/// SDK strategy items as a value.
pub fn strategy_value(items: &[CapacityProviderStrategyItem]) -> Value {
    Value::List(
        items
            .iter()
            .map(|s| {
                Value::Map(
                    [
                        (
                            "capacity_provider".to_string(),
                            Value::from(s.capacity_provider()),
                        ),
                        ("weight".to_string(), Value::from(s.weight() as i64)),
                        ("base".to_string(), Value::from(s.base() as i64)),
                    ]
                    .into(),
                )
            })
            .collect(),
    )
}

fn object(name: &str, c: &Cluster) -> Object {
    let mut obj = Object::new();
    obj.insert("id".into(), name.into());
    obj.insert("cluster_name".into(), name.into());
    obj.insert(
        "capacity_providers".into(),
        Value::from(c.capacity_providers().to_vec()),
    );
    obj.insert(
        "default_capacity_provider_strategy".into(),
        strategy_value(c.default_capacity_provider_strategy()),
    );
    obj
}

impl CapacityProviders {
    async fn put(
        &self,
        name: &str,
        providers: Vec<String>,
        strategy: Vec<CapacityProviderStrategyItem>,
    ) -> Result<Object, ProviderError> {
        const OP: &str = "ecs:PutClusterCapacityProviders";
        let client = self.ecs.client().await?;
        let out = client
            .put_cluster_capacity_providers()
            .cluster(name)
            .set_capacity_providers(Some(providers))
            .set_default_capacity_provider_strategy(Some(strategy))
            .send()
            .await
            .map_err(|e| error(OP, e))?;
        out.cluster()
            .map(|c| object(name, c))
            .ok_or_else(|| ProviderError::new(OP, "EmptyResponse", "no cluster in the answer"))
    }

    async fn put_planned(&self, planned: &Object) -> Result<Object, ProviderError> {
        let name = cluster_name(planned.str("cluster_name").unwrap_or_default()).to_string();
        self.put(
            &name,
            planned.strings("capacity_providers"),
            sdk_strategy(planned.get("default_capacity_provider_strategy")),
        )
        .await
    }
}

#[async_trait]
impl Resource for CapacityProviders {
    fn type_name(&self) -> &'static str {
        "aws_ecs_cluster_capacity_providers"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let Some(providers) = config
            .get("capacity_providers")
            .filter(|v| v.is_wholly_known())
            .map(|_| config.strings("capacity_providers"))
        else {
            return Vec::new();
        };
        config
            .get("default_capacity_provider_strategy")
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.as_map()?.str("capacity_provider"))
            .filter(|p| !providers.iter().any(|q| q == p))
            .map(|p| ValidationIssue {
                attribute: "default_capacity_provider_strategy".into(),
                message: format!(
                    "the default strategy uses `{p}`, which is not in capacity_providers ({})",
                    providers.join(", ")
                ),
            })
            .collect()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let ids: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let live = describe_clusters(&self.ecs, &ids).await?;
        Ok(requests
            .iter()
            .map(|r| match live.get(r.id) {
                // A cluster without providers or strategy has none set:
                // what a delete leaves.
                Some(c)
                    if !c.capacity_providers().is_empty()
                        || !c.default_capacity_provider_strategy().is_empty() =>
                {
                    ReadOutcome::Live(object(r.id, c))
                }
                _ => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        self.put_planned(planned).await
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        for name in changed {
            match name.as_str() {
                "capacity_providers" | "default_capacity_provider_strategy" => {}
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.put_planned(planned).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        match self.put(cluster_name(id), Vec::new(), Vec::new()).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == "ClusterNotFoundException" => Ok(()),
            Err(e) => Err(e),
        }
    }
}
