//! French and English (SPEC I2). The language is chosen, in order, by a `?lang=` switch (then
//! remembered in a cookie), the remembered cookie, the browser's `Accept-Language`, and the
//! tenant's language. Every text of the portal is a field of [`Texts`], so a missing
//! translation is a compile error, not an English word on a French page.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The best supported language of an `Accept-Language` header (by quality, then order).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_code) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }
}

/// Every text of the portal, in one language.
pub struct Texts {
    pub lang: Lang,
    pub switch_label: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub use_pin_instead: &'static str,
    pub wrong_credentials: &'static str,
    pub directory_unavailable: &'static str,
    pub email_required: &'static str,
    pub password_required: &'static str,
    pub pin_title: &'static str,
    pub pin_intro: &'static str,
    pub pin: &'static str,
    pub pin_hint: &'static str,
    pub continue_: &'static str,
    pub pin_required: &'static str,
    pub pin_wrong: &'static str,
    pub pin_locked: &'static str,
    pub pin_expired: &'static str,
    pub pin_none: &'static str,
    pub pin_not_accepted: &'static str,
    pub account_locked: &'static str,
    pub back_to_sign_in: &'static str,
    pub password_title: &'static str,
    pub password_intro: &'static str,
    pub new_password: &'static str,
    pub confirm_password: &'static str,
    pub save_password: &'static str,
    pub passwords_differ: &'static str,
    pub too_simple: &'static str,
    pub home_title: &'static str,
    pub apps_title: &'static str,
    pub apps_link: &'static str,
    pub apps_intro: &'static str,
    pub apps_intro_unmanaged: &'static str,
    pub no_apps: &'static str,
    pub get_app: &'static str,
    pub download_app: &'static str,
    pub unknown_sources: &'static str,
    pub no_such_app: &'static str,
    pub no_such_app_text: &'static str,
    pub hello: &'static str,
    pub registered_devices: &'static str,
    pub no_devices: &'static str,
    pub register_title: &'static str,
    pub qr_intro: &'static str,
    pub qr_alt: &'static str,
    pub qr_url_label: &'static str,
    pub profile_title: &'static str,
    pub profile_intro: &'static str,
    pub profile_link: &'static str,
    pub profile_unavailable: &'static str,
    pub profile_ios: &'static str,
    pub profile_macos: &'static str,
    pub profile_macos_user: &'static str,
    pub profile_steps: &'static str,
    pub stale_title: &'static str,
    pub stale_text: &'static str,
    pub fresh_download: &'static str,
    pub back_home: &'static str,
    pub sign_out: &'static str,
    pub rotated_title: &'static str,
    pub rotated_text: &'static str,
    pub invalid_title: &'static str,
    pub invalid_text: &'static str,
    pub csrf_title: &'static str,
    pub csrf_text: &'static str,
    pub try_again: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
}

impl Texts {
    pub fn pin_wrong(&self, remaining: i64) -> String {
        self.pin_wrong.replace("{n}", &remaining.to_string())
    }
    /// Too many failed attempts for one address (whether or not it is a user's).
    pub fn account_locked(&self, retry_after_secs: i64) -> String {
        let minutes = ((retry_after_secs + 59) / 60).max(1);
        self.account_locked.replace("{n}", &minutes.to_string())
    }
    pub fn too_short(&self, min: usize) -> String {
        match self.lang {
            Lang::Fr => format!("Trop court : au moins {min} caractères."),
            Lang::En => format!("Too short: use at least {min} characters."),
        }
    }
    pub fn too_long(&self, max: usize) -> String {
        match self.lang {
            Lang::Fr => format!("Trop long : au plus {max} caractères."),
            Lang::En => format!("Too long: use at most {max} characters."),
        }
    }
    pub fn device_state(&self, state: crate::backend::DeviceState, managed: bool) -> &'static str {
        use crate::backend::DeviceState::*;
        match (self.lang, state, managed) {
            (Lang::En, Active, true) => "Active",
            (Lang::En, Active, false) => "Active, management switched off",
            (Lang::En, Retired, _) => "Retired",
            (Lang::En, Wiped, _) => "Wiped",
            (Lang::En, Reset, _) => "Reset",
            (Lang::Fr, Active, true) => "Actif",
            (Lang::Fr, Active, false) => "Actif, gestion désactivée",
            (Lang::Fr, Retired, _) => "Retiré",
            (Lang::Fr, Wiped, _) => "Effacé",
            (Lang::Fr, Reset, _) => "Réinitialisé",
        }
    }
    pub fn password_hint(&self, min: usize) -> String {
        match self.lang {
            Lang::Fr => format!("Au moins {min} caractères ; une phrase se retient facilement."),
            Lang::En => format!("At least {min} characters; a sentence is easy to remember."),
        }
    }
    pub fn valid_minutes(&self, minutes: i64) -> String {
        match self.lang {
            Lang::Fr => format!("Ce code est valable {minutes} minutes et ne sert qu'une fois."),
            Lang::En => format!("This code is valid for {minutes} minutes and works once."),
        }
    }
}

