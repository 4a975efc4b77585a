//! What people read, in the language of the person the call serves (`locale`, 0.7.0): English
//! as written in the code, French from [`FRENCH`]. Identifiers (item ids, action names, the
//! settings' and details' names, Exchange's own words such as `Allow` or `WipePending`) stay as
//! they are. The host's own work (the inventory sync) is worded in English.

use corral_plugin_sdk::capabilities::locale;

/// Whether the call serves a French reader (never in the plugin's native unit tests, which
/// have no host).
pub fn french() -> bool {
    cfg!(target_arch = "wasm32") && locale::language() == "fr"
}

/// `en`, or its French for a French reader (a text without one stays English; a unit test
/// checks that every text given to `tr` in the sources has one).
pub fn tr(en: &'static str) -> &'static str {
    if french() {
        FRENCH
            .iter()
            .find(|(e, _)| *e == en)
            .map_or(en, |(_, fr)| fr)
    } else {
        en
    }
}

/// `en` or `fr`, for texts with values in them.
pub fn says(en: String, fr: String) -> String {
    if french() { fr } else { en }
}

pub const FRENCH: &[(&str, &str)] = &[
    // connectors
    ("Connectors", "Connecteurs"),
    (
        "One per Exchange organisation, online or on-premises",
        "Un par organisation Exchange, en ligne ou locale",
    ),
    ("Name", "Nom"),
    ("Kind", "Type"),
    ("Organisation", "Organisation"),
    ("Status", "État"),
    ("Add a connector", "Ajouter un connecteur"),
    (
        "Connects an Exchange organisation",
        "Connecte une organisation Exchange",
    ),
    ("Change", "Modifier"),
    ("Changes the connector", "Modifie le connecteur"),
    ("Install now", "Installer maintenant"),
    (
        "Tries to reach Exchange again now",
        "Tente de joindre Exchange de nouveau maintenant",
    ),
    ("Default access level", "Niveau d'accès par défaut"),
    (
        "Sets the organisation's default access level, or leaves it to Exchange",
        "Fixe le niveau d'accès par défaut de l'organisation, ou le laisse à Exchange",
    ),
    ("Remove", "Supprimer"),
    (
        "Removes the connector and forgets its client secret",
        "Supprime le connecteur et oublie son secret client",
    ),
    ("installing", "installation en cours"),
    ("installed", "installé"),
    ("failed", "échec"),
    (
        "Endpoint (https; Exchange Online's by default, an on-premises gateway otherwise)",
        "Point d'accès (https ; celui d'Exchange Online par défaut, sinon une passerelle locale)",
    ),
    (
        "Organisation (e.g. contoso.onmicrosoft.com)",
        "Organisation (par ex. contoso.onmicrosoft.com)",
    ),
    (
        "OAuth 2 token endpoint (https)",
        "Point d'accès des jetons OAuth 2 (https)",
    ),
    (
        "Application (client) id",
        "Identifiant de l'application (client)",
    ),
    (
        "Client secret (empty: keep the current one)",
        "Secret client (vide : garder l'actuel)",
    ),
    ("Client secret", "Secret client"),
    (
        "External MDM: devices also enrolled in Corral keep receiving mail",
        "MDM externe : les appareils aussi inscrits dans Corral continuent de recevoir le courrier",
    ),
    (
        "give 1 to 100 characters",
        "saisissez de 1 à 100 caractères",
    ),
    ("online or on-premises", "online ou on-premises"),
    ("expected an https:// URL", "une URL https:// est attendue"),
    (
        "expected the organisation's domain, e.g. contoso.onmicrosoft.com",
        "le domaine de l'organisation est attendu, par ex. contoso.onmicrosoft.com",
    ),
    (
        "this organisation has a connector already (one per organisation)",
        "cette organisation a déjà un connecteur (un par organisation)",
    ),
    (
        "expected the application (client) id",
        "l'identifiant de l'application (client) est attendu",
    ),
    (
        "give the client secret (required for a new client or token endpoint)",
        "saisissez le secret client (nécessaire pour un nouveau client ou point d'accès des jetons)",
    ),
    ("left to Exchange", "laissé à Exchange"),
    ("sent to Exchange", "envoyé à Exchange"),
    ("not sent yet", "pas encore envoyé"),
    (
        "waiting for the connector's installation",
        "en attente de l'installation du connecteur",
    ),
    // settings
    ("Settings groups", "Groupes de paramètres"),
    (
        "Each connector's mobile device mailbox policy settings, by group: a group with one setting given is managed by Corral as a whole, one with none is left to Exchange",
        "Les paramètres de stratégie de boîte aux lettres des appareils mobiles de chaque connecteur, par groupe : un groupe dont un paramètre est donné est géré en entier par Corral, un groupe sans aucun est laissé à Exchange",
    ),
    ("Connector", "Connecteur"),
    ("Group", "Groupe"),
    ("Managed by", "Géré par"),
    ("Settings given", "Paramètres donnés"),
    (
        "Gives the group's settings (empty: not given); with none given the group is left to Exchange",
        "Donne les paramètres du groupe (vide : non donné) ; sans aucun, le groupe est laissé à Exchange",
    ),
    ("General", "Général"),
    ("Password", "Mot de passe"),
    ("Email management", "Gestion de la messagerie"),
    ("Security", "Sécurité"),
    ("Application", "Application"),
    (
        "Allow devices that cannot apply every setting",
        "Autoriser les appareils qui ne peuvent pas appliquer tous les paramètres",
    ),
    (
        "Policy refresh interval",
        "Intervalle d'actualisation de la stratégie",
    ),
    (
        "Allow over-the-air policy updates",
        "Autoriser les mises à jour de la stratégie par liaison radio",
    ),
    (
        "Information rights management",
        "Gestion des droits relatifs à l'information",
    ),
    ("Require a password", "Exiger un mot de passe"),
    (
        "Allow a simple password",
        "Autoriser un mot de passe simple",
    ),
    (
        "Require an alphanumeric password",
        "Exiger un mot de passe alphanumérique",
    ),
    ("Character sets required", "Jeux de caractères exigés"),
    ("Minimum length", "Longueur minimale"),
    ("Password recovery", "Récupération du mot de passe"),
    ("Expiration", "Expiration"),
    ("Passwords remembered", "Mots de passe mémorisés"),
    (
        "Failed attempts before a wipe",
        "Tentatives échouées avant effacement",
    ),
    ("Idle time before locking", "Inactivité avant verrouillage"),
    ("Email to synchronise", "Courrier à synchroniser"),
    ("Calendar to synchronise", "Calendrier à synchroniser"),
    ("HTML email", "Courrier HTML"),
    ("Attachments", "Pièces jointes"),
    (
        "Largest attachment, in bytes",
        "Plus grande pièce jointe, en octets",
    ),
    (
        "Plain text body size limit, in KB",
        "Taille maximale du texte brut, en Ko",
    ),
    (
        "HTML body size limit, in KB",
        "Taille maximale du HTML, en Ko",
    ),
    ("POP and IMAP email", "Courrier POP et IMAP"),
    (
        "Synchronise by hand while roaming",
        "Synchroniser à la main en itinérance",
    ),
    (
        "Require device encryption",
        "Exiger le chiffrement de l'appareil",
    ),
    (
        "Require storage card encryption",
        "Exiger le chiffrement de la carte de stockage",
    ),
    ("Storage card", "Carte de stockage"),
    ("Camera", "Appareil photo"),
    ("Wi-Fi", "Wi-Fi"),
    ("Bluetooth", "Bluetooth"),
    ("Infrared", "Infrarouge"),
    ("Internet sharing", "Partage de connexion"),
    ("Remote desktop", "Bureau à distance"),
    (
        "Synchronisation with a computer",
        "Synchronisation avec un ordinateur",
    ),
    ("Text messaging", "SMS"),
    ("Browser", "Navigateur"),
    (
        "Consumer email accounts",
        "Comptes de messagerie personnels",
    ),
    ("Unsigned applications", "Applications non signées"),
    (
        "Unsigned installation packages",
        "Paquets d'installation non signés",
    ),
    ("not set", "non défini"),
    // access rules
    ("Access rules", "Règles d'accès"),
    (
        "Allow, block or quarantine the devices whose type, model, OS or user agent is exactly a value",
        "Autoriser, bloquer ou mettre en quarantaine les appareils dont le type, le modèle, le système ou l'agent utilisateur est exactement une valeur",
    ),
    ("Characteristic", "Caractéristique"),
    ("Value", "Valeur"),
    ("Access", "Accès"),
    ("Add a rule", "Ajouter une règle"),
    (
        "Adds an access rule to a connector's organisation",
        "Ajoute une règle d'accès à l'organisation d'un connecteur",
    ),
    ("Change the access", "Modifier l'accès"),
    (
        "Allows, blocks or quarantines what the rule matches",
        "Autorise, bloque ou met en quarantaine ce que la règle désigne",
    ),
    (
        "Removes the rule from the organisation",
        "Supprime la règle de l'organisation",
    ),
    (
        "Exact value (e.g. iPhone, or iOS 17.1 21B74)",
        "Valeur exacte (par ex. iPhone, ou iOS 17.1 21B74)",
    ),
    (
        "Default access level (empty: left to Exchange)",
        "Niveau d'accès par défaut (vide : laissé à Exchange)",
    ),
    (
        "the organisation of one of the connectors",
        "l'organisation d'un des connecteurs",
    ),
    (
        "give the exact value to match: 1 to 256 characters, without parentheses",
        "saisissez la valeur exacte : de 1 à 256 caractères, sans parenthèses",
    ),
    // devices
    ("Exchange devices", "Appareils Exchange"),
    (
        "The devices each organisation reported at the last inventory sync, with their access and wipes",
        "Les appareils que chaque organisation a indiqués à la dernière synchronisation de l'inventaire, avec leur accès et leurs effacements",
    ),
    ("Mailbox", "Boîte aux lettres"),
    ("Model", "Modèle"),
    ("Wipe", "Effacer"),
    (
        "Asks Exchange to wipe the device at its next synchronisation",
        "Demande à Exchange d'effacer l'appareil à sa prochaine synchronisation",
    ),
    ("Cancel the wipe", "Annuler l'effacement"),
    (
        "Cancels a wipe the device has not carried out yet",
        "Annule un effacement que l'appareil n'a pas encore effectué",
    ),
    ("none", "aucun"),
];

#[cfg(test)]
mod tests {
    use super::FRENCH;

    /// Every text the sources give `tr` has its French, once.
    #[test]
    fn every_text_has_its_french() {
        let sources = [
            include_str!("lib.rs"),
            include_str!("connectors.rs"),
            include_str!("settings.rs"),
            include_str!("policy.rs"),
            include_str!("rules.rs"),
            include_str!("access.rs"),
            include_str!("devices.rs"),
            include_str!("enforce.rs"),
        ];
        let mut missing = Vec::new();
        let mut count = 0;
        for source in sources {
            for piece in source.split("tr(\"").skip(1) {
                let text = &piece[..piece.find('"').unwrap()];
                count += 1;
                if !FRENCH.iter().any(|(en, _)| *en == text) {
                    missing.push(text.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "no French for {missing:?}");
        assert!(count > 50, "{count} texts");
        for s in crate::policy::SETTINGS {
            assert!(
                FRENCH.iter().any(|(en, _)| *en == s.title),
                "no French for {}",
                s.title
            );
        }
        for (i, (en, _)) in FRENCH.iter().enumerate() {
            assert!(!FRENCH[..i].iter().any(|(e, _)| e == en), "{en} twice");
        }
    }
}
