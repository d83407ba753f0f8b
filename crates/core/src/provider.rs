//! The provider contract: what a resource type or data source implements.
//!
//! A new resource type is one file in its provider crate implementing
//! [`Resource`], plus one test file against moto.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::address::Address;
use crate::checks::StackCheck;
use crate::schema::Schema;
use crate::tags::{self, Tags};
use crate::value::Object;

/// One resource to refresh: its id and the attributes last recorded.
#[derive(Debug, Clone, Copy)]
pub struct ReadRequest<'a> {
    pub id: &'a str,
    pub prior: &'a Object,
}

#[derive(Debug, Clone)]
pub enum ReadOutcome {
    Live(Object),
    /// The resource no longer exists (deleted outside cairn, or in a
    /// terminal "deleted" state).
    Gone,
}

/// What a provider needs to know about the operation besides the attributes.
#[derive(Debug, Clone)]
pub struct OpContext {
    pub address: Address,
    /// `stack/env`, the value of the `cairn:stack` ownership tag.
    pub stack: String,
    pub default_tags: Tags,
    /// Deterministic per stack, env, address and planned create: a create
    /// retried after a crash passes the same token.
    pub idempotency_token: String,
    /// Upper bound for waiting on asynchronous completion.
    pub timeout: Duration,
    /// Where a long wait says what it is waiting for.
    pub progress: Progress,
}

/// A line an operation reports while it waits ("2 DNS records pending:
/// ..."), shown with the apply's progress; nowhere by default.
#[derive(Clone, Default)]
pub struct Progress(Option<Report>);

type Report = Arc<dyn Fn(&str) + Send + Sync>;

impl Progress {
    pub fn new(report: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(report)))
    }

    pub fn report(&self, line: &str) {
        if let Some(report) = &self.0 {
            report(line);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(on)"
        } else {
            "Progress(off)"
        })
    }
}

impl OpContext {
    /// The tags to create a resource with: default tags, then the resource's
    /// own `tags`, then the ownership tags (which nothing may override).
    pub fn create_tags(&self, planned: &Object) -> Tags {
        let mut all = self.default_tags.clone();
        all.extend(tags::from_value(planned.get("tags")));
        all.extend(self.ownership_tags());
        all
    }

    /// Whether `live` tags mark an object as this stack's and address's:
    /// a leftover of an interrupted apply that a retried create may adopt.
    pub fn owns(&self, live: &Tags) -> bool {
        self.ownership_tags()
            .iter()
            .all(|(k, v)| live.get(k) == Some(v))
    }

    pub fn ownership_tags(&self) -> Tags {
        [
            (tags::STACK_TAG.to_string(), self.stack.clone()),
            (tags::ADDRESS_TAG.to_string(), self.address.to_string()),
        ]
        .into()
    }
}

/// An error from a provider operation. The engine adds the resource address;
/// the CLI renders all of it.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ProviderError {
    /// The API call, e.g. `ec2:CreateVpc`.
    pub operation: String,
    /// The AWS error code (`InvalidVpcID.NotFound`), or a cairn code
    /// (`Timeout`, `Unsupported`, `InvalidResponse`) when AWS gave none.
    pub code: String,
    pub message: String,
    /// Whether trying again later could succeed.
    pub retryable: bool,
    /// The resource exists despite the error (created, then a follow-up call
    /// failed): the engine records it in state so it is never lost.
    pub partial: Option<Box<Object>>,
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: {}: {}",
            self.operation, self.code, self.message
        )
    }
}

impl ProviderError {
    pub fn new(
        operation: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ProviderError {
            operation: operation.into(),
            code: code.into(),
            message: message.into(),
            retryable: false,
            partial: None,
        }
    }

    pub fn with_partial(mut self, obj: Object) -> Self {
        self.partial = Some(Box::new(obj));
        self
    }

    /// `update` was given an attribute the type cannot change in place: a
    /// schema that should mark it `force_new`, never a change to drop.
    pub fn not_updatable(type_name: &str, attribute: &str) -> Self {
        ProviderError::new(
            format!("{type_name}:update"),
            "NotUpdatable",
            format!("`{attribute}` cannot be changed in place; nothing was changed"),
        )
    }

    /// The object `id` was created before this error: recorded with only
    /// its id, so the next plan refreshes it instead of creating another.
    pub fn with_partial_id(self, id: &str) -> Self {
        self.with_partial([("id".to_string(), crate::Value::from(id))].into())
    }
}

/// A cross-attribute check a resource type makes offline, reported against
/// one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    pub attribute: String,
    pub message: String,
}

