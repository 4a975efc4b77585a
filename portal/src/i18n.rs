//! French and English (SPEC I2). The language is chosen, in order, by a `?lang=` switch (then
//! remembered in a cookie), the remembered cookie, the browser's `Accept-Language`, and the
//! tenant's language. Every text comes from the one message catalogue (`corral-messages`,
//! shared with the e-mails); the pages read them as fields of [`Texts`], loaded once per
//! language, so a text the catalogue lacks fails the first page (and this crate's tests), never
//! shows an English word on a French page.

use std::sync::LazyLock;

pub use corral_messages::Lang;
use corral_messages::{format, text};

corral_messages::texts!(
    prefix = "";
    switch_label,
    sign_in_title,
    sign_in_intro,
    email,
    password,
    sign_in,
    use_pin_instead,
    wrong_credentials,
    directory_unavailable,
    email_required,
    password_required,
    pin_title,
    pin_intro,
    pin,
    pin_hint,
    continue_,
    pin_required,
    pin_wrong,
    pin_locked,
    pin_expired,
    pin_none,
    pin_not_accepted,
    account_locked,
    back_to_sign_in,
    password_title,
    password_intro,
    new_password,
    confirm_password,
    save_password,
    passwords_differ,
    too_simple,
    home_title,
    apps_title,
    apps_link,
    apps_intro,
    apps_intro_unmanaged,
    no_apps,
    get_app,
    download_app,
    unknown_sources,
    no_such_app,
    no_such_app_text,
    hello,
    registered_devices,
    no_devices,
    register_title,
    qr_intro,
    qr_alt,
    qr_url_label,
    profile_title,
    profile_intro,
    profile_link,
    profile_unavailable,
    profile_ios,
    profile_macos,
    profile_macos_user,
    profile_steps,
    stale_title,
    stale_text,
    fresh_download,
    back_home,
    sign_out,
    rotated_title,
    rotated_text,
    invalid_title,
    invalid_text,
    csrf_title,
    csrf_text,
    try_again,
    error_title,
    error_text,
    wipe_link,
    wipe_title,
    wipe_warning,
    wipe_confirm,
    wipe_requested_title,
    wipe_requested_text,
    wipe_warning_enrolled,
    lock_link,
    lock_title,
    lock_warning,
    lock_confirm,
    lock_requested_title,
    lock_requested_text,
    retire_link,
    retire_title,
    retire_warning,
    retire_confirm,
    retire_requested_title,
    retire_requested_text,
    device_action_title,
    device_action_not_found_text,
    device_action_failed_text
);

/// The portal's texts in `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    static EN: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::En));
    static FR: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::Fr));
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
    }
}

impl Texts {
    pub fn pin_wrong(&self, remaining: i64) -> String {
        format(self.lang, "pin-wrong", &[("n", remaining.into())])
    }
    /// Too many failed attempts for one address (whether or not it is a user's).
    pub fn account_locked(&self, retry_after_secs: i64) -> String {
        let minutes = ((retry_after_secs + 59) / 60).max(1);
        format(self.lang, "account-locked", &[("n", minutes.into())])
    }
    pub fn too_short(&self, min: usize) -> String {
        format(self.lang, "too-short", &[("min", min.into())])
    }
    pub fn too_long(&self, max: usize) -> String {
        format(self.lang, "too-long", &[("max", max.into())])
    }
    pub fn device_state(&self, state: crate::backend::DeviceState, managed: bool) -> String {
        use crate::backend::DeviceState::*;
        let id = match (state, managed) {
            (Active, true) => "device-active",
            (Active, false) => "device-active-unmanaged",
            (Discovered, _) => "device-discovered",
            (Retired, _) => "device-retired",
            (Wiped, _) => "device-wiped",
            (Reset, _) => "device-reset",
        };
        text(self.lang, id)
    }
    /// The PIN that unlocks a Mac after a lock or an erase.
    pub fn mac_pin(&self, pin: &str) -> String {
        format(self.lang, "mac-pin", &[("pin", pin.into())])
    }
    pub fn password_hint(&self, min: usize) -> String {
        format(self.lang, "password-hint", &[("min", min.into())])
    }
    pub fn valid_minutes(&self, minutes: i64) -> String {
        format(self.lang, "valid-minutes", &[("minutes", minutes.into())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_in_the_catalogue_in_both_languages() {
        let ids = Texts::ids();
        assert_eq!(ids.len(), 93);
        for lang in Lang::ALL {
            for id in &ids {
                assert!(corral_messages::has(lang, id), "{id} missing in {lang:?}");
            }
        }
        assert_eq!(texts(Lang::En).sign_in_title, "Sign in");
        assert_eq!(texts(Lang::Fr).sign_in_title, "Connexion");
    }

    #[test]
    fn parametrised_texts_are_translated() {
        assert!(texts(Lang::Fr).too_short(12).contains("au moins 12"));
        assert!(texts(Lang::En).too_short(12).contains("at least 12"));
        assert!(texts(Lang::Fr).pin_wrong(3).contains("Encore 3"));
        assert!(texts(Lang::En).account_locked(61).ends_with("2 minutes."));
    }
}
