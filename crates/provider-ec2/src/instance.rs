//! `aws_instance`: one EC2 instance, e.g. the Tracker's database host
//! (IMDSv2 with hop limit 2, user data, an instance profile, an encrypted
//! root volume with the stack's key, no public IP). Instance type and user
//! data change by stopping, modifying and starting it, unless
//! `user_data_replace_on_change` asks for a new instance instead.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlockDeviceMapping, EbsBlockDevice, HttpTokensState,
    IamInstanceProfileSpecification, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType, ResourceType,
    SecureBlobAttributeValue, VolumeType,
};
use cairn_aws::{created_id, error, wait_until};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::common::{
    filter, from_sdk, read_by_ids, sync_tags, tag_spec, update_tags, Ec2, FILTER_CHUNK,
};

const POLL: Duration = Duration::from_secs(5);

pub struct Instance {
    ec2: Arc<Ec2>,
}

impl Instance {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        Instance { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let metadata = Schema::new()
            .attr(
                "http_tokens",
                Attribute::string()
                    .default("required")
                    .check(Check::OneOf(&["required", "optional"])),
            )
            .attr(
                "http_put_response_hop_limit",
                Attribute::number().default(1).check(Check::Range(1, 64)),
            )
            .attr(
                "http_endpoint",
                Attribute::string()
                    .default("enabled")
                    .check(Check::OneOf(&["enabled", "disabled"])),
            );
        let root = Schema::new()
            .attr("encrypted", Attribute::bool().default(false))
            .attr("kms_key_id", Attribute::string())
            .attr("volume_size", Attribute::number())
            .attr(
                "volume_type",
                Attribute::string().check(Check::OneOf(&[
                    "gp2", "gp3", "io1", "io2", "st1", "sc1", "standard",
                ])),
            )
            .attr("delete_on_termination", Attribute::bool().default(true));
        Schema::new()
            .describe("An EC2 instance.")
            .attr("ami", Attribute::string().required().force_new())
            .attr("instance_type", Attribute::string().required())
            .attr(
                "subnet_id",
                Attribute::string().optional_computed().force_new(),
            )
            .attr(
                "vpc_security_group_ids",
                Attribute::new(Type::set(Type::String)).optional_computed(),
            )
            .attr(
                "associate_public_ip_address",
                Attribute::bool().optional_computed().force_new(),
            )
            .attr("key_name", Attribute::string().force_new())
            .attr(
                "iam_instance_profile",
                Attribute::string().describe("the instance profile's name"),
            )
            .attr("user_data", Attribute::string())
            .attr("user_data_base64", Attribute::string())
            .attr(
                "user_data_replace_on_change",
                Attribute::bool().default(false),
            )
            .attr(
                "metadata_options",
                Attribute::new(Type::object(metadata)).optional_computed(),
            )
            .attr(
                "root_block_device",
                Attribute::new(Type::object(root))
                    .optional_computed()
                    .force_new(),
            )
            .attr(
                "volume_tags",
                Attribute::new(Type::map(Type::String)).optional_computed(),
            )
            .attr(
                "source_dest_check",
                Attribute::bool()
                    .default(true)
                    .describe("false for an instance that routes others' traffic (a NAT instance)"),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("instance_state", Attribute::string().computed())
            .attr("private_ip", Attribute::string().computed())
            .attr("public_ip", Attribute::string().computed())
            .attr("availability_zone", Attribute::string().computed())
            .attr(
                "primary_network_interface_id",
                Attribute::string().computed(),
            )
            .with_tags()
    })
}

/// Attributes only cairn knows (AWS does not give user data back in
/// DescribeInstances): kept from what was planned or recorded.
const KEPT: &[&str] = &[
    "user_data",
    "user_data_base64",
    "user_data_replace_on_change",
];

