//! What a console page is made of. A handler fills these in; [`crate::render`] turns them
//! into HTML. Every text here is already in the visitor's language.

/// What every page of one visit shares: language, CSRF token, who is signed in, the menu.
#[derive(Clone, Debug)]
pub struct Shell {
    pub lang: crate::Lang,
    /// Path and query of this page (the language switch links back to it).
    pub here: String,
    /// The CSRF token every posted form carries.
    pub csrf: String,
    /// The signed-in administrator, if any.
    pub who: Option<Who>,
    /// The menu: only the pages this administrator may open.
    pub menu: Vec<MenuItem>,
    /// The menu key of the page shown (marked `aria-current`).
    pub current: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Who {
    pub email: String,
    /// The role, in words.
    pub role: String,
    pub tenant: String,
}

#[derive(Clone, Debug)]
pub struct MenuItem {
    pub key: &'static str,
    pub href: String,
    pub label: String,
}

/// One page: a title, an optional notice (what the last action did), and its blocks.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub title: String,
    /// A short line under the title.
    pub lead: Option<String>,
    pub notice: Option<Notice>,
    pub blocks: Vec<Block>,
    /// Seconds after which the browser loads the page again (work under way shown without
    /// JavaScript), if any.
    pub refresh: Option<u32>,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            ..Page::default()
        }
    }
    pub fn lead(mut self, lead: impl Into<String>) -> Page {
        self.lead = Some(lead.into());
        self
    }
    pub fn notice(mut self, notice: Option<Notice>) -> Page {
        self.notice = notice;
        self
    }
    pub fn block(mut self, block: impl Into<Block>) -> Page {
        self.blocks.push(block.into());
        self
    }
    pub fn blocks(mut self, blocks: impl IntoIterator<Item = Block>) -> Page {
        self.blocks.extend(blocks);
        self
    }
    pub fn refresh(mut self, seconds: Option<u32>) -> Page {
        self.refresh = seconds;
        self
    }
}

/// What the last action did, shown at the top of the next page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Done(String),
    Failed(String),
}

#[derive(Clone, Debug)]
pub enum Block {
    /// A titled part of the page with its own blocks.
    Section {
        title: String,
        blocks: Vec<Block>,
    },
    Text(String),
    /// A warning in a box (what an irreversible action will do).
    Warning {
        title: String,
        items: Vec<String>,
    },
    /// Label/value pairs (a detail page).
    Facts(Vec<(String, Cell)>),
    Table(Table),
    Form(Form),
    /// Small forms side by side (one button each, e.g. a device's actions).
    Actions(Vec<Form>),
    Links(Vec<Link>),
    /// How far some work has gone: a progress bar of `value` out of `max`, with its label and
    /// the same in words.
    Progress {
        label: String,
        value: u64,
        max: u64,
        text: String,
    },
    /// An SVG QR code (made on the server) with what it holds, for those who cannot scan it.
    Qr {
        svg: String,
        alt: String,
        text_label: String,
        text: String,
    },
}

impl Block {
    /// The QR code of `content`, made here, with `content` also shown as text after
    /// `text_label` (`None` if the content does not fit in a QR code).
    pub fn qr_code(content: &str, alt: &str, text_label: &str, text: &str) -> Option<Block> {
        let svg = qrcode::QrCode::new(content.as_bytes())
            .ok()?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(256, 256)
            .quiet_zone(true)
            .build();
        let svg = match svg.find("<svg") {
            Some(start) => svg[start..].to_string(),
            None => svg,
        };
        Some(Block::Qr {
            svg,
            alt: alt.to_string(),
            text_label: text_label.to_string(),
            text: text.to_string(),
        })
    }
}

impl From<Table> for Block {
    fn from(t: Table) -> Block {
        Block::Table(t)
    }
}

impl From<Form> for Block {
    fn from(f: Form) -> Block {
        Block::Form(f)
    }
}

#[derive(Clone, Debug)]
pub struct Link {
    pub href: String,
    pub text: String,
}

impl Link {
    pub fn new(href: impl Into<String>, text: impl Into<String>) -> Link {
        Link {
            href: href.into(),
            text: text.into(),
        }
    }
}

/// The content of a table cell or a fact.
#[derive(Clone, Debug)]
pub enum Cell {
    Text(String),
    /// Monospaced (identifiers, tokens).
    Code(String),
    Link(Link),
    Badge(String, Tone),
    /// A row's check box in a bulk form elsewhere on the page (HTML `form` attribute).
    Select {
        form: String,
        name: String,
        value: String,
        /// What the box selects, for screen readers.
        label: String,
    },
    /// A small form in a cell (one button).
    Action(Box<Form>),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Neutral,
    Good,
    Warn,
    Bad,
    Primary,
}

