//! Every operator and construct, with unknown and sensitive values, and the
//! position of every kind of error.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cairn_core::Value;

use crate::eval::{EvalError, Scope};
use crate::expr::{Expr, ExprKind, Reference, ResourceRef, Subject};
use crate::source::{FileId, Span};

struct TestScope {
    values: BTreeMap<Subject, Value>,
    dir: PathBuf,
}

impl Scope for TestScope {
    fn get(&self, s: &Subject) -> Result<Cow<'_, Value>, String> {
        self.values
            .get(s)
            .map(Cow::Borrowed)
            .ok_or_else(|| format!("`{s}` has no value here"))
    }
    fn module_dir(&self) -> &Path {
        &self.dir
    }
    fn files(&self) -> &dyn cairn_functions::FileSource {
        &cairn_functions::DiskFiles
    }
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn list(items: &[Value]) -> Value {
    Value::List(items.to_vec())
}

fn scope() -> TestScope {
    let vpc = ResourceRef {
        mode: cairn_core::Mode::Managed,
        type_name: "aws_vpc".into(),
        name: "main".into(),
    };
    let subnets = ResourceRef {
        mode: cairn_core::Mode::Managed,
        type_name: "aws_subnet".into(),
        name: "private".into(),
    };
    let values = [
        (Subject::Var("n".into()), Value::Number(3.0)),
        (Subject::Var("s".into()), Value::String("web".into())),
        (Subject::Var("t".into()), Value::Bool(true)),
        (
            Subject::Var("secret".into()),
            Value::sensitive("hunter2".into()),
        ),
        (Subject::Var("nothing".into()), Value::Null),
        (Subject::Var("later".into()), Value::Unknown),
        (
            Subject::Var("l".into()),
            list(&["a".into(), "b".into(), "c".into()]),
        ),
        (
            Subject::Var("m".into()),
            map(&[
                ("api", map(&[("cpu", 512.into()), ("port", 8000.into())])),
                ("web", map(&[("cpu", 256.into()), ("port", 80.into())])),
            ]),
        ),
        (
            Subject::Resource(vpc),
            map(&[
                ("id", Value::Unknown),
                ("cidr_block", "10.0.0.0/16".into()),
                ("tags", map(&[("Name", "main".into())])),
            ]),
        ),
        (
            Subject::Resource(subnets),
            list(&[
                map(&[("id", "subnet-1".into())]),
                map(&[("id", "subnet-2".into())]),
            ]),
        ),
        (Subject::CountIndex, Value::Number(1.0)),
    ]
    .into_iter()
    .collect();
    TestScope {
        values,
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

/// Parses a TOML string's content and resolves the names the tests use.
fn expr(src: &str) -> Expr {
    let mut e = crate::parse::template(src, &|r| Span::new(FileId(0), r))
        .unwrap_or_else(|e| panic!("{src}: {e:?}"));
    resolve(&mut e, &mut Vec::new());
    e
}

fn resolve(e: &mut Expr, bound: &mut Vec<String>) {
    if let ExprKind::For(f) = &mut e.kind {
        resolve(&mut f.collection, bound);
        let n = bound.len();
        bound.extend(f.key_var.iter().cloned());
        bound.push(f.value_var.clone());
        if let Some(k) = &mut f.key {
            resolve(k, bound);
        }
        resolve(&mut f.value, bound);
        if let Some(c) = &mut f.cond {
            resolve(c, bound);
        }
        bound.truncate(n);
        return;
    }
    if let ExprKind::Ref(r) = &mut e.kind {
        resolve_ref(r, bound);
        return;
    }
    let mut children: Vec<&mut Expr> = Vec::new();
    match &mut e.kind {
        ExprKind::List(items) => children.extend(items.iter_mut()),
        ExprKind::Map(m) => children.extend(m.values_mut()),
        ExprKind::Object(items) => {
            for (k, v) in items {
                children.push(k);
                children.push(v);
            }
        }
        ExprKind::Template(parts) => {
            for p in parts {
                if let crate::expr::TemplatePart::Interp(x) = p {
                    children.push(x);
                }
            }
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            children.push(a);
            children.push(b);
        }
        ExprKind::GetAttr(a, _) | ExprKind::Unary(_, a) => children.push(a),
        ExprKind::Splat { target, each } => {
            children.push(target);
            children.push(each);
        }
        ExprKind::Call(c) => children.extend(c.args.iter_mut()),
        ExprKind::Conditional {
            cond,
            then,
            otherwise,
        } => {
            children.push(cond);
            children.push(then);
            children.push(otherwise);
        }
        _ => {}
    }
    for c in children {
        resolve(c, bound);
    }
}

fn resolve_ref(r: &mut Reference, bound: &[String]) {
    let Subject::Name(root) = &r.subject else {
        return;
    };
    let root = root.clone();
    if bound.contains(&root) {
        r.subject = Subject::Iter(root);
        return;
    }
    let first = match r.path.first() {
        Some(crate::expr::Step::Attr(a)) => a.clone(),
        _ => return,
    };
    let (subject, take) = match root.as_str() {
        "var" => (Subject::Var(first), 1),
        "count" => (Subject::CountIndex, 1),
        ty => (
            Subject::Resource(ResourceRef {
                mode: cairn_core::Mode::Managed,
                type_name: ty.into(),
                name: first,
            }),
            1,
        ),
    };
    r.path.drain(..take);
    r.subject = subject;
}

fn eval(src: &str) -> Value {
    expr(src)
        .eval(&scope())
        .unwrap_or_else(|e| panic!("{src}: {e:?}"))
}

fn fails(src: &str) -> EvalError {
    expr(src).eval(&scope()).expect_err(src)
}

/// The text an error points at, inside `src`.
fn at(src: &str) -> String {
    let e = fails(src);
    src[e.span.start as usize..e.span.end as usize].to_string()
}

#[test]
fn arithmetic_and_comparison() {
    assert_eq!(eval("${1 + 2 * 3}").as_f64(), Some(7.0));
    assert_eq!(eval("${(var.n - 1) / 4}").as_f64(), Some(0.5));
    assert_eq!(eval("${7 % 3}").as_f64(), Some(1.0));
    assert_eq!(eval("${-var.n}").as_f64(), Some(-3.0));
    assert_eq!(
        eval("${\"5\" + 1}").as_f64(),
        Some(6.0),
        "numeric strings convert, as in Terraform"
    );
    assert_eq!(eval("${var.n > 2}").as_bool(), Some(true));
    assert_eq!(eval("${var.n >= 4}").as_bool(), Some(false));
    assert_eq!(eval("${var.n < 3}").as_bool(), Some(false));
    assert_eq!(eval("${var.n <= 3}").as_bool(), Some(true));
    assert_eq!(eval("${var.s == \"web\"}").as_bool(), Some(true));
    assert_eq!(eval("${var.s != \"web\"}").as_bool(), Some(false));
    assert_eq!(
        eval("${1 == \"1\"}").as_bool(),
        Some(false),
        "equality does not convert"
    );
    assert_eq!(
        eval("${var.l == [\"a\", \"b\", \"c\"]}").as_bool(),
        Some(true)
    );
}

#[test]
fn logic_short_circuits_on_a_known_left_side() {
    assert_eq!(eval("${var.t && !false}").as_bool(), Some(true));
    assert_eq!(eval("${false || var.t}").as_bool(), Some(true));
    assert_eq!(
        eval("${var.nothing != null && var.nothing.x}").as_bool(),
        Some(false)
    );
    assert_eq!(eval("${true || var.nothing.x}").as_bool(), Some(true));
    assert!(eval("${var.later && true}").is_unknown());
    assert_eq!(
        eval("${var.later && false}").as_bool(),
        Some(false),
        "false decides whatever the left is"
    );
    assert_eq!(eval("${var.later || true}").as_bool(), Some(true));
}

#[test]
fn conditionals_and_unknowns() {
    assert_eq!(eval("${var.t ? \"yes\" : \"no\"}").as_str(), Some("yes"));
    assert_eq!(eval("${var.n > 5 ? 1 : var.n}").as_f64(), Some(3.0));
    assert!(eval("${var.later ? 1 : 2}").is_unknown());
    assert!(eval("${var.later + 1}").is_unknown());
    assert!(eval("${var.later == 1}").is_unknown());
    assert!(eval("net-${aws_vpc.main.id}").is_unknown());
    assert_eq!(
        eval("${aws_vpc.main.cidr_block}").as_str(),
        Some("10.0.0.0/16")
    );
}

#[test]
fn sensitive_values_stay_sensitive_through_everything() {
    for src in [
        "pw=${var.secret}",
        "${var.secret}",
        "${var.secret == \"x\"}",
        "${var.t ? var.secret : \"x\"}",
        "${upper(var.secret)}",
        "${[for c in [var.secret] : c][0]}",
        "${var.secret != null && true}",
        "${{ a = var.secret }.a}",
    ] {
        let v = eval(src);
        assert!(v.contains_sensitive(), "{src} lost the mark");
    }
    // A sensitive condition makes the result sensitive, whichever branch.
    assert!(eval("${var.secret == \"hunter2\" ? 1 : 2}").is_sensitive());
    // Errors never show a sensitive value.
    let e = fails("${var.secret + 1}");
    assert!(!e.message.contains("hunter2"), "{}", e.message);
}

#[test]
fn indexing_attributes_and_splats() {
    assert_eq!(eval("${var.l[1]}").as_str(), Some("b"));
    assert_eq!(eval("${var.l[var.n - 1]}").as_str(), Some("c"));
    assert_eq!(eval("${var.m.api.cpu}").as_f64(), Some(512.0));
    assert_eq!(eval("${var.m[\"web\"][\"port\"]}").as_f64(), Some(80.0));
    assert_eq!(eval("${var.m[var.s].port}").as_f64(), Some(80.0));
    assert_eq!(
        eval("${aws_vpc.main.tags[\"Name\"]}").as_str(),
        Some("main")
    );
    assert!(
        eval("${aws_vpc.main.ipv6_cidr_block}").is_null(),
        "unset resource attributes read as null"
    );
    let ids = eval("${aws_subnet.private[*].id}");
    assert_eq!(ids.as_list().unwrap().len(), 2);
    assert_eq!(
        eval("${aws_subnet.private[count.index].id}").as_str(),
        Some("subnet-2")
    );
    assert_eq!(
        eval("${aws_subnet.private.*.id[0]}").as_str(),
        Some("subnet-1")
    );
    assert_eq!(
        eval("${var.nothing[*]}").as_list().unwrap().len(),
        0,
        "a splat of null is empty"
    );
    assert_eq!(
        eval("${var.s[*]}").as_list().unwrap().len(),
        1,
        "a splat of one value is a list of it"
    );
    assert!(eval("${var.later[*].id}").is_unknown());
}

#[test]
fn for_expressions() {
    let v = eval("${[for s in var.l : upper(s) if s != \"b\"]}");
    assert_eq!(
        v.as_list()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect::<Vec<_>>(),
        ["A", "C"]
    );
    let v = eval("${{for k, svc in var.m : k => svc.port}}");
    assert_eq!(v.as_map().unwrap()["api"].as_f64(), Some(8000.0));
    let v = eval("${[for i, s in var.l : \"${i}:${s}\"]}");
    assert_eq!(v.as_list().unwrap()[2].as_str(), Some("2:c"));
    let v = eval("${{for s in [\"a\", \"bb\", \"cc\"] : length(s) => s...}}");
    assert_eq!(
        v.as_map().unwrap()["2"].as_list().unwrap().len(),
        2,
        "grouping with `...`"
    );
    assert!(eval("${[for s in var.later : s]}").is_unknown());
    assert!(eval("${[for s in var.l : s if var.later]}").is_unknown());
    assert_eq!(at("${{for s in [\"a\", \"a\"] : s => 1}}"), "s");
}

#[test]
fn templates_objects_and_calls() {
    assert_eq!(
        eval("${var.s}-${var.n}-${var.t}").as_str(),
        Some("web-3-true")
    );
    assert_eq!(
        eval("${format(\"%s-%03d\", var.s, var.n)}").as_str(),
        Some("web-003")
    );
    assert_eq!(eval("${join(\",\", var.l)}").as_str(), Some("a,b,c"));
    assert_eq!(
        eval("${length(concat(var.l, [\"d\"]))}").as_f64(),
        Some(4.0)
    );
    assert_eq!(eval("${max([3, 9, 4]...)}").as_f64(), Some(9.0));
    assert_eq!(at("${max(var.l...)}"), "var.l");
    let o = eval("${{ name = var.s, (var.s) = 1, \"q k\" = true }}");
    assert_eq!(o.as_map().unwrap()["web"].as_f64(), Some(1.0));
    assert_eq!(
        eval("${\"nested ${upper(var.s)}\"}").as_str(),
        Some("nested WEB")
    );
    assert_eq!(
        eval("${cidrsubnet(aws_vpc.main.cidr_block, 8, 2)}").as_str(),
        Some("10.0.2.0/24")
    );
}

#[test]
fn try_and_can_catch_errors() {
    assert_eq!(eval("${try(var.m.db.cpu, 128)}").as_f64(), Some(128.0));
    assert_eq!(eval("${try(var.m.api.cpu, 128)}").as_f64(), Some(512.0));
    assert_eq!(eval("${can(var.m.db)}").as_bool(), Some(false));
    assert_eq!(eval("${can(var.m.api)}").as_bool(), Some(true));
    assert!(eval("${can(var.later)}").is_unknown());
    let e = fails("${try(var.m.db, var.l[9])}");
    assert!(e.message.contains("out of range"), "{}", e.message);
}

#[test]
fn templatefile_renders_with_its_own_variables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.tpl"),
        "host=${host}\n${join(\",\", [for p in ports : p])}\n",
    )
    .unwrap();
    let mut s = scope();
    s.dir = dir.path().to_path_buf();
    let v = expr("${templatefile(\"t.tpl\", { host = var.s, ports = [80, 443] })}")
        .eval(&s)
        .unwrap();
    assert_eq!(v.as_str(), Some("host=web\n80,443\n"));
    std::fs::write(dir.path().join("bad.tpl"), "a\n  ${nope}\n").unwrap();
    let e = expr("${templatefile(\"bad.tpl\", {})}")
        .eval(&s)
        .unwrap_err();
    assert!(e.message.contains("bad.tpl:2:5"), "{}", e.message);
    assert!(e.message.contains("unknown name `nope`"), "{}", e.message);
    let v = expr("${templatefile(\"t.tpl\", { host = var.secret, ports = [] })}")
        .eval(&s)
        .unwrap();
    assert!(v.is_sensitive());
}

