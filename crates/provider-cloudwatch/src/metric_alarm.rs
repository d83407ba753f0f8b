//! `aws_cloudwatch_metric_alarm`: an alarm on one metric (the ECS estate's
//! CPU, memory and running-task alarms on `AWS/ECS` and
//! `ECS/ContainerInsights` by `ClusterName`/`ServiceName`). id = the alarm
//! name, which forces a new alarm; everything else changes in place with
//! PutMetricAlarm, which replaces the whole alarm (and ignores tags for an
//! alarm that exists: those go through TagResource/UntagResource).
//!
//! Alarms named `TargetTracking-...` are made and owned by Application
//! Auto Scaling target tracking policies: never adopted, listed or read as
//! this type's.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, MetricAlarm as SdkAlarm, StandardUnit, Statistic, Tag,
};
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture, Tagging, TagsByArn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::CloudWatch;

/// DescribeAlarms takes up to 100 alarm names per call.
const BATCH: usize = 100;
const READ_CONCURRENCY: usize = 8;
/// The prefix of the alarms target tracking scaling policies make.
const TARGET_TRACKING: &str = "TargetTracking-";
/// The resource type of alarms in the Resource Groups Tagging API.
const TAGGING_TYPE: &str = "cloudwatch:alarm";

const OPERATORS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];
const STATISTICS: &[&str] = &["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const MISSING_DATA: &[&str] = &["missing", "ignore", "breaching", "notBreaching"];
/// AWS's limit on each of the action lists.
const MAX_ACTIONS: usize = 5;
const MAX_DIMENSIONS: usize = 30;

pub struct MetricAlarm {
    cw: Arc<CloudWatch>,
    tagging: Arc<Tagging>,
}

impl MetricAlarm {
    pub fn new(cw: Arc<CloudWatch>, tagging: Arc<Tagging>) -> Self {
        MetricAlarm { cw, tagging }
    }
}

fn whole_at_least_1(v: &Value) -> Result<(), String> {
    match v.as_f64() {
        Some(n) if n < 1.0 || n.fract() != 0.0 || n > i32::MAX as f64 => {
            Err("must be a whole number of at least 1".into())
        }
        _ => Ok(()),
    }
}

/// CloudWatch accepts 10, 20 and 30 seconds (high-resolution metrics) and
/// any multiple of 60.
fn period(v: &Value) -> Result<(), String> {
    match v.as_f64() {
        Some(n)
            if n.fract() != 0.0
                || !(n == 10.0 || n == 20.0 || n == 30.0 || (n >= 60.0 && n % 60.0 == 0.0)) =>
        {
            Err(format!(
                "{n} is not a period CloudWatch accepts: 10, 20, 30 or a multiple of 60 seconds"
            ))
        }
        _ => Ok(()),
    }
}

fn alarm_name(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if s.is_empty() || s.len() > 255 => Err("must be 1 to 255 characters".into()),
        Some(s) if s.starts_with(TARGET_TRACKING) => Err(format!(
            "names starting with `{TARGET_TRACKING}` belong to the alarms Application Auto Scaling target tracking makes"
        )),
        _ => Ok(()),
    }
}

