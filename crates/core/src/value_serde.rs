//! How a [`Value`] is stored in a saved plan: plain JSON, except for the two
//! marks, which become tagged objects (`{"$cairn": "unknown"}`,
//! `{"$cairn": "sensitive", "value": ...}`). A map that itself has a
//! `$cairn` key is wrapped (`{"$cairn": "map", "value": {...}}`) so that no
//! user value can be mistaken for a mark. Saved plans hold sensitive values
//! in clear, like state: they are written owner-only.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value as J};

use crate::address::Address;
use crate::value::Value;

const TAG: &str = "$cairn";

fn encode(v: &Value) -> J {
    match v {
        Value::Unknown => json!({ TAG: "unknown" }),
        Value::Sensitive(inner) => json!({ TAG: "sensitive", "value": encode(inner) }),
        Value::List(items) => J::Array(items.iter().map(encode).collect()),
        Value::Map(m) => {
            let obj: Map<String, J> = m.iter().map(|(k, v)| (k.clone(), encode(v))).collect();
            if m.contains_key(TAG) {
                json!({ TAG: "map", "value": J::Object(obj) })
            } else {
                J::Object(obj)
            }
        }
        scalar => scalar.to_json(),
    }
}

fn decode(j: &J) -> Result<Value, String> {
    match j {
        J::Array(items) => items
            .iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .map(Value::List),
        J::Object(o) => match o.get(TAG).and_then(J::as_str) {
            Some("unknown") => Ok(Value::Unknown),
            Some("sensitive") => Ok(Value::sensitive(decode(
                o.get("value").unwrap_or(&J::Null),
            )?)),
            Some("map") => match o.get("value") {
                Some(J::Object(inner)) => plain_map(inner),
                _ => Err("a wrapped map without its value".into()),
            },
            Some(other) => Err(format!("unknown value tag `{other}`")),
            None => plain_map(o),
        },
        scalar => Ok(Value::from_json(scalar)),
    }
}

fn plain_map(o: &Map<String, J>) -> Result<Value, String> {
    o.iter()
        .map(|(k, v)| decode(v).map(|v| (k.clone(), v)))
        .collect::<Result<_, _>>()
        .map(Value::Map)
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        encode(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(&J::deserialize(d)?).map_err(D::Error::custom)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_survive_a_round_trip_and_cannot_be_forged() {
        let v = Value::Map(
            [
                ("id".to_string(), Value::Unknown),
                ("password".to_string(), Value::sensitive("hunter2".into())),
                (
                    "tags".to_string(),
                    Value::Map([(TAG.to_string(), Value::from("unknown"))].into()),
                ),
                ("n".to_string(), Value::Number(3.0)),
            ]
            .into(),
        );
        let text = serde_json::to_string(&v).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert!(back
            .get_path(&[crate::PathStep::Key("id".into())])
            .unwrap()
            .is_unknown());
        assert!(back.as_map().unwrap()["password"].is_sensitive());
        // A user map with a `$cairn` key stays a map.
        let tags = back.as_map().unwrap()["tags"].as_map().unwrap();
        assert_eq!(tags[TAG].as_str(), Some("unknown"));
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }

    #[test]
    fn addresses_serialize_as_their_text() {
        let a: Address = "module.net.aws_subnet.private[\"a\"]".parse().unwrap();
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(j, "\"module.net.aws_subnet.private[\\\"a\\\"]\"");
        assert_eq!(serde_json::from_str::<Address>(&j).unwrap(), a);
    }
}
