//! The console's texts in French and English (SPEC I2), from the one message catalogue
//! (`corral-messages`, `locales/console-*.ftl`). Pages read them as fields of [`Texts`], loaded
//! once per language: a text the catalogue lacks fails this crate's tests, never shows an
//! English word on a French page. Texts with variables are methods.

use std::sync::LazyLock;

pub use corral_messages::Lang;
use corral_messages::{format, FluentValue};

corral_messages::texts!(
    prefix = "console-";
    // layout
    skip_to_content,
    menu,
    switch_label,
    sign_out,
    problems,
    pages,
    previous,
    next,
    role_owner,
    role_admin,
    // errors
    csrf_title,
    csrf_text,
    forbidden_title,
    not_found_title,
    error_title,
    error_text,
    // sign-in
    sign_in_title,
    sign_in_intro,
    tenant,
    email,
    password,
    totp_code,
    totp_code_hint,
    sign_in,
    sign_in_refused,
    tenant_required,
    email_required,
    password_required,
    totp_required,
    enrol_title,
    enrol_intro,
    enrol_qr_alt,
    enrol_key,
    enrol_code_hint,
    enrol_confirm,
    enrol_expired,
    totp_refused,
    // menu
    menu_users,
    menu_unmanaged,
    menu_apps,
    menu_devices,
    menu_enrolment,
    menu_configurations,
    menu_plugins,
    menu_admins,
    menu_history,
    // users
    users_title,
    users_lead,
    search,
    search_label,
    first_name,
    last_name,
    source,
    password_set,
    unmanaged,
    yes,
    no,
    no_users,
    add_user,
    add_user_submit,
    initial_password,
    initial_password_hint,
    unmanaged_label,
    user_added,
    invite_selected,
    label_selected,
    unlabel_selected,
    selection_action,
    invite_now,
    invitations_sent,
    labels_changed,
    nothing_selected,
    confirm_label_title,
    confirm_label_intro,
    confirm,
    cancel,
    created,
    users_caption,
    // administrators
    admins_title,
    admins_lead,
    admins_caption,
    role_label,
    exchange_permissions,
    all_permissions,
    perm_modify_site,
    perm_modify_connector_policy,
    perm_delete_resource,
    perm_modify_resource,
    add_admin,
    add_admin_submit,
    admin_password_hint,
    admin_added,
    admin_saved,
    admin_deleted,
    edit_admin,
    save,
    delete_admin,
    delete_admin_warning,
    back_to_list,
    history_link,
    // history
    history_title,
    history_lead,
    history_caption,
    filter,
    object_type,
    object_id,
    actor,
    from_date,
    to_date,
    date_format,
    when,
    object,
    action,
    change,
    no_history,
    // unmanaged devices
    unmanaged_title,
    unmanaged_lead,
    state,
    state_off,
    state_on,
    state_deactivated,
    changed_at,
    default_allow_new_apps,
    unmanaged_enable,
    unmanaged_enabled,
    unmanaged_deactivate,
    unmanaged_deactivated,
    deactivation_will,
    default_restored,
    apps_stay,
    no_way_back,
    confirmation,
    // Devices
    devices_title,
    devices_lead,
    devices_caption,
    device_active,
    device_retired,
    device_wiped,
    device_reset,
    source_apple,
    source_portal,
    any,
    platform,
    owner_search,
    owner,
    device_name,
    model,
    registered,
    no_devices,
    device_deleted,
    hardware_id,
    under_management,
    registrations,
    archived,
    archived_entry,
    plugin_off,
    managed_by,
    vendor_name,
    compliant_since,
    reset_reason,
    command_sent,
    device_retired_done,
    device_wiped_done,
    act_lock,
    act_reboot,
    act_sync,
    act_retire,
    device_actions,
    act_wipe,
    confirm_wipe,
    wipe_at_vendor,
    wipe_state_only,
    wipe_reason,
    preserve_reset_protection,
    act_delete,
    confirm_delete,
    device_history,
    confirm_required,
    unknown_action,
    // Directory
    directory_link,
    directory_title,
    directory_lead,
    directory_saved,
    users_imported,
    directory_search,
    already_imported,
    dn,
    directory_entries,
    no_entries,
    import_selected,
    directory_settings,
    bind_password,
    write_only_kept,
    save_and_try,
    ldap_url,
    bind_dn,
    base_dn,
    user_filter,
    email_attribute,
    first_name_attribute,
    last_name_attribute,
    // Uploads
    upload_too_large,
    // Plugins
    plugins_title,
    plugins_lead,
    plugin_deleted,
    plugin_name,
    vendor,
    active_version,
    versions,
    updated,
    no_plugins,
    upload_plugin,
    upload,
    component_file,
    component_hint,
    choose_file,
    version_uploaded,
    plugin_activated,
    plugin_deactivated,
    version_deleted,
    grants_saved,
    settings_saved,
    credential_saved,
    credential_deleted,
    plugin_configurations,
    roll_back_to,
    activate,
    delete_version,
    version,
    world_version,
    size,
    requested_capabilities,
    uploaded_by,
    uploaded_at,
    active,
    switch_plugin_off,
    requested,
    allowed_capabilities,
    http_allow_hosts,
    http_allow_hosts_hint,
    grants,
    plugin_settings,
    credential,
    credential_account,
    token_uri,
    no_credential,
    service_account_key,
    service_account_key_hint,
    service_account_key_invalid,
    delete_credential,
    action_result,
    action_input,
    json_invalid,
    plugin_actions,
    delete_plugin,
    confirm_delete_plugin,
    // Forms from a plugin's schema
    not_set,
    one_per_line,
    as_json,
    whole_number,
    a_number,
    // Configurations (SPEC E4)
    configurations_title,
    configurations_lead,
    no_configurable_plugins,
    configuration_kinds,
    configuration_count,
    new_configuration,
    configuration_name,
    configuration_kind,
    priority,
    priority_hint,
    distribution,
    distribution_none,
    distribution_all,
    distribution_custom,
    distribution_devices,
    distribution_devices_hint,
    configuration_body,
    body_json,
    body_json_hint,
    configuration_created,
    configuration_saved,
    configuration_deleted,
    delivery,
    delivery_done,
    delivery_pending,
    delivery_attempts,
    delivery_last_error,
    delivery_next,
    preview,
    vendor_document,
    media_type,
    delete_configuration,
    confirm_delete_configuration,
    plugin_off_configurations,
    unknown_kind,
    all_configurations,
    no_configurations,
    // Apps (SPEC C2, E7)
    apps_title,
    apps_lead,
    no_apps,
    app_name,
    app_kind,
    kind_store,
    kind_business,
    kind_in_house,
    store_id,
    store_id_hint,
    install_on_device,
    silent_install,
    allow_unmanaged,
    allow_unmanaged_off,
    unmanaged_allowed,
    add_app,
    upload_app,
    app_file,
    app_file_hint,
    app_name_hint,
    app_added,
    app_saved,
    app_deleted,
    app_settings,
    app_store_page,
    app_file_name,
    download_file,
    delete_app,
    confirm_delete_app,
    add,
    // Enrolment (SPEC B, E2)
    enrolment_title,
    enrolment_lead,
    registration_link,
    registration_link_text,
    registration_qr_alt,
    rotate_key,
    confirm_rotate_key,
    key_rotated,
    registration_settings,
    language,
    require_registration_pin,
    pin_validity_hours,
    pin_validity_hint,
    registration_saved,
    enrolment_profiles,
    enrolment_profiles_of,
    no_profiles,
    no_token_plugins,
    new_profile,
    profile_name,
    profile_description,
    profile_owner,
    profile_owner_hint,
    no_such_owner,
    validity_days,
    validity_days_hint,
    profile_attributes,
    profile_attributes_hint,
    attribute_line_invalid,
    create_profile,
    profile_created,
    profile_saved,
    profile_deleted,
    token,
    token_expires,
    token_qr_alt,
    token_qr_text,
    change_validity,
    delete_profile,
    confirm_delete_profile,
    outgoing_mail,
    mail_recipient,
    mail_subject,
    mail_status,
    mail_attempts,
    no_mail,
    // Users
    user_details,
    user_saved,
    user_deleted,
    delete_user,
    confirm_delete_user,
    user_devices,
    invite_one,
    apple_certificates,
    apple_certificates_lead,
    ca_certificate,
    signing_certificate,
    device_inventory,
    sync_devices,
    sync_devices_hint,
    devices_reported,
    device_awaiting,
);