static EN: Texts = Texts {
    lang: Lang::En,
    switch_label: "Language",
    sign_in_title: "Sign in",
    sign_in_intro: "Sign in to register your phone, tablet or Mac.",
    email: "E-mail address",
    password: "Password",
    sign_in: "Sign in",
    use_pin_instead: "No password yet? Sign in with the one-time PIN from your invitation",
    wrong_credentials: "The e-mail address or the password is wrong.",
    directory_unavailable: "Your organisation's directory cannot be reached to check your password. Try again in a few minutes.",
    email_required: "Enter your e-mail address.",
    password_required: "Enter your password.",
    pin_title: "One-time PIN",
    pin_intro: "Enter the one-time PIN from your invitation e-mail.",
    pin: "PIN",
    pin_hint: "8 digits, from your invitation e-mail.",
    continue_: "Continue",
    pin_required: "Enter the PIN.",
    pin_wrong: "This PIN is wrong. {n} tries left.",
    pin_locked: "Too many wrong tries: this PIN is locked. Ask your administrator for a new invitation.",
    pin_expired: "This PIN has expired. Ask your administrator for a new invitation.",
    pin_none: "No valid PIN for this address: it was already used or replaced. Ask your administrator for a new invitation.",
    pin_not_accepted: "This e-mail address and PIN do not match a valid invitation. A PIN works once, expires, and stops working after 5 wrong tries: if yours did, ask your administrator for a new invitation.",
    account_locked: "Too many failed attempts for this address. Try again in {n} minute(s).",
    back_to_sign_in: "Back to sign-in",
    password_title: "Choose your password",
    password_intro: "Choose the password you will use from now on.",
    new_password: "New password",
    confirm_password: "Confirm the password",
    save_password: "Save the password",
    passwords_differ: "The two passwords are different.",
    too_simple: "Too simple: use more different characters.",
    home_title: "Your devices",
    apps_title: "Your apps",
    apps_link: "See your apps",
    apps_intro: "Apps your organisation offers. Managed devices get them installed; here are their store pages and files.",
    apps_intro_unmanaged: "Your organisation offers these apps for your own device. Install them yourself; your device is not managed, and only you can remove them.",
    no_apps: "No apps are offered to you yet.",
    get_app: "Get it from the store",
    download_app: "Download",
    unknown_sources: "Android: to install a downloaded app, allow installs from unknown sources (Settings > Security > Unknown sources).",
    no_such_app: "App not available",
    no_such_app_text: "This app is not offered to you, or it has been removed.",
    hello: "Hello",
    registered_devices: "Registered devices",
    no_devices: "No device is registered yet.",
    register_title: "Register a device",
    qr_intro: "On an Android phone or an iPhone, scan this code with the Corral app.",
    qr_alt: "QR code for device registration",
    qr_url_label: "Or open this address in the app:",
    profile_title: "Mac, iPhone or iPad",
    profile_intro: "Download the management profile and install it in Settings.",
    profile_link: "Download the management profile",
    profile_unavailable: "Profile downloads are not available on this server yet. Ask your administrator.",
    profile_ios: "Download for iPhone or iPad",
    profile_macos: "Download for this Mac",
    profile_macos_user: "Download for my account on this Mac only",
    profile_steps: "Open the downloaded profile, then install it in Settings (iPhone, iPad) or System Settings (Mac). The download link works once, for a few minutes.",
    stale_title: "This download link has expired",
    stale_text: "This profile link was already used or is too old. Get a fresh download below.",
    fresh_download: "Get a fresh download",
    back_home: "Back to your devices",
    sign_out: "Sign out",
    rotated_title: "This link has expired",
    rotated_text: "This registration link is no longer valid. Ask your administrator for a new invitation.",
    invalid_title: "Unknown link",
    invalid_text: "This is not a registration link. Check the address in your invitation e-mail.",
    csrf_title: "Please try again",
    csrf_text: "The form could not be verified (it may have expired). Go back and send it again.",
    try_again: "Try again",
    error_title: "Something went wrong",
    error_text: "The server could not answer. Please try again in a moment.",
};

