//! aws_route_table (inline routes), aws_route and aws_route_table_association
//! against moto, checked through the SDK.

mod harness;

use cairn_core::{Object, Value};
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{read, Harness};

struct Net {
    vpc: String,
    subnet: String,
    igw: String,
    nat: String,
}

async fn network(h: &Harness) -> Net {
    let vpc = h.vpc("10.32.0.0/16").await;
    let subnet = h
        .ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.32.1.0/24")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let igw = h
        .ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_string();
    h.ec2
        .attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let eip = h
        .ec2
        .allocate_address()
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    let nat = h
        .ec2
        .create_nat_gateway()
        .subnet_id(&subnet)
        .allocation_id(eip)
        .send()
        .await
        .unwrap()
        .nat_gateway()
        .unwrap()
        .nat_gateway_id()
        .unwrap()
        .to_string();
    Net {
        vpc,
        subnet,
        igw,
        nat,
    }
}

fn route(cidr: &str, target: (&str, &str)) -> Value {
    Value::Map(
        [
            ("cidr_block".to_string(), Value::from(cidr)),
            (target.0.to_string(), Value::from(target.1)),
        ]
        .into(),
    )
}

/// (destination, gateway, nat gateway) of the table's non-local routes.
async fn live_routes(h: &Harness, table: &str) -> Vec<(String, String, String)> {
    let out = h
        .ec2
        .describe_route_tables()
        .route_table_ids(table)
        .send()
        .await
        .unwrap();
    let mut routes: Vec<_> = out.route_tables()[0]
        .routes()
        .iter()
        .filter(|r| r.gateway_id() != Some("local"))
        .map(|r| {
            (
                r.destination_cidr_block().unwrap_or_default().to_string(),
                r.gateway_id().unwrap_or_default().to_string(),
                r.nat_gateway_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    routes.sort();
    routes
}

#[tokio::test]
async fn route_table_inline_routes_are_reconciled() {
    let h = Harness::start().await;
    let net = network(&h).await;
    let r = h.resource("aws_route_table");
    let ctx = op_context("aws_route_table.public");
    let planned = object(&[
        ("vpc_id", net.vpc.as_str().into()),
        (
            "route",
            Value::List(vec![route("0.0.0.0/0", ("gateway_id", &net.igw))]),
        ),
        ("tags", tags(&[("Name", "public")])),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        live_routes(&h, &id).await,
        [("0.0.0.0/0".into(), net.igw.clone(), String::new())]
    );
    assert_eq!(created["route"].as_list().unwrap().len(), 1);

    // Replace the default route's target, add one, in place.
    let mut want = created.clone();
    want.insert(
        "route".into(),
        Value::List(vec![
            route("0.0.0.0/0", ("nat_gateway_id", &net.nat)),
            route("10.99.0.0/16", ("gateway_id", &net.igw)),
        ]),
    );
    let updated = r
        .update(&ctx, &id, &created, &want, &["route".into()])
        .await
        .unwrap();
    assert_eq!(
        live_routes(&h, &id).await,
        [
            ("0.0.0.0/0".into(), String::new(), net.nat.clone()),
            ("10.99.0.0/16".into(), net.igw.clone(), String::new())
        ]
    );
    // And remove them all.
    let mut none = updated.clone();
    none.insert("route".into(), Value::List(vec![]));
    r.update(&ctx, &id, &updated, &none, &["route".into()])
        .await
        .unwrap();
    assert!(live_routes(&h, &id).await.is_empty());

    r.delete(&ctx, &id, &none).await.unwrap();
    assert!(read(r.as_ref(), &[(&id, &none)]).await[0].is_none());

    // A route to nowhere is refused offline.
    let issues = r.validate(&object(&[
        ("vpc_id", net.vpc.as_str().into()),
        (
            "route",
            Value::List(vec![Value::Map(
                [("cidr_block".to_string(), Value::from("10.1.0.0/16"))].into(),
            )]),
        ),
    ]));
    assert_eq!(issues.len(), 1, "{issues:?}");
}

#[tokio::test]
async fn separate_routes_and_associations() {
    let h = Harness::start().await;
    let net = network(&h).await;
    let table = |name: &str| {
        let h = &h;
        let vpc = net.vpc.clone();
        let name = name.to_string();
        async move {
            h.resource("aws_route_table")
                .create(
                    &op_context(&format!("aws_route_table.{name}")),
                    &object(&[("vpc_id", vpc.as_str().into())]),
                )
                .await
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let private = table("private").await;
    let other = table("other").await;

    let r = h.resource("aws_route");
    let ctx = op_context("aws_route.default");
    let planned: Object = object(&[
        ("route_table_id", private.as_str().into()),
        ("destination_cidr_block", "0.0.0.0/0".into()),
        ("nat_gateway_id", net.nat.as_str().into()),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id, format!("{private}_0.0.0.0/0"));
    assert_eq!(
        live_routes(&h, &private).await,
        [("0.0.0.0/0".into(), String::new(), net.nat.clone())]
    );
    // A retried create of the same route is the same route.
    let again = r.create(&ctx, &planned).await.unwrap();
    assert_eq!(again["id"].as_str(), Some(id.as_str()));

    let second = r
        .create(
            &op_context("aws_route.peer"),
            &object(&[
                ("route_table_id", private.as_str().into()),
                ("destination_cidr_block", "10.98.0.0/16".into()),
                ("gateway_id", net.igw.as_str().into()),
            ]),
        )
        .await
        .unwrap();
    let empty = object(&[]);
    let missing = format!("{private}_10.97.0.0/16");
    let out = read(
        r.as_ref(),
        &[
            (&id, &created),
            (&missing, &empty),
            (second["id"].as_str().unwrap(), &second),
        ],
    )
    .await;
    assert!(out[0].is_some() && out[1].is_none() && out[2].is_some());

    let mut want = created.clone();
    want.insert("nat_gateway_id".into(), Value::Null);
    want.insert("gateway_id".into(), net.igw.as_str().into());
    r.update(
        &ctx,
        &id,
        &created,
        &want,
        &["nat_gateway_id".into(), "gateway_id".into()],
    )
    .await
    .unwrap();
    assert!(live_routes(&h, &private).await.contains(&(
        "0.0.0.0/0".into(),
        net.igw.clone(),
        String::new()
    )));
    r.delete(&ctx, &id, &want).await.unwrap();
    assert_eq!(live_routes(&h, &private).await.len(), 1);
    r.delete(&ctx, &id, &want)
        .await
        .expect("already gone is done");

    // The subnet uses the private table, then moves to the other one.
    let a = h.resource("aws_route_table_association");
    let actx = op_context("aws_route_table_association.private");
    let assoc = a
        .create(
            &actx,
            &object(&[
                ("route_table_id", private.as_str().into()),
                ("subnet_id", net.subnet.as_str().into()),
            ]),
        )
        .await
        .unwrap();
    let assoc_id = assoc["id"].as_str().unwrap().to_string();
    let associated = |table: String| {
        let h = &h;
        let subnet = net.subnet.clone();
        async move {
            h.ec2
                .describe_route_tables()
                .route_table_ids(table)
                .send()
                .await
                .unwrap()
                .route_tables()[0]
                .associations()
                .iter()
                .any(|x| x.subnet_id() == Some(subnet.as_str()))
        }
    };
    assert!(associated(private.clone()).await);
    let mut moved = assoc.clone();
    moved.insert("route_table_id".into(), other.as_str().into());
    let moved = a
        .update(&actx, &assoc_id, &assoc, &moved, &["route_table_id".into()])
        .await
        .unwrap();
    assert!(associated(other.clone()).await && !associated(private.clone()).await);
    let moved_id = moved["id"].as_str().unwrap().to_string();
    a.delete(&actx, &moved_id, &moved).await.unwrap();
    assert!(!associated(other.clone()).await);
    assert!(read(a.as_ref(), &[(&moved_id, &moved)]).await[0].is_none());
}
