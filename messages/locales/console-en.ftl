# Corral, English: the administrator console (SPEC A2 to A6, C1 to C4).
# Every id starts with console-; console-fr.ftl has the same messages with the same variables.

## Layout
console-skip-to-content = Skip to the content
console-menu = Console menu
console-switch-label = Language
console-sign-out = Sign out
console-problems = There is a problem
console-pages = Pages
console-previous = Previous
console-next = Next
console-role-owner = owner
console-role-admin = administrator
console-rows-of = { $first }–{ $last } of { $total }

## Errors
console-csrf-title = This form has expired
console-csrf-text = The page was open too long or came from another site. Nothing was changed: open the page again and retry.
console-forbidden-title = Not allowed
console-not-found-title = Not found
console-error-title = Something went wrong
console-error-text = The server could not answer. Nothing was lost: try again in a moment.

## Sign-in (SPEC A3)
console-sign-in-title = Sign in to the console
console-sign-in-intro = Administrators sign in with their password and the code of their authenticator app.
console-tenant = Organisation
console-email = E-mail address
console-password = Password
console-totp-code = Authenticator code
console-totp-code-hint = 6 digits from your authenticator app. Leave empty on your first sign-in: you will set the app up next.
console-sign-in = Sign in
console-sign-in-refused = The organisation, e-mail address, password or code was not accepted.
console-tenant-required = Enter your organisation.
console-email-required = Enter your e-mail address.
console-password-required = Enter your password.
console-totp-required = Enter the 6-digit code.
console-locked = Too many failed attempts. Try again in { $n ->
        [one] { $n } minute.
       *[other] { $n } minutes.
    }
console-enrol-title = Set up your authenticator app
console-enrol-intro = This is your first sign-in. Scan the QR code with an authenticator app (or type the key), then enter the code it shows to finish.
console-enrol-qr-alt = QR code to add this account to an authenticator app
console-enrol-key = Key:
console-enrol-code-hint = The 6-digit code your app shows now for this account.
console-enrol-confirm = Finish and sign in
console-enrol-expired = This set-up page has expired. Sign in again.
console-totp-refused = This code is not the one expected. Check the app's clock and the account, then try the next code.

## Menu
console-menu-users = Users
console-menu-unmanaged = Unmanaged devices
console-menu-apps = Apps
console-menu-devices = Devices
console-menu-enrolment = Enrolment
console-menu-configurations = Configurations
console-menu-plugins = Plugins
console-menu-admins = Administrators
console-menu-history = History

## Users
console-users-title = Users
console-users-lead = The people who enrol devices or receive apps.
console-users-caption = Users of the organisation
console-search = Search
console-search-label = E-mail or name starts with
console-first-name = First name
console-last-name = Last name
console-source = Source
console-password-set = Password
console-unmanaged = Unmanaged
console-yes = yes
console-no = no
console-no-users = No user matches.
console-add-user = Add a user
console-add-user-submit = Add the user
console-initial-password = Initial password
console-initial-password-hint = Optional: without one, the user sets a password from the invitation's one-time PIN.
console-unmanaged-label = Unmanaged-device user (gets apps, never enrols a device)
console-user-added = The user was added.
console-invite-selected = Invite the selected users
console-label-selected = Label as unmanaged
console-unlabel-selected = Remove the unmanaged label
console-select-user = Select { $email }
console-selected = { $n ->
        [one] { $n } user selected
       *[other] { $n } users selected
    }
console-invitations-sent = Invitations sent.
console-labels-changed = Labels changed.
console-nothing-selected = Select at least one user first.
console-confirm-label-title = Change the unmanaged label?
console-confirm-label-intro = These users will be changed:
console-selection-action = What to do with the selection
console-invite-now = Send the invitation now
console-confirm = Confirm
console-cancel = Cancel
console-created = Created
console-user-details = Details
console-user-saved = The user is saved.
console-user-deleted = The user was deleted.
console-delete-user = Delete the user
console-confirm-delete-user = I understand that the user, their PIN and their pending invitations are deleted.
console-user-devices = Their devices
console-invite-one = Send an invitation

