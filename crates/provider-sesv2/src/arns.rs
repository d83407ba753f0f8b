//! SES v2 answers no ARNs for identities and configuration sets; they are
//! made, as Terraform makes them, from the partition, region and account.
//! The account comes from one STS GetCallerIdentity per provider
//! configuration, made on first need.

use aws_sdk_sts::Client as Sts;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient};
use cairn_core::ProviderError;
use tokio::sync::OnceCell;

pub struct Arns {
    sts: LazyClient<Sts>,
    account: OnceCell<String>,
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl Arns {
    pub fn new(aws: AwsContext) -> Self {
        Arns {
            sts: LazyClient::new(aws, sdk_client!(aws_sdk_sts)),
            account: OnceCell::new(),
        }
    }

    async fn account(&self) -> Result<&str, ProviderError> {
        self.account
            .get_or_try_init(|| async {
                let client = self.sts.client().await?;
                let out = client
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| error("sts:GetCallerIdentity", e))?;
                cairn_aws::created_id("sts:GetCallerIdentity", out.account())
            })
            .await
            .map(String::as_str)
    }

    /// `arn:<partition>:ses:<region>:<account>:<resource>`.
    pub async fn ses(&self, resource: &str) -> Result<String, ProviderError> {
        let region = self.sts.region().await;
        let account = self.account().await?;
        Ok(format!(
            "arn:{}:ses:{region}:{account}:{resource}",
            partition(&region)
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(super::partition("eu-central-1"), "aws");
        assert_eq!(super::partition("cn-north-1"), "aws-cn");
        assert_eq!(super::partition("us-gov-west-1"), "aws-us-gov");
    }
}