#[test]
fn errors_point_at_the_part_at_fault() {
    assert_eq!(at("x ${var.s + 1}"), "var.s");
    assert_eq!(at("${1 + var.t}"), "var.t");
    assert_eq!(at("${!var.s}"), "var.s");
    assert_eq!(at("${-var.t}"), "var.t");
    assert_eq!(at("${var.n / 0}"), "0");
    assert_eq!(at("${var.l[7]}"), "var.l[7]");
    assert_eq!(at("${var.l[var.s]}"), "var.s");
    assert_eq!(at("${var.m.db}"), "var.m.db");
    assert_eq!(at("${var.s ? 1 : 2}"), "var.s");
    assert_eq!(at("a-${var.l}"), "var.l");
    assert_eq!(at("a-${var.nothing}"), "var.nothing");
    assert_eq!(at("${cidrsubnet(\"10.0.0.0/16\", 40, 1)}"), "40");
    assert_eq!(at("${[for s in var.n : s]}"), "var.n");
    assert_eq!(at("${var.l.first}"), "var.l.first");
    assert_eq!(at("${upper(var.missing)}"), "var.missing");
    let e = fails("${var.m.db}");
    assert!(
        e.message.contains("api, web"),
        "the keys are listed: {}",
        e.message
    );
    let e = fails("${var.m.apj}");
    assert!(e.message.contains("did you mean `api`"), "{}", e.message);
}
