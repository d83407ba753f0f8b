//! What the engine's integration tests share: a stack written to a temp
//! directory, the in-process test provider, and a local state file.

#![allow(dead_code)]

use std::sync::Arc;

use cairn_core::{Providers, Registry};
use cairn_engine::apply::ApplyOptions;
use cairn_engine::testing::Cloud;
use cairn_engine::{Action, ConfigGraph, Plan, PlanOptions};
use cairn_lang::{LoadOptions, Stack};
use cairn_state::{Backend, LocalBackend, WrittenBy};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub cloud: Arc<Cloud>,
    pub registry: Registry,
    pub providers: Providers,
    pub backend: Arc<LocalBackend>,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let cloud = Cloud::new();
        let registry = cloud.registry();
        let backend = Arc::new(LocalBackend::new(dir.path().join("state.json")));
        Env {
            dir,
            cloud,
            providers: Providers::single(registry.clone()),
            registry,
            backend,
        }
    }

    pub fn stack(&self, text: &str) -> Stack {
        let d = self.dir.path().join("stack");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("main.toml"),
            format!("[stack]\nname = \"t\"\n{text}"),
        )
        .unwrap();
        match cairn_lang::load(&d, &LoadOptions::default(), &self.registry) {
            Ok(s) => s,
            Err(e) => panic!("{}", e.render()),
        }
    }

    pub async fn plan_with(&self, text: &str, opts: PlanOptions) -> (Stack, Plan) {
        let stack = self.stack(text);
        let graph = ConfigGraph::build(&stack).unwrap();
        let prior = self.backend.read().await.unwrap().map(|v| v.doc);
        let plan = cairn_engine::plan(&stack, &graph, &self.providers, prior, opts)
            .await
            .unwrap();
        (stack, plan)
    }

    pub async fn plan(&self, text: &str) -> (Stack, Plan) {
        self.plan_with(text, PlanOptions::default()).await
    }

    pub async fn apply_with(
        &self,
        text: &str,
        tweak: impl FnOnce(&mut ApplyOptions),
    ) -> cairn_engine::ApplyOutcome {
        let (stack, plan) = self.plan(text).await;
        let version = self.backend.read().await.unwrap().map(|v| v.version);
        let mut opts = ApplyOptions::new(who());
        tweak(&mut opts);
        let graph = ConfigGraph::build(&stack).unwrap();
        cairn_engine::apply(
            &plan,
            &stack,
            &graph,
            &self.providers,
            self.backend.clone(),
            version,
            opts,
        )
        .await
    }

    pub async fn apply(&self, text: &str) -> cairn_engine::ApplyOutcome {
        let out = self.apply_with(text, |_| {}).await;
        assert!(out.succeeded(), "{:?}", out.errors);
        out
    }

    pub fn actions(plan: &Plan) -> Vec<(String, Action)> {
        plan.changes
            .iter()
            .map(|c| (c.address.to_string(), c.action))
            .collect()
    }
}

pub fn who() -> WrittenBy {
    WrittenBy {
        who: "test@host".into(),
        when: String::new(),
        operation: "apply".into(),
        cairn_version: "0".into(),
        lock_id: None,
    }
}
