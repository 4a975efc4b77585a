//! Who provisions a device registered at Knox Mobile Enrollment, zero-touch, or both, at its
//! next factory reset (SPEC F7), from the registrations the host gives (of every plugin).
//!
//! The rule is Google's (zero-touch FAQ): a device registered **and configured** in both KME
//! and zero-touch enrols with KME, with the KME profile; to use zero-touch for it, the
//! administrator removes the profile assigned in KME. So:
//! - a KME profile assigned: KME provisions it (`kme-profile-assigned`), whatever zero-touch
//!   says; the remedy "let zero-touch provision this device" unassigns the profile;
//! - in KME without a profile, zero-touch configured: zero-touch (`kme-without-profile`);
//! - not in KME, zero-touch configured: zero-touch (`zero-touch-only`);
//! - zero-touch's configuration "None" (or not registered there) and no KME profile: neither
//!   (`no-configuration`);
//! - registered at neither: no opinion (abstain).

use corral_plugin_sdk::types::{
    AssignedConfiguration, Decision, DeviceFacts, EnrolmentChannel, ProvisioningDecision, Reason,
    RegistrationFact, Remedy,
};

/// The collection and action of the remedy.
pub const DEVICES: &str = "devices";
pub const LET_ZERO_TOUCH: &str = "let-zero-touch-provision";

fn reason(code: &str, message: String) -> Reason {
    Reason {
        code: code.into(),
        message,
    }
}

fn at(facts: &DeviceFacts, channel: EnrolmentChannel) -> Vec<&RegistrationFact> {
    facts
        .registrations
        .iter()
        .filter(|r| r.channel == channel)
        .collect()
}

fn named(c: &AssignedConfiguration) -> String {
    format!("'{}'", c.title)
}