fn unit(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if !StandardUnit::values().contains(&s) => Err(format!(
            "must be one of {}",
            StandardUnit::values().join(", ")
        )),
        _ => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let actions = || Attribute::new(Type::set(Type::String));
        Schema::new()
            .describe("A CloudWatch alarm on one metric; id = alarm_name, which forces a new alarm; everything else changes in place (PutMetricAlarm).")
            .attr(
                "alarm_name",
                Attribute::string().required().force_new().check(Check::Custom(alarm_name)),
            )
            .attr(
                "comparison_operator",
                Attribute::string().required().check(Check::OneOf(OPERATORS)),
            )
            .attr(
                "evaluation_periods",
                Attribute::number().required().check(Check::Custom(whole_at_least_1)),
            )
            .attr("metric_name", Attribute::string().required())
            .attr("namespace", Attribute::string().required())
            .attr(
                "period",
                Attribute::number()
                    .required()
                    .check(Check::Custom(period))
                    .describe("seconds: 10, 20, 30 or a multiple of 60"),
            )
            .attr(
                "statistic",
                Attribute::string().required().check(Check::OneOf(STATISTICS)),
            )
            .attr("threshold", Attribute::number().required())
            .attr("dimensions", Attribute::new(Type::map(Type::String)))
            .attr("unit", Attribute::string().check(Check::Custom(unit)))
            .attr("alarm_description", Attribute::string())
            .attr("alarm_actions", actions())
            .attr("ok_actions", actions())
            .attr("insufficient_data_actions", actions())
            .attr("actions_enabled", Attribute::bool().default(true))
            .attr(
                "datapoints_to_alarm",
                Attribute::number()
                    .check(Check::Custom(whole_at_least_1))
                    .describe("M of an M-out-of-N alarm; unset: evaluation_periods"),
            )
            .attr(
                "treat_missing_data",
                Attribute::string().default("missing").check(Check::OneOf(MISSING_DATA)),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn strings(v: &[String]) -> Value {
    let mut v = v.to_vec();
    v.sort();
    Value::from(v)
}

fn object(a: &SdkAlarm, live: &tags::Tags, default_tags: &tags::Tags) -> Object {
    let name = a.alarm_name().unwrap_or_default();
    let mut obj = Object::new();
    obj.insert("id".into(), name.into());
    obj.insert("alarm_name".into(), name.into());
    obj.insert("arn".into(), a.alarm_arn().unwrap_or_default().into());
    obj.insert(
        "comparison_operator".into(),
        Value::from(a.comparison_operator().map(|c| c.as_str())),
    );
    obj.insert("evaluation_periods".into(), a.evaluation_periods().into());
    obj.insert("metric_name".into(), a.metric_name().into());
    obj.insert("namespace".into(), a.namespace().into());
    obj.insert("period".into(), a.period().into());
    obj.insert(
        "statistic".into(),
        Value::from(a.statistic().map(|s| s.as_str())),
    );
    obj.insert(
        "threshold".into(),
        a.threshold().map_or(Value::Null, Value::Number),
    );
    obj.insert(
        "dimensions".into(),
        Value::Map(
            a.dimensions()
                .iter()
                .filter_map(|d| Some((d.name()?.to_string(), Value::from(d.value()?))))
                .collect(),
        ),
    );
    obj.insert("unit".into(), Value::from(a.unit().map(|u| u.as_str())));
    obj.insert(
        "alarm_description".into(),
        Value::from(a.alarm_description()),
    );
    obj.insert("alarm_actions".into(), strings(a.alarm_actions()));
    obj.insert("ok_actions".into(), strings(a.ok_actions()));
    obj.insert(
        "insufficient_data_actions".into(),
        strings(a.insufficient_data_actions()),
    );
    obj.insert(
        "actions_enabled".into(),
        a.actions_enabled().unwrap_or(true).into(),
    );
    obj.insert("datapoints_to_alarm".into(), a.datapoints_to_alarm().into());
    obj.insert(
        "treat_missing_data".into(),
        a.treat_missing_data().unwrap_or("missing").into(),
    );
    tags::set_live(&mut obj, live, default_tags);
    obj
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn live_tags(t: &[Tag]) -> tags::Tags {
    t.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

/// The alarm name in an alarm ARN (`arn:aws:cloudwatch:R:A:alarm:NAME`; a
/// name may hold colons).
fn name_of(arn: &str) -> Option<&str> {
    arn.splitn(7, ':').nth(6)
}

impl MetricAlarm {
    /// The metric alarms of these names: one call per 100 names and page.
    async fn describe(&self, names: &[&str]) -> Result<HashMap<String, SdkAlarm>, ProviderError> {
        let client = self.cw.client().await?;
        let mut out = HashMap::new();
        for chunk in names.chunks(BATCH) {
            let pages = client
                .describe_alarms()
                .set_alarm_names(Some(chunk.iter().map(|s| s.to_string()).collect()))
                .alarm_types(AlarmType::MetricAlarm)
                .max_records(100)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("cloudwatch:DescribeAlarms", e))?;
            out.extend(
                pages
                    .into_iter()
                    .flat_map(|p| p.metric_alarms.unwrap_or_default())
                    .filter_map(|a| Some((a.alarm_name()?.to_string(), a))),
            );
        }
        Ok(out)
    }

    async fn tags_of(&self, arn: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.cw.client().await?;
        let out = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| error("cloudwatch:ListTagsForResource", e))?;
        Ok(live_tags(out.tags()))
    }

    /// Writes the whole alarm as planned; `tags` only count for a new one.
    async fn put(&self, planned: &Object, tags: Option<&tags::Tags>) -> Result<(), ProviderError> {
        let client = self.cw.client().await?;
        let dimensions = planned.get("dimensions").and_then(Value::as_map).map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some(Dimension::builder().name(k).value(v.as_str()?).build()))
                .collect()
        });
        let list = |k: &str| Some(planned.strings(k));
        client
            .put_metric_alarm()
            .alarm_name(planned.str("alarm_name").unwrap_or_default())
            .comparison_operator(ComparisonOperator::from(
                planned.str("comparison_operator").unwrap_or_default(),
            ))
            .set_evaluation_periods(planned.i64("evaluation_periods").map(|n| n as i32))
            .set_metric_name(planned.str("metric_name").map(str::to_string))
            .set_namespace(planned.str("namespace").map(str::to_string))
            .set_period(planned.i64("period").map(|n| n as i32))
            .set_statistic(planned.str("statistic").map(Statistic::from))
            .set_threshold(planned.get("threshold").and_then(Value::as_f64))
            .set_dimensions(dimensions)
            .set_unit(planned.str("unit").map(StandardUnit::from))
            .set_alarm_description(planned.str("alarm_description").map(str::to_string))
            .set_alarm_actions(list("alarm_actions"))
            .set_ok_actions(list("ok_actions"))
            .set_insufficient_data_actions(list("insufficient_data_actions"))
            .actions_enabled(planned.bool("actions_enabled").unwrap_or(true))
            .set_datapoints_to_alarm(planned.i64("datapoints_to_alarm").map(|n| n as i32))
            .treat_missing_data(planned.str("treat_missing_data").unwrap_or("missing"))
            .set_tags(tags.map(sdk_tags))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("cloudwatch:PutMetricAlarm", e))
    }

    /// Brings an alarm's tags from `live` to what `ctx` and `planned` want.
    async fn write_tags(
        &self,
        arn: &str,
        desired: &tags::Tags,
        live: &tags::Tags,
    ) -> Result<(), ProviderError> {
        let client = self.cw.client().await?;
        let tag = |set: tags::Tags| async move {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("cloudwatch:TagResource", e))
        };
        let untag = |keys: Vec<String>| async move {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("cloudwatch:UntagResource", e))
        };
        cairn_aws::write_tag_changes(desired, live, tag, untag).await
    }

    /// The alarm just written, with the tags it was written with.
    async fn written(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let name = planned.str("alarm_name").unwrap_or_default();
        let alarm = self.describe(&[name]).await?.remove(name).ok_or_else(|| {
            ProviderError::new(
                "cloudwatch:DescribeAlarms",
                "ResourceNotFound",
                format!("alarm {name} not found after writing it"),
            )
        })?;
        Ok(object(&alarm, &ctx.create_tags(planned), &ctx.default_tags))
    }
}

