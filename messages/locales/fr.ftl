# Corral, français : tous les textes que voient les utilisateurs (portail et e-mails).
# Le fichier anglais a les mêmes messages avec les mêmes variables (un test le vérifie).

## Le portail (SPEC B3, B4, D5, I1, I2).

switch-label = Langue
sign-in-title = Connexion
sign-in-intro = Connectez-vous pour inscrire votre téléphone, tablette ou Mac.
email = Adresse e-mail
password = Mot de passe
sign-in = Se connecter
use-pin-instead = Pas encore de mot de passe ? Connectez-vous avec le code PIN de votre invitation
wrong-credentials = L'adresse e-mail ou le mot de passe est incorrect.
directory-unavailable = L'annuaire de votre organisation est injoignable pour vérifier votre mot de passe. Réessayez dans quelques minutes.
email-required = Saisissez votre adresse e-mail.
password-required = Saisissez votre mot de passe.
pin-title = Code PIN à usage unique
pin-intro = Saisissez le code PIN reçu dans votre e-mail d'invitation.
pin = Code PIN
pin-hint = 8 chiffres, dans votre e-mail d'invitation.
continue = Continuer
pin-required = Saisissez le code PIN.
pin-wrong = Ce code PIN est incorrect. { $n ->
        [one] Encore { $n } essai.
       *[other] Encore { $n } essais.
    }
pin-locked = Trop d'essais incorrects : ce code PIN est bloqué. Demandez une nouvelle invitation à votre administrateur.
pin-expired = Ce code PIN a expiré. Demandez une nouvelle invitation à votre administrateur.
pin-none = Aucun code PIN valable pour cette adresse : il a déjà servi ou a été remplacé. Demandez une nouvelle invitation à votre administrateur.
pin-not-accepted = Cette adresse e-mail et ce code PIN ne correspondent à aucune invitation valable. Un code PIN ne sert qu'une fois, expire, et cesse de fonctionner après 5 essais incorrects : dans ce cas, demandez une nouvelle invitation à votre administrateur.
account-locked = Trop d'essais infructueux pour cette adresse. Réessayez dans { $n ->
        [one] { $n } minute.
       *[other] { $n } minutes.
    }
back-to-sign-in = Retour à la connexion
password-title = Choisissez votre mot de passe
password-intro = Choisissez le mot de passe que vous utiliserez désormais.
new-password = Nouveau mot de passe
confirm-password = Confirmez le mot de passe
save-password = Enregistrer le mot de passe
passwords-differ = Les deux mots de passe sont différents.
too-simple = Trop simple : utilisez des caractères plus variés.
home-title = Vos appareils
apps-title = Vos applications
apps-link = Voir vos applications
apps-intro = Les applications proposées par votre organisation. Les appareils gérés les reçoivent ; voici leurs pages dans les magasins et leurs fichiers.
apps-intro-unmanaged = Votre organisation vous propose ces applications pour votre propre appareil. Installez-les vous-même ; votre appareil n'est pas géré et vous seul pouvez les supprimer.
no-apps = Aucune application ne vous est encore proposée.
get-app = L'obtenir dans le magasin
download-app = Télécharger
unknown-sources = Android : pour installer une application téléchargée, autorisez les sources inconnues (Réglages > Sécurité > Sources inconnues).
no-such-app = Application indisponible
no-such-app-text = Cette application ne vous est pas proposée, ou elle a été retirée.
hello = Bonjour
registered-devices = Appareils inscrits
no-devices = Aucun appareil n'est encore inscrit.
register-title = Inscrire un appareil
qr-intro = Sur un téléphone Android ou un iPhone, scannez ce code avec l'application Corral.
qr-alt = Code QR d'inscription de l'appareil
qr-url-label = Ou ouvrez cette adresse dans l'application :
profile-title = Mac, iPhone ou iPad
profile-intro = Téléchargez le profil de gestion et installez-le dans Réglages.
profile-link = Télécharger le profil de gestion
profile-unavailable = Le téléchargement des profils n'est pas encore disponible sur ce serveur. Contactez votre administrateur.
profile-ios = Télécharger pour iPhone ou iPad
profile-macos = Télécharger pour ce Mac
profile-macos-user = Télécharger pour mon compte sur ce Mac uniquement
profile-steps = Ouvrez le profil téléchargé, puis installez-le dans Réglages (iPhone, iPad) ou Réglages Système (Mac). Le lien de téléchargement ne fonctionne qu'une fois, pendant quelques minutes.
stale-title = Ce lien de téléchargement a expiré
stale-text = Ce lien de profil a déjà servi ou est trop ancien. Obtenez un nouveau téléchargement ci-dessous.
fresh-download = Obtenir un nouveau téléchargement
back-home = Retour à vos appareils
sign-out = Se déconnecter
rotated-title = Ce lien a expiré
rotated-text = Ce lien d'inscription n'est plus valable. Demandez une nouvelle invitation à votre administrateur.
invalid-title = Lien inconnu
invalid-text = Ce n'est pas un lien d'inscription. Vérifiez l'adresse dans votre e-mail d'invitation.
csrf-title = Veuillez réessayer
csrf-text = Le formulaire n'a pas pu être vérifié (il a peut-être expiré). Revenez en arrière et envoyez-le à nouveau.
try-again = Réessayer
error-title = Une erreur est survenue
error-text = Le serveur n'a pas pu répondre. Réessayez dans un instant.

