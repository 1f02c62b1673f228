//! The report's document model and its HTML rendering. Every string that reaches the page
//! goes through [`escape`]; the markup itself comes only from this module, so data can never
//! inject HTML or script.

use std::fmt::Write as _;

use crate::plot::Size;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A table of text cells.
#[derive(Debug, Clone, Default)]
pub struct TableBlock {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Set to show the table at half width, beside another.
    pub half: bool,
}

/// One piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    Paragraph(String),
    /// Why a part of the section is thin or missing.
    Notice(String),
    /// Headline numbers as label/value pairs.
    Facts(Vec<(String, String)>),
    Figure {
        /// File name under `figures/`.
        file: String,
        size: Size,
        alt: String,
        caption: String,
    },
    Table(TableBlock),
    Subheading(String),
}

/// A numbered section with its plain-language reading.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// What the section shows, in plain language, first on the page.
    pub reading: Vec<String>,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(id: &'static str, title: &'static str) -> Self {
        Section { id, title, reading: Vec::new(), blocks: Vec::new() }
    }

    pub fn read(&mut self, text: impl Into<String>) {
        self.reading.push(text.into());
    }

    pub fn notice(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Notice(text.into()));
    }

    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    /// The notices explaining why this section is thin.
    pub fn notices(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Notice(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 "DejaVu Sans",Helvetica,Arial,sans-serif;color:#1d232a;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:20px 0}
header h1{margin:0;font-size:26px}
header p{margin:4px 0 0;opacity:.85}
header a{color:#fff}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
nav{background:#fff;border-bottom:1px solid #dde2e8;padding:8px 0;position:sticky;top:0;z-index:1}
nav a{margin-right:16px;color:#1f3b57;text-decoration:none;white-space:nowrap}
nav a:hover{text-decoration:underline}
section{background:#fff;margin:20px 0;padding:8px 24px 20px;border:1px solid #dde2e8;border-radius:6px}
h2{font-size:21px;border-bottom:2px solid #1f3b57;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px;flex-basis:100%}
.reading{background:#eef4fa;border-left:4px solid #1f3b57;padding:8px 14px;margin:10px 0}
.reading p{margin:6px 0}
.blocks{display:flex;flex-wrap:wrap;gap:12px 20px;align-items:flex-start}
.blocks>p,.blocks>.notice,.blocks>dl,.blocks>.full{flex-basis:100%}
.notice{background:#fff6e0;border-left:4px solid #d89b00;padding:8px 14px;margin:0}
figure{margin:0}
figure img{display:block;max-width:100%;height:auto;border:1px solid #e3e6ea}
figcaption{font-size:13px;color:#4a5560;margin-top:4px;max-width:100%}
dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px;margin:6px 0}
dl div{background:#f3f5f8;border-radius:4px;padding:6px 10px}
dt{font-size:12px;color:#4a5560}
dd{margin:0;font-size:18px;font-weight:bold}
.tbl{overflow-x:auto}
.tbl.half{flex:1 1 520px;max-width:100%}
table{border-collapse:collapse;font-size:13px;width:100%}
caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#17723a;font-weight:bold}
.fail{color:#b3261e;font-weight:bold}
footer{color:#4a5560;font-size:13px;padding:10px 0 30px}
"#;

/// Renders the complete page.
pub fn render_page(title: &str, subtitle: &str, sections: &[Section]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    );
    let _ = write!(
        out,
        "<header><div class=\"wrap\"><h1>{}</h1><p>{}</p><p><a href=\"explorer.html\">Explore every song on an interactive map</a> (hover, search, recommendations)</p></div></header>\n<nav><div class=\"wrap\">",
        escape(title),
        escape(subtitle)
    );
    for (i, s) in sections.iter().enumerate() {
        let _ = write!(out, "<a href=\"#{}\">{}. {}</a>", s.id, i + 1, escape(s.title));
    }
    out.push_str("</div></nav>\n<main class=\"wrap\">\n");
    for (i, s) in sections.iter().enumerate() {
        render_section(&mut out, i + 1, s);
    }
    out.push_str(
        "</main>\n<footer class=\"wrap\">Written by <code>timbral report</code>; the figures are in \
         <code>figures/</code> next to this page.</footer>\n</body>\n</html>\n",
    );
    out
}

fn render_section(out: &mut String, number: usize, s: &Section) {
    let _ = write!(out, "<section id=\"{}\">\n<h2>{number}. {}</h2>\n", s.id, escape(s.title));
    if !s.reading.is_empty() {
        out.push_str("<div class=\"reading\">");
        for p in &s.reading {
            let _ = write!(out, "<p>{}</p>", escape(p));
        }
        out.push_str("</div>\n");
    }
    out.push_str("<div class=\"blocks\">\n");
    for block in &s.blocks {
        render_block(out, block);
    }
    out.push_str("</div>\n</section>\n");
}

fn render_block(out: &mut String, block: &Block) {
    match block {
        Block::Paragraph(text) => {
            let _ = writeln!(out, "<p>{}</p>", escape(text));
        }
        Block::Notice(text) => {
            let _ = writeln!(out, "<p class=\"notice\">{}</p>", escape(text));
        }
        Block::Subheading(text) => {
            let _ = writeln!(out, "<h3>{}</h3>", escape(text));
        }
        Block::Facts(facts) => {
            out.push_str("<dl>");
            for (label, value) in facts {
                let _ = write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", escape(label), escape(value));
            }
            out.push_str("</dl>\n");
        }
        Block::Figure { file, size, alt, caption } => {
            let _ = writeln!(
                out,
                "<figure style=\"width:{w}px;max-width:100%\"><img src=\"figures/{}\" width=\"{w}\" height=\"{h}\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
                escape(file),
                escape(alt),
                escape(caption),
                w = size.width,
                h = size.height,
            );
        }
        Block::Table(table) => render_table(out, table),
    }
}

fn render_table(out: &mut String, table: &TableBlock) {
    let _ = write!(out, "<div class=\"tbl{}\"><table>", if table.half { " half" } else { " full" });
    if !table.caption.is_empty() {
        let _ = write!(out, "<caption>{}</caption>", escape(&table.caption));
    }
    out.push_str("<thead><tr>");
    for h in &table.header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            let class = match cell.as_str() {
                "pass" => " class=\"pass\"",
                "FAIL" => " class=\"fail\"",
                c if looks_numeric(c) => " class=\"num\"",
                _ => "",
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>\n");
}

fn looks_numeric(cell: &str) -> bool {
    !cell.is_empty()
        && cell
            .trim_end_matches('%')
            .replace(',', "")
            .parse::<f64>()
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape(r#"<script>alert('x') & "y"</script>"#),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn page_escapes_every_text_slot() {
        let evil = "<img src=x onerror=alert(1)>";
        let mut s = Section::new("s", "Section");
        s.read(evil);
        s.notice(evil);
        s.push(Block::Paragraph(evil.into()));
        s.push(Block::Subheading(evil.into()));
        s.push(Block::Facts(vec![(evil.into(), evil.into())]));
        s.push(Block::Figure { file: evil.into(), size: Size::HALF, alt: evil.into(), caption: evil.into() });
        s.push(Block::Table(TableBlock {
            caption: evil.into(),
            header: vec![evil.into()],
            rows: vec![vec![evil.into()]],
            half: false,
        }));
        let page = render_page(evil, evil, &[s]);
        assert!(!page.contains("<img src=x"), "{page}");
        assert_eq!(page.matches("&lt;img src=x onerror=alert(1)&gt;").count(), 15);
    }
}
