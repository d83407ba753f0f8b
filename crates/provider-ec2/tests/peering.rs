//! aws_vpc_peering_connection and its accepter against moto, checked
//! through the SDK.

mod harness;

use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{owned, read, tag_map, Harness};

async fn status(h: &Harness, id: &str) -> String {
    let out = h
        .ec2
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(id)
        .send()
        .await
        .unwrap();
    out.vpc_peering_connections()[0]
        .status()
        .and_then(|s| s.code())
        .map(|c| c.as_str().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn requested_here_accepted_there_deleted_by_the_requester() {
    let h = Harness::start().await;
    let tracker = h.vpc("10.34.0.0/16").await;
    let production = h.vpc("10.200.0.0/16").await;

    let requester = h.resource("aws_vpc_peering_connection");
    let ctx = op_context("aws_vpc_peering_connection.to_prod");
    let created = requester
        .create(
            &ctx,
            &object(&[
                ("vpc_id", tracker.as_str().into()),
                ("peer_vpc_id", production.as_str().into()),
                ("tags", tags(&[("Name", "tracker-to-prod")])),
            ]),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        created["accept_status"].as_str(),
        Some("pending-acceptance")
    );
    assert_eq!(created["peer_vpc_id"].as_str(), Some(production.as_str()));
    assert_eq!(status(&h, &id).await, "pending-acceptance");

    // The production side accepts and tags it.
    let accepter = h.resource("aws_vpc_peering_connection_accepter");
    let actx = op_context("aws_vpc_peering_connection_accepter.from_tracker");
    let accepted = accepter
        .create(
            &actx,
            &object(&[
                ("vpc_peering_connection_id", id.as_str().into()),
                ("auto_accept", true.into()),
                ("tags", tags(&[("Side", "accepter")])),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(accepted["accept_status"].as_str(), Some("active"));
    assert_eq!(accepted["vpc_id"].as_str(), Some(production.as_str()));
    assert_eq!(accepted["peer_vpc_id"].as_str(), Some(tracker.as_str()));
    assert_eq!(status(&h, &id).await, "active");
    let live = h
        .ec2
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(&id)
        .send()
        .await
        .unwrap();
    let live_tags = tag_map(live.vpc_peering_connections()[0].tags());
    assert_eq!(live_tags.get("Side").map(String::as_str), Some("accepter"));
    assert_eq!(
        live_tags.get("cairn:address").map(String::as_str),
        Some("aws_vpc_peering_connection.to_prod"),
        "the accepter leaves the requester's ownership tags alone"
    );

    // The requester's next read sees it active.
    let seen = read(requester.as_ref(), &[(&id, &created)]).await;
    assert_eq!(
        seen[0].as_ref().unwrap()["accept_status"].as_str(),
        Some("active")
    );

    // Destroying the accepter forgets it; the connection stays.
    accepter.delete(&actx, &id, &accepted).await.unwrap();
    assert_eq!(status(&h, &id).await, "active");

    requester.delete(&ctx, &id, &created).await.unwrap();
    assert!(read(requester.as_ref(), &[(&id, &created)]).await[0].is_none());
    assert_eq!(status(&h, &id).await, "deleted");
}

#[tokio::test]
async fn auto_accept_in_one_account_is_active_at_once() {
    let h = Harness::start().await;
    let a = h.vpc("10.35.0.0/16").await;
    let b = h.vpc("10.36.0.0/16").await;
    let r = h.resource("aws_vpc_peering_connection");
    let ctx = op_context("aws_vpc_peering_connection.ab");
    let created = r
        .create(
            &ctx,
            &object(&[
                ("vpc_id", a.as_str().into()),
                ("peer_vpc_id", b.as_str().into()),
                ("auto_accept", true.into()),
            ]),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["accept_status"].as_str(), Some("active"));
    assert_eq!(created["auto_accept"].as_bool(), Some(true));
    assert_eq!(status(&h, &id).await, "active");
    assert_eq!(owned(r.as_ref(), &ctx).await.len(), 1);
    r.delete(&ctx, &id, &created).await.unwrap();
}
