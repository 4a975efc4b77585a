//! Forms generated from a plugin's JSON Schema (the `json-schema` of a configuration kind), and
//! the body read back from the posted form.
//!
//! Why: a plugin says what its configuration looks like; the console must offer a form for it
//! without knowing the vendor. Each leaf of the schema's object tree becomes one field, named
//! `body` + its JSON Pointer (`body/systemUpdate/windowStart`), which is also the path of the
//! plugin's field errors, so [`SchemaForm::field_for`] puts each error at its field. Supported:
//! objects with `properties` (nested ones flattened, their titles joined), `boolean` (a check
//! box), `string` (with `enum`: a select), `integer` and `number`, arrays of strings (a text
//! area, one per line), secrets (a string marked `writeOnly`: a password field, never filled
//! in); anything else (arrays of objects, free-form objects) is a JSON text
//! area for that property. Labels come from `title` (else the property's name), hints from
//! `description`.

use serde_json::{Map, Value};

use crate::{Field, Input, Texts};

/// The prefix of the fields' names (`body` + the JSON Pointer).
pub const BODY: &str = "body";

/// One generated field and where its value goes.
#[derive(Clone, Debug)]
struct Leaf {
    /// JSON Pointer of the value in the body.
    pointer: String,
    kind: Kind,
    label: String,
    hint: Option<String>,
    required: bool,
    default: Option<Value>,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Boolean,
    Text,
    /// A string marked `writeOnly` (a secret): a password field, never filled in.
    Secret,
    Choice(Vec<String>),
    Integer,
    Number,
    Strings,
    Json,
}

/// The form of one JSON Schema.
#[derive(Clone, Debug)]
pub struct SchemaForm {
    leaves: Vec<Leaf>,
}

impl SchemaForm {
    /// The form of `schema` (`None` when it is not an object with properties: the caller then
    /// offers the body as one JSON text area).
    pub fn of(schema: &Value) -> Option<SchemaForm> {
        let mut leaves = Vec::new();
        walk(schema, "", "", true, &mut leaves);
        (!leaves.is_empty()).then_some(SchemaForm { leaves })
    }

    /// The fields, filled in from `body` (a body not stored yet shows the schema's defaults).
    pub fn fields(&self, t: &Texts, body: &Value) -> Vec<Field> {
        self.leaves
            .iter()
            .map(|leaf| {
                let value = body.pointer(&leaf.pointer).or(leaf.default.as_ref());
                let (input, text) = match &leaf.kind {
                    Kind::Boolean => (
                        Input::Checkbox,
                        if value == Some(&Value::Bool(true)) {
                            "on".into()
                        } else {
                            String::new()
                        },
                    ),
                    Kind::Choice(options) => {
                        let mut all = Vec::new();
                        if !leaf.required {
                            all.push((String::new(), t.not_set.to_string()));
                        }
                        all.extend(options.iter().map(|o| (o.clone(), o.clone())));
                        (Input::Select(all), scalar(value))
                    }
                    Kind::Text => (Input::Text, scalar(value)),
                    Kind::Secret => (Input::Password, String::new()),
                    Kind::Integer | Kind::Number => (Input::Number, scalar(value)),
                    Kind::Strings => (
                        Input::TextArea,
                        value
                            .and_then(Value::as_array)
                            .map(|items| {
                                items
                                    .iter()
                                    .map(|i| scalar(Some(i)))
                                    .collect::<Vec<_>>()
                                    .join("\n")
                            })
                            .unwrap_or_default(),
                    ),
                    Kind::Json => (
                        Input::TextArea,
                        value
                            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                            .unwrap_or_default(),
                    ),
                };
                let mut field =
                    Field::new(format!("{BODY}{}", leaf.pointer), &leaf.label, input).value(text);
                let hint = match (&leaf.kind, &leaf.hint) {
                    (Kind::Strings, Some(h)) => Some(format!("{h} {}", t.one_per_line)),
                    (Kind::Strings, None) => Some(t.one_per_line.to_string()),
                    (Kind::Json, Some(h)) => Some(format!("{h} {}", t.as_json)),
                    (Kind::Json, None) => Some(t.as_json.to_string()),
                    (_, h) => h.clone(),
                };
                if let Some(hint) = hint {
                    field = field.hint(hint);
                }
                if leaf.required && leaf.kind != Kind::Boolean {
                    field = field.required();
                }
                field
            })
            .collect()
    }

