//! The rows of a zero-touch CSV file (SPEC F3 to F5), with the columns of Google's portal:
//! `modemtype`, `modemid`, `serial`, `model`, `manufacturer`, `profiletype` and `profileid` to
//! apply a configuration (import `zero-touch-apply`), or `owner` instead of `profileid` to
//! unregister (import `zero-touch-unregister`).
//!
//! Rules for a row (each broken one is named; the others go on):
//! - a device is named by an IMEI (`modemtype` `IMEI`, `modemid` 15 digits with a valid Luhn
//!   check digit) or by a serial number with its model; `manufacturer` is required;
//! - `profiletype` is `ZERO_TOUCH`; `profileid` is one of the customer's configurations;
//!   `owner` is `0`;
//! - the higher IMEI of a dual-SIM device the host knows is refused with the lower one to use.
//!
//! An accepted row becomes the customer API request carrying it out
//! (`devices:applyConfiguration` or `devices:unclaim` with the device's identifiers), which the
//! host sends at its own pace.

use corral_plugin_sdk::types::{
    DeviceIdentity, FieldError, HttpMethod, ImportRow, Property, RowAction, RowOutcome, RowResult,
    VendorRequest,
};

pub const APPLY: &str = "zero-touch-apply";
pub const UNREGISTER: &str = "zero-touch-unregister";
pub const APPLY_COLUMNS: [&str; 7] = [
    "modemtype",
    "modemid",
    "serial",
    "model",
    "manufacturer",
    "profiletype",
    "profileid",
];
pub const UNREGISTER_COLUMNS: [&str; 7] = [
    "modemtype",
    "modemid",
    "serial",
    "model",
    "manufacturer",
    "profiletype",
    "owner",
];

/// Whether `imei` is 15 digits whose last is the Luhn check digit of the others.
pub fn is_imei(imei: &str) -> bool {
    if imei.len() != 15 || !imei.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = imei
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What the rows of one batch are checked against.
pub struct Context<'a> {
    pub kind: &'a str,
    /// `customers/{id}`.
    pub customer: &'a str,
    /// The customer's configuration ids.
    pub configurations: &'a [String],
    /// The URLs of `devices:applyConfiguration` and `devices:unclaim` for the customer.
    pub apply_url: String,
    pub unclaim_url: String,
}

impl<'a> Context<'a> {
    /// The context of the customer `customer` at the API whose URLs `url_of` makes.
    pub fn new(
        kind: &'a str,
        customer: &'a str,
        configurations: &'a [String],
        url_of: impl Fn(&str) -> String,
    ) -> Context<'a> {
        Context {
            kind,
            customer,
            configurations,
            apply_url: url_of(&format!("{customer}/devices:applyConfiguration")),
            unclaim_url: url_of(&format!("{customer}/devices:unclaim")),
        }
    }
}

/// `text` as a JSON string onto `out`.
fn push_json_text(out: &mut String, text: &str) {
    // serde_json writes the escaped string straight into the buffer, without a `Value`.
    let mut bytes = std::mem::take(out).into_bytes();
    serde_json::to_writer(&mut bytes, text).expect("a string serializes");
    *out = String::from_utf8(bytes).expect("JSON text is UTF-8");
}

/// `,"name":"value"` onto a JSON object being written.
fn push_field(object: &mut String, name: &str, value: &str) {
    object.push_str(",\"");
    object.push_str(name);
    object.push_str("\":");
    push_json_text(object, value);
}

/// A column a row may have.
#[derive(Clone, Copy)]
enum Column {
    ModemType,
    ModemId,
    Serial,
    Model,
    Manufacturer,
    ProfileType,
    ProfileId,
    Owner,
}

/// The names of the [`Column`]s, in their order.
const COLUMNS: [&str; 8] = [
    "modemtype",
    "modemid",
    "serial",
    "model",
    "manufacturer",
    "profiletype",
    "profileid",
    "owner",
];

/// Where each column is in a file's rows: found once from the file's header (names compared
/// without case or surrounding spaces), not by name in every row.
#[derive(Clone, Copy)]
pub struct Columns {
    at: [Option<usize>; COLUMNS.len()],
}

impl Columns {
    /// The columns among a file's `names`, in its order.
    pub fn of<'n>(names: impl IntoIterator<Item = &'n str>) -> Columns {
        let mut at = [None; COLUMNS.len()];
        for (i, name) in names.into_iter().enumerate() {
            let name = name.trim();
            if let Some(c) = COLUMNS.iter().position(|c| name.eq_ignore_ascii_case(c)) {
                at[c].get_or_insert(i);
            }
        }
        Columns { at }
    }

    /// A row's values, given in the file's column order.
    pub fn fields<'a>(&self, values: &'a [String]) -> Fields<'a> {
        Fields(self.at.map(|at| {
            at.and_then(|i| values.get(i))
                .map_or("", |v| v.as_str().trim())
        }))
    }
}