#[async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> &Schema;

    /// Offline checks that span attributes (known values only).
    fn validate(&self, _config: &Object) -> Vec<ValidationIssue> {
        Vec::new()
    }

    /// Changed attributes that force a replacement because of the
    /// configuration, beyond the schema's fixed `force_new` ones (e.g.
    /// `user_data` when `user_data_replace_on_change` is set).
    fn replaces_on(&self, _config: &Object, _changed: &[String]) -> Vec<String> {
        Vec::new()
    }

    /// The attribute that makes AWS refuse to delete the object as last
    /// recorded (`enable_deletion_protection = true`), if it is set. A plan
    /// that would destroy or replace such an object is refused before any
    /// call: AWS would refuse it halfway through an apply.
    fn deletion_protection(&self, _prior: &Object) -> Option<&'static str> {
        None
    }

    /// Batched read: one outcome per request, in order. A missing resource is
    /// `Gone`, never an error of the batch.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError>;

    /// Creates the resource with its tags in the create call itself, waits
    /// until it is usable, and returns every attribute (`id` included).
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError>;

    /// Every object of this type tagged as this stack's (`cairn:stack`), as
    /// (address from `cairn:address`, id): what an apply that died between a
    /// create call and its state write left behind. The engine lists each
    /// type once per plan and once per apply (before any create), and a
    /// create whose address has an object state does not know adopts it
    /// instead of making a second. One batched read for the whole stack,
    /// never one per object. Types without tags return none and must be
    /// safe to create twice by identity (a name, or a rule that can exist
    /// only once, found by create itself).
    async fn owned_by_stack(&self, _stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(Vec::new())
    }

    /// Reads an existing object by the id a user gives to `cairn import` or
    /// an `[[import]]` block: `Gone` if there is none. By default, the
    /// batched read with no prior attributes; types whose read needs them
    /// (or whose import id is composite) override it.
    async fn import(&self, id: &str, ctx: &ReadContext) -> Result<ReadOutcome, ProviderError> {
        let prior = Object::new();
        let mut out = self.read(&[ReadRequest { id, prior: &prior }], ctx).await?;
        Ok(out.pop().unwrap_or(ReadOutcome::Gone))
    }

    /// Applies the changed attributes in place and returns the new attributes.
    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError>;

    /// Deletes the resource and waits until it is gone. Deleting something
    /// already gone succeeds.
    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError>;
}

/// What a read needs besides the ids: the default tags, to tell a resource's
/// own tags from inherited ones, and the stack (`stack/env`), whose
/// ownership tag lists many resources' tags in one call.
#[derive(Debug, Clone, Default)]
pub struct ReadContext {
    pub default_tags: Tags,
    pub stack: String,
}

#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// Reads with the configured (known) arguments; matching nothing, or more
    /// than one thing where one is expected, is an error naming the filters.
    async fn read(&self, config: &Object) -> Result<Object, ProviderError>;
}

/// The resource types and data sources one configured provider offers.
/// Building a registry makes no network call: clients are created lazily, so
/// `validate` works offline with the same registry that `apply` uses.
#[derive(Clone, Default)]
pub struct Registry {
    resources: BTreeMap<&'static str, Arc<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Arc<dyn DataSource>>,
    checks: Vec<Arc<dyn StackCheck>>,
}

impl Registry {
    pub fn add_resource(&mut self, r: Arc<dyn Resource>) {
        self.resources.insert(r.type_name(), r);
    }
    pub fn add_data_source(&mut self, d: Arc<dyn DataSource>) {
        self.data_sources.insert(d.type_name(), d);
    }
    /// A check across resources the provider makes offline.
    pub fn add_check(&mut self, c: Arc<dyn StackCheck>) {
        self.checks.push(c);
    }
    pub fn checks(&self) -> &[Arc<dyn StackCheck>] {
        &self.checks
    }
    /// Adds every type and check of `other`.
    pub fn extend(&mut self, other: Registry) {
        self.resources.extend(other.resources);
        self.data_sources.extend(other.data_sources);
        self.checks.extend(other.checks);
    }
    pub fn resource(&self, type_name: &str) -> Option<&Arc<dyn Resource>> {
        self.resources.get(type_name)
    }
    pub fn data_source(&self, type_name: &str) -> Option<&Arc<dyn DataSource>> {
        self.data_sources.get(type_name)
    }
    pub fn resource_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.resources.keys().copied()
    }
    pub fn data_source_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.data_sources.keys().copied()
    }
    /// The schema of a managed resource type or a data source.
    pub fn schema(&self, mode: crate::Mode, type_name: &str) -> Option<&Schema> {
        match mode {
            crate::Mode::Managed => self.resource(type_name).map(|r| r.schema()),
            crate::Mode::Data => self.data_source(type_name).map(|d| d.schema()),
        }
    }
}

/// Every configured provider: `aws` and its aliases (`aws.prod_db`), each
/// a registry built from its own settings (region, account, endpoint).
/// Schemas are the same in all of them.
#[derive(Clone, Default)]
pub struct Providers {
    configs: BTreeMap<String, Registry>,
}

impl Providers {
    /// One configuration, named `aws`.
    pub fn single(registry: Registry) -> Self {
        let mut p = Providers::default();
        p.insert("aws", registry);
        p
    }
    pub fn insert(&mut self, name: impl Into<String>, registry: Registry) {
        self.configs.insert(name.into(), registry);
    }
    pub fn get(&self, name: &str) -> Option<&Registry> {
        self.configs.get(name)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.configs.keys().map(String::as_str)
    }
    /// A registry to read schemas from (they do not depend on settings).
    pub fn schemas(&self) -> &Registry {
        static EMPTY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
        self.configs
            .get("aws")
            .or_else(|| self.configs.values().next())
            .unwrap_or_else(|| EMPTY.get_or_init(Registry::default))
    }
    pub fn resource(&self, provider: &str, type_name: &str) -> Option<&Arc<dyn Resource>> {
        self.get(provider)?.resource(type_name)
    }
    pub fn data_source(&self, provider: &str, type_name: &str) -> Option<&Arc<dyn DataSource>> {
        self.get(provider)?.data_source(type_name)
    }
}
