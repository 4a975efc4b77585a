//! Pure decision logic of the example plugin, free of any WIT type so that the
//! host benchmark can compile exactly the same code natively (`#[path]`
//! include) and compare it with the sandboxed call.

/// Provisioning channels the logic knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    QrCode,
    ZeroTouch,
    Knox,
    AppleAde,
    UserInitiated,
    ExchangeActiveSync,
}

/// Outcome of [`decide`].
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    Allow {
        provisioned_by: Channel,
        configuration_id: Option<&'a str>,
        reason: (&'static str, String),
    },
    Deny(&'static str, String),
}

/// Enrolment decision:
/// * a security patch level older than `min_patch` (both `YYYY-MM-DD`) is refused;
/// * a device registered in Knox Mobile Enrollment AND zero-touch is
///   provisioned by its KME configuration (Knox precedence);
/// * otherwise the current channel provisions it.
pub fn decide<'a>(
    channel: Channel,
    registrations: &[(Channel, Option<&'a str>)],
    patch_level: Option<&str>,
    min_patch: &str,
) -> Decision<'a> {
    match patch_level {
        Some(p) if p < min_patch => {
            return Decision::Deny(
                "patch-level-too-old",
                format!("security patch level {p} is older than {min_patch}"),
            );
        }
        None if !min_patch.is_empty() => {
            return Decision::Deny(
                "patch-level-unknown",
                "the device did not report a security patch level".into(),
            );
        }
        _ => {}
    }
    let knox = registrations.iter().find(|(c, _)| *c == Channel::Knox);
    let zero_touch = registrations.iter().any(|(c, _)| *c == Channel::ZeroTouch);
    if let Some((_, cfg)) = knox
        && (zero_touch || channel == Channel::ZeroTouch)
    {
        return Decision::Allow {
            provisioned_by: Channel::Knox,
            configuration_id: *cfg,
            reason: (
                "knox-precedence",
                "registered in both Knox Mobile Enrollment and zero-touch: KME wins".into(),
            ),
        };
    }
    let cfg = registrations
        .iter()
        .find(|(c, _)| *c == channel)
        .and_then(|(_, cfg)| *cfg);
    Decision::Allow {
        provisioned_by: channel,
        configuration_id: cfg,
        reason: ("channel", "provisioned by the channel in use".into()),
    }
}

/// IMEI check: 15 digits with a valid Luhn check digit.
pub fn imei_ok(imei: &str) -> bool {
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
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Dual-SIM rule: the lowest valid IMEI is the one to register.
pub fn lowest_valid_imei<'a>(imeis: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    imeis.into_iter().filter(|i| imei_ok(i)).min()
}