## Administrators (SPEC A2, A3)
console-admins-title = Administrators
console-admins-lead = Who runs this organisation's console and API. Owners manage administrators.
console-admins-caption = Administrators of the organisation
console-role-label = Role
console-exchange-permissions = Exchange permissions
console-all-permissions = all (owner)
console-perm-modify-site = Add, edit or remove connectors
console-perm-modify-connector-policy = Change a connector's policy
console-perm-delete-resource = Wipe a device
console-perm-modify-resource = Cancel a wipe, allow or block a device
console-add-admin = Add an administrator
console-add-admin-submit = Add the administrator
console-admin-password-hint = Give it to them privately. At their first sign-in they set up their authenticator app from a QR code.
console-admin-added = The administrator was added.
console-admin-saved = The changes were saved.
console-admin-deleted = The administrator was removed.
console-edit-admin = Role and permissions
console-save = Save
console-delete-admin = Remove this administrator
console-delete-admin-warning = They are signed out at once and can no longer sign in. The organisation keeps at least one owner.
console-back-to-list = Back to the list
console-history-link = History

## History (SPEC A4)
console-history-title = History
console-history-lead = Every change in the organisation, newest first: who, what, when.
console-history-caption = Changes
console-filter = Filter
console-object-type = Object type
console-object-id = Object id
console-actor = By (e-mail starts with)
console-from-date = From
console-to-date = To
console-date-format = Give a date as yyyy-mm-dd.
console-when = When
console-object = Object
console-action = Action
console-change = Change
console-no-history = No change matches.

## Unmanaged devices (SPEC C1 to C4)
console-unmanaged-title = Unmanaged devices
console-unmanaged-lead = Users who get apps on their own devices without enrolling them (MAM only).
console-state = State
console-state-off = off
console-state-on = on
console-state-deactivated = switched off for good
console-changed-at = Since
console-default-allow-new-apps = Allow new catalogue apps on unmanaged devices by default
console-unmanaged-enable = Switch unmanaged devices on
console-unmanaged-enabled = Unmanaged devices are on.
console-unmanaged-deactivate = Switch unmanaged devices off for good
console-unmanaged-deactivated = Unmanaged devices are switched off for good.
console-deactivation-will = Switching off will, at once and for good:
console-users-converted = { $n ->
        [one] turn { $n } unmanaged user back into an MDM user:
       *[other] turn { $n } unmanaged users back into MDM users:
    }
console-apps-reset = { $n ->
        [one] stop allowing { $n } app on unmanaged devices:
       *[other] stop allowing { $n } apps on unmanaged devices:
    }
console-default-restored = restore the catalogue's default for new apps;
console-apps-stay = leave the apps already on users' devices where they are;
console-no-way-back = and the feature can never be switched on again.
console-confirmation = Confirmation
console-confirmation-hint = Type exactly: { $sentence }

## Devices
console-devices-title = Devices
console-devices-lead = Every device of the tenant. Open one to see its history and act on it.
console-devices-caption = Devices
console-device-active = active
console-device-retired = retired
console-device-wiped = wiped
console-device-reset = reset by the server
console-source-apple = Apple
console-source-portal = Portal
console-any = Any
console-platform = Platform
console-owner-search = Owner (e-mail starts with)
console-owner = Owner
console-device-name = Name
console-model = Model
console-registered = Registered
console-no-devices = No device matches.
console-device-deleted = The device was deleted.
console-hardware-id = Hardware id
console-under-management = Under management
console-registrations = Registrations
console-archived = Archived
console-archived-entry = an older entry of a device that registered again
console-plugin-off = plugin off
console-managed-by = Managed by
console-vendor-name = Name at the vendor
console-compliant-since = Compliant since
console-reset-reason = Reset by the server
console-command-sent = The command went to the device.
console-device-retired-done = The device is retired: it is no longer managed.
console-device-wiped-done = The device is marked wiped.
console-act-lock = Lock
console-act-reboot = Restart
console-act-sync = Sync
console-act-retire = Retire
console-device-actions = Actions
console-act-wipe = Wipe
console-confirm-wipe = I understand that this erases the device.
console-wipe-at-vendor = The vendor factory-resets the device.
console-wipe-state-only = The device is marked wiped and no longer managed; it may register again.
console-wipe-reason = Reason shown on the device
console-preserve-reset-protection = Keep factory-reset protection
console-act-delete = Delete
console-confirm-delete = I understand that the device's entry is deleted.
console-device-history = History of this device
console-confirm-required = Tick the box to confirm.
console-unknown-action = This action is unknown.
console-device-awaiting = awaiting enrolment
console-device-discovered = discovered
console-platform-other = other
console-reported-by-vendor = What the vendor reports
console-owner-link-title = User of this device
console-owner-email = User's e-mail address
console-owner-email-hint = The vendor does not say whose device this is: link it to its user by hand. Empty: linked to nobody.
console-owner-link-save = Save the user
console-owner-set-done = The device's user is saved.
console-no-user-with-email = No user of this tenant has this e-mail address.
console-wipe-discovered = The vendor (the mail server) wipes the device at its next connection.

