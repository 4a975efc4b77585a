//! A browser without JavaScript for the portal's tests: it keeps cookies, follows redirects,
//! reads pages with an HTML parser, submits their forms with the fields a user would fill in
//! (plus the hidden CSRF field, as a browser would), and decodes QR codes from the rendered SVG.

use scraper::{Html, Selector};

/// One browser: its own cookie jar.
pub struct Browser {
    pub http: reqwest::Client,
    /// The same browser, not following redirects (to see where a form sends it).
    pub no_follow: reqwest::Client,
    pub base: String,
}

/// A page as the browser got it, after redirects.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    /// The final URL (after redirects).
    pub url: String,
    pub headers: reqwest::header::HeaderMap,
    /// The body as text (lossy for binary answers; see `bytes`).
    pub html: String,
    pub bytes: Vec<u8>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("bad selector {s}: {e:?}"))
}

impl Page {
    pub fn doc(&self) -> Html {
        Html::parse_document(&self.html)
    }

    /// Texts of the elements matching `selector`, whitespace-collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        self.doc()
            .select(&sel(selector))
            .map(|e| e.text().collect::<Vec<_>>().join(" "))
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    pub fn text(&self, selector: &str) -> Option<String> {
        self.texts(selector).into_iter().next()
    }

    pub fn h1(&self) -> String {
        self.text("h1").unwrap_or_default()
    }

    pub fn attr(&self, selector: &str, attr: &str) -> Option<String> {
        self.doc()
            .select(&sel(selector))
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_string))
    }

    pub fn has(&self, selector: &str) -> bool {
        self.doc().select(&sel(selector)).next().is_some()
    }

    /// The error message shown next to the input `field` (and tied to it for screen readers).
    pub fn error(&self, field: &str) -> Option<String> {
        let id = format!("{field}-error");
        let described = self.attr(&format!("input[name={field}]"), "aria-describedby")?;
        assert!(
            described.split(' ').any(|d| d == id),
            "the error of {field} is not tied to its input: {described}"
        );
        self.text(&format!("#{id}"))
    }

    /// The CSRF token of the first form.
    pub fn csrf(&self) -> String {
        self.attr("form input[name=csrf]", "value")
            .expect("a form with a CSRF field")
    }

    /// The path of the registration URL this page belongs to (`/r/<token>`).
    pub fn base_path(&self) -> String {
        let path = self.url.split("://").nth(1).unwrap_or(&self.url);
        let path = &path[path.find('/').unwrap_or(path.len())..];
        let path = path.split('?').next().unwrap_or(path);
        let mut parts = path.splitn(4, '/');
        let (_, r, token) = (parts.next(), parts.next(), parts.next());
        format!("/{}/{}", r.unwrap_or_default(), token.unwrap_or_default())
    }

    /// The QR code's SVG, rendered and decoded.
    pub fn qr_content(&self) -> Option<String> {
        let svg = self.doc().select(&sel(".qr svg")).next()?.html();
        Some(decode_qr_svg(&svg))
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Browser {
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            no_follow: reqwest::Client::builder()
                .cookie_provider(jar)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let url = res.url().to_string();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap().to_vec();
        Page {
            status,
            url,
            headers,
            html: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&self, path_or_url: &str) -> Page {
        self.get_with(path_or_url, &[]).await
    }

    pub async fn get_with(&self, path_or_url: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.http.get(self.url(path_or_url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Browser::page(req.send().await.unwrap()).await
    }

    /// Posts `fields` as a form, exactly as given (no CSRF field added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let res = self
            .http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap();
        Browser::page(res).await
    }

    /// Like [`Browser::submit`], but returns the redirect's target instead of following it.
    pub async fn submit_for_location(
        &self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let (target, all) = Browser::form(page, action, fields);
        let res = self
            .no_follow
            .post(self.url(&target))
            .form(&all)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{res:?}");
        res.headers()["location"].to_str().unwrap().to_string()
    }

    fn form(page: &Page, action: &str, fields: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
        let target = page
            .doc()
            .select(&sel("form"))
            .filter_map(|f| f.value().attr("action").map(str::to_string))
            .find(|a| a.ends_with(action))
            .unwrap_or_else(|| {
                panic!(
                    "no form posting to …{action} on {}:\n{}",
                    page.url, page.html
                )
            });
        // As a browser does: the form's hidden fields, then what the user filled in.
        let doc = page.doc();
        let form = doc
            .select(&sel("form"))
            .find(|f| f.value().attr("action") == Some(target.as_str()))
            .expect("the form");
        let mut all: Vec<(String, String)> = form
            .select(&sel("input[type=hidden]"))
            .filter_map(|i| Some((i.value().attr("name")?, i.value().attr("value")?)))
            .filter(|(name, _)| !fields.iter().any(|(k, _)| k == name))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !all.iter().any(|(k, _)| k == "csrf") {
            all.push(("csrf".to_string(), page.csrf()));
        }
        all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        (target, all)
    }

    /// Submits the form of `page` whose action ends with `action`, with `fields` and the
    /// page's CSRF token.
    pub async fn submit(&self, page: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
        let (target, all) = Browser::form(page, action, fields);
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post_raw(&target, &all).await
    }
}

impl Browser {
    /// Submits the upload form of `page` whose action ends with `action` as
    /// `multipart/form-data`: its hidden fields, `fields`, and `file` (field, name, bytes).
    pub async fn upload(
        &self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, Vec<u8>),
    ) -> Page {
        let (target, all) = Browser::form(page, action, fields);
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in all {
            form = form.text(k, v);
        }
        let (field, name, bytes) = file;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("application/wasm")
            .unwrap();
        form = form.part(field.to_string(), part);
        let res = self
            .http
            .post(self.url(&target))
            .multipart(form)
            .send()
            .await
            .unwrap();
        Browser::page(res).await
    }
}

/// Renders an SVG QR code to pixels and decodes it.
pub fn decode_qr_svg(svg: &str) -> String {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
        .unwrap_or_else(|e| panic!("the QR code is not a valid SVG ({e}): {svg}"));
    let scale = 4.0;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .expect("a QR code has a size");
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let width = pixmap.width() as usize;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(width, pixmap.height() as usize, |x, y| {
            pixmap.pixels()[y * width + x].demultiply().red()
        });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code in the SVG");
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    content
}
