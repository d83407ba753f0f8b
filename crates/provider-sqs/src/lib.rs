//! cairn resource types backed by Amazon SQS: `aws_sqs_queue` (the
//! scheduler's dead-letter queues).

mod names;
mod queue;

use std::sync::Arc;

use aws_sdk_sqs::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::Registry;

/// Adds the SQS types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let sqs = Arc::new(Sqs::new(aws.clone(), sdk_client!(aws_sdk_sqs)));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(queue::Queue::new(sqs, tagging)));
}

/// The SQS client every SQS type shares.
pub type Sqs = LazyClient<Client>;

/// GetQueueAttributes has no batch form: at most this many run at once.
const READ_CONCURRENCY: usize = 8;
