//! Turns a [`Page`] into a whole HTML document with Leptos, on the server. One layout for every
//! page: a skip link, the top bar (organisation, who is signed in, language, sign-out), the
//! menu of the pages this administrator may open, then the page. Forms get their CSRF token,
//! an error summary linked to the fields, and focus on the first field in error.

use leptos::prelude::*;

use crate::i18n::{texts, Lang, Texts};
use crate::kit::*;

/// The page as an HTML document.
pub fn render(shell: &Shell, page: Page) -> String {
    let t = texts(shell.lang);
    let other = match shell.lang {
        Lang::En => (Lang::Fr, "Français"),
        Lang::Fr => (Lang::En, "English"),
    };
    let switch = with_lang(&shell.here, other.0.code());
    let title = format!("{} · Corral", page.title);
    let csrf = shell.csrf.clone();
    let who = shell.who.clone().map(|who| {
        view! {
            <p class="who">
                <span class="tenant">{who.tenant}</span>
                <span>{format!("{} ({})", who.email, who.role)}</span>
            </p>
            <form method="post" action="/console/sign-out" class="sign-out">
                <input type="hidden" name="csrf" value=csrf.clone()/>
                <button type="submit" class="quiet">{t.sign_out}</button>
            </form>
        }
    });
    let menu = (!shell.menu.is_empty()).then(|| {
        let items = shell
            .menu
            .iter()
            .map(|item| {
                let current = (Some(item.key) == shell.current).then_some("page");
                view! { <li><a href=item.href.clone() aria-current=current>{item.label.clone()}</a></li> }
            })
            .collect_view();
        view! { <nav class="menu" aria-label=t.menu><ul>{items}</ul></nav> }
    });
    let notice = page.notice.map(|n| match n {
        Notice::Done(text) => view! { <p class="notice done" role="status">{text}</p> }.into_any(),
        Notice::Failed(text) => {
            view! { <p class="notice failed" role="alert">{text}</p> }.into_any()
        }
    });
    let lead = page.lead.map(|l| view! { <p class="lead">{l}</p> });
    let refresh = page
        .refresh
        .map(|s| view! { <meta http-equiv="refresh" content=s.to_string()/> });
    let mut focus = Focus::default();
    let blocks = page
        .blocks
        .into_iter()
        .map(|b| block(t, &shell.csrf, &mut focus, b))
        .collect_view();
    let html = Owner::new().with(|| {
        view! {
            <html lang=shell.lang.code()>
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <title>{title}</title>
                    {refresh}
                    <link rel="stylesheet" href=crate::STYLESHEET_PATH/>
                </head>
                <body>
                    <a class="skip" href="#main">{t.skip_to_content}</a>
                    <header class="top">
                        <span class="brand">"Corral"</span>
                        {who}
                        <nav class="lang" aria-label=t.switch_label>
                            <a href=switch hreflang=other.0.code() lang=other.0.code()>{other.1}</a>
                        </nav>
                    </header>
                    <div class="frame">
                        {menu}
                        <main id="main" tabindex="-1">
                            <h1>{page.title}</h1>
                            {lead}
                            {notice}
                            {blocks}
                        </main>
                    </div>
                </body>
            </html>
        }
        .to_html()
    });
    format!("<!DOCTYPE html>{html}")
}

/// `here` with its `lang` parameter set to `code`.
fn with_lang(here: &str, code: &str) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    let lang = format!("lang={code}");
    params.push(&lang);
    format!("{path}?{}", params.join("&"))
}

/// Whether a field has taken the focus yet: the first field in error of the page gets it.
#[derive(Default)]
struct Focus {
    given: bool,
}

impl Focus {
    fn take(&mut self, wanted: bool) -> bool {
        let take = wanted && !self.given;
        self.given |= take;
        take
    }
}

fn block(t: &'static Texts, csrf: &str, focus: &mut Focus, b: Block) -> AnyView {
    match b {
        Block::Section { title, blocks } => {
            let inner = blocks
                .into_iter()
                .map(|b| block(t, csrf, focus, b))
                .collect_view();
            view! { <section class="card"><h2>{title}</h2>{inner}</section> }.into_any()
        }
        Block::Text(text) => view! { <p>{text}</p> }.into_any(),
        Block::Progress {
            label,
            value,
            max,
            text,
        } => view! {
            <div class="progress">
                <label>
                    <span>{label}</span>
                    <progress value=value.min(max).to_string() max=max.max(1).to_string()>{text.clone()}</progress>
                </label>
                <p>{text}</p>
            </div>
        }
        .into_any(),
        Block::Warning { title, items } => {
            let items = items
                .into_iter()
                .map(|i| view! { <li>{i}</li> })
                .collect_view();
            view! { <div class="warning" role="note"><h2>{title}</h2><ul>{items}</ul></div> }
                .into_any()
        }
        Block::Facts(facts) => {
            let rows = facts
                .into_iter()
                .map(|(label, value)| {
                    view! { <div><dt>{label}</dt><dd>{cell(t, csrf, focus, value)}</dd></div> }
                })
                .collect_view();
            view! { <dl class="facts">{rows}</dl> }.into_any()
        }
        Block::Table(table) => self::table(t, csrf, focus, table),
        Block::Form(f) => form(t, csrf, focus, f),
        Block::Actions(forms) => {
            let forms = forms
                .into_iter()
                .map(|f| form(t, csrf, focus, f))
                .collect_view();
            view! { <div class="actions">{forms}</div> }.into_any()
        }
        Block::Links(links) => {
            let items = links
                .into_iter()
                .map(|l| view! { <li><a href=l.href>{l.text}</a></li> })
                .collect_view();
            view! { <ul class="links">{items}</ul> }.into_any()
        }
        Block::Qr {
            svg,
            alt,
            text_label,
            text,
        } => view! {
            <figure class="qr">
                <div class="qr-image" role="img" aria-label=alt inner_html=svg></div>
                <figcaption>{text_label}" "<code class="secret">{text}</code></figcaption>
            </figure>
        }
        .into_any(),
    }
}

