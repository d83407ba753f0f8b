//! An in-process provider for testing the engine's own semantics (ordering,
//! failures, unknowns, sensitivity) and for benchmarks. It keeps objects in
//! memory and records every call; it is not a fake of AWS.
//!
//! Types: `test_network` (cidr_block force-new, name in place, `revision`
//! counting updates), `test_node`
//! (network_id force-new, size in place, password sensitive) and
//! `test_slow` (like test_node, each operation takes `delay_ms`). Data
//! source: `test_network` (finds a network by `name` or `id`).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Registry,
    Resource, Schema, Type, Value,
};

#[derive(Default)]
pub struct Cloud {
    pub objects: Mutex<BTreeMap<String, Object>>,
    /// Every call, as `create aws_x.y` / `read test_node (3)`.
    pub calls: Mutex<Vec<String>>,
    /// Addresses whose create or update fails.
    pub fail: Mutex<HashSet<String>>,
    /// Addresses whose create succeeds but whose follow-up step fails.
    pub fail_after_create: Mutex<HashSet<String>>,
    /// Addresses whose delete fails.
    pub fail_delete: Mutex<HashSet<String>>,
    /// Types whose ownership listing fails.
    pub fail_listing: Mutex<HashSet<String>>,
    /// Who created each object (`stack`, `address`): the ownership tags.
    pub owners: Mutex<BTreeMap<String, (String, String)>>,
    next_id: AtomicU64,
    /// The most operations observed running at once.
    pub max_in_flight: AtomicU64,
    in_flight: AtomicU64,
}

impl Cloud {
    pub fn new() -> Arc<Cloud> {
        Arc::new(Cloud::default())
    }

    pub fn registry(self: &Arc<Self>) -> Registry {
        let mut r = Registry::default();
        r.add_resource(Arc::new(TestType {
            name: "test_network",
            schema: network_schema(),
            cloud: self.clone(),
            delay: false,
        }));
        r.add_resource(Arc::new(TestType {
            name: "test_node",
            schema: node_schema(),
            cloud: self.clone(),
            delay: false,
        }));
        r.add_data_source(Arc::new(NetworkLookup {
            cloud: self.clone(),
            schema: Schema::new()
                .attr("name", Attribute::string())
                .attr("id", Attribute::string().optional_computed())
                .attr("cidr_block", Attribute::string().computed()),
        }));
        r.add_resource(Arc::new(TestType {
            name: "test_slow",
            schema: slow_schema(),
            cloud: self.clone(),
            delay: true,
        }));
        r
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.objects.lock().map(|o| o.len()).unwrap_or(0)
    }

    fn record(&self, s: String) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(s);
        }
    }
}

/// `data.test_network`: the one network whose name or id matches.
struct NetworkLookup {
    cloud: Arc<Cloud>,
    schema: Schema,
}

#[async_trait]
impl cairn_core::DataSource for NetworkLookup {
    fn type_name(&self) -> &'static str {
        "test_network"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let want = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_string);
        self.cloud.record(format!(
            "read data test_network ({})",
            want("name").or(want("id")).unwrap_or_default()
        ));
        let objects = self
            .cloud
            .objects
            .lock()
            .map_err(|_| ProviderError::new("test:read", "Poisoned", "lock poisoned"))?;
        let found: Vec<&Object> = objects
            .values()
            .filter(|o| o.contains_key("cidr_block"))
            .filter(|o| {
                ["name", "id"].iter().all(|k| {
                    want(k).is_none_or(|w| o.get(*k).and_then(Value::as_str) == Some(w.as_str()))
                })
            })
            .collect();
        match found.as_slice() {
            [one] => Ok([
                ("id".to_string(), one["id"].clone()),
                (
                    "name".to_string(),
                    one.get("name").cloned().unwrap_or_default(),
                ),
                ("cidr_block".to_string(), one["cidr_block"].clone()),
            ]
            .into()),
            [] => Err(ProviderError::new(
                "test:DescribeNetworks",
                "NoMatch",
                "no network matches",
            )),
            _ => Err(ProviderError::new(
                "test:DescribeNetworks",
                "TooManyMatches",
                format!("{} networks match", found.len()),
            )),
        }
    }
}