static FR: Texts = Texts {
    lang: Lang::Fr,
    switch_label: "Langue",
    sign_in_title: "Connexion",
    sign_in_intro: "Connectez-vous pour inscrire votre téléphone, tablette ou Mac.",
    email: "Adresse e-mail",
    password: "Mot de passe",
    sign_in: "Se connecter",
    use_pin_instead: "Pas encore de mot de passe ? Connectez-vous avec le code PIN de votre invitation",
    wrong_credentials: "L'adresse e-mail ou le mot de passe est incorrect.",
    directory_unavailable: "L'annuaire de votre organisation est injoignable pour vérifier votre mot de passe. Réessayez dans quelques minutes.",
    email_required: "Saisissez votre adresse e-mail.",
    password_required: "Saisissez votre mot de passe.",
    pin_title: "Code PIN à usage unique",
    pin_intro: "Saisissez le code PIN reçu dans votre e-mail d'invitation.",
    pin: "Code PIN",
    pin_hint: "8 chiffres, dans votre e-mail d'invitation.",
    continue_: "Continuer",
    pin_required: "Saisissez le code PIN.",
    pin_wrong: "Ce code PIN est incorrect. Encore {n} essai(s).",
    pin_locked: "Trop d'essais incorrects : ce code PIN est bloqué. Demandez une nouvelle invitation à votre administrateur.",
    pin_expired: "Ce code PIN a expiré. Demandez une nouvelle invitation à votre administrateur.",
    pin_none: "Aucun code PIN valable pour cette adresse : il a déjà servi ou a été remplacé. Demandez une nouvelle invitation à votre administrateur.",
    pin_not_accepted: "Cette adresse e-mail et ce code PIN ne correspondent à aucune invitation valable. Un code PIN ne sert qu'une fois, expire, et cesse de fonctionner après 5 essais incorrects : dans ce cas, demandez une nouvelle invitation à votre administrateur.",
    account_locked: "Trop d'essais infructueux pour cette adresse. Réessayez dans {n} minute(s).",
    back_to_sign_in: "Retour à la connexion",
    password_title: "Choisissez votre mot de passe",
    password_intro: "Choisissez le mot de passe que vous utiliserez désormais.",
    new_password: "Nouveau mot de passe",
    confirm_password: "Confirmez le mot de passe",
    save_password: "Enregistrer le mot de passe",
    passwords_differ: "Les deux mots de passe sont différents.",
    too_simple: "Trop simple : utilisez des caractères plus variés.",
    home_title: "Vos appareils",
    apps_title: "Vos applications",
    apps_link: "Voir vos applications",
    apps_intro: "Les applications proposées par votre organisation. Les appareils gérés les reçoivent ; voici leurs pages dans les magasins et leurs fichiers.",
    apps_intro_unmanaged: "Votre organisation vous propose ces applications pour votre propre appareil. Installez-les vous-même ; votre appareil n'est pas géré et vous seul pouvez les supprimer.",
    no_apps: "Aucune application ne vous est encore proposée.",
    get_app: "L'obtenir dans le magasin",
    download_app: "Télécharger",
    unknown_sources: "Android : pour installer une application téléchargée, autorisez les sources inconnues (Réglages > Sécurité > Sources inconnues).",
    no_such_app: "Application indisponible",
    no_such_app_text: "Cette application ne vous est pas proposée, ou elle a été retirée.",
    hello: "Bonjour",
    registered_devices: "Appareils inscrits",
    no_devices: "Aucun appareil n'est encore inscrit.",
    register_title: "Inscrire un appareil",
    qr_intro: "Sur un téléphone Android ou un iPhone, scannez ce code avec l'application Corral.",
    qr_alt: "Code QR d'inscription de l'appareil",
    qr_url_label: "Ou ouvrez cette adresse dans l'application :",
    profile_title: "Mac, iPhone ou iPad",
    profile_intro: "Téléchargez le profil de gestion et installez-le dans Réglages.",
    profile_link: "Télécharger le profil de gestion",
    profile_unavailable: "Le téléchargement des profils n'est pas encore disponible sur ce serveur. Contactez votre administrateur.",
    profile_ios: "Télécharger pour iPhone ou iPad",
    profile_macos: "Télécharger pour ce Mac",
    profile_macos_user: "Télécharger pour mon compte sur ce Mac uniquement",
    profile_steps: "Ouvrez le profil téléchargé, puis installez-le dans Réglages (iPhone, iPad) ou Réglages Système (Mac). Le lien de téléchargement ne fonctionne qu'une fois, pendant quelques minutes.",
    stale_title: "Ce lien de téléchargement a expiré",
    stale_text: "Ce lien de profil a déjà servi ou est trop ancien. Obtenez un nouveau téléchargement ci-dessous.",
    fresh_download: "Obtenir un nouveau téléchargement",
    back_home: "Retour à vos appareils",
    sign_out: "Se déconnecter",
    rotated_title: "Ce lien a expiré",
    rotated_text: "Ce lien d'inscription n'est plus valable. Demandez une nouvelle invitation à votre administrateur.",
    invalid_title: "Lien inconnu",
    invalid_text: "Ce n'est pas un lien d'inscription. Vérifiez l'adresse dans votre e-mail d'invitation.",
    csrf_title: "Veuillez réessayer",
    csrf_text: "Le formulaire n'a pas pu être vérifié (il a peut-être expiré). Revenez en arrière et envoyez-le à nouveau.",
    try_again: "Réessayer",
    error_title: "Une erreur est survenue",
    error_text: "Le serveur n'a pas pu répondre. Réessayez dans un instant.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            Lang::from_accept_language("de-DE,fr-CH;q=0.8,en;q=0.5"),
            Some(Lang::Fr)
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=0.4, en-GB;q=0.9"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de, it"), None);
        assert_eq!(Lang::from_accept_language("fr;q=0"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn parametrised_texts_are_translated() {
        assert!(Lang::Fr.texts().too_short(12).contains("au moins 12"));
        assert!(Lang::En.texts().too_short(12).contains("at least 12"));
        assert!(Lang::Fr.texts().pin_wrong(3).contains("Encore 3"));
    }
}