fn cell(t: &'static Texts, csrf: &str, focus: &mut Focus, c: Cell) -> AnyView {
    match c {
        Cell::Text(text) => text.into_any(),
        Cell::Code(text) => view! { <code>{text}</code> }.into_any(),
        Cell::Link(l) => view! { <a href=l.href>{l.text}</a> }.into_any(),
        Cell::Badge(text, tone) => {
            view! { <span class=format!("badge {}", tone_class(tone))>{text}</span> }.into_any()
        }
        Cell::Select {
            form,
            name,
            value,
            label,
        } => view! { <input type="checkbox" form=form name=name value=value aria-label=label/> }
            .into_any(),
        Cell::Action(f) => self::form(t, csrf, focus, *f),
        Cell::Empty => ().into_any(),
    }
}

fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral => "neutral",
        Tone::Good => "good",
        Tone::Warn => "warn",
        Tone::Bad => "bad",
        Tone::Primary => "primary",
    }
}

fn table(t: &'static Texts, csrf: &str, focus: &mut Focus, table: Table) -> AnyView {
    let pager = table.pager.map(|p| {
        let previous = p
            .previous
            .map(|l| view! { <a href=l.href rel="prev">{l.text}</a> });
        let next = p.next.map(|l| view! { <a href=l.href rel="next">{l.text}</a> });
        view! { <nav class="pager" aria-label=t.pages><span>{p.summary}</span>{previous}{next}</nav> }
    });
    if table.rows.is_empty() {
        return view! { <p class="empty">{table.empty}</p>{pager} }.into_any();
    }
    let heads = table
        .columns
        .into_iter()
        .map(|c| match c.sort {
            Some(sort) => {
                let aria = sort
                    .active
                    .map(|desc| if desc { "descending" } else { "ascending" });
                let arrow = match sort.active {
                    Some(true) => " ↓",
                    Some(false) => " ↑",
                    None => "",
                };
                view! { <th scope="col" aria-sort=aria><a href=sort.href>{c.label}{arrow}</a></th> }
                    .into_any()
            }
            None => view! { <th scope="col">{c.label}</th> }.into_any(),
        })
        .collect_view();
    let rows = table
        .rows
        .into_iter()
        .map(|row| {
            let cells = row
                .into_iter()
                .map(|c| view! { <td>{cell(t, csrf, focus, c)}</td> })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <caption>{table.caption}</caption>
                <thead><tr>{heads}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager}
    }
    .into_any()
}

fn form(t: &'static Texts, csrf: &str, focus: &mut Focus, f: Form) -> AnyView {
    let post = f.method == Method::Post;
    let summary = f.has_errors().then(|| {
        let mut items: Vec<AnyView> = Vec::new();
        if let Some(e) = &f.error {
            items.push(view! { <li>{e.clone()}</li> }.into_any());
        }
        for field in f.fields.iter().filter(|x| x.error.is_some()) {
            let href = format!("#{}", field_id(&f.id, &field.name));
            let text = format!(
                "{}: {}",
                field.label,
                field.error.clone().unwrap_or_default()
            );
            items.push(view! { <li><a href=href>{text}</a></li> }.into_any());
        }
        let focus_summary = focus.take(f.fields.iter().all(|x| x.error.is_none()));
        view! {
            <div class="summary" role="alert" tabindex="-1" autofocus=focus_summary>
                <h2>{t.problems}</h2>
                <ul>{items}</ul>
            </div>
        }
    });
    let class = match (f.inline, f.tone) {
        (true, _) => "form inline",
        (false, Tone::Bad) => "form card danger",
        (false, _) => "form card",
    };
    let id = f.id.clone();
    let fields = f
        .fields
        .into_iter()
        .map(|field| self::field(&id, focus, field))
        .collect_view();
    let button_class = format!("button {}", tone_class(f.tone));
    view! {
        <form
            id=f.id
            class=class
            method=if post { "post" } else { "get" }
            action=f.action
            enctype=f.multipart.then_some("multipart/form-data")
            novalidate=true
        >
            {post.then(|| view! { <input type="hidden" name="csrf" value=csrf.to_string()/> })}
            {summary}
            {fields}
            <button type="submit" class=button_class>{f.submit}</button>
        </form>
    }
    .into_any()
}