    /// The body the posted fields describe (`get` answers a field's value, `None` when not
    /// sent). Empty fields are left out; an object is left out when nothing in it was given
    /// (a check box counts when it differs from its default). A value that cannot be read
    /// answers `(field name, message)`.
    pub fn body(
        &self,
        t: &Texts,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Value, (String, String)> {
        let mut body = Value::Object(Map::new());
        for leaf in &self.leaves {
            let name = format!("{BODY}{}", leaf.pointer);
            let raw = get(&name).unwrap_or_default();
            let text = raw.trim();
            let value = match &leaf.kind {
                Kind::Boolean => {
                    let on = raw == "on";
                    if leaf
                        .default
                        .as_ref()
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                        == on
                    {
                        // The default: set only where its object is given anyway.
                        set_default(&mut body, &leaf.pointer, Value::Bool(on));
                        continue;
                    }
                    Value::Bool(on)
                }
                _ if text.is_empty() => continue,
                Kind::Text | Kind::Secret | Kind::Choice(_) => Value::String(text.to_string()),
                Kind::Integer => match text.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => return Err((name, t.whole_number.to_string())),
                },
                Kind::Number => match text
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                {
                    Some(n) => n,
                    None => return Err((name, t.a_number.to_string())),
                },
                Kind::Strings => Value::Array(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| Value::String(l.to_string()))
                        .collect(),
                ),
                Kind::Json => match serde_json::from_str(text) {
                    Ok(v) => v,
                    Err(e) => return Err((name, format!("{}: {e}", t.json_invalid))),
                },
            };
            set(&mut body, &leaf.pointer, value);
        }
        drop_defaults_only(&mut body);
        Ok(body)
    }

    /// The field a plugin's error at `pointer` belongs to: the field of that pointer, or of
    /// the nearest enclosing one (`/apps/0/packageName` belongs to `/apps`'s JSON area).
    pub fn field_for(&self, pointer: &str) -> Option<String> {
        let mut p = pointer.trim_end_matches('/').to_string();
        loop {
            if self.leaves.iter().any(|l| l.pointer == p) {
                return Some(format!("{BODY}{p}"));
            }
            match p.rfind('/') {
                Some(at) if !p.is_empty() => p.truncate(at),
                _ => return None,
            }
        }
    }
}

fn scalar(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}