## Directory
console-directory-link = Import users from the directory
console-directory-title = Directory
console-directory-lead = The tenant's LDAP directory: search it, then import the people you choose as users.
console-directory-saved = The directory answered; its settings are saved.
console-users-imported = The chosen entries are now users.
console-directory-search = E-mail starts with
console-already-imported = already a user
console-dn = Distinguished name
console-directory-entries = Directory entries
console-no-entries = No entry matches.
console-import-selected = Import the selection
console-directory-settings = Directory settings
console-bind-password = Service account password
console-write-only-kept = Never shown. Leave it empty to keep the one stored.
console-save-and-try = Try and save
console-ldap-url = Directory URL
console-bind-dn = Service account (bind DN)
console-base-dn = Where users are (base DN)
console-user-filter = User filter
console-email-attribute = E-mail attribute
console-first-name-attribute = First name attribute
console-last-name-attribute = Last name attribute

## Uploads
console-upload-too-large = The file is larger than the server takes.

## Plugins
console-plugins-title = Plugins
console-plugins-lead = The components that talk to vendors for this tenant: upload, activate, roll back, allow.
console-plugin-deleted = The plugin and its data were removed.
console-plugin-name = Plugin
console-vendor = Vendor
console-active-version = Active version
console-versions = Versions
console-updated = Updated
console-no-plugins = No plugin yet.
console-upload-plugin = Upload a plugin
console-upload = Upload
console-component-file = Component (.wasm)
console-component-hint = A WebAssembly component built against the corral:plugin WIT. A component naming a plugin already here becomes its next version.
console-choose-file = Choose a file.
console-version-uploaded = Uploaded version
console-plugin-activated = The version is active.
console-plugin-deactivated = The plugin is off.
console-version-deleted = The version was deleted.
console-grants-saved = What the plugin may use is saved.
console-settings-saved = The plugin accepted its settings.
console-credential-saved = The credential is sealed and saved.
console-credential-deleted = The credential was deleted.
console-plugin-configurations = Its configurations
console-roll-back-to = Roll back to this one
console-activate = Activate
console-delete-version = Delete
console-version = Version
console-world-version = WIT
console-size = Size
console-requested-capabilities = Asks for
console-uploaded-by = Uploaded by
console-uploaded-at = Uploaded
console-active = active
console-switch-plugin-off = Switch the plugin off
console-requested = requested
console-allowed-capabilities = Capabilities allowed
console-http-allow-hosts = HTTPS hosts it may reach
console-http-allow-hosts-hint = One per line, e.g. api.example.com or *.example.com.
console-grants = What it may use
console-plugin-settings = Settings
console-credential = Credential
console-credential-account = Account
console-token-uri = Token endpoint
console-no-credential = No credential stored.
console-service-account-key = Service-account key (JSON)
console-service-account-key-hint = Paste the key file as the vendor issued it. It is sealed and never shown again.
console-service-account-key-invalid = This is not a service-account key file
console-client-credentials = Or an OAuth 2 client (client id and secret)
console-client-id = Client id
console-client-secret = Client secret
console-client-secret-hint = Sealed and never shown again. Tokens are asked at the token endpoint with the client credentials grant.
console-delete-credential = Delete the credential
console-action-result = Answer of
console-action-input = Input (JSON)
console-json-invalid = This is not JSON
console-plugin-actions = Actions
console-delete-plugin = Delete the plugin
console-confirm-delete-plugin = I understand that every version and the plugin's data are removed.
console-device-inventory = Devices
console-sync-devices = Bring the device inventory up to date now
console-sync-devices-hint = The plugin reports every device its vendor lists; the scheduled job does the same regularly.
console-devices-reported = Devices reported by the plugin:

