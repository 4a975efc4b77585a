# Corral, français : la console d'administration (SPEC A2 à A6, C1 à C4).
# Chaque id commence par console- ; console-en.ftl a les mêmes messages et les mêmes variables.

## Mise en page
console-skip-to-content = Aller au contenu
console-menu = Menu de la console
console-switch-label = Langue
console-sign-out = Se déconnecter
console-problems = Il y a un problème
console-pages = Pages
console-previous = Précédent
console-next = Suivant
console-role-owner = propriétaire
console-role-admin = administrateur
console-rows-of = { $first }–{ $last } sur { $total }

## Erreurs
console-csrf-title = Ce formulaire a expiré
console-csrf-text = La page est restée ouverte trop longtemps ou venait d'un autre site. Rien n'a été modifié : rouvrez la page et recommencez.
console-forbidden-title = Non autorisé
console-not-found-title = Introuvable
console-error-title = Une erreur est survenue
console-error-text = Le serveur n'a pas pu répondre. Rien n'est perdu : réessayez dans un instant.

## Connexion (SPEC A3)
console-sign-in-title = Connexion à la console
console-sign-in-intro = Les administrateurs se connectent avec leur mot de passe et le code de leur application d'authentification.
console-tenant = Organisation
console-email = Adresse e-mail
console-password = Mot de passe
console-totp-code = Code d'authentification
console-totp-code-hint = 6 chiffres affichés par votre application d'authentification. Laissez vide lors de votre première connexion : vous configurerez l'application ensuite.
console-sign-in = Se connecter
console-sign-in-refused = L'organisation, l'adresse e-mail, le mot de passe ou le code n'a pas été accepté.
console-tenant-required = Saisissez votre organisation.
console-email-required = Saisissez votre adresse e-mail.
console-password-required = Saisissez votre mot de passe.
console-totp-required = Saisissez le code à 6 chiffres.
console-locked = Trop de tentatives échouées. Réessayez dans { $n ->
        [one] { $n } minute.
       *[other] { $n } minutes.
    }
console-enrol-title = Configurez votre application d'authentification
console-enrol-intro = C'est votre première connexion. Scannez le QR code avec une application d'authentification (ou saisissez la clé), puis entrez le code qu'elle affiche pour terminer.
console-enrol-qr-alt = QR code pour ajouter ce compte à une application d'authentification
console-enrol-key = Clé :
console-enrol-code-hint = Le code à 6 chiffres que votre application affiche maintenant pour ce compte.
console-enrol-confirm = Terminer et se connecter
console-enrol-expired = Cette page de configuration a expiré. Connectez-vous à nouveau.
console-totp-refused = Ce code n'est pas celui attendu. Vérifiez l'heure de l'appareil et le compte, puis essayez le code suivant.

## Menu
console-menu-users = Utilisateurs
console-menu-unmanaged = Appareils non gérés
console-menu-apps = Applications
console-menu-devices = Appareils
console-menu-enrolment = Enrôlement
console-menu-configurations = Configurations
console-menu-plugins = Plugins
console-menu-admins = Administrateurs
console-menu-history = Historique

## Utilisateurs
console-users-title = Utilisateurs
console-users-lead = Les personnes qui enrôlent des appareils ou reçoivent des applications.
console-users-caption = Utilisateurs de l'organisation
console-search = Rechercher
console-search-label = L'e-mail ou le nom commence par
console-first-name = Prénom
console-last-name = Nom
console-source = Source
console-password-set = Mot de passe
console-unmanaged = Non géré
console-yes = oui
console-no = non
console-no-users = Aucun utilisateur ne correspond.
console-add-user = Ajouter un utilisateur
console-add-user-submit = Ajouter l'utilisateur
console-initial-password = Mot de passe initial
console-initial-password-hint = Facultatif : sans mot de passe, l'utilisateur en choisit un grâce au code PIN à usage unique de son invitation.
console-unmanaged-label = Utilisateur d'appareils non gérés (reçoit des applications, n'enrôle jamais d'appareil)
console-user-added = L'utilisateur a été ajouté.
console-invite-selected = Inviter les utilisateurs sélectionnés
console-label-selected = Marquer comme non géré
console-unlabel-selected = Retirer le marquage non géré
console-select-user = Sélectionner { $email }
console-selected = { $n ->
        [one] { $n } utilisateur sélectionné
       *[other] { $n } utilisateurs sélectionnés
    }
