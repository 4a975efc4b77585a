# Corral, English: every text end users see (portal pages and e-mails).
# The French file has the same messages with the same variables (a test checks it).

## The portal (SPEC B3, B4, D5, I1, I2).

switch-label = Language
sign-in-title = Sign in
sign-in-intro = Sign in to register your phone, tablet or Mac.
email = E-mail address
password = Password
sign-in = Sign in
use-pin-instead = No password yet? Sign in with the one-time PIN from your invitation
wrong-credentials = The e-mail address or the password is wrong.
directory-unavailable = Your organisation's directory cannot be reached to check your password. Try again in a few minutes.
email-required = Enter your e-mail address.
password-required = Enter your password.
pin-title = One-time PIN
pin-intro = Enter the one-time PIN from your invitation e-mail.
pin = PIN
pin-hint = 8 digits, from your invitation e-mail.
continue = Continue
pin-required = Enter the PIN.
pin-wrong = This PIN is wrong. { $n ->
        [one] { $n } try left.
       *[other] { $n } tries left.
    }
pin-locked = Too many wrong tries: this PIN is locked. Ask your administrator for a new invitation.
pin-expired = This PIN has expired. Ask your administrator for a new invitation.
pin-none = No valid PIN for this address: it was already used or replaced. Ask your administrator for a new invitation.
pin-not-accepted = This e-mail address and PIN do not match a valid invitation. A PIN works once, expires, and stops working after 5 wrong tries: if yours did, ask your administrator for a new invitation.
account-locked = Too many failed attempts for this address. Try again in { $n ->
        [one] { $n } minute.
       *[other] { $n } minutes.
    }
back-to-sign-in = Back to sign-in
password-title = Choose your password
password-intro = Choose the password you will use from now on.
new-password = New password
confirm-password = Confirm the password
save-password = Save the password
passwords-differ = The two passwords are different.
too-simple = Too simple: use more different characters.
home-title = Your devices
apps-title = Your apps
apps-link = See your apps
apps-intro = Apps your organisation offers. Managed devices get them installed; here are their store pages and files.
apps-intro-unmanaged = Your organisation offers these apps for your own device. Install them yourself; your device is not managed, and only you can remove them.
no-apps = No apps are offered to you yet.
get-app = Get it from the store
download-app = Download
unknown-sources = Android: to install a downloaded app, allow installs from unknown sources (Settings > Security > Unknown sources).
no-such-app = App not available
no-such-app-text = This app is not offered to you, or it has been removed.
hello = Hello
registered-devices = Registered devices
no-devices = No device is registered yet.
register-title = Register a device
qr-intro = On an Android phone or an iPhone, scan this code with the Corral app.
qr-alt = QR code for device registration
qr-url-label = Or open this address in the app:
profile-title = Mac, iPhone or iPad
profile-intro = Download the management profile and install it in Settings.
profile-link = Download the management profile
profile-unavailable = Profile downloads are not available on this server yet. Ask your administrator.
profile-ios = Download for iPhone or iPad
profile-macos = Download for this Mac
profile-macos-user = Download for my account on this Mac only
profile-steps = Open the downloaded profile, then install it in Settings (iPhone, iPad) or System Settings (Mac). The download link works once, for a few minutes.
stale-title = This download link has expired
stale-text = This profile link was already used or is too old. Get a fresh download below.
fresh-download = Get a fresh download
back-home = Back to your devices
sign-out = Sign out
rotated-title = This link has expired
rotated-text = This registration link is no longer valid. Ask your administrator for a new invitation.
invalid-title = Unknown link
invalid-text = This is not a registration link. Check the address in your invitation e-mail.
csrf-title = Please try again
csrf-text = The form could not be verified (it may have expired). Go back and send it again.
try-again = Try again
error-title = Something went wrong
error-text = The server could not answer. Please try again in a moment.

too-short = Too short: use at least { $min } characters.
too-long = Too long: use at most { $max } characters.
password-hint = At least { $min } characters; a sentence is easy to remember.
valid-minutes = This code is valid for { $minutes } minutes and works once.
device-active = Active
device-active-unmanaged = Active, management switched off
device-retired = Retired
device-wiped = Wiped
device-reset = Reset
device-discovered = Found through your mailbox, not enrolled
wipe-link = Wipe…
wipe-title = Wipe this device?
wipe-warning = Everything on this device is erased the next time it connects to your mailbox. This cannot be undone.
wipe-confirm = Yes, wipe it
wipe-requested-title = Wipe requested
wipe-requested-text = The device will be wiped the next time it connects.
wipe-warning-enrolled = Everything on this device is erased the next time it connects to the server, and it is no longer managed. This cannot be undone.
lock-link = Lock…
lock-title = Lock this device?
lock-warning = The device locks the next time it connects to the server: unlocking it needs its passcode (a Mac: the PIN shown next).
lock-confirm = Yes, lock it
lock-requested-title = Lock requested
lock-requested-text = The device will lock the next time it connects to the server.
retire-link = Remove management…
retire-title = Remove management from this device?
retire-warning = Your organisation's management profile, and what it installed, are removed the next time the device connects to the server. Your own data stays. To manage it again, enrol it again.
retire-confirm = Yes, remove management
retire-requested-title = Removal requested
retire-requested-text = Management will be removed from the device the next time it connects to the server.
device-action-title = Your device
device-action-not-found-text = This device is not one you can do that to from here.
device-action-failed-text = This could not be requested; nothing was done. Try again later.
mac-pin = Keep this PIN: your Mac asks for it to unlock: { $pin }

## The invitation e-mail (SPEC B2): the registration link, the one-time PIN when there is one.

invitation-subject = Register your device
invitation-hello = Hello { $name },
invitation-intro = You are invited to register your phone, tablet or Mac. Open this link on the device:
invitation-pin = Your one-time PIN: { $pin } (valid { $days ->
        [one] { $days } day
       *[other] { $days } days
    }, single use).
invitation-steps = 1. Open the link. 2. Sign in with your e-mail address and your password or the PIN. 3. Follow the steps on screen.
invitation-lost = Lost this e-mail? The same link works again, as does { $url }/go.

## The invitation of an unmanaged-device (MAM-only) user (SPEC C5).

mam-invitation-subject = Get your work apps
mam-invitation-intro = Your organisation offers you its apps for your own phone or tablet, without managing the device. Open this on the device to see them:
mam-invitation-button = Get started
mam-invitation-android = Android: to install apps that do not come from Google Play, allow installs from unknown sources (Settings > Security > Unknown sources).

## The reminder of an Apple enrolment left unfinished (SPEC D6).

enrolment-reminder-subject = Finish enrolling your device
enrolment-reminder-body = You downloaded a management profile for your { $device } but its installation was not completed. Profiles are only valid for a few minutes: open the link below on the device, sign in and download a fresh one, then install it in Settings.
enrolment-reminder-action = Continue enrolment
push-expiry-subject = The Apple push certificate of { $tenant } expires on { $date }
push-expiry-body = The APNs push certificate of { $tenant } (topic { $topic }) expires on { $date }, in { $days } days. After that date Apple devices no longer receive any push: commands wait until each device contacts the server on its own. Renew it at Apple's Push Certificates Portal with the same Apple ID (so that the topic stays the same), then upload the renewed certificate to Corral.