## Forms from a plugin's schema
console-not-set = (not set)
console-one-per-line = One per line.
console-as-json = As JSON.
console-whole-number = Give a whole number.
console-a-number = Give a number.

## Configurations (SPEC E4)
console-configurations-title = Configurations
console-configurations-lead = What each plugin applies to devices. For each kind, a device takes the configuration with the highest priority among those distributed to it.
console-no-configurable-plugins = No active plugin offers configurations. Activate one on the Plugins page.
console-configuration-kinds = Kinds
console-configuration-count = Configurations
console-new-configuration = New configuration
console-configuration-name = Name
console-configuration-kind = Kind
console-priority = Priority
console-priority-hint = Higher wins when several configurations of one kind reach a device; within a kind each priority is used once.
console-distribution = Distributed to
console-distribution-none = No device
console-distribution-all = Every device
console-distribution-custom = The devices listed below
console-distribution-devices = Devices (ids)
console-distribution-devices-hint = One device id per line, as shown on each device's page; used when the configuration goes to the devices listed.
console-configuration-body = Settings
console-body-json = Configuration (JSON)
console-body-json-hint = In the plugin's own schema.
console-configuration-created = The plugin accepted the configuration; it is saved and being delivered.
console-configuration-saved = The plugin accepted the change; it is saved and being delivered.
console-configuration-deleted = The configuration was deleted; the devices it reached are being told.
console-delivery = Delivery to the plugin
console-delivery-done = Delivered
console-delivery-pending = Not delivered yet
console-delivery-attempts = Failed attempts
console-delivery-last-error = Last error
console-delivery-next = Next attempt
console-preview = Show the vendor document
console-vendor-document = Vendor document
console-media-type = Media type
console-delete-configuration = Delete the configuration
console-confirm-delete-configuration = I understand that the devices it reaches lose it.
console-plugin-off-configurations = The plugin is off: activate one of its versions to add or change its configurations.
console-unknown-kind = This plugin offers no such kind of configuration.
console-all-configurations = All configurations
console-no-configurations = No configuration yet.

## Apps (SPEC C2, E7)
console-apps-title = Apps
console-apps-lead = The catalogue: store and business apps by their store id, in-house apps by their file. Unmanaged-device users only get the apps allowed on unmanaged devices.
console-no-apps = No app yet.
console-app-name = Name
console-app-kind = Kind
console-kind-store = Store app
console-kind-business = Business app
console-kind-in-house = In-house app
console-store-id = Package name or App Store id
console-store-id-hint = Android: the package name, e.g. com.example.app. iOS: the numeric App Store id, e.g. 284882215.
console-install-on-device = Install on managed devices when assigned
console-silent-install = Install without asking the user (managed devices)
console-allow-unmanaged = Allow distribution of this app to unmanaged devices
console-allow-unmanaged-off = Switch unmanaged devices on (Unmanaged devices page) to allow apps on them.
console-unmanaged-allowed = unmanaged devices
console-add-app = Add a store or business app
console-upload-app = Upload an in-house app
console-app-file = App file (.apk or .ipa)
console-app-file-hint = At most 200 MB: an .apk for Android, an .ipa for iOS.
console-app-name-hint = Left empty, the file's name.
console-app-added = The app is in the catalogue.
console-app-saved = The app's settings are saved.
console-app-deleted = The app was removed from the catalogue.
console-app-settings = Settings
console-app-store-page = Store page
console-app-file-name = File
console-download-file = Download the file
console-delete-app = Remove the app
console-confirm-delete-app = I understand that users no longer get this app.
console-add = Add