/// The decision for one device.
pub fn decide(facts: &DeviceFacts) -> Decision {
    let kme = at(facts, EnrolmentChannel::KnoxMobileEnrollment);
    let zero_touch = at(facts, EnrolmentChannel::ZeroTouch);
    if kme.is_empty() && zero_touch.is_empty() {
        return Decision::Abstain;
    }
    let kme_profile = kme
        .iter()
        .find_map(|r| Some((*r, r.configuration.as_ref()?)));
    let zt_configuration = zero_touch.iter().find_map(|r| r.configuration.as_ref());
    let zt_words = match (zero_touch.is_empty(), zt_configuration) {
        (true, _) => "it is not registered for zero-touch".to_string(),
        (false, None) => "its zero-touch configuration is None".to_string(),
        (false, Some(c)) => format!("zero-touch configuration {} is applied to it", named(c)),
    };
    let decided = |by, configuration: Option<&AssignedConfiguration>, reasons, remedies| {
        Decision::Decided(ProvisioningDecision {
            provisioned_by: by,
            configuration: configuration.cloned(),
            reasons,
            remedies,
        })
    };
    if let Some((registration, profile)) = kme_profile {
        let mut reasons = vec![reason(
            "kme-profile-assigned",
            match zt_configuration {
                Some(c) => format!(
                    "KME profile {} is assigned, so KME provisions this device; unassign it in \
                     KME to use zero-touch configuration {}",
                    named(profile),
                    named(c)
                ),
                None => format!(
                    "KME profile {} is assigned, so KME provisions this device ({zt_words})",
                    named(profile)
                ),
            },
        )];
        if zt_configuration.is_some() {
            reasons.push(reason(
                "kme-takes-precedence",
                "a device registered and configured in both KME and zero-touch enrols with KME"
                    .into(),
            ));
        }
        let remedies = vec![Remedy {
            collection: DEVICES.into(),
            item: registration.vendor_name.clone(),
            action: LET_ZERO_TOUCH.into(),
            title: "Let zero-touch provision this device".into(),
        }];
        return decided(
            Some(EnrolmentChannel::KnoxMobileEnrollment),
            Some(profile),
            reasons,
            remedies,
        );
    }
    match zt_configuration {
        Some(c) if !kme.is_empty() => decided(
            Some(EnrolmentChannel::ZeroTouch),
            Some(c),
            vec![reason(
                "kme-without-profile",
                format!(
                    "the device is in KME without a profile, so zero-touch configuration {} \
                     applies",
                    named(c)
                ),
            )],
            vec![],
        ),
        Some(c) => decided(
            Some(EnrolmentChannel::ZeroTouch),
            Some(c),
            vec![reason(
                "zero-touch-only",
                format!(
                    "the device is not in KME, so zero-touch configuration {} applies",
                    named(c)
                ),
            )],
            vec![],
        ),
        None => decided(
            None,
            None,
            vec![reason(
                "no-configuration",
                format!(
                    "neither provisions this device: {}, and {zt_words}",
                    if kme.is_empty() {
                        "it is not in KME"
                    } else {
                        "it has no KME profile"
                    }
                ),
            )],
            vec![],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_plugin_sdk::types::DeviceIdentity;

    fn registration(channel: EnrolmentChannel, configuration: Option<&str>) -> RegistrationFact {
        RegistrationFact {
            plugin: "p".into(),
            channel,
            vendor_name: format!("{channel:?}-1"),
            configuration: configuration.map(|t| AssignedConfiguration {
                id: format!("id-{t}"),
                title: t.into(),
            }),
            registered_at_ms: None,
        }
    }

    fn facts(registrations: Vec<RegistrationFact>) -> DeviceFacts {
        DeviceFacts {
            device_id: "d".into(),
            identity: DeviceIdentity {
                device_id: None,
                serial_number: None,
                imeis: vec![],
                meid: None,
                manufacturer: None,
                model: None,
                os: None,
                os_version: None,
                security_patch_level: None,
            },
            registrations,
        }
    }

    fn decided(d: Decision) -> ProvisioningDecision {
        match d {
            Decision::Decided(d) => d,
            Decision::Abstain => panic!("abstained"),
        }
    }

    use EnrolmentChannel::{KnoxMobileEnrollment as Kme, ZeroTouch as Zt};

    #[test]
    fn the_four_cases() {
        let both = decided(decide(&facts(vec![
            registration(Kme, Some("Warehouse")),
            registration(Zt, Some("Retail")),
        ])));
        assert_eq!(both.provisioned_by, Some(Kme));
        assert_eq!(both.configuration.unwrap().title, "Warehouse");
        assert_eq!(
            both.reasons[0].message,
            "KME profile 'Warehouse' is assigned, so KME provisions this device; unassign it in \
             KME to use zero-touch configuration 'Retail'"
        );
        assert_eq!(both.remedies[0].action, LET_ZERO_TOUCH);
        assert_eq!(
            both.remedies[0].item,
            "EnrolmentChannel::KnoxMobileEnrollment-1"
        );

        let no_profile = decided(decide(&facts(vec![
            registration(Kme, None),
            registration(Zt, Some("Retail")),
        ])));
        assert_eq!(no_profile.provisioned_by, Some(Zt));
        assert_eq!(no_profile.reasons[0].code, "kme-without-profile");
        assert!(no_profile.remedies.is_empty());

        let zt = decided(decide(&facts(vec![registration(Zt, Some("Retail"))])));
        assert_eq!(
            (zt.provisioned_by, zt.reasons[0].code.as_str()),
            (Some(Zt), "zero-touch-only")
        );

        let kme = decided(decide(&facts(vec![registration(Kme, Some("Warehouse"))])));
        assert_eq!(kme.provisioned_by, Some(Kme));
        assert_eq!(kme.reasons.len(), 1);

        let none = decided(decide(&facts(vec![
            registration(Kme, None),
            registration(Zt, None),
        ])));
        assert_eq!(
            (none.provisioned_by, none.reasons[0].code.as_str()),
            (None, "no-configuration")
        );
        assert!(matches!(decide(&facts(vec![])), Decision::Abstain));
    }
}
