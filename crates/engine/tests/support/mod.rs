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

    /// Writes a module the stack can call as `source = "../modules/NAME"`.
    pub fn module(&self, name: &str, text: &str) {
        let d = self.dir.path().join("modules").join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("main.toml"), text).unwrap();
    }

    /// Writes a file next to the stack's main.toml.
    pub fn file(&self, name: &str, text: &str) {
        let p = self.dir.path().join("stack").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// The errors loading, graphing or planning the stack reports.
    pub async fn plan_errors(&self, text: &str) -> String {
        let d = self.dir.path().join("stack");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("main.toml"),
            format!("[stack]\nname = \"t\"\n{text}"),
        )
        .unwrap();
        let stack = match cairn_lang::load(&d, &LoadOptions::default(), &self.registry) {
            Ok(s) => s,
            Err(e) => return e.render(),
        };
        let graph = match ConfigGraph::build(&stack) {
            Ok(g) => g,
            Err(items) => {
                return cairn_lang::Diagnostics {
                    sources: stack.sources.clone(),
                    items,
                }
                .render()
            }
        };
        let prior = self.backend.read().await.unwrap().map(|v| v.doc);
        match cairn_engine::plan(
            &stack,
            &graph,
            &self.providers,
            prior,
            PlanOptions::default(),
        )
        .await
        {
            Ok(p) => panic!(
                "the plan succeeded: {}",
                cairn_engine::render::plan_text(&p)
            ),
            Err(cairn_engine::EngineError::Config(items)) => cairn_lang::Diagnostics {
                sources: stack.sources.clone(),
                items,
            }
            .render(),
            Err(other) => other.to_string(),
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

    /// Plans with `opts` and applies that plan.
    pub async fn apply_opts(&self, text: &str, opts: PlanOptions) -> cairn_engine::ApplyOutcome {
        let (stack, plan) = self.plan_with(text, opts).await;
        let version = self.backend.read().await.unwrap().map(|v| v.version);
        let graph = ConfigGraph::build(&stack).unwrap();
        cairn_engine::apply(
            &plan,
            &stack,
            &graph,
            &self.providers,
            self.backend.clone(),
            version,
            ApplyOptions::new(who()),
        )
        .await
    }

    pub async fn apply(&self, text: &str) -> cairn_engine::ApplyOutcome {
        let out = self.apply_with(text, |_| {}).await;
        assert!(out.succeeded(), "{:?}", out.errors);
        out
    }

    /// The calls that changed something (not reads or ownership lookups)
    /// since `from`.
    pub fn mutations(&self, from: usize) -> Vec<String> {
        self.cloud.calls()[from..]
            .iter()
            .filter(|c| !c.starts_with("read") && !c.starts_with("find") && !c.starts_with("list"))
            .cloned()
            .collect()
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