## Enrolment (SPEC B, E2)
console-enrolment-title = Enrolment
console-enrolment-lead = How people enrol their devices: the registration link, its PIN, and the plugins' enrolment profiles.
console-registration-link = Registration link
console-registration-link-text = The link users open to register (invitations carry it):
console-registration-qr-alt = QR code of the registration link
console-rotate-key = Replace the link
console-confirm-rotate-key = I understand that every link handed out before stops working.
console-key-rotated = The registration link was replaced; earlier links no longer work.
console-registration-settings = Registration settings
console-language = Language of invitations and the portal's default
console-require-registration-pin = Registering requires a one-time PIN, even for users who have a password
console-pin-validity-hours = PIN validity (hours)
console-pin-validity-hint = 1 to 2160 hours (90 days); 168 is a week.
console-registration-saved = The registration settings are saved.
console-enrolment-profiles = Enrolment profiles
console-enrolment-profiles-of = Enrolment profiles of
console-no-profiles = No enrolment profile yet.
console-no-token-plugins = No active plugin creates enrolment tokens. Activate one (for Android, the AMAPI plugin) on the Plugins page.
console-new-profile = New enrolment profile
console-profile-name = Name
console-profile-description = Description
console-profile-owner = Owner's e-mail
console-profile-owner-hint = The user the devices enrolled with this profile will belong to.
console-no-such-owner = No user of this organisation has this e-mail.
console-validity-days = Token validity (days)
console-validity-days-hint = 1 to 30 days. Changing it replaces the token: print the new QR code.
console-profile-attributes = Attributes
console-profile-attributes-hint = One per line, name=value (at most 20); fixed once the profile exists.
console-attribute-line-invalid = Write each attribute as name=value.
console-create-profile = Create the profile and its token
console-profile-created = The profile and its token are ready.
console-profile-saved = The token was replaced with one of the new validity.
console-profile-deleted = The profile and its token were deleted.
console-token = Token
console-token-expires = Token expires
console-token-qr-alt = QR code to enrol a device with this profile
console-token-qr-text = What the QR code holds:
console-change-validity = Replace the token
console-delete-profile = Delete the profile
console-confirm-delete-profile = I understand that devices can no longer enrol with its token.
console-outgoing-mail = Outgoing mail
console-mail-recipient = To
console-mail-subject = Subject
console-mail-status = Status
console-mail-attempts = Attempts
console-no-mail = No mail sent yet.
console-apple-certificates = Apple certificates
console-apple-certificates-lead = The organisation's certificate authority, the trust anchor of device identities and profile signatures, and the certificate that signs the profiles users download.
console-ca-certificate = Certificate authority (PEM)
console-signing-certificate = Profile-signing certificate (PEM)

## collections
console-back-to-plugin = Back to the plugin
console-action-done = Done.
console-search-items = Search
console-item = Item
console-first-page = First page
console-no-items = Nothing here.
console-collection-actions = Actions
console-upload-and-start = Upload and start
console-csv-file = CSV file
console-csv-columns = Columns
console-csv-file-required = Choose the CSV file to upload.
console-item-actions = Actions
console-confirm-irreversible = I understand this cannot be undone
console-irreversible-title = This cannot be undone
console-back = Back

## imports
console-menu-imports = Imports
console-import-queued = Queued
console-import-validating = Checking rows
console-import-applying = Sending
console-import-done = Done
console-import-failed = Failed
console-notifications = Notifications
console-notification = Notification
console-no-notifications = No notifications.
console-imports-caption = Imports
console-file = File
console-import-kind = Import
console-rows-progress = Rows
console-uploaded = Uploaded
console-no-imports = No imports yet: upload a file from a plugin’s collection.
console-imports-title = Imports
console-imports-lead = Files of devices sent to a vendor through a plugin, and how they went.
console-rows-checked = Rows checked
console-rows-sent = Rows sent to the vendor
console-rows-total = Rows in the file
console-rows-read = Rows read
console-rows-valid = Valid rows
console-rows-invalid = Refused rows
console-rows-applied = Applied
console-rows-failed = Failed at the vendor
console-import-error = Error
console-failed-rows = Failed rows
console-failed-rows-csv = Failed rows (CSV)
console-import-title = Import
console-import-running-lead = Under way: this page reloads every few seconds. You can leave it; the import goes on.
console-import-ended-lead = Ended.
console-line = Line
console-row-fields = Fields
console-reason = Reason
console-no-failed-rows = No failed rows.
console-back-to-import = Back to the import
console-import-counts = { $read } of { $total } read, { $applied } applied, { $failed } failed