fn network_schema() -> Schema {
    Schema::new()
        .attr(
            "cidr_block",
            Attribute::string()
                .required()
                .force_new()
                .check(Check::Ipv4Cidr),
        )
        .attr("name", Attribute::string())
        .attr("id", Attribute::string().computed())
        .attr("arn", Attribute::string().computed())
        // Counts updates: a computed value that changes on an update, which
        // the plan cannot know.
        .attr("revision", Attribute::number().computed())
        .with_tags()
}

fn node_schema() -> Schema {
    Schema::new()
        .attr("network_id", Attribute::string().required().force_new())
        .attr("size", Attribute::number().default(1))
        .attr("password", Attribute::string().sensitive())
        .attr("labels", Attribute::new(Type::list(Type::String)))
        .attr("id", Attribute::string().computed())
        .attr("arn", Attribute::string().computed())
}

fn slow_schema() -> Schema {
    Schema::new()
        .attr("delay_ms", Attribute::number().default(0))
        .attr("after", Attribute::string())
        .attr("id", Attribute::string().computed())
        .attr("arn", Attribute::string().computed())
}

struct TestType {
    name: &'static str,
    schema: Schema,
    cloud: Arc<Cloud>,
    delay: bool,
}

struct InFlight<'a>(&'a Cloud);
impl<'a> InFlight<'a> {
    fn enter(c: &'a Cloud) -> Self {
        let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        c.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(c)
    }
}
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TestType {
    /// `test_slow` takes `delay_ms`, bounded by the operation's timeout
    /// as a real waiter is.
    async fn pause(&self, planned: &Object, timeout: Duration) -> Result<(), ProviderError> {
        if self.delay {
            let ms = planned
                .get("delay_ms")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .max(0) as u64;
            let delay = Duration::from_millis(ms);
            if delay > timeout {
                tokio::time::sleep(timeout).await;
                return Err(ProviderError::new(
                    "wait",
                    "Timeout",
                    format!("gave up after {}s", timeout.as_secs()),
                ));
            }
            tokio::time::sleep(delay).await;
        }
        Ok(())
    }

    fn check_known(&self, op: &str, planned: &Object) -> Result<(), ProviderError> {
        for (k, v) in planned {
            let computed = self.schema.get(k).is_some_and(|a| !a.is_configurable());
            if !computed && !v.is_wholly_known() {
                return Err(ProviderError::new(
                    format!("test:{op}"),
                    "UnknownValue",
                    format!("`{k}` is still unknown at apply time"),
                ));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Resource for TestType {
    fn type_name(&self) -> &'static str {
        self.name
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        self.cloud
            .record(format!("read {} ({})", self.name, requests.len()));
        let objects = self
            .cloud
            .objects
            .lock()
            .map_err(|_| ProviderError::new("test:read", "Poisoned", "lock poisoned"))?;
        Ok(requests
            .iter()
            .map(|r| match objects.get(r.id) {
                Some(o) => ReadOutcome::Live(o.clone()),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let _f = InFlight::enter(&self.cloud);
        self.cloud.record(format!("create {}", ctx.address));
        self.check_known("create", planned)?;
        self.pause(planned, ctx.timeout).await?;
        let addr = ctx.address.to_string();
        if self.cloud.fail.lock().is_ok_and(|f| f.contains(&addr)) {
            return Err(ProviderError::new(
                "test:Create",
                "InjectedFailure",
                format!("create of {addr} failed"),
            ));
        }
        let n = self.cloud.next_id.fetch_add(1, Ordering::SeqCst);
        let id = format!("{}-{n}", self.name.trim_start_matches("test_"));
        let mut obj: Object = planned
            .iter()
            .map(|(k, v)| (k.clone(), v.deep_unmarked()))
            .collect();
        obj.insert("id".into(), Value::from(id.as_str()));
        obj.insert(
            "arn".into(),
            Value::from(format!("arn:test:{}:{id}", self.name)),
        );
        if self.schema.get("revision").is_some() {
            obj.insert("revision".into(), Value::from(1));
        }
        if self.schema.get("tags_all").is_some() {
            obj.insert(
                "tags_all".into(),
                cairn_core::tags::to_value(&ctx.create_tags(planned)),
            );
            let (own, all) =
                cairn_core::tags::split_live(&ctx.create_tags(planned), &ctx.default_tags);
            obj.insert("tags".into(), cairn_core::tags::to_value(&own));
            obj.insert("tags_all".into(), cairn_core::tags::to_value(&all));
        }
        if let Ok(mut o) = self.cloud.objects.lock() {
            o.insert(id.clone(), obj.clone());
        }
        if let Ok(mut o) = self.cloud.owners.lock() {
            o.insert(id, (ctx.stack.clone(), addr.clone()));
        }
        if self
            .cloud
            .fail_after_create
            .lock()
            .is_ok_and(|f| f.contains(&addr))
        {
            return Err(ProviderError::new(
                "test:Configure",
                "InjectedFailure",
                "follow-up failed",
            )
            .with_partial(obj));
        }
        Ok(obj)
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.cloud.record(format!("list owned {}", self.name));
        if self
            .cloud
            .fail_listing
            .lock()
            .is_ok_and(|f| f.contains(self.name))
        {
            return Err(ProviderError::new(
                "test:ListOwned",
                "InjectedFailure",
                "listing failed",
            ));
        }
        let owners = self
            .cloud
            .owners
            .lock()
            .map_err(|_| ProviderError::new("test:find", "Poisoned", "lock poisoned"))?;
        let objects = self
            .cloud
            .objects
            .lock()
            .map_err(|_| ProviderError::new("test:find", "Poisoned", "lock poisoned"))?;
        Ok(owners
            .iter()
            .filter(|(id, (s, a))| {
                s == stack
                    && objects.contains_key(*id)
                    && a.parse::<cairn_core::Address>()
                        .is_ok_and(|a| a.type_name == self.name)
            })
            .map(|(id, (_, a))| (a.clone(), id.clone()))
            .collect())
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let _f = InFlight::enter(&self.cloud);
        self.cloud
            .record(format!("update {} [{}]", ctx.address, changed.join(",")));
        self.check_known("update", planned)?;
        // A provider cannot change a force-new attribute in place: were the
        // engine to pass one, this fails as a real API would.
        if let Some(fixed) = changed
            .iter()
            .find(|c| self.schema.get(c).is_some_and(|a| a.force_new))
        {
            return Err(ProviderError::new(
                "test:Update",
                "NotUpdatable",
                format!("`{fixed}` cannot be changed in place"),
            ));
        }
        self.pause(planned, ctx.timeout).await?;
        if self
            .cloud
            .fail
            .lock()
            .is_ok_and(|f| f.contains(&ctx.address.to_string()))
        {
            return Err(ProviderError::new(
                "test:Update",
                "InjectedFailure",
                "update failed",
            ));
        }
        let mut objects = self
            .cloud
            .objects
            .lock()
            .map_err(|_| ProviderError::new("test:update", "Poisoned", "lock poisoned"))?;
        let obj = objects.get_mut(id).ok_or_else(|| {
            ProviderError::new("test:Update", "NotFound", format!("{id} not found"))
        })?;
        for name in changed {
            obj.insert(
                name.clone(),
                planned
                    .get(name)
                    .map(Value::deep_unmarked)
                    .unwrap_or_default(),
            );
        }
        if let Some(n) = obj.get("revision").and_then(Value::as_i64) {
            obj.insert("revision".into(), Value::from(n + 1));
        }
        if changed.iter().any(|c| c == "tags") {
            let (own, all) =
                cairn_core::tags::split_live(&ctx.create_tags(planned), &ctx.default_tags);
            obj.insert("tags".into(), cairn_core::tags::to_value(&own));
            obj.insert("tags_all".into(), cairn_core::tags::to_value(&all));
        }
        Ok(obj.clone())
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        let _f = InFlight::enter(&self.cloud);
        self.cloud.record(format!("delete {}", ctx.address));
        self.pause(prior, ctx.timeout).await?;
        if self
            .cloud
            .fail_delete
            .lock()
            .is_ok_and(|f| f.contains(&ctx.address.to_string()))
        {
            return Err(ProviderError::new(
                "test:Delete",
                "InjectedFailure",
                "delete failed",
            ));
        }
        if let Ok(mut o) = self.cloud.objects.lock() {
            o.remove(id);
        }
        Ok(())
    }
}