too-short = Trop court : au moins { $min } caractères.
too-long = Trop long : au plus { $max } caractères.
password-hint = Au moins { $min } caractères ; une phrase se retient facilement.
valid-minutes = Ce code est valable { $minutes } minutes et ne sert qu'une fois.
device-active = Actif
device-active-unmanaged = Actif, gestion désactivée
device-retired = Retiré
device-wiped = Effacé
device-reset = Réinitialisé
device-discovered = Trouvé par votre messagerie, non inscrit
wipe-link = Effacer…
wipe-title = Effacer cet appareil ?
wipe-warning = Tout le contenu de cet appareil sera effacé à sa prochaine connexion à votre messagerie. C'est irréversible.
wipe-confirm = Oui, l'effacer
wipe-requested-title = Effacement demandé
wipe-requested-text = L'appareil sera effacé à sa prochaine connexion.
wipe-warning-enrolled = Tout le contenu de cet appareil est effacé la prochaine fois qu'il contacte le serveur, et il n'est plus géré. C'est irréversible.
lock-link = Verrouiller…
lock-title = Verrouiller cet appareil ?
lock-warning = L'appareil se verrouille la prochaine fois qu'il contacte le serveur : le déverrouiller demande son code (un Mac : le code PIN affiché ensuite).
lock-confirm = Oui, le verrouiller
lock-requested-title = Verrouillage demandé
lock-requested-text = L'appareil se verrouillera la prochaine fois qu'il contactera le serveur.
retire-link = Retirer la gestion…
retire-title = Retirer la gestion de cet appareil ?
retire-warning = Le profil de gestion de votre organisation, et ce qu'il a installé, sont retirés la prochaine fois que l'appareil contacte le serveur. Vos données restent. Pour le gérer de nouveau, inscrivez-le de nouveau.
retire-confirm = Oui, retirer la gestion
retire-requested-title = Retrait demandé
retire-requested-text = La gestion sera retirée de l'appareil la prochaine fois qu'il contactera le serveur.
device-action-title = Votre appareil
device-action-not-found-text = Vous ne pouvez pas faire cela à cet appareil depuis cette page.
device-action-failed-text = La demande n'a pas pu être faite ; rien n'a été fait. Réessayez plus tard.
mac-pin = Conservez ce code PIN : votre Mac le demande pour se déverrouiller : { $pin }

## L'e-mail d'invitation (SPEC B2) : le lien d'inscription, le code PIN à usage unique s'il y en a un.

invitation-subject = Inscrivez votre appareil
invitation-hello = Bonjour { $name },
invitation-intro = Vous êtes invité à inscrire votre téléphone, tablette ou Mac. Ouvrez ce lien sur l'appareil :
invitation-pin = Votre code PIN à usage unique : { $pin } (valable { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    }, une seule fois).
invitation-steps = 1. Ouvrez le lien. 2. Connectez-vous avec votre adresse e-mail et votre mot de passe ou le PIN. 3. Suivez les étapes à l'écran.
invitation-lost = Invitation perdue ? Le même lien fonctionne à nouveau, ainsi que { $url }/go.

## L'invitation d'un utilisateur d'appareil non géré (MAM seul, SPEC C5).

mam-invitation-subject = Obtenez vos applications professionnelles
mam-invitation-intro = Votre organisation met ses applications à votre disposition sur votre téléphone ou tablette, sans gérer l'appareil. Ouvrez ceci sur l'appareil pour les voir :
mam-invitation-button = Commencer
mam-invitation-android = Android : pour installer des applications qui ne viennent pas de Google Play, autorisez les sources inconnues (Réglages > Sécurité > Sources inconnues).

## Le rappel d'une inscription Apple non terminée (SPEC D6).

enrolment-reminder-subject = Terminez l'inscription de votre appareil
enrolment-reminder-body = Vous avez téléchargé un profil de gestion pour votre { $device }, mais son installation n'a pas été terminée. Les profils ne sont valables que quelques minutes : ouvrez le lien ci-dessous sur l'appareil, connectez-vous, téléchargez-en un nouveau, puis installez-le dans Réglages.
enrolment-reminder-action = Reprendre l'inscription
push-expiry-subject = Le certificat de notification Apple de { $tenant } expire le { $date }
push-expiry-body = Le certificat de notification APNs de { $tenant } (sujet { $topic }) expire le { $date }, dans { $days } jours. Passé cette date, les appareils Apple ne reçoivent plus aucune notification : les commandes attendent que chaque appareil contacte le serveur de lui-même. Renouvelez-le sur le portail des certificats de notification d'Apple avec le même identifiant Apple (pour garder le même sujet), puis déposez le certificat renouvelé dans Corral.