/// A row's values by column, trimmed ("" where the row has none).
pub struct Fields<'a>([&'a str; COLUMNS.len()]);

impl<'a> Fields<'a> {
    /// The fields of an `import-row`, found by their names.
    pub fn of_row(row: &'a ImportRow) -> Fields<'a> {
        let at = Columns::of(row.fields.iter().map(|p| p.name.as_str())).at;
        Fields(at.map(|at| at.map_or("", |i| row.fields[i].value.trim())))
    }

    fn get(&self, column: Column) -> &'a str {
        self.0[column as usize]
    }

    /// The IMEI the row names, if any (before its checks).
    pub fn imei(&self) -> Option<&'a str> {
        let id = self.get(Column::ModemId);
        (!id.is_empty()).then_some(id)
    }
}

fn problem(column: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        path: column.into(),
        code: code.into(),
        message: message.into(),
    }
}

/// Every problem of a row (none: the row is valid); `dual_sim` answers the lower IMEI when a
/// row's IMEI is the higher of a dual-SIM device.
pub fn problems(
    fields: &Fields,
    ctx: &Context,
    dual_sim: &dyn Fn(&str) -> Option<String>,
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let (modemtype, modemid) = (fields.get(Column::ModemType), fields.get(Column::ModemId));
    if !modemid.is_empty() {
        if !modemtype.eq_ignore_ascii_case("IMEI") {
            problems.push(problem(
                "modemtype",
                "invalid",
                format!("expected IMEI, not {modemtype:?}"),
            ));
        }
        if !is_imei(modemid) {
            problems.push(problem(
                "modemid",
                "invalid",
                format!("{modemid} is not an IMEI (15 digits with a valid Luhn check digit)"),
            ));
        } else if let Some(lower) = dual_sim(modemid) {
            problems.push(problem(
                "modemid",
                "dual-sim",
                format!(
                    "IMEI {modemid} is the second IMEI of a dual-SIM device, which zero-touch \
                     registers by its lower IMEI: use {lower}"
                ),
            ));
        }
    } else if !fields.get(Column::Serial).is_empty() {
        if fields.get(Column::Model).is_empty() {
            problems.push(problem(
                "model",
                "required",
                "a serial number needs its model",
            ));
        }
    } else {
        problems.push(problem(
            "modemid",
            "required",
            "give an IMEI (modemid) or a serial number and model",
        ));
    }
    if fields.get(Column::Manufacturer).is_empty() {
        problems.push(problem(
            "manufacturer",
            "required",
            "the manufacturer is required",
        ));
    }
    let profiletype = fields.get(Column::ProfileType);
    if profiletype != "ZERO_TOUCH" {
        problems.push(problem(
            "profiletype",
            "invalid",
            format!("expected ZERO_TOUCH, not {profiletype:?}"),
        ));
    }
    if ctx.kind == UNREGISTER {
        let owner = fields.get(Column::Owner);
        if owner != "0" {
            problems.push(problem(
                "owner",
                "invalid",
                format!("expected 0 to unregister, not {owner:?}"),
            ));
        }
    } else {
        let profile = fields.get(Column::ProfileId);
        if !ctx.configurations.iter().any(|c| c == profile) {
            problems.push(problem(
                "profileid",
                "invalid",
                format!("{profile:?} is not one of the customer's configuration ids"),
            ));
        }
    }
    problems
}

