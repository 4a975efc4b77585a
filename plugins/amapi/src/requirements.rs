//! Enrolment requirements (SPEC E8): which devices the tenant lets enrol, by manufacturer,
//! Android version, security patch level and an allow-list of devices.
//!
//! Why here: the requirements are AMAPI's product rules, so the plugin states them; the host
//! only hears the outcome (a `refusal` in the device report) and resets a refused device. The
//! functions are pure (settings in, a reason out) so that they are tested natively.
//!
//! Rules, each an optional tenant setting (unset or blank: no requirement):
//! - `allowed-manufacturers`: comma-separated; the device's manufacturer must be one of them,
//!   compared case-insensitively (`manufacturer-not-allowed`);
//! - `minimum-android-version`: dotted numbers, compared number by number with missing ones as
//!   0 ("12" < "12.1" < "13"); the device's version is read up to its first character that is
//!   neither a digit nor a dot ("14 QPR1" is 14) (`android-version-too-old`);
//! - `minimum-security-patch-level`: a date `YYYY-MM-DD`; the device's patch level must be that
//!   day or later (`security-patch-too-old`);
//! - `allowed-devices`: serial numbers or IMEIs, separated by commas (or white space); a device
//!   none of whose serial number and IMEIs is listed is refused (`device-not-allowed`). Serial
//!   numbers are compared case-insensitively.
//!
//! A device that reports no manufacturer, or neither serial number nor IMEI, fails the
//! requirement that needs it. Its Android version and patch level come in Google's software
//! information, which a device sends only once its policy asks for it (the COSU policy does):
//! until then those two requirements wait, and the report that brings them decides (the host
//! resets a device refused at any report). A setting that does not parse is refused when it is
//! set (`validate-settings`) and is an error for the whole sync, never a reason to refuse (or
//! let in) every device. The first requirement a device
//! fails, in the order above, is its refusal.

use chrono::NaiveDate;
use corral_plugin_sdk::types::{DeviceIdentity, PluginError, Reason};

pub const ALLOWED_MANUFACTURERS: &str = "allowed-manufacturers";
pub const MINIMUM_ANDROID_VERSION: &str = "minimum-android-version";
pub const MINIMUM_SECURITY_PATCH_LEVEL: &str = "minimum-security-patch-level";
pub const ALLOWED_DEVICES: &str = "allowed-devices";

/// The tenant's enrolment requirements; empty lists and `None` require nothing.
#[derive(Debug, Default, PartialEq)]
pub struct Requirements {
    /// As the administrator wrote them (the match is case-insensitive).
    pub allowed_manufacturers: Vec<String>,
    /// The setting's text and its numbers.
    pub minimum_android_version: Option<(String, Vec<u64>)>,
    pub minimum_security_patch_level: Option<NaiveDate>,
    /// Serial numbers and IMEIs, as written.
    pub allowed_devices: Vec<String>,
}

fn bad_setting(name: &str, value: &str, expected: &str) -> PluginError {
    PluginError::InvalidInput(format!(
        "the setting {name} is {value:?}: expected {expected}"
    ))
}

/// The items of a list setting, trimmed, blanks left out.
fn items(value: &str, separators: &[char]) -> Vec<String> {
    value
        .split(|c: char| separators.contains(&c))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A version setting: dotted numbers, nothing else.
fn parse_version(text: &str) -> Option<Vec<u64>> {
    text.split('.')
        .map(|part| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                part.parse().ok()
            }
        })
        .collect()
}

/// The numbers a device's version starts with ("6.0.1" → 6, 0, 1; "14 QPR1" → 14), or `None`
/// when it starts with none.
fn device_version(text: &str) -> Option<Vec<u64>> {
    let text = text.trim();
    let end = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let numbers = text[..end].trim_end_matches('.');
    parse_version(numbers)
}