fn field_id(form: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{form}-{name}")
}

fn field(form: &str, focus: &mut Focus, f: Field) -> AnyView {
    let id = field_id(form, &f.name);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = match (f.hint.is_some(), f.error.is_some()) {
        (true, true) => Some(format!("{hint_id} {error_id}")),
        (true, false) => Some(hint_id.clone()),
        (false, true) => Some(error_id.clone()),
        (false, false) => None,
    };
    let invalid = f.error.is_some().then_some("true");
    let autofocus = focus.take(f.error.is_some());
    let hint = f.hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> });
    let error = f
        .error
        .map(|e| view! { <p class="error" id=error_id>{e}</p> });
    let name = f.name;
    match f.input {
        Input::Hidden => view! { <input type="hidden" name=name value=f.value/> }.into_any(),
        Input::Checkbox => view! {
            <div class="field check">
                <input type="checkbox" id=id.clone() name=name value="on" checked=f.value == "on"
                    aria-invalid=invalid aria-describedby=described autofocus=autofocus/>
                <label for=id>{f.label}</label>
                {hint}
                {error}
            </div>
        }
        .into_any(),
        Input::Choices(options) => {
            let boxes = options
                .into_iter()
                .map(|(value, label, checked)| {
                    view! {
                        <label class="choice">
                            <input type="checkbox" name=name.clone() value=value checked=checked/>
                            " "{label}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="field" id=id aria-describedby=described>
                    <legend>{f.label}</legend>
                    {hint}
                    {boxes}
                    {error}
                </fieldset>
            }
            .into_any()
        }
        Input::Select(options) => {
            let options = options
                .into_iter()
                .map(|(value, label)| {
                    let selected = value == f.value;
                    view! { <option value=value selected=selected>{label}</option> }
                })
                .collect_view();
            view! {
                <div class="field">
                    <label for=id.clone()>{f.label}</label>
                    {hint}
                    <select id=id name=name aria-invalid=invalid aria-describedby=described
                        autofocus=autofocus>{options}</select>
                    {error}
                </div>
            }
            .into_any()
        }
        Input::TextArea => view! {
            <div class="field">
                <label for=id.clone()>{f.label}</label>
                {hint}
                <textarea id=id name=name rows="8" required=f.required aria-invalid=invalid
                    aria-describedby=described autofocus=autofocus>{f.value}</textarea>
                {error}
            </div>
        }
        .into_any(),
        input => {
            let (kind, inputmode, autocomplete) = match input {
                Input::Email => ("email", None, f.autocomplete),
                Input::Password => ("password", None, f.autocomplete),
                Input::NewPassword => ("password", None, Some("new-password")),
                Input::Search => ("search", None, f.autocomplete),
                Input::Number => ("number", None, f.autocomplete),
                Input::Date => ("date", None, f.autocomplete),
                Input::Code => ("text", Some("numeric"), Some("one-time-code")),
                Input::File(_) => ("file", None, None),
                _ => ("text", None, f.autocomplete),
            };
            let accept = match input {
                Input::File(accept) => Some(accept),
                _ => None,
            };
            let value = (kind != "password" && kind != "file").then_some(f.value);
            view! {
                <div class="field">
                    <label for=id.clone()>{f.label}</label>
                    {hint}
                    <input id=id name=name type=kind value=value inputmode=inputmode
                        autocomplete=autocomplete accept=accept required=f.required
                        aria-invalid=invalid aria-describedby=described autofocus=autofocus/>
                    {error}
                </div>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell() -> Shell {
        Shell {
            lang: Lang::En,
            here: "/console/users?q=a&lang=fr".into(),
            csrf: "tok".into(),
            who: None,
            menu: vec![],
            current: None,
        }
    }

    #[test]
    fn a_form_in_error_sums_up_its_errors_and_focuses_the_first_field() {
        let form = Form::post("add", "/console/users", "Add")
            .field(Field::new("email", "E-mail", Input::Email))
            .field(Field::new("name", "Name", Input::Text))
            .fail("name", "Give a name".into());
        let html = render(&shell(), Page::new("Users").block(form));
        assert!(
            html.contains(r#"<input type="hidden" name="csrf" value="tok""#),
            "{html}"
        );
        assert!(
            html.contains(r##"<a href="#add-name">Name: Give a name</a>"##),
            "{html}"
        );
        assert!(
            html.contains(r#"aria-describedby="add-name-error""#),
            "{html}"
        );
        assert_eq!(html.matches("autofocus").count(), 1, "{html}");
        assert!(html.contains("?q=a&amp;lang=fr") || html.contains("?q=a&lang=fr"));
    }

    #[test]
    fn text_is_escaped() {
        let html = render(
            &shell(),
            Page::new("<script>").block(Block::Text("<b>".into())),
        );
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
    }

    #[test]
    fn the_language_switch_replaces_the_language() {
        assert_eq!(
            with_lang("/console/users?q=a&lang=en", "fr"),
            "/console/users?q=a&lang=fr"
        );
        assert_eq!(with_lang("/console", "en"), "/console?lang=en");
    }
}