/// What the host does for a valid row: the customer API request carrying it out.
fn action(fields: &Fields, ctx: &Context) -> RowAction {
    let modemid = fields.get(Column::ModemId);
    let (serial, model, manufacturer) = (
        fields.get(Column::Serial),
        fields.get(Column::Model),
        fields.get(Column::Manufacturer),
    );
    // The `DeviceIdentifier`, written as JSON text directly.
    let mut identifier = String::with_capacity(160);
    identifier.push_str("{\"deviceType\":\"DEVICE_TYPE_ANDROID\"");
    let mut identity = DeviceIdentity {
        device_id: None,
        serial_number: None,
        imeis: vec![],
        meid: None,
        manufacturer: Some(manufacturer.to_string()),
        model: Some(model.to_string()).filter(|m| !m.is_empty()),
        os: Some("android".into()),
        os_version: None,
        security_patch_level: None,
    };
    if !modemid.is_empty() {
        push_field(&mut identifier, "imei", modemid);
        identity.imeis.push(modemid.to_string());
    } else {
        push_field(&mut identifier, "serialNumber", serial);
        push_field(&mut identifier, "model", model);
        identity.serial_number = Some(serial.to_string());
    }
    push_field(&mut identifier, "manufacturer", manufacturer);
    identifier.push('}');
    let (action, configuration_id, url, body) = if ctx.kind == UNREGISTER {
        (
            "unregister",
            None,
            &ctx.unclaim_url,
            format!("{{\"device\":{{\"deviceIdentifier\":{identifier}}}}}"),
        )
    } else {
        let profile = fields.get(Column::ProfileId);
        let mut body = String::with_capacity(96 + identifier.len());
        body.push_str("{\"configuration\":");
        push_json_text(
            &mut body,
            &format!("{}/configurations/{profile}", ctx.customer),
        );
        body.push_str(",\"device\":{\"deviceIdentifier\":");
        body.push_str(&identifier);
        body.push_str("}}");
        (
            "apply-configuration",
            Some(profile.to_string()),
            &ctx.apply_url,
            body,
        )
    };
    RowAction {
        device: identity,
        action: action.into(),
        configuration_id,
        requests: vec![VendorRequest {
            method: HttpMethod::Post,
            url: url.clone(),
            headers: vec![Property {
                name: "content-type".into(),
                value: "application/json".into(),
            }],
            body: Some(body),
        }],
    }
}

/// Checks one row and, when it is valid, prepares its request; `dual_sim` as for
/// [`problems`].
pub fn check(
    row: &ImportRow,
    ctx: &Context,
    dual_sim: &dyn Fn(&str) -> Option<String>,
) -> RowResult {
    let fields = Fields::of_row(row);
    let problems = problems(&fields, ctx, dual_sim);
    let outcome = if problems.is_empty() {
        RowOutcome::Accepted(action(&fields, ctx))
    } else {
        RowOutcome::Rejected(problems)
    };
    RowResult {
        line: row.line,
        outcome,
    }
}

/// The lower IMEI of the dual-SIM device `found` (its IMEIs, as the host knows them) when
/// `imei` is not it.
pub fn lower_imei(imei: &str, imeis: &[String]) -> Option<String> {
    let lowest = imeis.iter().filter(|i| is_imei(i)).min()?;
    (imeis.len() > 1 && lowest != imei).then(|| lowest.clone())
}