console-invitations-sent = Invitations envoyées.
console-labels-changed = Marquages modifiés.
console-nothing-selected = Sélectionnez d'abord au moins un utilisateur.
console-confirm-label-title = Modifier le marquage non géré ?
console-confirm-label-intro = Ces utilisateurs seront modifiés :
console-selection-action = Action sur la sélection
console-invite-now = Envoyer l'invitation maintenant
console-confirm = Confirmer
console-cancel = Annuler
console-created = Créé le

## Administrateurs (SPEC A2, A3)
console-admins-title = Administrateurs
console-admins-lead = Les personnes qui gèrent la console et l'API de l'organisation. Les propriétaires gèrent les administrateurs.
console-admins-caption = Administrateurs de l'organisation
console-role-label = Rôle
console-exchange-permissions = Permissions Exchange
console-all-permissions = toutes (propriétaire)
console-perm-modify-site = Ajouter, modifier ou supprimer des connecteurs
console-perm-modify-connector-policy = Modifier la stratégie d'un connecteur
console-perm-delete-resource = Effacer un appareil
console-perm-modify-resource = Annuler un effacement, autoriser ou bloquer un appareil
console-add-admin = Ajouter un administrateur
console-add-admin-submit = Ajouter l'administrateur
console-admin-password-hint = Transmettez-le en privé. À sa première connexion, la personne configure son application d'authentification à partir d'un QR code.
console-admin-added = L'administrateur a été ajouté.
console-admin-saved = Les modifications ont été enregistrées.
console-admin-deleted = L'administrateur a été supprimé.
console-edit-admin = Rôle et permissions
console-save = Enregistrer
console-delete-admin = Supprimer cet administrateur
console-delete-admin-warning = La personne est déconnectée immédiatement et ne peut plus se connecter. L'organisation garde au moins un propriétaire.
console-back-to-list = Retour à la liste
console-history-link = Historique

