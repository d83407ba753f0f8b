//! cairn resource types backed by Amazon EventBridge Scheduler:
//! `aws_scheduler_schedule` (ECS RunTask on a schedule, with a dead-letter
//! queue). Schedule groups are not a type here: the estate uses the
//! `default` group.

mod definition;
mod schedule;

use std::sync::Arc;

use aws_sdk_scheduler::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient};
use cairn_core::Registry;

/// Adds the scheduler types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let scheduler = Arc::new(Scheduler::new(aws.clone(), sdk_client!(aws_sdk_scheduler)));
    registry.add_resource(Arc::new(schedule::Schedule::new(scheduler)));
}

/// The scheduler client every scheduler type shares.
pub type Scheduler = LazyClient<Client>;

/// GetSchedule has no batch form (ListSchedules answers summaries without
/// the target): at most this many run at once.
const READ_CONCURRENCY: usize = 8;
