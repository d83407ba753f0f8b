//! Running the binary against a moto server, and SDK clients for checking.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use cairn_testkit::MotoServer;

pub const BIN: &str = env!("CARGO_BIN_EXE_cairn");

/// A client of `$sb`'s moto for any SDK crate, in `$region`, with the
/// credentials the stacks use: `moto_client!(sb, aws_sdk_rds, "us-east-1")`.
#[macro_export]
macro_rules! moto_client {
    ($sb:expr, $sdk:ident, $region:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new($region))
                .endpoint_url($sb.moto.endpoint())
                .credentials_provider($sdk::config::Credentials::new(
                    "testing", "testing", None, None, "e2e",
                ))
                .build(),
        )
    };
}

/// `fn $name(&self) -> $sdk::Client`: a client of the sandbox's moto,
/// in the region and with the credentials the stacks use.
macro_rules! sdk_client {
    ($name:ident, $sdk:ident) => {
        pub fn $name(&self) -> $sdk::Client {
            $sdk::Client::from_conf(
                $sdk::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("eu-west-2"))
                    .endpoint_url(self.moto.endpoint())
                    .credentials_provider(Credentials::new("testing", "testing", None, None, "e2e"))
                    .build(),
            )
        }
    };
}

/// `cairn validate` of the repository's `stacks/<stack>` with `--env env`,
/// offline (an endpoint nothing answers on): it must say the stack is valid.
pub fn assert_validates_offline(stack: &str, env: &str) {
    let run = Run::from(
        std::process::Command::new(BIN)
            .args(["validate", "-C"])
            .arg(repo_root().join("stacks").join(stack))
            .args(["--env", env])
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env_remove("CAIRN_LOG")
            .output()
            .unwrap(),
    )
    .expect(0);
    assert!(
        run.stdout
            .contains(&format!("The stack `{stack}/{env}` is valid")),
        "{}",
        run.stdout
    );
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A scratch copy of a stack plus its own moto server and state directory.
pub struct Sandbox {
    pub moto: MotoServer,
    pub dir: tempfile::TempDir,
    pub stack: PathBuf,
    pub env: Option<String>,
    /// Whether commands pass `--var aws_endpoint_url=<moto>` (the `local`
    /// envs take the endpoint that way; others get AWS_ENDPOINT_URL only).
    pub endpoint_var: bool,
    /// More environment variables for every command.
    pub vars: Vec<(String, String)>,
}

impl Sandbox {
    /// A sandbox of the repository's `stack` run with `--env env`, whose
    /// credentials come only from `profiles` (in `region`), as on an
    /// engineer's machine: the env files name the profiles, a test AWS
    /// config defines them, and the environment has no keys of its own.
    pub fn with_profiles(stack: &str, env: &str, profiles: &[&str], region: &str) -> Sandbox {
        let mut sb = Sandbox::new(stack);
        sb.env = Some(env.into());
        sb.endpoint_var = false;
        let config = sb.dir.path().join("aws-config");
        let credentials = sb.dir.path().join("aws-credentials");
        let mut conf = String::new();
        let mut creds = String::new();
        for profile in profiles {
            conf.push_str(&format!("[profile {profile}]\nregion = {region}\n\n"));
            creds.push_str(&format!(
                "[{profile}]\naws_access_key_id = testing\naws_secret_access_key = testing\n\n"
            ));
        }
        std::fs::write(&config, conf).unwrap();
        std::fs::write(&credentials, creds).unwrap();
        sb.vars = vec![
            ("AWS_CONFIG_FILE".into(), config.display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                credentials.display().to_string(),
            ),
            // Nothing but the profiles.
            ("AWS_ACCESS_KEY_ID".into(), String::new()),
            ("AWS_SECRET_ACCESS_KEY".into(), String::new()),
            ("AWS_REGION".into(), String::new()),
        ];
        sb
    }
}

impl Sandbox {
    /// Copies `stacks/` (the stack and the modules it calls) into a
    /// temporary directory; commands run on `stacks/<name>` with `--env local`.
    pub fn new(name: &str) -> Sandbox {
        let moto = MotoServer::start();
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo_root().join("stacks"), &dir.path().join("stacks"));
        let stack = dir.path().join("stacks").join(name);
        Sandbox {
            moto,
            dir,
            stack,
            env: Some("local".into()),
            endpoint_var: true,
            vars: Vec::new(),
        }
    }

    /// A stack written from (file name, content) pairs.
    pub fn with_files(files: &[(&str, &str)]) -> Sandbox {
        let moto = MotoServer::start();
        let dir = tempfile::tempdir().unwrap();
        let stack = dir.path().join("stack");
        for (name, text) in files {
            let p = stack.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Sandbox {
            moto,
            dir,
            stack,
            env: None,
            endpoint_var: true,
            vars: Vec::new(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args);
        c.arg("-C").arg(&self.stack);
        if let Some(env) = &self.env {
            c.args(["--env", env]);
            if self.endpoint_var {
                c.arg("--var")
                    .arg(format!("aws_endpoint_url={}", self.moto.endpoint()));
            }
        }
        c.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "eu-west-2")
            .env("AWS_ENDPOINT_URL", self.moto.endpoint())
            .env("CAIRN_STATE_DIR", self.state_dir())
            .env_remove("CAIRN_LOG")
            .env("NO_COLOR", "1");
        // An empty value removes the variable.
        for (k, v) in &self.vars {
            if v.is_empty() {
                c.env_remove(k);
            } else {
                c.env(k, v);
            }
        }
        c
    }

    /// Runs `apply --auto-approve` and kills it (SIGKILL) as soon as the
    /// debug log shows a call of `operation` (`CreateService`): the call
    /// was made, and its result may or may not have reached the state.
    pub fn apply_killed_at(&self, operation: &str) {
        use std::io::{BufRead, BufReader};
        let mut child = self
            .command(&["apply", "--auto-approve"])
            .env("CAIRN_LOG", "debug")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let marker = format!("operation={operation}");
        for line in BufReader::new(stderr).lines() {
            if line.unwrap().contains(&marker) {
                child.kill().unwrap();
                break;
            }
        }
        child.wait().unwrap();
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn state_file(&self, stack: &str) -> PathBuf {
        let env = self.env.clone().unwrap_or_else(|| "default".into());
        self.state_dir().join(stack).join(format!("{env}.json"))
    }

    pub fn state(&self, stack: &str) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_file(stack)).unwrap()).unwrap()
    }

    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let p = self.stack.join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }

    sdk_client!(ec2, aws_sdk_ec2);
    sdk_client!(ecs, aws_sdk_ecs);
    sdk_client!(elb, aws_sdk_elasticloadbalancingv2);
    sdk_client!(logs, aws_sdk_cloudwatchlogs);
    sdk_client!(kms, aws_sdk_kms);
    sdk_client!(waf, aws_sdk_wafv2);
}

impl Sandbox {
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-2"))
                .endpoint_url(self.moto.endpoint())
                .force_path_style(true)
                .credentials_provider(Credentials::new("testing", "testing", None, None, "e2e"))
                .build(),
        )
    }

    /// The object at `key` in `bucket`, as JSON.
    pub fn s3_json(&self, bucket: &str, key: &str) -> serde_json::Value {
        let rt = rt();
        let out = rt
            .block_on(self.s3().get_object().bucket(bucket).key(key).send())
            .unwrap();
        let bytes = rt.block_on(out.body.collect()).unwrap().into_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// Overwrites a file of the stack.
    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.stack.join(file), text).unwrap();
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