fn keep(obj: &mut Object, from: &Object) {
    for k in KEPT {
        obj.insert(k.to_string(), from.get(*k).cloned().unwrap_or_default());
    }
    // Of the root volume, only what the configuration set is compared:
    // AWS fills in the rest (size and type from the image).
    if let (Some(Value::Map(live)), Some(configured)) = (
        obj.get_mut("root_block_device"),
        from.get("root_block_device").and_then(Value::as_map),
    ) {
        live.retain(|k, _| configured.contains_key(k));
    }
}

fn user_data(planned: &Object) -> Option<String> {
    if let Some(b64) = planned.str("user_data_base64") {
        return Some(b64.to_string());
    }
    planned
        .get("user_data")
        .and_then(Value::as_str)
        .map(aws_smithy_types::base64::encode)
}

impl Instance {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let region = self.ec2.region().await;
        let reservations: Vec<_> = client
            .describe_instances()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeInstances", e))?;
        let instances: Vec<_> = reservations
            .iter()
            .flat_map(|r| {
                r.instances()
                    .iter()
                    .map(move |i| (r.owner_id().unwrap_or_default(), i))
            })
            .filter(|(_, i)| {
                !matches!(
                    i.state().and_then(|s| s.name()),
                    Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
                )
            })
            .collect();
        // The root volumes of all of them in one call.
        let roots: HashMap<String, String> = instances
            .iter()
            .filter_map(|(_, i)| {
                let root = i.root_device_name()?;
                let vol = i
                    .block_device_mappings()
                    .iter()
                    .find(|m| m.device_name() == Some(root))?
                    .ebs()?
                    .volume_id()?;
                Some((i.instance_id()?.to_string(), vol.to_string()))
            })
            .collect();
        let mut volumes = HashMap::new();
        let ids: Vec<&String> = roots.values().collect();
        for chunk in ids.chunks(FILTER_CHUNK) {
            let out = client
                .describe_volumes()
                .filters(filter("volume-id", chunk.iter().map(|s| s.as_str())))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeVolumes", e))?;
            for v in out.volumes() {
                if let Some(id) = v.volume_id() {
                    volumes.insert(id.to_string(), v.clone());
                }
            }
        }
        Ok(instances
            .into_iter()
            .filter_map(|(owner, i)| {
                let id = i.instance_id()?.to_string();
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert(
                    "arn".into(),
                    crate::common::arn(&region, owner, "instance", &id).into(),
                );
                obj.insert("ami".into(), Value::from(i.image_id()));
                obj.insert(
                    "instance_type".into(),
                    Value::from(i.instance_type().map(|t| t.as_str())),
                );
                obj.insert("subnet_id".into(), Value::from(i.subnet_id()));
                // The primary interface's groups are the instance's; some
                // endpoints (moto) report them only there.
                let primary = i
                    .network_interfaces()
                    .iter()
                    .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
                let from = match primary.map(|n| n.groups()).filter(|g| !g.is_empty()) {
                    Some(g) => g,
                    None => i.security_groups(),
                };
                let mut groups: Vec<String> = from
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect();
                groups.sort();
                obj.insert("vpc_security_group_ids".into(), Value::from(groups));
                obj.insert(
                    "associate_public_ip_address".into(),
                    i.public_ip_address().is_some().into(),
                );
                obj.insert("key_name".into(), Value::from(i.key_name()));
                obj.insert(
                    "iam_instance_profile".into(),
                    Value::from(
                        i.iam_instance_profile()
                            .and_then(|p| p.arn())
                            .and_then(|a| a.rsplit('/').next()),
                    ),
                );
                let m = i.metadata_options();
                let mut meta = Object::new();
                meta.insert(
                    "http_tokens".into(),
                    Value::from(m.and_then(|m| m.http_tokens()).map(|t| t.as_str())),
                );
                meta.insert(
                        "http_put_response_hop_limit".into(),
                        Value::from(
                            m.and_then(|m| m.http_put_response_hop_limit()).unwrap_or(1) as i64
                        ),
                    );
                meta.insert(
                    "http_endpoint".into(),
                    Value::from(m.and_then(|m| m.http_endpoint()).map(|e| e.as_str())),
                );
                obj.insert("metadata_options".into(), Value::Map(meta));
                let volume = roots.get(&id).and_then(|v| volumes.get(v));
                let mut root = Object::new();
                root.insert(
                    "encrypted".into(),
                    volume.and_then(|v| v.encrypted()).unwrap_or(false).into(),
                );
                root.insert(
                    "kms_key_id".into(),
                    Value::from(volume.and_then(|v| v.kms_key_id())),
                );
                root.insert(
                    "volume_size".into(),
                    Value::from(volume.and_then(|v| v.size()).map(|s| s as i64)),
                );
                root.insert(
                    "volume_type".into(),
                    Value::from(volume.and_then(|v| v.volume_type()).map(|t| t.as_str())),
                );
                root.insert("delete_on_termination".into(), true.into());
                obj.insert("root_block_device".into(), Value::Map(root));
                // Default tags go on volumes too; like `tags`, only the
                // resource's own ones are compared.
                let (own_volume_tags, _) = tags::split_live(
                    &from_sdk(volume.map(|v| v.tags()).unwrap_or(&[])),
                    default_tags,
                );
                obj.insert("volume_tags".into(), tags::to_value(&own_volume_tags));
                obj.insert(
                    "instance_state".into(),
                    Value::from(i.state().and_then(|s| s.name()).map(|n| n.as_str())),
                );
                obj.insert("private_ip".into(), Value::from(i.private_ip_address()));
                obj.insert("public_ip".into(), Value::from(i.public_ip_address()));
                obj.insert(
                    "source_dest_check".into(),
                    Value::from(i.source_dest_check().unwrap_or(true)),
                );
                obj.insert(
                    "availability_zone".into(),
                    Value::from(i.placement().and_then(|p| p.availability_zone())),
                );
                obj.insert(
                    "primary_network_interface_id".into(),
                    Value::from(
                        i.network_interfaces()
                            .first()
                            .and_then(|n| n.network_interface_id()),
                    ),
                );
                tags::set_live(&mut obj, &from_sdk(i.tags()), default_tags);
                Some((id, obj))
            })
            .collect())
    }

    async fn state_of(&self, id: &str, ctx: &OpContext) -> Result<Option<Object>, ProviderError> {
        Ok(self
            .read_filtered(vec![filter("instance-id", [id])], &ctx.default_tags)
            .await?
            .remove(id))
    }

    async fn wait_for(
        &self,
        id: &str,
        want: &str,
        ctx: &OpContext,
    ) -> Result<Object, ProviderError> {
        wait_until(
            &format!("instance {id} to be {want}"),
            ctx.timeout,
            POLL,
            || async {
                let obj = self.state_of(id, ctx).await?;
                Ok(obj.filter(|o| o.str("instance_state") == Some(want)))
            },
        )
        .await
    }

    /// Puts the live user data where the configuration keeps it: as text in
    /// `user_data`, or as given in `user_data_base64`.
    async fn read_user_data(&self, id: &str, obj: &mut Object) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let out = client
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .map_err(|e| error("ec2:DescribeInstanceAttribute", e))?;
        let encoded = out
            .user_data()
            .and_then(|u| u.value())
            .unwrap_or_default()
            .to_string();
        if obj.get("user_data_base64").is_some_and(|v| !v.is_null()) {
            obj.insert("user_data_base64".into(), encoded.into());
        } else if !encoded.is_empty() {
            let text = aws_smithy_types::base64::decode(&encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            obj.insert("user_data".into(), Value::from(text));
        } else {
            obj.insert("user_data".into(), Value::Null);
        }
        Ok(())
    }

    /// Moves the instance to another instance profile (or none).
    async fn set_profile(&self, id: &str, profile: Option<&str>) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let current = client
            .describe_iam_instance_profile_associations()
            .filters(filter("instance-id", [id]))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeIamInstanceProfileAssociations", e))?;
        let association = current
            .iam_instance_profile_associations()
            .iter()
            .find(|a| {
                !matches!(
                    a.state().map(|s| s.as_str()),
                    Some("disassociated") | Some("disassociating")
                )
            })
            .and_then(|a| a.association_id())
            .map(str::to_string);
        let spec = |name: &str| {
            IamInstanceProfileSpecification::builder()
                .name(name)
                .build()
        };
        match (association, profile) {
            (Some(a), Some(p)) => client
                .replace_iam_instance_profile_association()
                .association_id(a)
                .iam_instance_profile(spec(p))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:ReplaceIamInstanceProfileAssociation", e)),
            (Some(a), None) => client
                .disassociate_iam_instance_profile()
                .association_id(a)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:DisassociateIamInstanceProfile", e)),
            (None, Some(p)) => client
                .associate_iam_instance_profile()
                .instance_id(id)
                .iam_instance_profile(spec(p))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:AssociateIamInstanceProfile", e)),
            (None, None) => Ok(()),
        }
    }

    /// Changes only a stopped instance takes: stop, change, start again.
    async fn while_stopped(
        &self,
        id: &str,
        ctx: &OpContext,
        planned: &Object,
        changed: &[String],
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        client
            .stop_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| error("ec2:StopInstances", e))?;
        self.wait_for(id, "stopped", ctx).await?;
        if changed.iter().any(|c| c == "instance_type") {
            client
                .modify_instance_attribute()
                .instance_id(id)
                .instance_type(
                    AttributeValue::builder()
                        .value(
                            planned
                                .get("instance_type")
                                .and_then(Value::as_str)
                                .unwrap_or_default(),
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(|e| error("ec2:ModifyInstanceAttribute", e))?;
        }
        if changed
            .iter()
            .any(|c| c == "user_data" || c == "user_data_base64")
        {
            let encoded = user_data(planned).unwrap_or_default();
            let raw = aws_smithy_types::base64::decode(&encoded).unwrap_or_default();
            client
                .modify_instance_attribute()
                .instance_id(id)
                .user_data(
                    SecureBlobAttributeValue::builder()
                        .value(aws_smithy_types::Blob::new(raw))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| error("ec2:ModifyInstanceAttribute", e))?;
        }
        client
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| error("ec2:StartInstances", e))?;
        self.wait_for(id, "running", ctx).await?;
        Ok(())
    }
}

