//! Approximate in-host size of hook results.
//!
//! Why: a plugin could return a result as large as its memory cap (tens of
//! MiB) which the host would then store or forward. The lifted value's size is
//! estimated (string/list payloads plus a small per-item overhead) and compared
//! with `CallLimits::max_result_bytes`.

use crate::api::*;

pub(crate) trait ApproxSize {
    fn approx_size(&self) -> usize;
}

const ITEM: usize = 16;

impl ApproxSize for String {
    fn approx_size(&self) -> usize {
        self.len() + ITEM
    }
}
impl ApproxSize for bool {
    fn approx_size(&self) -> usize {
        1
    }
}
impl ApproxSize for () {
    fn approx_size(&self) -> usize {
        0
    }
}
impl<T: ApproxSize> ApproxSize for Vec<T> {
    fn approx_size(&self) -> usize {
        ITEM + self.iter().map(ApproxSize::approx_size).sum::<usize>()
    }
}
impl<T: ApproxSize> ApproxSize for Option<T> {
    fn approx_size(&self) -> usize {
        self.as_ref().map_or(1, ApproxSize::approx_size)
    }
}
impl<T: ApproxSize, E: ApproxSize> ApproxSize for Result<T, E> {
    fn approx_size(&self) -> usize {
        match self {
            Ok(v) => v.approx_size(),
            Err(e) => e.approx_size(),
        }
    }
}

/// Records: sum of the listed fields; fieldless types: a constant.
macro_rules! sized {
    ($($ty:ident { $($f:ident),* })*) => {$(
        impl ApproxSize for $ty {
            fn approx_size(&self) -> usize {
                ITEM $(+ self.$f.approx_size())*
            }
        }
    )*};
}
macro_rules! fixed {
    ($($ty:ident),*) => {$(
        impl ApproxSize for $ty {
            fn approx_size(&self) -> usize { ITEM }
        }
    )*};
}

fixed!(
    Hook,
    Capability,
    HttpMethod,
    AccessLevel,
    EnrolmentChannel,
    CollectionPermission
);
sized! {
    ConfigKind { id, display_name, description, json_schema }
    PluginInfo { name, vendor, version, hooks, capabilities, http_hosts, config_kinds }
    FieldError { path, code, message }
    RenderedDocument { media_type, document }
    Property { name, value }
    DeviceIdentity { device_id, serial_number, imeis, meid, manufacturer, model, os, os_version, security_patch_level }
    Reason { code, message }
    EnrolmentAllow { provisioned_by, configuration_id, reasons }
    VendorRequest { method, url, headers, body }
    RowAction { device, action, configuration_id, requests }
    RowResult { line, outcome }
    AccessDecision { level, rule_id, reasons }
    SettingInfo { name, description, required }
    ActionInfo { name, description }
    ExtensionInfo { settings, oauth_scopes, actions }
    Token { name, value, expires_at_ms, qr_payload, vendor_document }
    Column { name, title }
    CollectionActionInfo { name, title, description, on_item, permission, takes_input, irreversible }
    ImportInfo { name, title, description, columns, permission }
    CollectionInfo { name, title, description, columns, searchable, actions, imports }
    Item { id, title, values, details }
    ItemPage { items, next_page_token }
    RefusedRow { line, problems }
    ConfigurationRef { id, title }
    AssignedConfiguration { id, title }
    Remedy { collection, item, action, title }
    ProvisioningDecision { provisioned_by, configuration, reasons, remedies }
}

impl ApproxSize for ProvisioningAnswer {
    fn approx_size(&self) -> usize {
        match self {
            ProvisioningAnswer::Decided(d) => d.approx_size(),
            ProvisioningAnswer::Abstain => ITEM,
        }
    }
}

impl ApproxSize for Outcome {
    fn approx_size(&self) -> usize {
        match self {
            Outcome::Done(item) => item.approx_size(),
            Outcome::Invalid(errors) => errors.approx_size(),
        }
    }
}

impl ApproxSize for u64 {
    fn approx_size(&self) -> usize {
        8
    }
}

impl ApproxSize for u32 {
    fn approx_size(&self) -> usize {
        4
    }
}

impl ApproxSize for PluginError {
    fn approx_size(&self) -> usize {
        match self {
            PluginError::Unsupported(s)
            | PluginError::InvalidInput(s)
            | PluginError::Denied(s)
            | PluginError::Upstream(s)
            | PluginError::Internal(s) => s.approx_size(),
        }
    }
}

impl ApproxSize for EnrolmentDecision {
    fn approx_size(&self) -> usize {
        match self {
            EnrolmentDecision::Allow(a) => a.approx_size(),
            EnrolmentDecision::Deny(r) => r.approx_size(),
            EnrolmentDecision::Abstain => ITEM,
        }
    }
}

impl ApproxSize for RowOutcome {
    fn approx_size(&self) -> usize {
        match self {
            RowOutcome::Accepted(a) => a.approx_size(),
            RowOutcome::Skipped(r) => r.approx_size(),
            RowOutcome::Rejected(e) => e.approx_size(),
        }
    }
}