## Historique (SPEC A4)
console-history-title = Historique
console-history-lead = Toutes les modifications de l'organisation, les plus récentes d'abord : qui, quoi, quand.
console-history-caption = Modifications
console-filter = Filtrer
console-object-type = Type d'objet
console-object-id = Identifiant de l'objet
console-actor = Par (l'e-mail commence par)
console-from-date = Du
console-to-date = Au
console-date-format = Saisissez une date au format aaaa-mm-jj.
console-when = Date
console-object = Objet
console-action = Action
console-change = Modification
console-no-history = Aucune modification ne correspond.

## Appareils non gérés (SPEC C1 à C4)
console-unmanaged-title = Appareils non gérés
console-unmanaged-lead = Les utilisateurs qui reçoivent des applications sur leurs propres appareils sans les enrôler (MAM uniquement).
console-state = État
console-state-off = désactivé
console-state-on = activé
console-state-deactivated = désactivé définitivement
console-changed-at = Depuis le
console-default-allow-new-apps = Autoriser par défaut les nouvelles applications du catalogue sur les appareils non gérés
console-unmanaged-enable = Activer les appareils non gérés
console-unmanaged-enabled = Les appareils non gérés sont activés.
console-unmanaged-deactivate = Désactiver définitivement les appareils non gérés
console-unmanaged-deactivated = Les appareils non gérés sont désactivés définitivement.
console-deactivation-will = La désactivation va, immédiatement et définitivement :
console-users-converted = { $n ->
        [one] rendre { $n } utilisateur non géré à la gestion MDM :
       *[other] rendre { $n } utilisateurs non gérés à la gestion MDM :
    }
console-apps-reset = { $n ->
        [one] ne plus autoriser { $n } application sur les appareils non gérés :
       *[other] ne plus autoriser { $n } applications sur les appareils non gérés :
    }
console-default-restored = rétablir le choix par défaut du catalogue pour les nouvelles applications ;
console-apps-stay = laisser les applications déjà installées sur les appareils des utilisateurs ;
console-no-way-back = et la fonctionnalité ne pourra plus jamais être réactivée.
console-confirmation = Confirmation
console-confirmation-hint = Saisissez exactement (en anglais) : { $sentence }

## Devices
console-devices-title = Appareils
console-devices-lead = Tous les appareils du tenant. Ouvrez-en un pour voir son historique et agir dessus.
console-devices-caption = Appareils
console-device-active = actif
console-device-retired = retiré
console-device-wiped = effacé
console-device-reset = réinitialisé par le serveur
console-source-apple = Apple
console-source-portal = Portail
console-any = Tous
console-platform = Plateforme
console-owner-search = Propriétaire (l'e-mail commence par)
console-owner = Propriétaire
console-device-name = Nom
console-model = Modèle
console-registered = Enregistré le
console-no-devices = Aucun appareil ne correspond.
console-device-deleted = L'appareil a été supprimé.
console-hardware-id = Identifiant matériel
console-under-management = Géré
console-registrations = Enregistrements
console-archived = Archivé
console-archived-entry = une ancienne entrée d'un appareil réenregistré
console-plugin-off = plugin désactivé
console-managed-by = Géré par
console-vendor-name = Nom chez le fournisseur
console-compliant-since = Conforme depuis
console-reset-reason = Réinitialisé par le serveur
console-command-sent = La commande a été envoyée à l'appareil.
console-device-retired-done = L'appareil est retiré : il n'est plus géré.
console-device-wiped-done = L'appareil est marqué effacé.
console-act-lock = Verrouiller
console-act-reboot = Redémarrer
console-act-sync = Synchroniser
console-act-retire = Retirer
console-device-actions = Actions
console-act-wipe = Effacer
console-confirm-wipe = Je comprends que cela efface l'appareil.
console-wipe-at-vendor = Le fournisseur réinitialise l'appareil en usine.
console-wipe-state-only = L'appareil est marqué effacé et n'est plus géré ; il peut se réenregistrer.
console-wipe-reason = Motif affiché sur l'appareil
console-preserve-reset-protection = Conserver la protection contre la réinitialisation
console-act-delete = Supprimer
console-confirm-delete = Je comprends que l'entrée de l'appareil est supprimée.
console-device-history = Historique de cet appareil
console-confirm-required = Cochez la case pour confirmer.
console-unknown-action = Cette action est inconnue.
console-device-awaiting = en attente d’enrôlement
console-device-discovered = découvert
console-platform-other = autre
console-reported-by-vendor = Ce que le fournisseur indique
console-owner-link-title = Utilisateur de cet appareil
console-owner-email = Adresse e-mail de l'utilisateur
console-owner-email-hint = Le fournisseur n'indique pas à qui est cet appareil : liez-le à son utilisateur à la main. Vide : lié à personne.
console-owner-link-save = Enregistrer l'utilisateur
console-owner-set-done = L'utilisateur de l'appareil est enregistré.
console-no-user-with-email = Aucun utilisateur de cette organisation n'a cette adresse e-mail.
console-wipe-discovered = Le fournisseur (le serveur de messagerie) efface l'appareil à sa prochaine connexion.

## Directory
console-directory-link = Importer des utilisateurs depuis l'annuaire
console-directory-title = Annuaire
console-directory-lead = L'annuaire LDAP du tenant : cherchez-y, puis importez comme utilisateurs les personnes choisies.
console-directory-saved = L'annuaire a répondu ; ses paramètres sont enregistrés.
console-users-imported = Les entrées choisies sont maintenant des utilisateurs.
console-directory-search = L'e-mail commence par
console-already-imported = déjà utilisateur
console-dn = Nom distinctif (DN)
console-directory-entries = Entrées de l'annuaire
console-no-entries = Aucune entrée ne correspond.
console-import-selected = Importer la sélection
console-directory-settings = Paramètres de l'annuaire
console-bind-password = Mot de passe du compte de service
console-write-only-kept = Jamais affiché. Laissez vide pour garder celui enregistré.
console-save-and-try = Essayer et enregistrer
console-ldap-url = URL de l'annuaire
console-bind-dn = Compte de service (DN de connexion)
console-base-dn = Où sont les utilisateurs (DN de base)
console-user-filter = Filtre des utilisateurs
console-email-attribute = Attribut de l'e-mail
console-first-name-attribute = Attribut du prénom
console-last-name-attribute = Attribut du nom

## Uploads
console-upload-too-large = Le fichier est plus grand que ce que le serveur accepte.

## Plugins
console-plugins-title = Plugins
console-plugins-lead = Les composants qui parlent aux fournisseurs pour ce tenant : téléverser, activer, revenir en arrière, autoriser.
console-plugin-deleted = Le plugin et ses données ont été supprimés.
console-plugin-name = Plugin
console-vendor = Fournisseur
console-active-version = Version active
console-versions = Versions
console-updated = Mis à jour
console-no-plugins = Aucun plugin pour l'instant.
console-upload-plugin = Téléverser un plugin
console-upload = Téléverser
console-component-file = Composant (.wasm)
console-component-hint = Un composant WebAssembly construit pour le WIT corral:plugin. Un composant qui nomme un plugin déjà présent en devient la version suivante.
console-choose-file = Choisissez un fichier.
console-version-uploaded = Version téléversée
console-plugin-activated = La version est active.
console-plugin-deactivated = Le plugin est désactivé.
console-version-deleted = La version a été supprimée.
console-grants-saved = Ce que le plugin peut utiliser est enregistré.
console-settings-saved = Le plugin a accepté ses paramètres.
console-credential-saved = L'identifiant est scellé et enregistré.
console-credential-deleted = L'identifiant a été supprimé.
console-plugin-configurations = Ses configurations
console-roll-back-to = Revenir à celle-ci
console-activate = Activer
console-delete-version = Supprimer
console-version = Version
console-world-version = WIT
console-size = Taille
console-requested-capabilities = Demande
console-uploaded-by = Téléversé par
console-uploaded-at = Téléversé le
console-active = active
console-switch-plugin-off = Désactiver le plugin
console-requested = demandée
console-allowed-capabilities = Capacités autorisées
console-http-allow-hosts = Hôtes HTTPS joignables
console-http-allow-hosts-hint = Un par ligne, p. ex. api.example.com ou *.example.com.
console-grants = Ce qu'il peut utiliser
console-plugin-settings = Paramètres
console-credential = Identifiant
console-credential-account = Compte
console-token-uri = Point de jeton
console-no-credential = Aucun identifiant enregistré.
console-service-account-key = Clé de compte de service (JSON)
console-service-account-key-hint = Collez le fichier de clé tel que le fournisseur l'a émis. Il est scellé et jamais réaffiché.
console-service-account-key-invalid = Ce n'est pas un fichier de clé de compte de service
console-client-credentials = Ou un client OAuth 2 (identifiant et secret)
console-client-id = Identifiant du client
console-client-secret = Secret du client
console-client-secret-hint = Scellé et jamais réaffiché. Les jetons sont demandés au point de jeton avec l'octroi « client credentials ».
console-delete-credential = Supprimer l'identifiant
console-action-result = Réponse de
console-action-input = Entrée (JSON)
console-json-invalid = Ce n'est pas du JSON
console-plugin-actions = Actions
console-delete-plugin = Supprimer le plugin
console-confirm-delete-plugin = Je comprends que toutes les versions et les données du plugin sont supprimées.
console-device-inventory = Appareils
console-sync-devices = Mettre à jour l'inventaire des appareils maintenant
console-sync-devices-hint = Le plugin signale chaque appareil que son fournisseur liste ; la tâche planifiée fait de même régulièrement.
console-devices-reported = Appareils signalés par le plugin :

## Forms from a plugin's schema
console-not-set = (non défini)
console-one-per-line = Un par ligne.
console-as-json = En JSON.
console-whole-number = Donnez un nombre entier.
console-a-number = Donnez un nombre.

## Configurations (SPEC E4)
console-configurations-title = Configurations
console-configurations-lead = Ce que chaque plugin applique aux appareils. Pour chaque type, un appareil reçoit la configuration de plus haute priorité parmi celles qui lui sont distribuées.
console-no-configurable-plugins = Aucun plugin actif ne propose de configurations. Activez-en un dans la page Plugins.
console-configuration-kinds = Types
console-configuration-count = Configurations
console-new-configuration = Nouvelle configuration
console-configuration-name = Nom
console-configuration-kind = Type
console-priority = Priorité
console-priority-hint = La plus haute l'emporte quand plusieurs configurations d'un même type atteignent un appareil ; dans un type, chaque priorité n'est utilisée qu'une fois.
console-distribution = Distribuée à
console-distribution-none = Aucun appareil
console-distribution-all = Tous les appareils
console-distribution-custom = Les appareils listés ci-dessous
console-distribution-devices = Appareils (identifiants)
console-distribution-devices-hint = Un identifiant d'appareil par ligne, tel qu'affiché sur la page de chaque appareil ; utilisé quand la configuration va aux appareils listés.
console-configuration-body = Réglages
console-body-json = Configuration (JSON)
console-body-json-hint = Dans le schéma propre au plugin.
console-configuration-created = Le plugin a accepté la configuration ; elle est enregistrée et en cours de livraison.
console-configuration-saved = Le plugin a accepté la modification ; elle est enregistrée et en cours de livraison.
console-configuration-deleted = La configuration a été supprimée ; les appareils qu'elle atteignait en sont informés.
console-delivery = Livraison au plugin
console-delivery-done = Livrée
console-delivery-pending = Pas encore livrée
console-delivery-attempts = Tentatives échouées
console-delivery-last-error = Dernière erreur
console-delivery-next = Prochaine tentative
console-preview = Afficher le document du fournisseur
console-vendor-document = Document du fournisseur
console-media-type = Type de média
console-delete-configuration = Supprimer la configuration
console-confirm-delete-configuration = Je comprends que les appareils qu'elle atteint la perdent.
console-plugin-off-configurations = Le plugin est désactivé : activez une de ses versions pour ajouter ou modifier ses configurations.
console-unknown-kind = Ce plugin ne propose pas ce type de configuration.
console-all-configurations = Toutes les configurations
console-no-configurations = Aucune configuration pour l'instant.

## Apps (SPEC C2, E7)
console-apps-title = Applications
console-apps-lead = Le catalogue : applications du store et applications métier par leur identifiant de store, applications internes par leur fichier. Les utilisateurs d'appareils non gérés ne reçoivent que les applications autorisées sur les appareils non gérés.
console-no-apps = Aucune application pour l'instant.
console-app-name = Nom
console-app-kind = Type
console-kind-store = Application du store
console-kind-business = Application métier
console-kind-in-house = Application interne
console-store-id = Nom de paquet ou identifiant App Store
console-store-id-hint = Android : le nom de paquet, par exemple com.example.app. iOS : l'identifiant numérique App Store, par exemple 284882215.
console-install-on-device = Installer sur les appareils gérés lors de l'attribution
console-silent-install = Installer sans demander à l'utilisateur (appareils gérés)
console-allow-unmanaged = Autoriser la distribution de cette application sur les appareils non gérés
console-allow-unmanaged-off = Activez les appareils non gérés (page Appareils non gérés) pour y autoriser des applications.
console-unmanaged-allowed = appareils non gérés
console-add-app = Ajouter une application du store ou métier
console-upload-app = Téléverser une application interne
console-app-file = Fichier de l'application (.apk ou .ipa)
console-app-file-hint = 200 Mo au plus : un .apk pour Android, un .ipa pour iOS.
console-app-name-hint = Laissé vide, le nom du fichier.
console-app-added = L'application est dans le catalogue.
console-app-saved = Les réglages de l'application sont enregistrés.
console-app-deleted = L'application a été retirée du catalogue.
console-app-settings = Réglages
console-app-store-page = Page du store
console-app-file-name = Fichier
console-download-file = Télécharger le fichier
console-delete-app = Retirer l'application
console-confirm-delete-app = Je comprends que les utilisateurs ne reçoivent plus cette application.
console-add = Ajouter

## Enrolment (SPEC B, E2)
console-enrolment-title = Enrôlement
console-enrolment-lead = Comment les utilisateurs enrôlent leurs appareils : le lien d'inscription, son code PIN et les profils d'enrôlement des plugins.
console-registration-link = Lien d'inscription
console-registration-link-text = Le lien qu'ouvrent les utilisateurs pour s'inscrire (les invitations le contiennent) :
console-registration-qr-alt = QR code du lien d'inscription
console-rotate-key = Remplacer le lien
console-confirm-rotate-key = Je comprends que tous les liens distribués auparavant cessent de fonctionner.
console-key-rotated = Le lien d'inscription a été remplacé ; les liens précédents ne fonctionnent plus.
console-registration-settings = Réglages d'inscription
console-language = Langue des invitations et langue par défaut du portail
console-require-registration-pin = L'inscription exige un code PIN à usage unique, même pour les utilisateurs qui ont un mot de passe
console-pin-validity-hours = Validité du PIN (heures)
console-pin-validity-hint = 1 à 2160 heures (90 jours) ; 168 correspond à une semaine.
console-registration-saved = Les réglages d'inscription sont enregistrés.
console-enrolment-profiles = Profils d'enrôlement
console-enrolment-profiles-of = Profils d'enrôlement de
console-no-profiles = Aucun profil d'enrôlement pour l'instant.
console-no-token-plugins = Aucun plugin actif ne crée de jetons d'enrôlement. Activez-en un (pour Android, le plugin AMAPI) dans la page Plugins.
console-new-profile = Nouveau profil d'enrôlement
console-profile-name = Nom
console-profile-description = Description
console-profile-owner = E-mail du propriétaire
console-profile-owner-hint = L'utilisateur à qui appartiendront les appareils enrôlés avec ce profil.
console-no-such-owner = Aucun utilisateur de cette organisation n'a cet e-mail.
console-validity-days = Validité du jeton (jours)
console-validity-days-hint = 1 à 30 jours. La modifier remplace le jeton : imprimez le nouveau QR code.
console-profile-attributes = Attributs
console-profile-attributes-hint = Un par ligne, nom=valeur (20 au plus) ; fixés une fois le profil créé.
console-attribute-line-invalid = Écrivez chaque attribut sous la forme nom=valeur.
console-create-profile = Créer le profil et son jeton
console-profile-created = Le profil et son jeton sont prêts.
console-profile-saved = Le jeton a été remplacé par un jeton de la nouvelle validité.
console-profile-deleted = Le profil et son jeton ont été supprimés.
console-token = Jeton
console-token-expires = Expiration du jeton
console-token-qr-alt = QR code pour enrôler un appareil avec ce profil
console-token-qr-text = Ce que contient le QR code :
console-change-validity = Remplacer le jeton
console-delete-profile = Supprimer le profil
console-confirm-delete-profile = Je comprends que les appareils ne peuvent plus s'enrôler avec son jeton.
console-outgoing-mail = Courrier sortant
console-mail-recipient = Destinataire
console-mail-subject = Objet
console-mail-status = Statut
console-mail-attempts = Tentatives
console-no-mail = Aucun courrier envoyé pour l'instant.
console-apple-certificates = Certificats Apple
console-apple-certificates-lead = L'autorité de certification de l'organisation, ancre de confiance des identités d'appareils et des signatures de profils, et le certificat qui signe les profils que les utilisateurs téléchargent.
console-ca-certificate = Autorité de certification (PEM)
console-signing-certificate = Certificat de signature des profils (PEM)

## Users
console-user-details = Coordonnées
console-user-saved = L'utilisateur est enregistré.
console-user-deleted = L'utilisateur a été supprimé.
console-delete-user = Supprimer l'utilisateur
console-confirm-delete-user = Je comprends que l'utilisateur, son code PIN et ses invitations en attente sont supprimés.
console-user-devices = Ses appareils
console-invite-one = Envoyer une invitation

## collections
console-back-to-plugin = Retour à l’extension
console-action-done = C’est fait.
console-search-items = Rechercher
console-item = Élément
console-first-page = Première page
console-no-items = Rien ici.
console-collection-actions = Actions
console-upload-and-start = Envoyer et lancer
console-csv-file = Fichier CSV
console-csv-columns = Colonnes
console-csv-file-required = Choisissez le fichier CSV à envoyer.
console-item-actions = Actions
console-confirm-irreversible = Je comprends que c’est irréversible
console-irreversible-title = C’est irréversible
console-back = Retour

## imports
console-menu-imports = Imports
console-import-queued = En attente
console-import-validating = Vérification des lignes
console-import-applying = Envoi
console-import-done = Terminé
console-import-failed = Échoué
console-notifications = Notifications
console-notification = Notification
console-no-notifications = Aucune notification.
console-imports-caption = Imports
console-file = Fichier
console-import-kind = Import
console-rows-progress = Lignes
console-uploaded = Envoyé
console-no-imports = Aucun import : envoyez un fichier depuis une collection d’une extension.
console-imports-title = Imports
console-imports-lead = Les fichiers d’appareils envoyés à un fournisseur par une extension, et leur déroulement.
console-rows-checked = Lignes vérifiées
console-rows-sent = Lignes envoyées au fournisseur
console-rows-total = Lignes du fichier
console-rows-read = Lignes lues
console-rows-valid = Lignes valides
console-rows-invalid = Lignes refusées
console-rows-applied = Appliquées
console-rows-failed = Échouées chez le fournisseur
console-import-error = Erreur
console-failed-rows = Lignes en échec
console-failed-rows-csv = Lignes en échec (CSV)
console-import-title = Import
console-import-running-lead = En cours : cette page se recharge toutes les quelques secondes. Vous pouvez la quitter, l’import continue.
console-import-ended-lead = Terminé.
console-line = Ligne
console-row-fields = Champs
console-reason = Raison
console-no-failed-rows = Aucune ligne en échec.
console-back-to-import = Retour à l’import
console-import-counts = { $read } sur { $total } lues, { $applied } appliquées, { $failed } en échec

# provisioning (who provisions each device)
console-menu-provisioning = Provisionnement
console-provisioning-title = Qui provisionne chaque appareil
console-provisioning-lead = Les appareils inscrits au zero-touch, à Knox Mobile Enrollment ou aux deux : le service qui provisionne chacun à sa prochaine réinitialisation, et pourquoi.
console-provisioning-caption = Décisions de provisionnement
console-provisioning-kme = Knox Mobile Enrollment
console-provisioning-zero-touch = Zero-touch
console-provisioning-none = Aucun
console-provisioning-undecided = Non décidé
console-provisioning-by = Provisionné par
console-provisioning-reason-code = Code de raison
console-provisioning-search = Numéro de série ou IMEI
console-provisioning-device = Appareil
console-provisioning-imeis = IMEI
console-provisioning-configuration = Configuration
console-provisioning-reason = Pourquoi
console-provisioning-remedy = Pour le changer
console-provisioning-empty = Aucun appareil n'est inscrit à un service de provisionnement dont un plugin décide.

## Apple commands and push (issue 25)
console-apple-commands = Commandes MDM
console-apple-commands-lead = Les commandes partent vers l’appareil une à une, la plus prioritaire d’abord, quand il contacte le serveur ; une notification push d’Apple le réveille.
console-push-topic = Sujet push
console-last-contact = Dernier contact
console-last-push = Dernière notification push
console-push-refused = Notification push refusée par Apple
console-never = jamais
console-command = Commande
console-requested-by = Demandée par
console-command-sends = Envois
console-answered = Réponse reçue
console-command-pin = Code PIN
console-no-commands = Aucune commande n’a été envoyée à cet appareil.
console-send-command = Envoyer une commande
console-command-hint = L’écran verrouillé affiche le message et le numéro de téléphone, s’ils sont donnés. Pour effacer l’appareil, utilisez Effacer plus bas.
console-command-mac-hint = Le verrouillage d’un Mac reçoit un nouveau code PIN à 6 chiffres, affiché sur la ligne de la commande : donnez-le à l’utilisateur de l’appareil. Pour effacer l’appareil, utilisez Effacer plus bas.
console-lock-message = Message sur l’écran verrouillé (DeviceLock)
console-lock-phone = Numéro de téléphone sur l’écran verrouillé (DeviceLock)
console-profile-identifier = Identifiant du profil (RemoveProfile)
console-command-priority = Priorité
console-command-priority-hint = De -100 à 100 ; la plus haute part d’abord, puis la plus ancienne.
console-command-pending = en attente
console-command-not-now = pas maintenant
console-command-acknowledged = acceptée
console-command-error = erreur
console-command-format-error = erreur de format
console-command-cancelled-status = annulée
console-cmd-device-information = Informations de l’appareil (DeviceInformation)
console-cmd-security-info = Informations de sécurité (SecurityInfo)
console-cmd-installed-applications = Apps installées (InstalledApplicationList)
console-cmd-profile-list = Profils installés (ProfileList)
console-cmd-device-lock = Verrouiller (DeviceLock)
console-cmd-restart-device = Redémarrer (RestartDevice)
console-cmd-remove-profile = Retirer un profil (RemoveProfile)
console-last-sent = Dernier envoi
console-command-queued = La commande est en file ; une notification push réveille l’appareil.
console-command-cancelled = La commande est annulée : l’appareil ne la recevra pas.
console-back-to-device = Retour à l’appareil
console-error-chain = Chaîne d’erreurs
console-device-answer = Réponse de l’appareil
console-cancel-command = Annuler la commande
console-wipe-apple = L’appareil reçoit la commande EraseDevice d’Apple à son prochain contact, avant tout le reste (un Mac avec un nouveau code PIN, affiché dans ses commandes) ; ses autres commandes en attente sont annulées.
console-push-certificate-title = Certificat push APNs
console-push-certificate-lead = Le certificat push MDM d’Apple permet au serveur de réveiller les appareils inscrits. Les nouveaux profils d’inscription nomment son sujet. Renouvelez-le chaque année sur le portail des certificats push d’Apple avec le même identifiant Apple, pour que son sujet reste le même.
console-push-certificate-link = Certificat push APNs
console-push-certificate-installed = Le certificat push est installé ; sa clé est gardée scellée et n’est jamais affichée.
console-back-to-enrolment = Retour à l’inscription
console-no-push-certificate = Pas encore de certificat push : les commandes attendent que les appareils contactent le serveur d’eux-mêmes.
console-push-renew-title = Renouvelez le certificat push
console-push-renew = Une fois expiré, aucun appareil ne peut être réveillé. Renouvelez-le chez Apple avec le même identifiant Apple (même sujet) et téléversez le nouveau ici.
console-push-expired = expiré
console-expiry = Expiration
console-valid-from = Valide à partir du
console-valid-until = Valide jusqu’au
console-serial-number = Numéro de série
console-owners-warned = Propriétaires prévenus par e-mail
console-devices-on-other-topics = Appareils inscrits sur un autre sujet (sans notification push)
console-upload-push-certificate = Téléverser un certificat push
console-push-certificate-pem = Certificat (PEM)
console-push-key-pem = Clé privée (PEM, non chiffrée)
console-confirm-topic-change = L’installer même si son sujet n’est pas celui qu’écoutent les appareils inscrits (ils ne reçoivent plus de notification push avant de s’inscrire à nouveau)
console-push-expires-soon = expire dans { $n ->
        [one] { $n } jour
       *[other] { $n } jours
    }
console-push-valid = valide, encore { $n ->
        [one] { $n } jour
       *[other] { $n } jours
    }
