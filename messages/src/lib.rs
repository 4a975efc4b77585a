//! The message catalogue: every text people see, on the portal's pages, in e-mails and on the
//! administrator console, in English and French (SPEC I2), kept as
//! [Fluent](https://projectfluent.org) resources in `locales/` (`en.ftl`, `fr.ftl` for the
//! portal and e-mails, `console-en.ftl`, `console-fr.ftl` for the console) and compiled into
//! the binary.
//!
//! Why Fluent (`fluent-bundle`): texts with numbers need plural forms that differ by language
//! ("1 try left" / "3 tries left"; French counts 0 and 1 as singular), which Fluent takes from
//! the Unicode plural rules; messages take named variables, so a translator moves them freely
//! in the sentence; and a translator edits a plain text file, not Rust. What Fluent does not
//! check at compile time, the tests here do: both languages have the same messages with the
//! same variables, and every message formats without error.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

pub use fluent_bundle::FluentValue;

/// A language of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language of a tag (`fr`, `fr-CH`, `en_GB`), if it is one of ours.
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

    /// The catalogue's files in this language: the portal and e-mails, then the console.
    fn sources(self) -> [(&'static str, &'static str); 2] {
        match self {
            Lang::En => [
                ("en.ftl", include_str!("../locales/en.ftl")),
                ("console-en.ftl", include_str!("../locales/console-en.ftl")),
            ],
            Lang::Fr => [
                ("fr.ftl", include_str!("../locales/fr.ftl")),
                ("console-fr.ftl", include_str!("../locales/console-fr.ftl")),
            ],
        }
    }

    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        static EN: LazyLock<FluentBundle<FluentResource>> = LazyLock::new(|| bundle(Lang::En));
        static FR: LazyLock<FluentBundle<FluentResource>> = LazyLock::new(|| bundle(Lang::Fr));
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id = lang.code().parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Texts go into plain-text and HTML e-mails and pages: no Unicode isolation marks around
    // the variables.
    bundle.set_use_isolating(false);
    for (file, source) in lang.sources() {
        let resource = FluentResource::try_new(source.to_string())
            .unwrap_or_else(|(_, errors)| panic!("locales/{file}: {errors:?}"));
        // Refuses a message id defined twice, in one file or across the two.
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("locales/{file}: {errors:?}"));
    }
    bundle
}

/// The id of the message a [`texts!`] field names: `prefix`, then the field's name with `-`
/// for `_` and no trailing `_` (`continue_` is `continue`).
pub fn field_message_id(prefix: &str, field: &str) -> String {
    format!("{prefix}{}", field.trim_end_matches('_').replace('_', "-"))
}

/// Declares `pub struct Texts`: a language and one `&'static str` field per message without
/// variables, each the message [`field_message_id`]`(prefix, field)`, loaded once per
/// language (`Texts::load`) so that pages read texts as fields. `Texts::ids()` (for tests)
/// lists the message ids.
#[macro_export]
macro_rules! texts {
    (prefix = $prefix:literal; $($field:ident),* $(,)?) => {
        /// Every text of this front end without variables, in one language.
        pub struct Texts {
            pub lang: $crate::Lang,
            $(pub $field: &'static str,)*
        }

        impl Texts {
            /// The message ids of the fields.
            #[allow(dead_code)]
            pub fn ids() -> Vec<String> {
                vec![$($crate::field_message_id($prefix, stringify!($field))),*]
            }

            fn load(lang: $crate::Lang) -> Texts {
                let text = |field: &str| -> &'static str {
                    let id = $crate::field_message_id($prefix, field);
                    // Loaded once per language and process: the leak is the catalogue's size.
                    Box::leak($crate::text(lang, &id).into_boxed_str())
                };
                Texts {
                    lang,
                    $($field: text(stringify!($field)),)*
                }
            }
        }
    };
}

/// Whether the catalogue has message `id` in `lang`.
pub fn has(lang: Lang, id: &str) -> bool {
    lang.bundle().has_message(id)
}

/// The message `id` without variables.
pub fn text(lang: Lang, id: &str) -> String {
    format(lang, id, &[])
}

/// The message `id` with its variables (`("n", 3.into())`, `("name", "Ann".into())`). A
/// message or variable missing from the catalogue is a bug the tests catch; should one slip
/// through, the answer is the message id (or the text with the variable's name), logged.
pub fn format(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let bundle = lang.bundle();
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::error!(
            message = id,
            lang = lang.code(),
            "message missing from the catalogue"
        );
        return id.to_string();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    if !errors.is_empty() {
        tracing::error!(
            message = id,
            lang = lang.code(),
            ?errors,
            "message formatted with errors"
        );
    }
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use fluent_syntax::ast;

    use super::*;

    /// Every message of a language, with the variables it uses.
    fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        let entries = lang
            .sources()
            .into_iter()
            .flat_map(|(_, source)| fluent_syntax::parser::parse(source).expect("parses").body);
        for entry in entries {
            if let ast::Entry::Message(message) = entry {
                let mut variables = BTreeSet::new();
                if let Some(pattern) = &message.value {
                    pattern_variables(pattern, &mut variables);
                }
                out.insert(message.id.name.to_string(), variables);
            }
        }
        out
    }

    fn pattern_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match expression {
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, out);
                for variant in variants {
                    pattern_variables(&variant.value, out);
                }
            }
            ast::Expression::Inline(inline) => inline_variables(inline, out),
        }
    }

    fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, out)
            }
            _ => {}
        }
    }

    #[test]
    fn both_languages_have_the_same_messages_and_variables() {
        let en = messages(Lang::En);
        let fr = messages(Lang::Fr);
        assert!(en.len() > 80, "{} messages", en.len());
        assert_eq!(
            en.keys().collect::<Vec<_>>(),
            fr.keys().collect::<Vec<_>>(),
            "the same message ids"
        );
        for (id, variables) in &en {
            assert_eq!(Some(variables), fr.get(id), "variables of {id}");
        }
    }

    #[test]
    fn every_message_formats_without_error() {
        for lang in Lang::ALL {
            let bundle = lang.bundle();
            for (id, variables) in messages(lang) {
                let mut args = FluentArgs::new();
                for v in &variables {
                    args.set(v.clone(), 2);
                }
                let pattern = bundle.get_message(&id).unwrap().value().unwrap();
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{id} ({lang:?}): {errors:?}");
                assert!(!text.trim().is_empty(), "{id} ({lang:?}) is empty");
            }
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let tries = |lang, n: i64| format(lang, "pin-wrong", &[("n", n.into())]);
        assert!(tries(Lang::En, 1).ends_with("1 try left."));
        assert!(tries(Lang::En, 3).ends_with("3 tries left."));
        assert!(tries(Lang::Fr, 1).ends_with("Encore 1 essai."));
        assert!(tries(Lang::Fr, 0).ends_with("Encore 0 essai."));
        assert!(tries(Lang::Fr, 3).ends_with("Encore 3 essais."));
        // No isolation marks around variables (they would show in plain-text e-mails).
        let hello = format(Lang::En, "invitation-hello", &[("name", "Ann".into())]);
        assert_eq!(hello, "Hello Ann,");
    }

    #[test]
    fn a_missing_message_answers_its_id() {
        assert_eq!(text(Lang::En, "no-such-message"), "no-such-message");
    }

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
}