fn kind_of(p: &Value) -> &str {
    p.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Collects the leaves of `schema`'s object tree. `present`: whether the object is always in
/// the body (the root, or required all the way up); a field is required only then, so that an
/// optional object's required fields can be left empty, which leaves the object out.
fn walk(schema: &Value, pointer: &str, title: &str, present: bool, out: &mut Vec<Leaf>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (key, property) in properties {
        let pointer = format!("{pointer}/{}", escape(key));
        let own = property
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_string();
        let label = if title.is_empty() {
            own
        } else {
            format!("{title} › {own}")
        };
        let kind = match kind_of(property) {
            "object" if property.get("properties").is_some() => {
                let required = present && required.contains(&key.as_str());
                walk(property, &pointer, &label, required, out);
                continue;
            }
            "boolean" => Kind::Boolean,
            "string" => match property.get("enum").and_then(Value::as_array) {
                Some(options) => Kind::Choice(
                    options
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                ),
                None if property.get("writeOnly") == Some(&Value::Bool(true)) => Kind::Secret,
                None => Kind::Text,
            },
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "array" if property.get("items").map(kind_of) == Some("string") => Kind::Strings,
            _ => Kind::Json,
        };
        out.push(Leaf {
            pointer,
            kind,
            label,
            hint: property
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            required: present && required.contains(&key.as_str()),
            default: property.get("default").cloned(),
        });
    }
}

/// Sets `value` at `pointer`, making the objects on the way.
fn set(body: &mut Value, pointer: &str, value: Value) {
    let keys: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let mut at = body;
    for key in &keys[..keys.len() - 1] {
        let Value::Object(map) = at else { return };
        at = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Value::Object(map) = at {
        map.insert(keys[keys.len() - 1].clone(), value);
    }
}

/// Marker of a default-valued check box: kept only inside an object given anyway.
const DEFAULT_MARK: &str = "\u{0}default";

fn set_default(body: &mut Value, pointer: &str, value: Value) {
    set(body, pointer, serde_json::json!({ DEFAULT_MARK: value }));
}

/// Drops objects holding only defaults, and unwraps the defaults left in the others. Answers
/// whether `v` holds anything given.
fn drop_defaults_only(v: &mut Value) -> bool {
    let Value::Object(map) = v else { return true };
    if let Some(inner) = map.get(DEFAULT_MARK).cloned() {
        *v = inner;
        return false;
    }
    let mut given = false;
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let child = map.get_mut(&key).expect("listed");
        let child_given = drop_defaults_only(child);
        given |= child_given;
        let is_object = child.is_object();
        if is_object && !child_given {
            map.remove(&key);
        }
    }
    given
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{texts, Lang};
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "title": "Name", "description": "Shown to users"},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "count": {"type": "integer"},
                "lock": {"type": "boolean", "default": true},
                "ids": {"type": "array", "items": {"type": "string"}},
                "apps": {"type": "array", "items": {"type": "object"}},
                "update": {"type": "object", "title": "Update", "properties": {
                    "start": {"type": "integer", "title": "Start"},
                    "strict": {"type": "boolean"}
                }}
            }
        })
    }

    #[test]
    fn fields_are_named_by_pointer_and_filled_from_the_body() {
        let t = texts(Lang::En);
        let form = SchemaForm::of(&schema()).unwrap();
        let fields = form.fields(t, &json!({"update": {"start": 60}}));
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert!(names.contains(&"body/update/start"), "{names:?}");
        let start = fields
            .iter()
            .find(|f| f.name == "body/update/start")
            .unwrap();
        assert_eq!(
            (start.label.as_str(), start.value.as_str()),
            ("Update › Start", "60")
        );
        let lock = fields.iter().find(|f| f.name == "body/lock").unwrap();
        assert_eq!(lock.value, "on", "the default shows");
        assert!(
            fields
                .iter()
                .find(|f| f.name == "body/name")
                .unwrap()
                .required
        );
        assert!(SchemaForm::of(&json!({"type": "object"})).is_none());
    }

    #[test]
    fn the_body_is_read_back_leaving_out_what_was_not_given() {
        let t = texts(Lang::En);
        let form = SchemaForm::of(&schema()).unwrap();
        let posted = [
            ("body/name", "Kiosk"),
            ("body/count", "3"),
            ("body/ids", "a\n\n b \n"),
            ("body/apps", "[{\"x\": 1}]"),
        ];
        let get = |n: &str| {
            posted
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        };
        let body = form.body(t, get).unwrap();
        assert_eq!(
            body,
            json!({"name": "Kiosk", "count": 3, "ids": ["a", "b"], "apps": [{"x": 1}],
                   "lock": false}),
            "an unticked box with a true default is false; an object with nothing given is out"
        );
        let with_update = [("body/update/start", "5"), ("body/lock", "on")];
        let get = |n: &str| {
            with_update
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        };
        assert_eq!(
            form.body(t, get).unwrap(),
            json!({"update": {"start": 5, "strict": false}, "lock": true})
        );
        let bad = |n: &str| (n == "body/count").then(|| "three".to_string());
        assert_eq!(form.body(t, bad).unwrap_err().0, "body/count");
    }

    #[test]
    fn errors_find_their_field_or_the_nearest_enclosing_one() {
        let form = SchemaForm::of(&schema()).unwrap();
        assert_eq!(
            form.field_for("/update/start").as_deref(),
            Some("body/update/start")
        );
        assert_eq!(
            form.field_for("/apps/0/packageName").as_deref(),
            Some("body/apps")
        );
        assert_eq!(form.field_for("/elsewhere"), None);
        assert_eq!(form.field_for(""), None);
    }

    #[test]
    fn a_secret_is_a_password_field_never_filled_in() {
        let t = texts(Lang::En);
        let schema = json!({"type": "object", "properties": {
            "client_secret": {"type": "string", "writeOnly": true, "default": "leaked"}
        }});
        let form = SchemaForm::of(&schema).unwrap();
        let fields = form.fields(t, &json!({"client_secret": "also leaked"}));
        assert!(
            matches!(fields[0].input, Input::Password),
            "{:?}",
            fields[0]
        );
        assert_eq!(fields[0].value, "");
        assert_eq!(
            form.body(t, |_| Some("s3cret".into())).unwrap(),
            json!({"client_secret": "s3cret"})
        );
    }

    #[test]
    fn an_optional_objects_required_fields_may_stay_empty_and_leave_it_out() {
        let t = texts(Lang::En);
        let schema = json!({"type": "object", "properties": {
            "wifi": {"type": "object", "required": ["ssid", "security"], "properties": {
                "ssid": {"type": "string"},
                "security": {"type": "string", "enum": ["none", "wpa"]}
            }}
        }});
        let form = SchemaForm::of(&schema).unwrap();
        let fields = form.fields(t, &json!({}));
        let security = fields
            .iter()
            .find(|f| f.name == "body/wifi/security")
            .unwrap();
        // An empty choice is offered (a browser sends the first option otherwise), nothing
        // is marked required.
        match &security.input {
            Input::Select(options) => assert_eq!(options[0].0, ""),
            other => panic!("{other:?}"),
        }
        assert!(fields.iter().all(|f| !f.required));
        assert_eq!(form.body(t, |_| Some(String::new())).unwrap(), json!({}));
        let given = |name: &str| {
            Some(
                if name.ends_with("security") {
                    "wpa"
                } else {
                    "Lobby"
                }
                .to_string(),
            )
        };
        assert_eq!(
            form.body(t, given).unwrap(),
            json!({"wifi": {"ssid": "Lobby", "security": "wpa"}})
        );
    }
}
