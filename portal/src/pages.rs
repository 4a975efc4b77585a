//! The portal's pages as Leptos components, rendered to HTML on the server. No page needs client
//! JavaScript: forms post to the server, which answers with the next page or with this page
//! again, each error printed next to its field (and tied to it with `aria-describedby`). The
//! layout is one narrow column that fits a 390-pixel phone screen.

use leptos::prelude::*;

use crate::backend::{Device, DeviceState, OwnAction, PortalApp, PortalUser};
use crate::i18n::{Lang, Texts};

/// What every page needs to know about the visit.
#[derive(Clone)]
pub struct Frame {
    pub lang: Lang,
    /// Path of this page (the language switch links back to it).
    pub here: String,
    /// `/r/<token>`: the tenant's registration URL path, prefix of every portal route.
    pub base: String,
    /// The CSRF token every form carries.
    pub csrf: String,
    /// The organisation whose portal this is (unknown on a dead link).
    pub tenant_name: Option<String>,
}

impl Frame {
    pub fn texts(&self) -> &'static Texts {
        crate::i18n::texts(self.lang)
    }
}

const CSS: &str = "
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;background:#f4f5f7}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1rem;background:#123a5a;color:#fff}
header a{color:#fff}
.brand{font-weight:700;letter-spacing:.02em}
main{max-width:28rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border-radius:.5rem;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.field{margin-bottom:1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=email],input[type=password],input[type=text]{width:100%;font-size:1rem;padding:.65rem;border:1px solid #8a94a0;border-radius:.35rem}
input[aria-invalid=true]{border-color:#b00020;border-width:2px}
.hint{margin:0 0 .25rem;color:#4a5561;font-size:.9rem}
.error{margin:.25rem 0 0;color:#b00020;font-weight:600}
button,.button{display:block;width:100%;font:inherit;padding:.75rem;border:0;border-radius:.35rem;background:#1565c0;color:#fff;text-align:center;text-decoration:none;cursor:pointer}
.choice{margin-top:.75rem}
.link-button{background:none;color:#1565c0;padding:.5rem 0;text-decoration:underline}
.qr svg{display:block;width:100%;max-width:16rem;height:auto;margin:0 auto}
.url{word-break:break-all;font-family:ui-monospace,monospace;font-size:.85rem;background:#eef1f4;padding:.5rem;border-radius:.25rem}
ul.devices{padding-left:1.2rem}
";

/// A whole HTML document.
pub fn document(frame: &Frame, title: &str, body: impl IntoView + 'static) -> String {
    let other = match frame.lang {
        Lang::En => (Lang::Fr, "Français"),
        Lang::Fr => (Lang::En, "English"),
    };
    let t = frame.texts();
    let switch = format!("{}?lang={}", frame.here, other.0.code());
    let html = Owner::new().with(|| {
        view! {
            <html lang=frame.lang.code()>
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <title>{format!("{title} · Corral")}</title>
                    <style inner_html=CSS></style>
                </head>
                <body>
                    <header>
                        <span class="brand">
                            {match &frame.tenant_name {
                                Some(name) => format!("Corral · {name}"),
                                None => "Corral".to_string(),
                            }}
                        </span>
                        <nav aria-label=t.switch_label>
                            <a href=switch hreflang=other.0.code() lang=other.0.code()>{other.1}</a>
                        </nav>
                    </header>
                    <main>
                        <h1>{title.to_string()}</h1>
                        {body}
                    </main>
                </body>
            </html>
        }
        .to_html()
    });
    format!("<!DOCTYPE html>{html}")
}

/// A labelled input with its hint and error.
#[component]
fn Field(
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] value: String,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional_no_strip)] hint: Option<String>,
    #[prop(optional_no_strip)] inputmode: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = match (hint.is_some(), error.is_some()) {
        (true, true) => Some(format!("{hint_id} {error_id}")),
        (true, false) => Some(hint_id.clone()),
        (false, true) => Some(error_id.clone()),
        (false, false) => None,
    };
    let value = (kind != "password").then_some(value);
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                value=value
                required=true
                aria-invalid=error.is_some().then_some("true")
                aria-describedby=described
            />
            {error.map(|e| view! { <p class="error" id=error_id>{e}</p> })}
        </div>
    }
}

#[component]
fn Csrf(token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=token/> }
}

/// Values and errors of a form shown again after a refused post.
#[derive(Default, Clone)]
pub struct SignInForm {
    pub email: String,
    pub email_error: Option<String>,
    pub password_error: Option<String>,
}

pub fn sign_in(frame: &Frame, form: SignInForm) -> String {
    let t = frame.texts();
    let body = view! {
        <p>{t.sign_in_intro}</p>
        <form class="card" method="post" action=format!("{}/sign-in", frame.base) novalidate=true>
            <Csrf token=frame.csrf.clone()/>
            <Field name="email" label=t.email kind="email" autocomplete="username"
                value=form.email error=form.email_error/>
            <Field name="password" label=t.password kind="password" autocomplete="current-password"
                error=form.password_error/>
            <button type="submit">{t.sign_in}</button>
        </form>
        <p><a href=format!("{}/pin", frame.base)>{t.use_pin_instead}</a></p>
    };
    document(frame, t.sign_in_title, body)
}

#[derive(Default, Clone)]
pub struct PinForm {
    /// Ask for the e-mail too (PIN-first sign-in); not when a session already knows the user.
    pub ask_email: bool,
    pub email: String,
    pub email_error: Option<String>,
    pub pin_error: Option<String>,
}

pub fn pin(frame: &Frame, form: PinForm) -> String {
    let t = frame.texts();
    let email = form.ask_email.then(|| {
        view! {
            <Field name="email" label=t.email kind="email" autocomplete="username"
                value=form.email error=form.email_error/>
        }
    });
    let body = view! {
        <p>{t.pin_intro}</p>
        <form class="card" method="post" action=format!("{}/pin", frame.base) novalidate=true>
            <Csrf token=frame.csrf.clone()/>
            {email}
            <Field name="pin" label=t.pin kind="text" autocomplete="one-time-code"
                inputmode=Some("numeric") hint=Some(t.pin_hint.to_string()) error=form.pin_error/>
            <button type="submit">{t.continue_}</button>
        </form>
        <p><a href=frame.base.clone()>{t.back_to_sign_in}</a></p>
    };
    document(frame, t.pin_title, body)
}

#[derive(Default, Clone)]
pub struct PasswordForm {
    pub password_error: Option<String>,
    pub confirm_error: Option<String>,
}

pub fn set_password(frame: &Frame, min_length: usize, form: PasswordForm) -> String {
    let t = frame.texts();
    let hint = t.password_hint(min_length);
    let body = view! {
        <p>{t.password_intro}</p>
        <form class="card" method="post" action=format!("{}/password", frame.base) novalidate=true>
            <Csrf token=frame.csrf.clone()/>
            <Field name="password" label=t.new_password kind="password" autocomplete="new-password"
                hint=Some(hint) error=form.password_error/>
            <Field name="confirm" label=t.confirm_password kind="password" autocomplete="new-password"
                error=form.confirm_error/>
            <button type="submit">{t.save_password}</button>
        </form>
    };
    document(frame, t.password_title, body)
}

pub struct Home {
    pub user: PortalUser,
    pub devices: Vec<Device>,
    /// The QR code as an SVG document.
    pub qr_svg: String,
    pub registration_url: String,
    pub valid_minutes: i64,
}

pub fn home(frame: &Frame, home: Home) -> String {
    let t = frame.texts();
    let devices = if home.devices.is_empty() {
        view! { <p>{t.no_devices}</p> }.into_any()
    } else {
        view! {
            <ul class="devices">
                {home
                    .devices
                    .into_iter()
                    .map(|d| {
                        let state = t.device_state(d.state, d.managed);
                        let actions = d
                            .actions
                            .iter()
                            .map(|a| {
                                let href =
                                    format!("{}/devices/{}/{}", frame.base, d.id, a.code());
                                let label = match a {
                                    OwnAction::Lock => t.lock_link,
                                    OwnAction::Wipe => t.wipe_link,
                                    OwnAction::Retire => t.retire_link,
                                };
                                view! { {" — "}<a href=href>{label}</a> }
                            })
                            .collect_view();
                        view! {
                            <li>
                                <strong>{d.name}</strong>
                                {format!(" — {} {} — ", d.platform, d.os_version)}
                                <span class="state">{state}</span>
                                {actions}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let body = view! {
        <p>{format!("{} {} {},", t.hello, home.user.first_name, home.user.last_name)}</p>
        <section class="card" aria-labelledby="devices-title">
            <h2 id="devices-title">{t.registered_devices}</h2>
            {devices}
        </section>
        <section class="card" aria-labelledby="register-title">
            <h2 id="register-title">{t.register_title}</h2>
            <p>{t.qr_intro}</p>
            <div class="qr" role="img" aria-label=t.qr_alt inner_html=home.qr_svg></div>
            <p>{t.valid_minutes(home.valid_minutes)}</p>
            <p id="registration-url-label">{t.qr_url_label}</p>
            <p class="url" aria-labelledby="registration-url-label" id="registration-url">
                {home.registration_url}
            </p>
        </section>
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">{t.profile_title}</h2>
            <p>{t.profile_intro}</p>
            <a class="button" href=format!("{}/profile", frame.base)>{t.profile_link}</a>
        </section>
        <section class="card" aria-labelledby="apps-title">
            <h2 id="apps-title">{t.apps_title}</h2>
            <a class="button" href=format!("{}/apps", frame.base)>{t.apps_link}</a>
        </section>
        <form method="post" action=format!("{}/sign-out", frame.base)>
            <Csrf token=frame.csrf.clone()/>
            <button type="submit" class="link-button">{t.sign_out}</button>
        </form>
    };
    document(frame, t.home_title, body)
}

pub fn apps(frame: &Frame, user: &PortalUser, apps: Vec<PortalApp>) -> String {
    let t = frame.texts();
    let unknown_sources = apps.iter().any(|a| a.android && a.in_house);
    let list = if apps.is_empty() {
        view! { <p>{t.no_apps}</p> }.into_any()
    } else {
        let base = frame.base.clone();
        view! {
            <ul class="apps">
                {apps
                    .into_iter()
                    .map(|a| {
                        let platform = if a.android { "Android" } else { "iOS" };
                        let link = match (a.store_url, a.in_house) {
                            (Some(url), _) => {
                                view! { <a href=url>{t.get_app}</a> }.into_any()
                            }
                            (None, true) => {
                                let href = format!("{base}/apps/{}/file", a.id);
                                view! { <a href=href>{t.download_app}</a> }.into_any()
                            }
                            (None, false) => view! { <span></span> }.into_any(),
                        };
                        view! {
                            <li>
                                <strong>{a.name}</strong>
                                {format!(" — {platform} — ")}
                                {link}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let intro = if user.unmanaged {
        t.apps_intro_unmanaged
    } else {
        t.apps_intro
    };
    let body = view! {
        <p>{format!("{} {} {},", t.hello, user.first_name, user.last_name)}</p>
        <section class="card" aria-labelledby="apps-title">
            <h2 id="apps-title">{t.apps_title}</h2>
            <p>{intro}</p>
            {list}
            {unknown_sources.then(|| view! { <p class="note">{t.unknown_sources}</p> })}
        </section>
        {(!user.unmanaged).then(|| view! {
            <p><a href=format!("{}/home", frame.base)>{t.back_home}</a></p>
        })}
        <form method="post" action=format!("{}/sign-out", frame.base)>
            <Csrf token=frame.csrf.clone()/>
            <button type="submit" class="link-button">{t.sign_out}</button>
        </form>
    };
    document(frame, t.apps_title, body)
}

pub fn profile(frame: &Frame, available: bool) -> String {
    let t = frame.texts();
    let choices = if available {
        let action = format!("{}/profile", frame.base);
        let choice = move |kind: &'static str, label: &'static str| {
            view! {
                <form method="post" action=action.clone() class="choice">
                    <Csrf token=frame.csrf.clone()/>
                    <input type="hidden" name="kind" value=kind/>
                    <button type="submit">{label}</button>
                </form>
            }
        };
        view! {
            <div class="card">
                <p>{t.profile_steps}</p>
                {choice("ios", t.profile_ios)}
                {choice("macos", t.profile_macos)}
                {choice("macos-user", t.profile_macos_user)}
            </div>
        }
        .into_any()
    } else {
        view! { <p class="card" role="alert">{t.profile_unavailable}</p> }.into_any()
    };
    let body = view! {
        <p>{t.profile_intro}</p>
        {choices}
        <p><a href=format!("{}/home", frame.base)>{t.back_home}</a></p>
    };
    document(frame, t.profile_title, body)
}

/// The confirmation before a user locks, wipes or retires their own device (SPEC G4, I1):
/// nothing happens until the form is posted.
pub fn device_action(frame: &Frame, device: &Device, action: OwnAction) -> String {
    let t = frame.texts();
    let post = format!("{}/devices/{}/{}", frame.base, device.id, action.code());
    let (title, warning, confirm) = match action {
        OwnAction::Lock => (t.lock_title, t.lock_warning, t.lock_confirm),
        OwnAction::Retire => (t.retire_title, t.retire_warning, t.retire_confirm),
        OwnAction::Wipe if device.state == DeviceState::Discovered => {
            (t.wipe_title, t.wipe_warning, t.wipe_confirm)
        }
        OwnAction::Wipe => (t.wipe_title, t.wipe_warning_enrolled, t.wipe_confirm),
    };
    let body = view! {
        <section class="card">
            <p><strong>{device.name.clone()}</strong>
                {format!(" — {} {}", device.platform, device.os_version)}</p>
            <p role="alert">{warning}</p>
            <form method="post" action=post>
                <Csrf token=frame.csrf.clone()/>
                <button type="submit" class="danger">{confirm}</button>
            </form>
        </section>
        <p><a href=format!("{}/home", frame.base)>{t.back_home}</a></p>
    };
    document(frame, title, body)
}

/// What the user asked for is queued; a Mac's PIN is shown once, here.
pub fn device_action_requested(frame: &Frame, action: OwnAction, pin: Option<&str>) -> String {
    let t = frame.texts();
    let (title, text) = match action {
        OwnAction::Lock => (t.lock_requested_title, t.lock_requested_text),
        OwnAction::Wipe => (t.wipe_requested_title, t.wipe_requested_text),
        OwnAction::Retire => (t.retire_requested_title, t.retire_requested_text),
    };
    let pin = pin.map(|p| view! { <p class="pin" role="status">{t.mac_pin(p)}</p> });
    let body = view! {
        <section class="card">
            <p>{text}</p>
            {pin}
        </section>
        <p><a href=format!("{}/home", frame.base)>{t.back_home}</a></p>
    };
    document(frame, title, body)
}

/// A page that explains why the visit stops here, with one way on.
pub fn notice(
    frame: &Frame,
    title: &'static str,
    text: &'static str,
    link: Option<(String, &'static str)>,
) -> String {
    let body = view! {
        <p class="card" role="alert">{text}</p>
        {link.map(|(href, label)| view! { <p><a href=href>{label}</a></p> })}
    };
    document(frame, title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(lang: Lang) -> Frame {
        Frame {
            lang,
            here: "/r/t".into(),
            base: "/r/t".into(),
            csrf: "tok<en>".into(),
            tenant_name: Some("Acme & Co".into()),
        }
    }

    #[test]
    fn sign_in_page_labels_fields_and_ties_errors_to_them() {
        let html = sign_in(
            &frame(Lang::En),
            SignInForm {
                email: "a\"b@example.com".into(),
                email_error: None,
                password_error: Some("wrong".into()),
            },
        );
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{html}"
        );
        assert!(
            html.contains("<label for=\"email\">E-mail address</label>"),
            "{html}"
        );
        assert!(
            html.contains("<label for=\"password\">Password</label>"),
            "{html}"
        );
        assert!(
            html.contains("aria-describedby=\"password-error\"")
                && html.contains("<p id=\"password-error\" class=\"error\">wrong</p>"),
            "{html}"
        );
        // Values are escaped; the password is never echoed back.
        assert!(html.contains("value=\"a&quot;b@example.com\""), "{html}");
        assert!(html.contains("value=\"tok&lt;en&gt;\""), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("href=\"/r/t?lang=fr\""), "{html}");
        assert!(html.contains("Corral · Acme &amp; Co"), "{html}");
    }

    #[test]
    fn pages_are_french_when_asked() {
        let html = pin(
            &frame(Lang::Fr),
            PinForm {
                ask_email: true,
                ..Default::default()
            },
        );
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(html.contains("Code PIN à usage unique"), "{html}");
        assert!(html.contains("Adresse e-mail"), "{html}");
    }
}
