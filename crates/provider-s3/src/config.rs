//! What the bucket configuration types share: each is one `BucketConfig`
//! (how to get, put and remove it), and `Config` makes it a resource type.
//! Every attribute but `bucket` changes in place (a put replaces the whole
//! configuration); putting the same configuration again is harmless, so a
//! create retried after a crash is safe.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use cairn_aws::{read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    ValidationIssue, Value,
};

use crate::S3;

const READ_CONCURRENCY: usize = 8;

#[async_trait]
pub trait BucketConfig: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    /// The schema, `bucket` (force-new) and `id` included.
    fn schema(&self) -> &'static Schema;
    fn validate(&self, _config: &Object) -> Vec<ValidationIssue> {
        Vec::new()
    }
    /// The configuration's attributes, or `None` when the bucket has none
    /// (or is gone).
    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError>;
    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError>;
    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        prior: &Object,
    ) -> Result<(), ProviderError>;
}

pub struct Config<K> {
    s3: Arc<S3>,
    kind: K,
}

impl<K: BucketConfig> Config<K> {
    pub fn new(s3: Arc<S3>, kind: K) -> Self {
        Config { s3, kind }
    }

    async fn read_one(&self, bucket: &str) -> Result<Option<Object>, ProviderError> {
        let client = self.s3.client().await?;
        Ok(self.kind.get(client, bucket).await?.map(|mut o| {
            o.insert("id".into(), Value::from(bucket));
            o.insert("bucket".into(), Value::from(bucket));
            o
        }))
    }

    async fn put(&self, bucket: &str, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.s3.client().await?;
        self.kind.put(client, bucket, planned).await?;
        self.read_one(bucket).await?.ok_or_else(|| {
            ProviderError::new(
                format!("{}:read", self.kind.type_name()),
                "NotFound",
                format!("the configuration of bucket {bucket} is not found after writing it"),
            )
        })
    }
}

/// An S3 error that means "this bucket has no such configuration".
pub fn is_absent(e: &ProviderError) -> bool {
    cairn_aws::is_not_found(e) || e.code.starts_with("NoSuch") || e.code.ends_with("NotFoundError")
}

#[async_trait]
impl<K: BucketConfig> Resource for Config<K> {
    fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    fn schema(&self) -> &Schema {
        self.kind.schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        self.kind.validate(config)
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| Box::pin(self.read_one(r.id)) as ReadFuture<'_>)
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        self.put(planned.str("bucket").unwrap_or_default(), planned)
            .await
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        if let Some(other) = changed.iter().find(|c| *c == "bucket") {
            return Err(ProviderError::not_updatable(self.type_name(), other));
        }
        self.put(id, planned).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.s3.client().await?;
        match self.kind.remove(client, id, prior).await {
            Err(e) if is_absent(&e) => Ok(()),
            other => other,
        }
    }
}