#[async_trait]
impl Resource for MetricAlarm {
    fn type_name(&self) -> &'static str {
        "aws_cloudwatch_metric_alarm"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let mut issue = |attribute: &str, message: String| {
            issues.push(ValidationIssue {
                attribute: attribute.into(),
                message,
            })
        };
        if let (Some(m), Some(n)) = (
            config.i64("datapoints_to_alarm"),
            config.i64("evaluation_periods"),
        ) {
            if m > n {
                issue(
                    "datapoints_to_alarm",
                    format!("datapoints_to_alarm ({m}) is above evaluation_periods ({n})"),
                );
            }
        }
        for list in ["alarm_actions", "ok_actions", "insufficient_data_actions"] {
            let n = config
                .get(list)
                .and_then(Value::as_list)
                .map_or(0, <[Value]>::len);
            if n > MAX_ACTIONS {
                issue(
                    list,
                    format!("{n} actions; CloudWatch takes at most {MAX_ACTIONS}"),
                );
            }
        }
        let dims = config
            .get("dimensions")
            .and_then(Value::as_map)
            .map_or(0, Object::len);
        if dims > MAX_DIMENSIONS {
            issue(
                "dimensions",
                format!("{dims} dimensions; CloudWatch takes at most {MAX_DIMENSIONS}"),
            );
        }
        if config
            .str("alarm_description")
            .is_some_and(|d| d.len() > 1024)
        {
            issue("alarm_description", "longer than 1024 characters".into());
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        // Target tracking's own alarms are never this type's.
        let names: Vec<&str> = requests
            .iter()
            .map(|r| r.id)
            .filter(|n| !n.starts_with(TARGET_TRACKING))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let alarms = self.describe(&names).await?;
        // Tags of the stack's alarms in one listing; any other alarm (an
        // import, or one whose ownership tag was removed) read on its own.
        let owned = if alarms.is_empty() {
            TagsByArn::default()
        } else {
            self.tagging.owned(TAGGING_TYPE, &ctx.stack).await?
        };
        let reads = requests
            .iter()
            .map(|r| {
                let alarm = alarms
                    .get(r.id)
                    .filter(|_| !r.id.starts_with(TARGET_TRACKING));
                let owned = &owned;
                Box::pin(async move {
                    let Some(a) = alarm else { return Ok(None) };
                    let arn = a.alarm_arn().unwrap_or_default();
                    let live = match owned.get(arn) {
                        Some(t) => t.clone(),
                        None => self.tags_of(arn).await?,
                    };
                    Ok(Some(object(a, &live, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(self
            .tagging
            .owned(TAGGING_TYPE, stack)
            .await?
            .iter()
            .filter_map(|(arn, t)| {
                let name = name_of(arn).filter(|n| !n.starts_with(TARGET_TRACKING))?;
                tags::owned_entry(stack, name, t)
            })
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let name = planned.str("alarm_name").unwrap_or_default().to_string();
        cairn_aws::created_id("cloudwatch:PutMetricAlarm", Some(&name))?;
        // PutMetricAlarm overwrites an alarm of the same name: only one this
        // address made (an interrupted apply's) may be taken over.
        let desired = ctx.create_tags(planned);
        match self.describe(&[name.as_str()]).await?.remove(&name) {
            None => self.put(planned, Some(&desired)).await?,
            Some(existing) => {
                let arn = existing.alarm_arn().unwrap_or_default().to_string();
                let live = self.tags_of(&arn).await?;
                if !ctx.owns(&live) {
                    return Err(ProviderError::new(
                        "cloudwatch:PutMetricAlarm",
                        "ResourceAlreadyExists",
                        format!(
                            "an alarm named {name} exists and was not made by this address; \
                             import it (id = the alarm name) or choose another name"
                        ),
                    ));
                }
                self.put(planned, None).await?;
                self.write_tags(&arn, &desired, &live)
                    .await
                    .map_err(|e| e.with_partial_id(&name))?;
            }
        }
        self.written(ctx, planned)
            .await
            .map_err(|e| e.with_partial_id(&name))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        _id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let mut put = false;
        let mut retag = false;
        for name in changed {
            match name.as_str() {
                "tags" => retag = true,
                "alarm_name" => return Err(ProviderError::not_updatable(self.type_name(), name)),
                n if schema().get(n).is_some_and(|a| a.is_configurable()) => put = true,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if put {
            self.put(planned, None).await?;
        }
        if retag {
            let arn = prior.str("arn").unwrap_or_default();
            let live = tags::from_value(prior.get("tags_all"));
            self.write_tags(arn, &ctx.create_tags(planned), &live)
                .await?;
        }
        self.written(ctx, planned).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.cw.client().await?;
        delete_with_retry("CloudWatch alarm", &[], || async {
            client
                .delete_alarms()
                .alarm_names(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("cloudwatch:DeleteAlarms", e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn periods_are_what_cloudwatch_accepts() {
        for ok in [10, 20, 30, 60, 300, 3600] {
            assert!(period(&Value::from(ok)).is_ok(), "{ok}");
        }
        for bad in [0, 5, 45, 90, 61] {
            assert!(period(&Value::from(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn target_tracking_names_and_impossible_settings_are_refused_offline() {
        assert!(alarm_name(&"TargetTracking-service/c/s-AlarmHigh-1".into()).is_err());
        assert!(alarm_name(&"tracker-api-cpu-high".into()).is_ok());
        assert!(unit(&"Percent".into()).is_ok());
        assert!(unit(&"percent".into()).is_err());
        let r = MetricAlarm::new(
            Arc::new(CloudWatch::new(
                cairn_aws::AwsContext::new(Default::default()),
                cairn_aws::sdk_client!(aws_sdk_cloudwatch),
            )),
            Arc::new(Tagging::new(cairn_aws::AwsContext::new(Default::default()))),
        );
        let six: Vec<Value> = (0..6)
            .map(|i| Value::from(format!("arn:aws:sns:eu-west-2:1:t{i}")))
            .collect();
        let issues = r.validate(&config(&[
            ("evaluation_periods", 2.into()),
            ("datapoints_to_alarm", 3.into()),
            ("alarm_actions", Value::List(six)),
        ]));
        let attrs: Vec<&str> = issues.iter().map(|i| i.attribute.as_str()).collect();
        assert_eq!(attrs, ["datapoints_to_alarm", "alarm_actions"]);
    }

    #[test]
    fn alarm_names_come_out_of_arns_whole() {
        assert_eq!(
            name_of("arn:aws:cloudwatch:eu-west-2:123456789012:alarm:a:b"),
            Some("a:b")
        );
    }
}
