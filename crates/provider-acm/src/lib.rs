//! cairn resource types backed by AWS Certificate Manager, one file each:
//! `aws_acm_certificate`, `aws_acm_certificate_validation`; data source
//! `aws_acm_certificate`.

mod certificate;
mod certificate_validation;
mod common;
mod data_certificate;

use std::sync::Arc;

use aws_sdk_acm::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::Registry;

/// Adds the AWS Certificate Manager types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let acm = Arc::new(Acm::new(aws.clone(), sdk_client!(aws_sdk_acm)));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(certificate::Certificate::new(
        acm.clone(),
        tagging,
    )));
    registry.add_resource(Arc::new(
        certificate_validation::CertificateValidation::new(acm.clone()),
    ));
    registry.add_data_source(Arc::new(data_certificate::CertificateData::new(acm)));
}

/// The AWS Certificate Manager client every type of this crate shares.
pub type Acm = LazyClient<Client>;
