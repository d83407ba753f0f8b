//! `aws_s3_bucket`: the bucket itself (its configurations are types of
//! their own). The name and object lock force a new bucket; tags change in
//! place. A bucket with objects is deleted only with `force_destroy`,
//! which empties it (every version) first.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};
use cairn_aws::{error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Value,
};

use crate::S3;

const READ_CONCURRENCY: usize = 8;

pub struct Bucket {
    s3: Arc<S3>,
}

impl Bucket {
    pub fn new(s3: Arc<S3>) -> Self {
        Bucket { s3 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An S3 bucket; its versioning, encryption, public access block and lifecycle are types of their own. A bucket with objects is deleted only with `force_destroy`.")
            .attr("bucket", Attribute::string().required().force_new())
            .attr(
                "force_destroy",
                Attribute::bool()
                    .default(false)
                    .describe("Empty the bucket (every object version) when destroying it."),
            )
            .attr("object_lock_enabled", Attribute::bool().default(false).force_new())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("bucket_domain_name", Attribute::string().computed())
            .attr("bucket_regional_domain_name", Attribute::string().computed())
            .attr("region", Attribute::string().computed())
            .with_tags()
    })
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl Bucket {
    /// The names of every bucket the account has: one call.
    async fn names(&self) -> Result<HashSet<String>, ProviderError> {
        let client = self.s3.client().await?;
        let out = client
            .list_buckets()
            .send()
            .await
            .map_err(|e| error("s3:ListBuckets", e))?;
        Ok(out
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string))
            .collect())
    }

    async fn live_tags(&self, bucket: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.s3.client().await?;
        match client.get_bucket_tagging().bucket(bucket).send().await {
            Ok(out) => Ok(out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()),
            Err(e) => {
                let e = error("s3:GetBucketTagging", e);
                if e.code == "NoSuchTagSet" {
                    Ok(tags::Tags::new())
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn object(
        &self,
        bucket: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let region = self.s3.region().await;
        let live = self.live_tags(bucket).await?;
        let mut obj = Object::new();
        obj.insert("id".into(), bucket.into());
        obj.insert("bucket".into(), bucket.into());
        obj.insert("arn".into(), format!("arn:aws:s3:::{bucket}").into());
        obj.insert(
            "bucket_domain_name".into(),
            format!("{bucket}.s3.amazonaws.com").into(),
        );
        obj.insert(
            "bucket_regional_domain_name".into(),
            format!("{bucket}.s3.{region}.amazonaws.com").into(),
        );
        obj.insert("region".into(), region.as_str().into());
        // cairn's own setting, and one fixed at create: kept as recorded.
        for (name, default) in [("force_destroy", false), ("object_lock_enabled", false)] {
            obj.insert(
                name.into(),
                Value::from(prior.bool(name).unwrap_or(default)),
            );
        }
        tags::set_live(&mut obj, &live, default_tags);
        Ok(obj)
    }

    async fn put_tags(&self, bucket: &str, all: &tags::Tags) -> Result<(), ProviderError> {
        let client = self.s3.client().await?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(sdk_tags(all)))
            .build()
            .map_err(|e| {
                ProviderError::new("s3:PutBucketTagging", "InvalidRequest", e.to_string())
            })?;
        client
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:PutBucketTagging", e))
    }

    /// Deletes every object version and delete marker, 1,000 at a time.
    async fn empty(&self, bucket: &str) -> Result<(), ProviderError> {
        let client = self.s3.client().await?;
        loop {
            let out = client
                .list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| error("s3:ListObjectVersions", e))?;
            let ids: Vec<ObjectIdentifier> = out
                .versions()
                .iter()
                .filter_map(|v| Some((v.key()?, v.version_id())))
                .chain(
                    out.delete_markers()
                        .iter()
                        .filter_map(|m| Some((m.key()?, m.version_id()))),
                )
                .filter_map(|(k, v)| {
                    ObjectIdentifier::builder()
                        .key(k)
                        .set_version_id(v.map(str::to_string))
                        .build()
                        .ok()
                })
                .collect();
            if ids.is_empty() {
                return Ok(());
            }
            for chunk in ids.chunks(1000) {
                let delete = Delete::builder()
                    .set_objects(Some(chunk.to_vec()))
                    .quiet(true)
                    .build()
                    .map_err(|e| {
                        ProviderError::new("s3:DeleteObjects", "InvalidRequest", e.to_string())
                    })?;
                let out = client
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| error("s3:DeleteObjects", e))?;
                // A version that cannot go (object lock retention, a legal
                // hold) would be listed again forever: stop and say which.
                if let Some(failed) = out.errors().first() {
                    return Err(ProviderError::new(
                        "s3:DeleteObjects",
                        failed.code().unwrap_or("DeleteFailed"),
                        format!(
                            "bucket {bucket}: {} of {} versions could not be deleted, first {} (version {}): {}; object lock retention and legal holds keep versions until they end",
                            out.errors().len(),
                            chunk.len(),
                            failed.key().unwrap_or("?"),
                            failed.version_id().unwrap_or("-"),
                            failed.message().unwrap_or("no message"),
                        ),
                    ));
                }
            }
        }
    }
}

