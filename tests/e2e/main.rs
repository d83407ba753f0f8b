//! End-to-end tests of the `cairn` binary. Those that need AWS run against a
//! moto server the harness starts on a free loopback port, and check results
//! through the AWS SDK directly, not only through cairn.

mod bad_stacks;
mod ci_flow;
mod convert;
mod data_sources;
mod ecs;
mod ecs_service;
mod edge;
mod encryption;
mod hub;
mod interrupt;
mod language;
mod locking;
mod migrate;
mod network;
mod quickstart;
mod random;
mod refresh_calls;
mod report;
mod restartix;
mod s3_state;
mod support;
mod terminal;
mod throttling;
mod tracker;