fn metadata_request(planned: &Object) -> Option<InstanceMetadataOptionsRequest> {
    let m = planned.get("metadata_options").and_then(Value::as_map)?;
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    Some(
        InstanceMetadataOptionsRequest::builder()
            .set_http_tokens(s("http_tokens").map(|t| HttpTokensState::from(t.as_str())))
            .set_http_put_response_hop_limit(
                m.get("http_put_response_hop_limit")
                    .and_then(Value::as_i64)
                    .map(|n| n as i32),
            )
            .set_http_endpoint(
                s("http_endpoint").map(|e| InstanceMetadataEndpointState::from(e.as_str())),
            )
            .build(),
    )
}

#[async_trait]
impl Resource for Instance {
    fn type_name(&self) -> &'static str {
        "aws_instance"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn replaces_on(&self, config: &Object, changed: &[String]) -> Vec<String> {
        if config
            .get("user_data_replace_on_change")
            .and_then(Value::as_bool)
            != Some(true)
        {
            return Vec::new();
        }
        changed
            .iter()
            .filter(|c| *c == "user_data" || *c == "user_data_base64")
            .cloned()
            .collect()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut out = read_by_ids(requests, "instance-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await?;
        for (o, r) in out.iter_mut().zip(requests) {
            if let ReadOutcome::Live(obj) = o {
                keep(obj, r.prior);
                // User data is not in DescribeInstances: one attribute read
                // per instance, so a change made outside cairn shows.
                if let Some(id) = obj.str("id").map(str::to_string) {
                    self.read_user_data(&id, obj).await?;
                }
            }
        }
        Ok(out)
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        // Terminated instances stay listed (and tagged) for an hour: only
        // live ones are leftovers to adopt.
        let client = self.ec2.client().await?;
        let reservations: Vec<_> = client
            .describe_instances()
            .filters(filter(&format!("tag:{}", tags::STACK_TAG), [stack]))
            .filters(filter(
                "instance-state-name",
                ["pending", "running", "stopping", "stopped"],
            ))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeInstances", e))?;
        Ok(reservations
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| tags::owned_entry(stack, i.instance_id()?, &from_sdk(i.tags())))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let ami = s("ami").unwrap_or_default();
        let groups: Option<Vec<String>> = planned
            .get("vpc_security_group_ids")
            .and_then(Value::as_list)
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            });
        let mut run = client
            .run_instances()
            .image_id(&ami)
            .instance_type(InstanceType::from(
                s("instance_type").unwrap_or_default().as_str(),
            ))
            .min_count(1)
            .max_count(1)
            .set_key_name(s("key_name"))
            .set_user_data(user_data(planned))
            .set_metadata_options(metadata_request(planned))
            .set_iam_instance_profile(
                s("iam_instance_profile")
                    .map(|n| IamInstanceProfileSpecification::builder().name(n).build()),
            )
            .client_token(&ctx.idempotency_token)
            .tag_specifications(tag_spec(ResourceType::Instance, &ctx.create_tags(planned)));
        // Where the instance sits: through an explicit interface when the
        // public address is decided, else subnet and groups directly.
        match planned
            .get("associate_public_ip_address")
            .and_then(Value::as_bool)
        {
            Some(public) => {
                run = run.network_interfaces(
                    InstanceNetworkInterfaceSpecification::builder()
                        .device_index(0)
                        .set_subnet_id(s("subnet_id"))
                        .set_groups(groups)
                        .associate_public_ip_address(public)
                        .build(),
                );
            }
            None => {
                run = run
                    .set_subnet_id(s("subnet_id"))
                    .set_security_group_ids(groups);
            }
        }
        let volume_tags = tags::from_value(planned.get("volume_tags"));
        if !volume_tags.is_empty() {
            let mut all = ctx.default_tags.clone();
            all.extend(volume_tags);
            run = run.tag_specifications(tag_spec(ResourceType::Volume, &all));
        }
        if let Some(root) = planned.get("root_block_device").and_then(Value::as_map) {
            // The image names its root device.
            let image = client
                .describe_images()
                .image_ids(&ami)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeImages", e))?;
            let device = image
                .images()
                .first()
                .and_then(|i| i.root_device_name())
                .unwrap_or("/dev/xvda")
                .to_string();
            let r = |k: &str| root.get(k).and_then(Value::as_str).map(str::to_string);
            run = run.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name(device)
                    .ebs(
                        EbsBlockDevice::builder()
                            .set_encrypted(root.get("encrypted").and_then(Value::as_bool))
                            .set_kms_key_id(r("kms_key_id"))
                            .set_volume_size(
                                root.get("volume_size")
                                    .and_then(Value::as_i64)
                                    .map(|n| n as i32),
                            )
                            .set_volume_type(r("volume_type").map(|t| VolumeType::from(t.as_str())))
                            .set_delete_on_termination(
                                root.get("delete_on_termination").and_then(Value::as_bool),
                            )
                            .build(),
                    )
                    .build(),
            );
        }
        let out = run.send().await.map_err(|e| error("ec2:RunInstances", e))?;
        let id = created_id(
            "ec2:RunInstances",
            out.instances().first().and_then(|i| i.instance_id()),
        )?;
        let mut obj = self
            .wait_for(&id, "running", ctx)
            .await
            .map_err(|e| e.with_partial_id(&id))?;
        // RunInstances cannot turn the check off; until this call succeeds
        // the instance is recorded tainted and replaced by the next apply.
        if planned.get("source_dest_check").and_then(Value::as_bool) == Some(false) {
            set_source_dest_check(client, &id, false)
                .await
                .map_err(|e| e.with_partial_id(&id))?;
            obj.insert("source_dest_check".into(), Value::from(false));
        }
        keep(&mut obj, planned);
        Ok(obj)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        if changed.iter().any(|c| {
            matches!(
                c.as_str(),
                "instance_type" | "user_data" | "user_data_base64"
            )
        }) {
            self.while_stopped(id, ctx, planned, changed).await?;
        }
        if changed.iter().any(|c| c == "iam_instance_profile") {
            self.set_profile(id, planned.str("iam_instance_profile"))
                .await?;
        }
        if changed.iter().any(|c| c == "vpc_security_group_ids") {
            let groups: Vec<String> = planned
                .get("vpc_security_group_ids")
                .and_then(Value::as_list)
                .unwrap_or(&[])
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            client
                .modify_instance_attribute()
                .instance_id(id)
                .set_groups(Some(groups))
                .send()
                .await
                .map_err(|e| error("ec2:ModifyInstanceAttribute", e))?;
        }
        if changed.iter().any(|c| c == "source_dest_check") {
            let check = planned
                .get("source_dest_check")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            set_source_dest_check(client, id, check).await?;
        }
        if changed.iter().any(|c| c == "metadata_options") {
            if let Some(m) = metadata_request(planned) {
                client
                    .modify_instance_metadata_options()
                    .instance_id(id)
                    .set_http_tokens(m.http_tokens().cloned())
                    .set_http_put_response_hop_limit(m.http_put_response_hop_limit())
                    .set_http_endpoint(m.http_endpoint().cloned())
                    .send()
                    .await
                    .map_err(|e| error("ec2:ModifyInstanceMetadataOptions", e))?;
            }
        }
        if changed.iter().any(|c| c == "tags") {
            update_tags(client, id, ctx, prior, planned).await?;
        }
        if changed.iter().any(|c| c == "volume_tags") {
            let out = client
                .describe_volumes()
                .filters(filter("attachment.instance-id", [id]))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeVolumes", e))?;
            let mut desired = ctx.default_tags.clone();
            desired.extend(tags::from_value(planned.get("volume_tags")));
            for v in out.volumes() {
                if let Some(vid) = v.volume_id() {
                    sync_tags(client, vid, &desired, &from_sdk(v.tags())).await?;
                }
            }
        }
        let mut obj = self.state_of(id, ctx).await?.ok_or_else(|| {
            ProviderError::new(
                "ec2:DescribeInstances",
                "InvalidInstanceID.NotFound",
                format!("instance {id} not found after updating it"),
            )
        })?;
        keep(&mut obj, planned);
        Ok(obj)
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        if let Err(e) = client.terminate_instances().instance_ids(id).send().await {
            let e = error("ec2:TerminateInstances", e);
            if cairn_aws::is_not_found(&e) {
                return Ok(());
            }
            return Err(e);
        }
        // Its interfaces, groups and subnet are free only once it is gone.
        wait_until(
            &format!("instance {id} to terminate"),
            ctx.timeout,
            POLL,
            || async { Ok(self.state_of(id, ctx).await?.is_none().then_some(())) },
        )
        .await
    }
}

async fn set_source_dest_check(
    client: &aws_sdk_ec2::Client,
    id: &str,
    check: bool,
) -> Result<(), ProviderError> {
    client
        .modify_instance_attribute()
        .instance_id(id)
        .source_dest_check(AttributeBooleanValue::builder().value(check).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error("ec2:ModifyInstanceAttribute", e))
}