/// `a < b`, number by number, missing numbers counting as 0.
fn older(a: &[u64], b: &[u64]) -> bool {
    let n = a.len().max(b.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    (0..n)
        .map(|i| at(a, i).cmp(&at(b, i)))
        .find(|o| o.is_ne())
        .is_some_and(|o| o.is_lt())
}

fn date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    // `%Y` would also take a sign or more than four digits.
    if text.len() != 10 || !text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

impl Requirements {
    /// The requirements of the tenant's settings (`setting(name)` answers a setting's value).
    pub fn from_settings(setting: impl Fn(&str) -> Option<String>) -> Result<Self, PluginError> {
        let value = |name: &str| {
            setting(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let minimum_android_version = match value(MINIMUM_ANDROID_VERSION) {
            None => None,
            Some(v) => match parse_version(&v) {
                Some(numbers) => Some((v, numbers)),
                None => {
                    return Err(bad_setting(
                        MINIMUM_ANDROID_VERSION,
                        &v,
                        "a version such as 12 or 12.1",
                    ));
                }
            },
        };
        let minimum_security_patch_level = match value(MINIMUM_SECURITY_PATCH_LEVEL) {
            None => None,
            Some(v) => Some(date(&v).ok_or_else(|| {
                bad_setting(
                    MINIMUM_SECURITY_PATCH_LEVEL,
                    &v,
                    "a date YYYY-MM-DD such as 2024-01-05",
                )
            })?),
        };
        Ok(Requirements {
            allowed_manufacturers: value(ALLOWED_MANUFACTURERS)
                .map(|v| items(&v, &[',']))
                .unwrap_or_default(),
            minimum_android_version,
            minimum_security_patch_level,
            allowed_devices: value(ALLOWED_DEVICES)
                .map(|v| items(&v, &[',', ' ', '\t', '\r', '\n', ';']))
                .unwrap_or_default(),
        })
    }

    /// Why these requirements refuse the device, or `None` when it meets them all.
    pub fn refusal(&self, device: &DeviceIdentity) -> Option<Reason> {
        let reason = |code: &str, message: String| {
            Some(Reason {
                code: code.into(),
                message,
            })
        };
        let known = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };

        if !self.allowed_manufacturers.is_empty() {
            let allowed = self.allowed_manufacturers.join(", ");
            match known(&device.manufacturer) {
                None => {
                    return reason(
                        "manufacturer-not-allowed",
                        format!(
                            "the device reports no manufacturer; allowed manufacturers \
                             ({ALLOWED_MANUFACTURERS}) are {allowed}"
                        ),
                    );
                }
                Some(m) => {
                    let lower = m.to_lowercase();
                    if !self
                        .allowed_manufacturers
                        .iter()
                        .any(|a| a.to_lowercase() == lower)
                    {
                        return reason(
                            "manufacturer-not-allowed",
                            format!(
                                "manufacturer {m} is not allowed: allowed manufacturers \
                                 ({ALLOWED_MANUFACTURERS}) are {allowed}"
                            ),
                        );
                    }
                }
            }
        }

        if let Some((minimum, numbers)) = &self.minimum_android_version {
            let version = known(&device.os_version);
            match version.as_deref().map(|v| (v, device_version(v))) {
                Some((_, Some(v))) if !older(&v, numbers) => {}
                Some((v, Some(_))) => {
                    return reason(
                        "android-version-too-old",
                        format!(
                            "Android {v} is older than the minimum Android version \
                             ({MINIMUM_ANDROID_VERSION}) {minimum}"
                        ),
                    );
                }
                Some((v, None)) => {
                    return reason(
                        "android-version-too-old",
                        format!(
                            "Android version {v:?} is not a version number; the minimum \
                             Android version ({MINIMUM_ANDROID_VERSION}) is {minimum}"
                        ),
                    );
                }
                // Not reported yet (software information comes once the device's policy asks
                // for it): checked at the report that brings it.
                None => {}
            }
        }

        if let Some(minimum) = self.minimum_security_patch_level {
            let level = known(&device.security_patch_level);
            match level.as_deref().map(|l| (l, date(l))) {
                Some((_, Some(d))) if d >= minimum => {}
                Some((l, Some(_))) => {
                    return reason(
                        "security-patch-too-old",
                        format!(
                            "security patch level {l} is older than the minimum \
                             ({MINIMUM_SECURITY_PATCH_LEVEL}) {minimum}"
                        ),
                    );
                }
                Some((l, None)) => {
                    return reason(
                        "security-patch-too-old",
                        format!(
                            "security patch level {l:?} is not a date YYYY-MM-DD; the minimum \
                             ({MINIMUM_SECURITY_PATCH_LEVEL}) is {minimum}"
                        ),
                    );
                }
                // Not reported yet: checked at the report that brings it.
                None => {}
            }
        }

        if !self.allowed_devices.is_empty() {
            let serial = known(&device.serial_number);
            let imeis: Vec<String> = device
                .imeis
                .iter()
                .map(|i| i.trim().to_string())
                .filter(|i| !i.is_empty())
                .collect();
            let listed = self.allowed_devices.iter().any(|a| {
                serial.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(a))
                    || imeis.iter().any(|i| i == a)
            });
            if !listed {
                let mut ids = Vec::new();
                if let Some(s) = &serial {
                    ids.push(format!("serial number {s}"));
                }
                if !imeis.is_empty() {
                    ids.push(format!("IMEI {}", imeis.join(", ")));
                }
                let ids = if ids.is_empty() {
                    "the device reports no serial number or IMEI".to_string()
                } else {
                    format!("the device ({})", ids.join("; "))
                };
                return reason(
                    "device-not-allowed",
                    format!(
                        "{ids} is not on the list of devices allowed to enrol \
                         ({ALLOWED_DEVICES})"
                    ),
                );
            }
        }

        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Requirements, PluginError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        Requirements::from_settings(move |name| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        })
    }

    fn device() -> DeviceIdentity {
        DeviceIdentity {
            device_id: None,
            serial_number: Some("SN-1".into()),
            imeis: vec!["490154203237518".into(), "356938035643809".into()],
            meid: None,
            manufacturer: Some("Google".into()),
            model: Some("Pixel 8".into()),
            os: Some("android".into()),
            os_version: Some("14".into()),
            security_patch_level: Some("2025-01-05".into()),
        }
    }

    fn code(r: &Requirements, d: &DeviceIdentity) -> Option<String> {
        r.refusal(d).map(|r| r.code)
    }

    #[test]
    fn no_settings_require_nothing() {
        let r = settings(&[]).unwrap();
        assert_eq!(r, Requirements::default());
        let mut d = device();
        d.manufacturer = None;
        d.os_version = None;
        d.security_patch_level = None;
        d.serial_number = None;
        d.imeis.clear();
        assert!(r.refusal(&d).is_none());
        // Blank settings are unset.
        let r = settings(&[
            (ALLOWED_MANUFACTURERS, " , "),
            (MINIMUM_ANDROID_VERSION, "  "),
            (MINIMUM_SECURITY_PATCH_LEVEL, ""),
            (ALLOWED_DEVICES, ","),
        ])
        .unwrap();
        assert_eq!(r, Requirements::default());
    }

    #[test]
    fn settings_that_do_not_parse_are_errors() {
        for (name, value) in [
            (MINIMUM_ANDROID_VERSION, "twelve"),
            (MINIMUM_ANDROID_VERSION, "12."),
            (MINIMUM_ANDROID_VERSION, "12..1"),
            (MINIMUM_ANDROID_VERSION, "-12"),
            (MINIMUM_SECURITY_PATCH_LEVEL, "2024-13-01"),
            (MINIMUM_SECURITY_PATCH_LEVEL, "2024-02-30"),
            (MINIMUM_SECURITY_PATCH_LEVEL, "1 January 2024"),
            (MINIMUM_SECURITY_PATCH_LEVEL, "+2024-01-01"),
        ] {
            match settings(&[(name, value)]) {
                Err(PluginError::InvalidInput(m)) => {
                    assert!(m.contains(name) && m.contains(value), "{m}")
                }
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn manufacturers_match_case_insensitively() {
        let r = settings(&[(ALLOWED_MANUFACTURERS, "samsung, GOOGLE ,Zebra")]).unwrap();
        assert_eq!(r.allowed_manufacturers, ["samsung", "GOOGLE", "Zebra"]);
        assert_eq!(code(&r, &device()), None);
        let mut d = device();
        d.manufacturer = Some("Xiaomi".into());
        let refusal = r.refusal(&d).unwrap();
        assert_eq!(refusal.code, "manufacturer-not-allowed");
        assert!(refusal.message.contains("Xiaomi"), "{}", refusal.message);
        assert!(
            refusal.message.contains("samsung, GOOGLE, Zebra"),
            "{}",
            refusal.message
        );
        d.manufacturer = None;
        assert_eq!(code(&r, &d).as_deref(), Some("manufacturer-not-allowed"));
    }

    #[test]
    fn android_versions_compare_number_by_number() {
        assert!(older(&[12], &[12, 1]));
        assert!(older(&[12, 1], &[13]));
        assert!(!older(&[12, 0], &[12]));
        assert!(!older(&[12], &[12, 0, 0]));
        assert!(older(&[9], &[10]), "numbers, not text");
        assert!(!older(&[12, 10], &[12, 9]));
        assert_eq!(device_version("6.0.1"), Some(vec![6, 0, 1]));
        assert_eq!(device_version("14 QPR1"), Some(vec![14]));
        assert_eq!(device_version("13."), Some(vec![13]));
        assert_eq!(device_version("VanillaIceCream"), None);

        let r = settings(&[(MINIMUM_ANDROID_VERSION, "12.1")]).unwrap();
        let at = |v: &str| {
            let mut d = device();
            d.os_version = Some(v.into());
            code(&r, &d)
        };
        assert_eq!(at("13"), None);
        assert_eq!(at("12.1"), None);
        assert_eq!(at("12.1.0"), None);
        assert_eq!(at("12").as_deref(), Some("android-version-too-old"));
        assert_eq!(at("9").as_deref(), Some("android-version-too-old"));
        assert_eq!(at("Baklava").as_deref(), Some("android-version-too-old"));
        let mut d = device();
        d.os_version = Some("11".into());
        let message = r.refusal(&d).unwrap().message;
        assert!(
            message.contains("Android 11") && message.contains("12.1"),
            "{message}"
        );
        // Not reported yet: no refusal until it is.
        d.os_version = None;
        assert_eq!(code(&r, &d), None);
    }

    #[test]
    fn patch_levels_compare_as_dates() {
        let r = settings(&[(MINIMUM_SECURITY_PATCH_LEVEL, " 2024-06-01 ")]).unwrap();
        let at = |l: Option<&str>| {
            let mut d = device();
            d.security_patch_level = l.map(str::to_string);
            code(&r, &d)
        };
        assert_eq!(at(Some("2024-06-01")), None);
        assert_eq!(at(Some("2025-01-05")), None);
        assert_eq!(
            at(Some("2024-05-31")).as_deref(),
            Some("security-patch-too-old")
        );
        assert_eq!(at(None), None, "not reported yet");
        assert_eq!(at(Some("")), None, "not reported yet");
        assert_eq!(at(Some("soon")).as_deref(), Some("security-patch-too-old"));
        let mut d = device();
        d.security_patch_level = Some("2023-01-05".into());
        let message = r.refusal(&d).unwrap().message;
        assert!(
            message.contains("2023-01-05") && message.contains("2024-06-01"),
            "{message}"
        );
    }

    #[test]
    fn allow_list_matches_a_serial_number_or_an_imei() {
        let r = settings(&[(ALLOWED_DEVICES, "sn-1, 111111111111111")]).unwrap();
        assert_eq!(code(&r, &device()), None, "serial, case-insensitively");
        let mut d = device();
        d.serial_number = Some("SN-2".into());
        let refusal = r.refusal(&d).unwrap();
        assert_eq!(refusal.code, "device-not-allowed");
        assert!(refusal.message.contains("SN-2"), "{}", refusal.message);
        assert!(
            refusal.message.contains("490154203237518"),
            "{}",
            refusal.message
        );

        let r = settings(&[(ALLOWED_DEVICES, "356938035643809\n999")]).unwrap();
        assert_eq!(code(&r, &d), None, "second IMEI");
        d.imeis.clear();
        d.serial_number = None;
        assert_eq!(code(&r, &d).as_deref(), Some("device-not-allowed"));
    }

    #[test]
    fn the_first_failed_requirement_is_the_refusal() {
        let r = settings(&[
            (ALLOWED_MANUFACTURERS, "Samsung"),
            (MINIMUM_ANDROID_VERSION, "15"),
            (MINIMUM_SECURITY_PATCH_LEVEL, "2026-01-01"),
            (ALLOWED_DEVICES, "nobody"),
        ])
        .unwrap();
        let mut d = device();
        assert_eq!(code(&r, &d).as_deref(), Some("manufacturer-not-allowed"));
        d.manufacturer = Some("samsung".into());
        assert_eq!(code(&r, &d).as_deref(), Some("android-version-too-old"));
        d.os_version = Some("15.0".into());
        assert_eq!(code(&r, &d).as_deref(), Some("security-patch-too-old"));
        d.security_patch_level = Some("2026-01-01".into());
        assert_eq!(code(&r, &d).as_deref(), Some("device-not-allowed"));
        d.serial_number = Some("NOBODY".into());
        assert_eq!(code(&r, &d), None);
    }
}