/// The body of a row's request, for tests.
#[cfg(test)]
fn body(result: &RowResult) -> Option<serde_json::Value> {
    match &result.outcome {
        RowOutcome::Accepted(a) => serde_json::from_str(a.requests[0].body.as_deref()?).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(line: u32, values: [&str; 7], columns: [&str; 7]) -> ImportRow {
        ImportRow {
            line,
            fields: columns
                .iter()
                .zip(values)
                .map(|(c, v)| Property {
                    name: c.to_string(),
                    value: v.to_string(),
                })
                .collect(),
        }
    }

    fn base(path: &str) -> String {
        format!("https://zt.test/v1/{path}")
    }

    fn ctx<'a>(kind: &'a str, configurations: &'a [String]) -> Context<'a> {
        Context::new(kind, "customers/1", configurations, base)
    }

    fn codes(r: &RowResult) -> Vec<(String, String)> {
        match &r.outcome {
            RowOutcome::Rejected(p) => p.iter().map(|p| (p.path.clone(), p.code.clone())).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn columns_are_found_once_from_the_header_in_any_order_and_case() {
        let header = [
            " ModemID",
            "profileid",
            "MANUFACTURER",
            "modemtype",
            "profiletype",
        ];
        let columns = Columns::of(header);
        let values = ["490154203237518", "7", "Google", "IMEI", "ZERO_TOUCH"].map(String::from);
        let fields = columns.fields(&values);
        assert_eq!(fields.imei(), Some("490154203237518"));
        let configs = ["7".to_string()];
        let none = |_: &str| None;
        assert!(problems(&fields, &ctx(APPLY, &configs), &none).is_empty());
        // A short row, and a column the file does not have, read as empty.
        let short = columns.fields(&values[..1]);
        let found: Vec<_> = problems(&short, &ctx(APPLY, &configs), &none)
            .into_iter()
            .map(|p| p.path)
            .collect();
        assert_eq!(
            found,
            ["modemtype", "manufacturer", "profiletype", "profileid"]
        );
        assert_eq!(columns.fields(&values).get(Column::Serial), "");
    }

    #[test]
    fn imeis_are_fifteen_digits_with_a_luhn_check_digit() {
        assert!(is_imei("490154203237518"));
        assert!(!is_imei("490154203237519"));
        assert!(!is_imei("49015420323751"));
        assert!(!is_imei("49015420323751a"));
    }

    #[test]
    fn imei_and_serial_rows_become_apply_requests() {
        let configs = ["7".to_string()];
        let ctx = ctx(APPLY, &configs);
        let none = |_: &str| None;
        let imei = check(
            &row(
                2,
                [
                    "IMEI",
                    "490154203237518",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "7",
                ],
                APPLY_COLUMNS,
            ),
            &ctx,
            &none,
        );
        assert_eq!(
            body(&imei).unwrap(),
            json!({"configuration": "customers/1/configurations/7", "device": {"deviceIdentifier":
                {"deviceType": "DEVICE_TYPE_ANDROID", "imei": "490154203237518", "manufacturer": "Google"}}})
        );
        let RowOutcome::Accepted(a) = &imei.outcome else {
            panic!()
        };
        assert_eq!(
            a.requests[0].url,
            "https://zt.test/v1/customers/1/devices:applyConfiguration"
        );
        let serial = check(
            &row(
                3,
                ["", "", "R58M12AB", "SM-G991B", "samsung", "ZERO_TOUCH", "7"],
                APPLY_COLUMNS,
            ),
            &ctx,
            &none,
        );
        assert_eq!(
            body(&serial).unwrap()["device"]["deviceIdentifier"]["serialNumber"],
            "R58M12AB"
        );
    }

    #[test]
    fn each_bad_row_gets_its_reason() {
        let configs = ["7".to_string()];
        let ctx = ctx(APPLY, &configs);
        let none = |_: &str| None;
        let cases: [([&str; 7], (&str, &str)); 7] = [
            (
                [
                    "IMEI",
                    "490154203237519",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "7",
                ],
                ("modemid", "invalid"),
            ),
            (
                [
                    "MEID",
                    "490154203237518",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "7",
                ],
                ("modemtype", "invalid"),
            ),
            (
                ["", "", "R58M12AB", "", "samsung", "ZERO_TOUCH", "7"],
                ("model", "required"),
            ),
            (
                ["IMEI", "490154203237518", "", "", "", "ZERO_TOUCH", "7"],
                ("manufacturer", "required"),
            ),
            (
                ["IMEI", "490154203237518", "", "", "Google", "KNOX", "7"],
                ("profiletype", "invalid"),
            ),
            (
                [
                    "IMEI",
                    "490154203237518",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "8",
                ],
                ("profileid", "invalid"),
            ),
            (
                ["", "", "", "", "Google", "ZERO_TOUCH", "7"],
                ("modemid", "required"),
            ),
        ];
        for (values, expected) in cases {
            let r = check(&row(9, values, APPLY_COLUMNS), &ctx, &none);
            assert_eq!(
                codes(&r),
                [(expected.0.to_string(), expected.1.to_string())],
                "{values:?}"
            );
            assert_eq!(r.line, 9);
        }
        let dual =
            |imei: &str| lower_imei(imei, &["490154203237518".into(), "356938035643809".into()]);
        let r = check(
            &row(
                4,
                [
                    "IMEI",
                    "490154203237518",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "7",
                ],
                APPLY_COLUMNS,
            ),
            &ctx,
            &dual,
        );
        assert_eq!(codes(&r), [("modemid".to_string(), "dual-sim".to_string())]);
        let r = check(
            &row(
                4,
                [
                    "IMEI",
                    "356938035643809",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "7",
                ],
                APPLY_COLUMNS,
            ),
            &ctx,
            &dual,
        );
        assert!(matches!(r.outcome, RowOutcome::Accepted(_)));
    }

    #[test]
    fn unregister_rows_need_owner_zero() {
        let ctx = ctx(UNREGISTER, &[]);
        let none = |_: &str| None;
        let ok = check(
            &row(
                2,
                [
                    "IMEI",
                    "490154203237518",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "0",
                ],
                UNREGISTER_COLUMNS,
            ),
            &ctx,
            &none,
        );
        assert_eq!(
            body(&ok).unwrap()["device"]["deviceIdentifier"]["imei"],
            "490154203237518"
        );
        let RowOutcome::Accepted(a) = &ok.outcome else {
            panic!()
        };
        assert!(a.requests[0].url.ends_with("/customers/1/devices:unclaim"));
        let bad = check(
            &row(
                3,
                [
                    "IMEI",
                    "490154203237518",
                    "",
                    "",
                    "Google",
                    "ZERO_TOUCH",
                    "7",
                ],
                UNREGISTER_COLUMNS,
            ),
            &ctx,
            &none,
        );
        assert_eq!(codes(&bad), [("owner".to_string(), "invalid".to_string())]);
    }
}