# provisioning (who provisions each device)
console-menu-provisioning = Provisioning
console-provisioning-title = Who provisions each device
console-provisioning-lead = Devices registered at zero-touch, Knox Mobile Enrollment or both: the service that provisions each at its next factory reset, and why.
console-provisioning-caption = Provisioning decisions
console-provisioning-kme = Knox Mobile Enrollment
console-provisioning-zero-touch = Zero-touch
console-provisioning-none = Neither
console-provisioning-undecided = Undecided
console-provisioning-by = Provisioned by
console-provisioning-reason-code = Reason code
console-provisioning-search = Serial number or IMEI
console-provisioning-device = Device
console-provisioning-imeis = IMEIs
console-provisioning-configuration = Configuration
console-provisioning-reason = Why
console-provisioning-remedy = To change it
console-provisioning-empty = No device is registered at a provisioning service a plugin decides about.

## Apple commands and push (issue 25)
console-apple-commands = MDM commands
console-apple-commands-lead = Commands go to the device one at a time, highest priority first, when it next contacts the server; a push through Apple wakes it.
console-push-topic = Push topic
console-last-contact = Last contact
console-last-push = Last push
console-push-refused = Push refused by Apple
console-never = never
console-command = Command
console-requested-by = Requested by
console-command-sends = Sent
console-answered = Answered
console-command-pin = PIN
console-no-commands = No command was sent to this device.
console-send-command = Send a command
console-command-hint = The lock screen shows the message and the phone number, if given. To erase the device, use Wipe below.
console-command-mac-hint = A Mac’s lock gets a new 6-digit PIN, shown in the command’s line: give it to the device’s user. To erase the device, use Wipe below.
console-lock-message = Message on the lock screen (DeviceLock)
console-lock-phone = Phone number on the lock screen (DeviceLock)
console-profile-identifier = Profile identifier (RemoveProfile)
console-command-priority = Priority
console-command-priority-hint = From -100 to 100; higher goes first, then the oldest.
console-command-pending = pending
console-command-not-now = not now
console-command-acknowledged = acknowledged
console-command-error = error
console-command-format-error = format error
console-command-cancelled-status = cancelled
console-cmd-device-information = Device information (DeviceInformation)
console-cmd-security-info = Security information (SecurityInfo)
console-cmd-installed-applications = Installed apps (InstalledApplicationList)
console-cmd-profile-list = Installed profiles (ProfileList)
console-cmd-device-lock = Lock (DeviceLock)
console-cmd-restart-device = Restart (RestartDevice)
console-cmd-remove-profile = Remove a profile (RemoveProfile)
console-last-sent = Last sent
console-command-queued = The command is queued; the device is woken by a push.
console-command-cancelled = The command is cancelled: the device will not get it.
console-back-to-device = Back to the device
console-error-chain = Error chain
console-device-answer = The device’s answer
console-cancel-command = Cancel the command
console-wipe-apple = The device gets Apple’s EraseDevice command at its next contact, before anything else queued (a Mac with a new PIN, shown in its commands); its other waiting commands are cancelled.
console-push-certificate-title = APNs push certificate
console-push-certificate-lead = Apple’s MDM push certificate lets the server wake enrolled devices. New enrolment profiles name its topic. Renew it each year at Apple’s Push Certificates Portal with the same Apple ID, so that its topic stays the same.
console-push-certificate-link = APNs push certificate
console-push-certificate-installed = The push certificate is installed; its key is kept sealed and never shown.
console-back-to-enrolment = Back to enrolment
console-no-push-certificate = No push certificate yet: commands wait until devices contact the server on their own.
console-push-renew-title = Renew the push certificate
console-push-renew = Once it has expired, no device can be woken. Renew it at Apple with the same Apple ID (same topic) and upload the new one here.
console-push-expired = expired
console-expiry = Expiry
console-valid-from = Valid from
console-valid-until = Valid until
console-serial-number = Serial number
console-owners-warned = Owners warned by e-mail
console-devices-on-other-topics = Enrolled devices on another topic (no push)
console-upload-push-certificate = Upload a push certificate
console-push-certificate-pem = Certificate (PEM)
console-push-key-pem = Private key (PEM, unencrypted)
console-confirm-topic-change = Install it even if its topic is not the one enrolled devices listen on (they get no push until they enrol again)
console-push-expires-soon = expires in { $n ->
        [one] { $n } day
       *[other] { $n } days
    }
console-push-valid = valid, { $n ->
        [one] { $n } day left
       *[other] { $n } days left
    }