/// The console's texts in `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    static EN: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::En));
    static FR: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::Fr));
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
    }
}

impl Texts {
    fn format(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        format(
            self.lang,
            &corral_messages::field_message_id("console-", id),
            args,
        )
    }
    /// "21–40 of 135".
    pub fn rows_of(&self, first: i64, last: i64, total: i64) -> String {
        self.format(
            "rows_of",
            &[
                ("first", first.into()),
                ("last", last.into()),
                ("total", total.into()),
            ],
        )
    }
    /// Too many failed attempts: try again in so many minutes.
    pub fn locked(&self, retry_after_secs: i64) -> String {
        let minutes = ((retry_after_secs + 59) / 60).max(1);
        self.format("locked", &[("n", minutes.into())])
    }
    pub fn selected(&self, n: usize) -> String {
        self.format("selected", &[("n", (n as i64).into())])
    }
    /// The label of a user's check box in a table.
    pub fn select_user(&self, email: &str) -> String {
        self.format("select_user", &[("email", email.into())])
    }
    pub fn users_converted(&self, n: usize) -> String {
        self.format("users_converted", &[("n", (n as i64).into())])
    }
    pub fn apps_reset(&self, n: usize) -> String {
        self.format("apps_reset", &[("n", (n as i64).into())])
    }
    pub fn confirmation_hint(&self, sentence: &str) -> String {
        self.format("confirmation_hint", &[("sentence", sentence.into())])
    }
    pub fn role(&self, owner: bool) -> &'static str {
        if owner {
            self.role_owner
        } else {
            self.role_admin
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_in_the_catalogue_in_both_languages() {
        for lang in Lang::ALL {
            for id in Texts::ids() {
                assert!(corral_messages::has(lang, &id), "{id} missing in {lang:?}");
            }
        }
        assert_eq!(texts(Lang::En).sign_in_title, "Sign in to the console");
        assert_eq!(texts(Lang::Fr).sign_in_title, "Connexion à la console");
    }

    #[test]
    fn texts_with_numbers_are_translated() {
        assert_eq!(texts(Lang::En).rows_of(21, 40, 135), "21–40 of 135");
        assert_eq!(texts(Lang::Fr).rows_of(21, 40, 135), "21–40 sur 135");
        assert!(texts(Lang::En).locked(61).ends_with("2 minutes."));
        assert_eq!(texts(Lang::Fr).selected(1), "1 utilisateur sélectionné");
    }
}
