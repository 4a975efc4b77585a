//! Checking JSON documents against a Google API discovery document, mechanically: every field
//! must be a property of its schema, of the declared type (`int64` values are JSON strings
//! there), and every enum value one the document lists. Used to hold the AMAPI plugin's
//! `Policy` to Google's contract rather than to a copy of it.

use serde_json::Value;

pub struct Discovery {
    doc: Value,
}

impl Discovery {
    /// The Android Management API document kept in `tests/fixtures/google/`.
    pub fn android_management() -> Discovery {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/google/androidmanagement.v1.json"
        );
        let text = std::fs::read_to_string(path).expect("discovery document");
        Discovery {
            doc: serde_json::from_str(&text).expect("discovery JSON"),
        }
    }

    /// Every way `value` departs from schema `name` (empty when it conforms).
    pub fn violations(&self, name: &str, value: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let schema = json_ref(name);
        self.check(&schema, value, "", &mut out);
        out
    }

    fn check(&self, schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
        if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
            match self.doc["schemas"].get(name) {
                Some(s) => return self.check(s, value, path, out),
                None => return out.push(format!("{path}: unknown schema {name}")),
            }
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
        match (ty, value) {
            ("any", _) => {}
            ("boolean", Value::Bool(_)) => {}
            ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => {}
            ("number", Value::Number(_)) => {}
            ("string", Value::String(s)) => {
                if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
                    if !allowed.iter().any(|a| a == s) {
                        out.push(format!("{path}: {s:?} is not a value of this enum"));
                    }
                }
            }
            ("array", Value::Array(items)) => {
                let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
                for (i, item) in items.iter().enumerate() {
                    self.check(&item_schema, item, &format!("{path}/{i}"), out);
                }
            }
            ("object", Value::Object(map)) => {
                let props = schema.get("properties").and_then(Value::as_object);
                let extra = schema.get("additionalProperties");
                for (key, v) in map {
                    let child = format!("{path}/{key}");
                    match (props.and_then(|p| p.get(key)), extra) {
                        (Some(s), _) => self.check(s, v, &child, out),
                        (None, Some(s)) => self.check(s, v, &child, out),
                        (None, None) => out.push(format!("{child}: no such field")),
                    }
                }
            }
            (ty, v) => out.push(format!("{path}: expected {ty}, got {v}")),
        }
    }
}

fn json_ref(name: &str) -> Value {
    serde_json::json!({ "$ref": name })
}
