//! Checking JSON documents against a Google API discovery document, mechanically: every field
//! must be a property of its schema, of the declared type (`int64` values are JSON strings
//! there), and every enum value one the document lists. A field the document marks
//! `deprecated`, or an enum value its `enumDeprecated` marks, is a violation too. Used to hold the AMAPI plugin's
//! `Policy` to Google's contract rather than to a copy of it. A request's query parameters are
//! held to its method's `parameters` (and the document's standard ones) the same way.

use std::collections::BTreeMap;

use serde_json::Value;

pub struct Discovery {
    doc: Value,
}

impl Discovery {
    /// The Android Management API document kept in `tests/fixtures/google/`.
    pub fn android_management() -> Discovery {
        Discovery::fixture("androidmanagement.v1.json")
    }

    /// The zero-touch (device provisioning) API document kept in `tests/fixtures/google/`.
    pub fn device_provisioning() -> Discovery {
        Discovery::fixture("androiddeviceprovisioning.v1.json")
    }

    fn fixture(file: &str) -> Discovery {
        let path = format!("{}/fixtures/google/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("discovery document");
        Discovery {
            doc: serde_json::from_str(&text).expect("discovery JSON"),
        }
    }

    /// The API method answering `method` on `path` (relative to the root URL, e.g.
    /// `v1/enterprises/e1/enrollmentTokens` or `v1/enterprises/e1/devices/d1:issueCommand`): its
    /// id, its request and response schemas and its parameters.
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
                    parameters: parameters(&m["parameters"]),
                });
            }
        });
        found
    }

    /// Every way the query `pairs` (decoded, in order) depart from what `method` takes (empty
    /// when they conform): each name must be a query parameter of the method or one of the
    /// document's standard parameters (`fields`, `prettyPrint`, `$.xgafv`, ...), its value of
    /// the declared type and, for an enum, one of its values; only a `repeated` parameter may
    /// come more than once, and a `required` query parameter must come.
    pub fn query_violations(&self, method: &Method, pairs: &[(String, String)]) -> Vec<String> {
        let standard = parameters(&self.doc["parameters"]);
        let mut out = Vec::new();
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (name, value) in pairs {
            let Some(p) = method.parameters.get(name).or(standard.get(name)) else {
                out.push(format!("?{name}: no such query parameter"));
                continue;
            };
            if p.location != "query" {
                out.push(format!(
                    "?{name}: a {} parameter, not a query one",
                    p.location
                ));
                continue;
            }
            let count = seen.entry(name).or_default();
            *count += 1;
            if *count == 2 && !p.repeated {
                out.push(format!("?{name}: more than once, but not repeated"));
            }
            if let Some(problem) = p.problem(value) {
                out.push(format!("?{name}={value:?}: {problem}"));
            }
        }
        for (name, p) in &method.parameters {
            if p.location == "query" && p.required && !seen.contains_key(name.as_str()) {
                out.push(format!("?{name}: required, but absent"));
            }
        }
        out
    }

    /// Whether `path` (dotted field names, e.g. `hardwareInfo.serialNumber`) names a field of
    /// schema `name`, as a field mask would: through nested messages, not into lists or maps.
    pub fn has_field(&self, name: &str, path: &str) -> bool {
        let Some(mut schema) = self.doc["schemas"].get(name) else {
            return false;
        };
        for field in path.split('.') {
            match self
                .resolve(schema)
                .and_then(|s| s["properties"].get(field))
            {
                Some(s) => schema = s,
                None => return false,
            }
        }
        true
    }

    /// `schema` with its `$ref`s followed (`None` when one names no schema).
    fn resolve<'a>(&'a self, mut schema: &'a Value) -> Option<&'a Value> {
        while let Some(name) = schema.get("$ref").and_then(Value::as_str) {
            schema = self.doc["schemas"].get(name)?;
        }
        Some(schema)
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
                    match allowed.iter().position(|a| a == s) {
                        None => out.push(format!("{path}: {s:?} is not a value of this enum")),
                        Some(i) if schema["enumDeprecated"][i].as_bool() == Some(true) => {
                            out.push(format!("{path}: {s:?} is a deprecated value"))
                        }
                        Some(_) => {}
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
                        (Some(s), _) => {
                            if s["deprecated"].as_bool() == Some(true) {
                                out.push(format!("{child}: deprecated field"));
                            }
                            self.check(s, v, &child, out)
                        }
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
    /// The method's own parameters by name, in the path and in the query (the document's
    /// standard parameters are not repeated here; [`Discovery::query_violations`] knows them).
    pub parameters: BTreeMap<String, Parameter>,
}

/// A parameter of a method, from the discovery document.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// `path` or `query`.
    pub location: String,
    /// `string`, `integer`, `boolean`, `number`.
    pub ty: String,
    /// e.g. `int32`, `google-fieldmask`.
    pub format: Option<String>,
    /// The values an enum parameter may take.
    pub values: Option<Vec<String>>,
    /// May come more than once.
    pub repeated: bool,
    pub required: bool,
}

impl Parameter {
    /// How `value` departs from the parameter's type or enum, if it does.
    fn problem(&self, value: &str) -> Option<String> {
        let conforms = match (self.ty.as_str(), self.format.as_deref()) {
            ("integer", Some("int32")) => value.parse::<i32>().is_ok(),
            ("integer", Some("uint32")) => value.parse::<u32>().is_ok(),
            ("integer", Some("uint64")) => value.parse::<u64>().is_ok(),
            ("integer", _) => value.parse::<i64>().is_ok(),
            ("number", _) => value.parse::<f64>().is_ok(),
            ("boolean", _) => value == "true" || value == "false",
            _ => true,
        };
        if !conforms {
            return Some(format!(
                "not a {}",
                self.format.as_deref().unwrap_or(&self.ty)
            ));
        }
        match &self.values {
            Some(values) if !values.iter().any(|v| v == value) => {
                Some("not a value of this enum".into())
            }
            _ => None,
        }
    }
}

/// A `parameters` object of the document, by name.
fn parameters(params: &Value) -> BTreeMap<String, Parameter> {
    let Some(params) = params.as_object() else {
        return BTreeMap::new();
    };
    let text = |p: &Value, key: &str| p[key].as_str().map(str::to_string);
    params
        .iter()
        .map(|(name, p)| {
            let parameter = Parameter {
                location: text(p, "location").unwrap_or_default(),
                ty: text(p, "type").unwrap_or_else(|| "string".into()),
                format: text(p, "format"),
                values: p["enum"].as_array().map(|values| {
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                }),
                repeated: p["repeated"].as_bool().unwrap_or(false),
                required: p["required"].as_bool().unwrap_or(false),
            };
            (name.clone(), parameter)
        })
        .collect()
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
/// each `{...}` stands for one non-empty segment. A custom verb after the last segment
/// (`.../devices/{devicesId}:issueCommand`) must be the same in both, and is never part of the
/// segment a `{...}` stands for (as in Google's path templates).
fn template_matches(template: &str, path: &str) -> bool {
    let ((t, t_verb), (p, p_verb)) = (split_verb(template), split_verb(path));
    let (t, p): (Vec<&str>, Vec<&str>) = (t.split('/').collect(), p.split('/').collect());
    t_verb == p_verb
        && t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// `a/b:verb` as (`a/b`, `Some("verb")`): the verb follows the last `:` of the last segment.
fn split_verb(path: &str) -> (&str, Option<&str>) {
    let last = path.rfind('/').map_or(0, |i| i + 1);
    match path[last..].rfind(':') {
        Some(i) => (&path[..last + i], Some(&path[last + i + 1..])),
        None => (path, None),
    }
}