/// A table that pages and sorts on the server: its sort links and pager are plain links.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Shown instead of an empty table.
    pub empty: String,
    pub pager: Option<Pager>,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub label: String,
    /// The link that sorts by this column, and whether it is the current sort.
    pub sort: Option<Sort>,
}

impl Column {
    pub fn new(label: impl Into<String>) -> Column {
        Column {
            label: label.into(),
            sort: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Sort {
    pub href: String,
    /// `Some(descending)` when the table is sorted by this column.
    pub active: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct Pager {
    /// "21–40 of 135".
    pub summary: String,
    pub previous: Option<Link>,
    pub next: Option<Link>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Method {
    Get,
    #[default]
    Post,
}

/// A form. Posted forms carry the CSRF token (added by the renderer); a form with errors
/// lists them at its top, each linked to its field.
#[derive(Clone, Debug, Default)]
pub struct Form {
    /// Also the prefix of its fields' ids; rows' check boxes name it.
    pub id: String,
    pub action: String,
    pub method: Method,
    /// `multipart/form-data` (file uploads).
    pub multipart: bool,
    pub fields: Vec<Field>,
    pub submit: String,
    pub tone: Tone,
    /// An error of the whole form (not of one field).
    pub error: Option<String>,
    /// Fields on one line (search bars, one-button forms).
    pub inline: bool,
}

impl Form {
    pub fn post(
        id: impl Into<String>,
        action: impl Into<String>,
        submit: impl Into<String>,
    ) -> Form {
        Form {
            id: id.into(),
            action: action.into(),
            submit: submit.into(),
            ..Form::default()
        }
    }
    pub fn get(
        id: impl Into<String>,
        action: impl Into<String>,
        submit: impl Into<String>,
    ) -> Form {
        Form {
            method: Method::Get,
            ..Form::post(id, action, submit)
        }
    }
    pub fn field(mut self, field: Field) -> Form {
        self.fields.push(field);
        self
    }
    pub fn fields(mut self, fields: impl IntoIterator<Item = Field>) -> Form {
        self.fields.extend(fields);
        self
    }
    pub fn hidden(self, name: impl Into<String>, value: impl Into<String>) -> Form {
        self.field(Field::new(name, "", Input::Hidden).value(value))
    }
    pub fn tone(mut self, tone: Tone) -> Form {
        self.tone = tone;
        self
    }
    pub fn inline(mut self) -> Form {
        self.inline = true;
        self
    }
    pub fn multipart(mut self) -> Form {
        self.multipart = true;
        self
    }
    pub fn error(mut self, error: Option<String>) -> Form {
        self.error = error;
        self
    }
    /// Puts `message` at the field `name` (or on the whole form when it has no such field).
    pub fn fail(mut self, name: &str, message: String) -> Form {
        match self.fields.iter_mut().find(|f| f.name == name) {
            Some(field) => field.error = Some(message),
            None => self.error = Some(message),
        }
        self
    }
    /// Whether any field or the form has an error.
    pub fn has_errors(&self) -> bool {
        self.error.is_some() || self.fields.iter().any(|f| f.error.is_some())
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub input: Input,
    pub value: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub required: bool,
    /// The `autocomplete` attribute (`username`, `one-time-code`...).
    pub autocomplete: Option<&'static str>,
}

impl Field {
    pub fn new(name: impl Into<String>, label: impl Into<String>, input: Input) -> Field {
        Field {
            name: name.into(),
            label: label.into(),
            input,
            value: String::new(),
            hint: None,
            error: None,
            required: false,
            autocomplete: None,
        }
    }
    pub fn value(mut self, value: impl Into<String>) -> Field {
        self.value = value.into();
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Field {
        self.hint = Some(hint.into());
        self
    }
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }
    pub fn autocomplete(mut self, what: &'static str) -> Field {
        self.autocomplete = Some(what);
        self
    }
    pub fn error(mut self, error: Option<String>) -> Field {
        self.error = error;
        self
    }
}

#[derive(Clone, Debug)]
pub enum Input {
    Text,
    Email,
    Password,
    /// A new password (`autocomplete=new-password`).
    NewPassword,
    Search,
    Number,
    /// `yyyy-mm-dd`.
    Date,
    /// Digits typed from a phone (`inputmode=numeric`).
    Code,
    TextArea,
    /// Checked when the value is `on`.
    Checkbox,
    /// Options as (value, label); the value selected is the field's value.
    Select(Vec<(String, String)>),
    /// Several check boxes of the same name: (value, label, checked).
    Choices(Vec<(String, String, bool)>),
    /// `accept` attribute.
    File(&'static str),
    Hidden,
}
