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

    /// The API method answering `method` on `path` (relative to the root URL, e.g.
    /// `v1/enterprises/e1/enrollmentTokens`): its id and its request and response schemas.
    pub fn method(&self, method: &str, path: &str) -> Option<Method> {
        let mut found = None;
        visit(&self.doc, &mut |m| {
            let template = m["flatPath"].as_str().or(m["path"].as_str()).unwrap_or("");
            if found.is_none()
                && m["httpMethod"].as_str() == Some(method)
                && template_matches(template, path)
            {
                found = Some(Method {
                    id: m["id"].as_str().unwrap_or_default().to_string(),
                    request: m["request"]["$ref"].as_str().map(str::to_string),
                    response: m["response"]["$ref"].as_str().map(str::to_string),
                });
            }
        });
        found
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

/// A method of the API, from the discovery document.
#[derive(Debug, Clone)]
pub struct Method {
    /// e.g. `androidmanagement.enterprises.enrollmentTokens.create`.
    pub id: String,
    pub request: Option<String>,
    pub response: Option<String>,
}

fn visit(resource: &Value, f: &mut impl FnMut(&Value)) {
    if let Some(methods) = resource["methods"].as_object() {
        methods.values().for_each(&mut *f);
    }
    if let Some(children) = resource["resources"].as_object() {
        for child in children.values() {
            visit(child, f);
        }
    }
}

/// `v1/enterprises/{enterprisesId}/enrollmentTokens` matches `v1/enterprises/e1/enrollmentTokens`:
/// each `{...}` stands for one non-empty segment.
fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}
