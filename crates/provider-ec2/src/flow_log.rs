//! `aws_flow_log`: a VPC's (or subnet's, or interface's) traffic to
//! CloudWatch Logs or S3. Every attribute but the tags forces a new one.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::{FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType};
use cairn_aws::{created_id, error};
use cairn_core::provider::{ReadContext, ValidationIssue};
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Value,
};

use crate::common::{filter, from_sdk, read_by_ids, tag_spec, update_tags, Ec2};

/// What a flow log can watch: (attribute, API resource type).
const TARGETS: &[(&str, &str)] = &[
    ("vpc_id", "VPC"),
    ("subnet_id", "Subnet"),
    ("eni_id", "NetworkInterface"),
];

pub struct FlowLog {
    ec2: Arc<Ec2>,
}

impl FlowLog {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        FlowLog { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A VPC flow log.")
            .attr("vpc_id", Attribute::string().force_new())
            .attr("subnet_id", Attribute::string().force_new())
            .attr("eni_id", Attribute::string().force_new())
            .attr(
                "traffic_type",
                Attribute::string()
                    .default("ALL")
                    .force_new()
                    .check(Check::OneOf(&["ACCEPT", "REJECT", "ALL"])),
            )
            .attr(
                "log_destination_type",
                Attribute::string()
                    .default("cloud-watch-logs")
                    .force_new()
                    .check(Check::OneOf(&[
                        "cloud-watch-logs",
                        "s3",
                        "kinesis-data-firehose",
                    ])),
            )
            .attr(
                "log_destination",
                Attribute::string()
                    .required()
                    .force_new()
                    .describe("the log group's or bucket's ARN"),
            )
            .attr("iam_role_arn", Attribute::string().force_new())
            .attr(
                "max_aggregation_interval",
                Attribute::number()
                    .default(600)
                    .force_new()
                    .check(Check::Range(60, 600)),
            )
            .attr(
                "log_format",
                Attribute::string().optional_computed().force_new(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

impl FlowLog {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let region = self.ec2.region().await;
        let logs: Vec<_> = client
            .describe_flow_logs()
            .set_filter(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeFlowLogs", e))?;
        Ok(logs
            .into_iter()
            .filter_map(|l| {
                let id = l.flow_log_id()?.to_string();
                let resource = l.resource_id().unwrap_or_default();
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert(
                    "arn".into(),
                    crate::common::arn(&region, "", "vpc-flow-log", &id).into(),
                );
                for (attr, _) in TARGETS {
                    obj.insert((*attr).into(), Value::Null);
                }
                let attr = match resource.split('-').next() {
                    Some("vpc") => "vpc_id",
                    Some("subnet") => "subnet_id",
                    _ => "eni_id",
                };
                obj.insert(attr.into(), resource.into());
                obj.insert(
                    "traffic_type".into(),
                    Value::from(l.traffic_type().map(|t| t.as_str())),
                );
                obj.insert(
                    "log_destination_type".into(),
                    Value::from(l.log_destination_type().map(|t| t.as_str())),
                );
                obj.insert("log_destination".into(), Value::from(l.log_destination()));
                obj.insert(
                    "iam_role_arn".into(),
                    Value::from(l.deliver_logs_permission_arn()),
                );
                obj.insert(
                    "max_aggregation_interval".into(),
                    Value::from(l.max_aggregation_interval().unwrap_or(600) as i64),
                );
                obj.insert("log_format".into(), Value::from(l.log_format()));
                tags::set_live(&mut obj, &from_sdk(l.tags()), default_tags);
                Some((id, obj))
            })
            .collect())
    }
}

#[async_trait]
impl Resource for FlowLog {
    fn type_name(&self) -> &'static str {
        "aws_flow_log"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let set = TARGETS
            .iter()
            .filter(|(k, _)| config.get(*k).is_some_and(|v| !v.is_null()))
            .count();
        let mut issues = Vec::new();
        if set != 1 {
            issues.push(ValidationIssue {
                attribute: "vpc_id".into(),
                message: format!("set exactly one of vpc_id, subnet_id, eni_id (found {set})"),
            });
        }
        let to_logs = config.str("log_destination_type") != Some("s3");
        if to_logs && config.get("iam_role_arn").is_none_or(Value::is_null) {
            issues.push(ValidationIssue {
                attribute: "iam_role_arn".into(),
                message: "delivering to CloudWatch Logs needs iam_role_arn (a role the flow-logs service can assume)".into(),
            });
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "flow-log-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let client = self.ec2.client().await?;
        let logs: Vec<_> = client
            .describe_flow_logs()
            .filter(filter(&format!("tag:{}", tags::STACK_TAG), [stack]))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeFlowLogs", e))?;
        Ok(logs
            .iter()
            .filter_map(|l| tags::owned_entry(stack, l.flow_log_id()?, &from_sdk(l.tags())))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let (resource, kind) = TARGETS
            .iter()
            .find_map(|(attr, kind)| s(attr).map(|id| (id, *kind)))
            .unwrap_or_default();
        let out = client
            .create_flow_logs()
            .resource_ids(resource)
            .resource_type(FlowLogsResourceType::from(kind))
            .traffic_type(TrafficType::from(
                s("traffic_type").unwrap_or("ALL".into()).as_str(),
            ))
            .log_destination_type(LogDestinationType::from(
                s("log_destination_type")
                    .unwrap_or("cloud-watch-logs".into())
                    .as_str(),
            ))
            .set_log_destination(s("log_destination"))
            .set_deliver_logs_permission_arn(s("iam_role_arn"))
            .set_max_aggregation_interval(
                planned
                    .get("max_aggregation_interval")
                    .and_then(Value::as_i64)
                    .map(|n| n as i32),
            )
            .set_log_format(s("log_format"))
            .client_token(&ctx.idempotency_token)
            .tag_specifications(tag_spec(
                ResourceType::VpcFlowLog,
                &ctx.create_tags(planned),
            ))
            .send()
            .await
            .map_err(|e| error("ec2:CreateFlowLogs", e))?;
        if let Some(u) = out.unsuccessful().first() {
            let e = u.error();
            return Err(ProviderError::new(
                "ec2:CreateFlowLogs",
                e.and_then(|e| e.code()).unwrap_or("UnknownError"),
                e.and_then(|e| e.message()).unwrap_or_default(),
            ));
        }
        let id = created_id(
            "ec2:CreateFlowLogs",
            out.flow_log_ids().first().map(String::as_str),
        )?;
        self.read_filtered(
            vec![filter("flow-log-id", [id.as_str()])],
            &ctx.default_tags,
        )
        .await
        .and_then(|mut found| {
            found.remove(&id).ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeFlowLogs",
                    "InvalidFlowLogId.NotFound",
                    format!("flow log {id} not found after creating it"),
                )
            })
        })
        .map_err(|e| e.with_partial_id(&id))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        _changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        update_tags(client, id, ctx, prior, planned).await?;
        self.read_filtered(vec![filter("flow-log-id", [id])], &ctx.default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeFlowLogs",
                    "InvalidFlowLogId.NotFound",
                    format!("flow log {id} not found after tagging it"),
                )
            })
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let out = match client.delete_flow_logs().flow_log_ids(id).send().await {
            Ok(out) => out,
            // Deleting twice succeeds.
            Err(e) => {
                let e = error("ec2:DeleteFlowLogs", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                };
            }
        };
        match out.unsuccessful().first().and_then(|u| u.error()) {
            Some(e) if !e.code().unwrap_or_default().ends_with("NotFound") => {
                Err(ProviderError::new(
                    "ec2:DeleteFlowLogs",
                    e.code().unwrap_or("UnknownError"),
                    e.message().unwrap_or_default(),
                ))
            }
            _ => Ok(()),
        }
    }
}
