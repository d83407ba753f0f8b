//! `master_user_secret`: the Secrets Manager secret RDS keeps the master
//! password in when `manage_master_user_password` is set, so the password
//! itself never enters cairn's state.

use aws_sdk_rds::types::MasterUserSecret;
use cairn_core::{Attribute, Schema, Type, Value};

pub fn attribute() -> Attribute {
    let block = Schema::new()
        .attr("kms_key_id", Attribute::string().computed())
        .attr("secret_arn", Attribute::string().computed())
        .attr("secret_status", Attribute::string().computed());
    Attribute::new(Type::list(Type::object(block)))
        .computed()
        .describe(
            "The secret RDS manages the master password in (with manage_master_user_password).",
        )
}

pub fn value(s: Option<&MasterUserSecret>) -> Value {
    match s {
        None => Value::List(Vec::new()),
        Some(s) => Value::List(vec![Value::Map(
            [
                ("kms_key_id".to_string(), Value::from(s.kms_key_id())),
                ("secret_arn".to_string(), Value::from(s.secret_arn())),
                ("secret_status".to_string(), Value::from(s.secret_status())),
            ]
            .into(),
        )]),
    }
}