#[async_trait]
impl Resource for Bucket {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let names = self.names().await?;
        let reads = requests
            .iter()
            .map(|r| {
                let exists = names.contains(r.id);
                Box::pin(async move {
                    if !exists {
                        return Ok(None);
                    }
                    self.object(r.id, r.prior, &ctx.default_tags)
                        .await
                        .map(Some)
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    // Bucket names are global and the bucket's tags come in a second call:
    // a create retried after a crash adopts the bucket when this account
    // owns it already and it carries this address's ownership tags, or no
    // tags at all (the crash fell between the two calls).
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.s3.client().await?;
        let bucket = planned.str("bucket").unwrap_or_default();
        let region = self.s3.region().await;
        let location = (!region.is_empty() && region != "us-east-1").then(|| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build()
        });
        let created = client
            .create_bucket()
            .bucket(bucket)
            .set_create_bucket_configuration(location)
            .object_lock_enabled_for_bucket(planned.bool("object_lock_enabled").unwrap_or(false))
            .send()
            .await;
        if let Err(e) = created {
            let e = error("s3:CreateBucket", e);
            if e.code != "BucketAlreadyOwnedByYou" {
                return Err(e);
            }
            let live = self.live_tags(bucket).await?;
            let ours = live.is_empty() || ctx.owns(&live);
            if !ours {
                return Err(ProviderError {
                    message: format!(
                        "{}: bucket {bucket} belongs to another stack or address of this account",
                        e.message
                    ),
                    ..e
                });
            }
        }
        self.put_tags(bucket, &ctx.create_tags(planned))
            .await
            .map_err(|e| e.with_partial_id(bucket))?;
        self.object(bucket, planned, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(bucket))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        for name in changed {
            match name.as_str() {
                // S3 replaces the whole tag set in one call.
                "tags" => self.put_tags(id, &ctx.create_tags(planned)).await?,
                "force_destroy" => {}
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.object(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.s3.client().await?;
        if prior.bool("force_destroy").unwrap_or(false) {
            match self.empty(id).await {
                Err(e) if e.code == "NoSuchBucket" => return Ok(()),
                other => other?,
            }
        }
        match client.delete_bucket().bucket(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("s3:DeleteBucket", e);
                match e.code.as_str() {
                    "NoSuchBucket" => Ok(()),
                    "BucketNotEmpty" => Err(ProviderError {
                        message: format!(
                            "{}: bucket {id} still holds objects; set `force_destroy = true` (and apply) to delete them with it",
                            e.message
                        ),
                        ..e
                    }),
                    _ => Err(e),
                }
            }
        }
    }
}
