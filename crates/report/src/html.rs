//! The report as ONE self-contained HTML file: inline CSS, the graph as
//! inline SVG, and a small inline script for the filter box and for opening
//! the collapsed section an anchor points into. No external script, font,
//! stylesheet or image, so the file opens the same offline, attached to a
//! ticket, years later.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::model::*;

/// Above this many resources the module sections start collapsed, so the
/// page opens on a short list of modules with the graph below it.
const OPEN_LIMIT: usize = 40;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `e(s)`: shorthand for escaped text in `write!`.
fn e(s: &str) -> String {
    escape(s)
}

const STYLE: &str = r#"
:root{--fg:#0f172a;--muted:#475569;--line:#e2e8f0;--bg:#fff;--soft:#f8fafc;--accent:#1d4ed8;--bad:#b91c1c;--good:#15803d;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px 12px;border-bottom:1px solid var(--line);background:var(--soft)}
header h1{margin:0 0 4px;font-size:22px}
header .meta{color:var(--muted);font-size:13px}
nav{position:sticky;top:0;z-index:2;display:flex;gap:16px;align-items:center;padding:8px 28px;background:#fff;border-bottom:1px solid var(--line)}
nav a{color:var(--accent);text-decoration:none;font-weight:600}
nav input{margin-left:auto;width:320px;padding:6px 10px;border:1px solid #cbd5e1;border-radius:6px;font:inherit}
main{padding:8px 28px 40px}
section{margin-top:22px}
h2{font-size:18px;margin:0 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 14px;background:#fff;min-width:110px}
.card b{display:block;font-size:20px}
.card span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600;position:sticky;top:41px}
td.addr,td.id,code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
details{border:1px solid var(--line);border-radius:8px;margin:8px 0;background:#fff}
details>summary{cursor:pointer;padding:6px 12px;font-weight:600;background:var(--soft);border-radius:8px}
details>div{padding:6px 12px 10px}
.muted{color:var(--muted)}
.mask{color:var(--warn);font-style:italic}
.tainted{color:var(--bad);font-weight:600}
.ok{color:var(--good);font-weight:600}
.bad{color:var(--bad);font-weight:600}
.add{color:var(--good)}.del{color:var(--bad)}.chg{color:var(--warn)}
.graph-box{overflow:auto;max-height:900px;border:1px solid var(--line);border-radius:8px;background:#fff}
.graph .node:hover rect{stroke:var(--accent);stroke-width:2}
.kv{display:inline-block;margin-right:10px}
.kv i{color:var(--muted);font-style:normal}
ul.addrs{margin:4px 0;padding-left:20px;columns:2;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.note{padding:6px 10px;border-left:3px solid var(--warn);background:#fffbeb;margin:6px 0}
"#;

/// Filters rows client-side (debounced; 10,000 rows stay responsive) and
/// opens a collapsed section when a link points into it.
const SCRIPT: &str = r#"
(function(){
var box=document.getElementById('filter'),count=document.getElementById('shown'),timer;
function apply(){
  var q=box.value.trim().toLowerCase(),shown=0;
  document.querySelectorAll('details.group').forEach(function(d){
    var any=false;
    d.querySelectorAll('tr[data-row]').forEach(function(r){
      var hit=!q||r.textContent.toLowerCase().indexOf(q)>=0;
      r.hidden=!hit;if(hit){any=true;shown++;}
    });
    d.hidden=!any;if(q&&any)d.open=true;
  });
  count.textContent=q?shown+' matching':'';
}
box.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(apply,120);});
function reveal(){
  var id=decodeURIComponent(location.hash.slice(1)),el=id&&document.getElementById(id);
  for(var p=el;p;p=p.parentElement){if(p.tagName==='DETAILS')p.open=true;}
  if(el)el.scrollIntoView();
}
window.addEventListener('hashchange',reveal);reveal();
document.querySelectorAll('[data-toggle]').forEach(function(b){
  b.addEventListener('click',function(){var open=b.getAttribute('data-toggle')==='open';
    document.querySelectorAll(b.getAttribute('data-target')+' details').forEach(function(d){d.open=open;});});
});
})();
"#;

pub fn render(r: &Report) -> String {
    let resources = r.summary.resources;
    let mut s = String::with_capacity(4096 + resources * 700);
    let title = format!(
        "cairn report: {}{}",
        r.stack,
        r.env
            .as_deref()
            .map(|e| format!(" / {e}"))
            .unwrap_or_default()
    );
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"generator\" content=\"cairn {}\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        e(&r.cairn_version),
        e(&title)
    );
    header(&mut s, r, &title);
    s.push_str("<nav><a href=\"#inventory\">Inventory</a><a href=\"#graph\">Graph</a><a href=\"#timeline\">Timeline</a><a href=\"#drift\">Drift</a><a href=\"#verification\">Verification</a><a href=\"#outputs\">Outputs</a><span id=\"shown\" class=\"muted\"></span><input id=\"filter\" type=\"search\" placeholder=\"Filter resources: address, type, id, attribute…\" aria-label=\"filter resources\"></nav>\n<main>\n");
    let anchors = inventory(&mut s, r);
    graph(&mut s, r, &anchors);
    timeline(&mut s, r);
    drift(&mut s, r);
    verification(&mut s, r);
    outputs(&mut s, r);
    let _ = write!(
        s,
        "<p class=\"muted\">Generated by cairn {} at {}. Sensitive values are masked by the state's sensitive marks, by attribute names that hold secrets, and wherever a masked value is copied; they are not in this file.</p>\n</main>\n<script>{SCRIPT}</script>\n</body></html>\n",
        e(&r.cairn_version),
        e(&r.generated_at)
    );
    s
}

fn header(s: &mut String, r: &Report, title: &str) {
    let p = &r.point;
    let by = p
        .written_by
        .as_ref()
        .map(|w| {
            format!(
                ", written {} by {} ({})",
                e(&w.when),
                e(&w.who),
                e(&w.operation)
            )
        })
        .unwrap_or_default();
    let _ = write!(
        s,
        "<header><h1>{}</h1><div class=\"meta\">State at <span class=\"mono\">{}</span>: serial {}{}{by}; selected by {}. Lineage <span class=\"mono\">{}</span>.</div>",
        e(title),
        e(&r.location),
        p.serial,
        p.version
            .as_deref()
            .map(|v| format!(", version <span class=\"mono\">{}</span>", e(v)))
            .unwrap_or_default(),
        e(&p.selected_by),
        e(&r.lineage)
    );
    let m = &r.summary;
    let verified = match &r.verification {
        Some(v) if v.whole => "<b class=\"ok\">whole</b>".to_string(),
        Some(_) => "<b class=\"bad\">problems</b>".to_string(),
        None => "<b class=\"muted\">n/a</b>".to_string(),
    };
    let _ = writeln!(
        s,
        "<div class=\"cards\"><div class=\"card\"><b>{}</b><span>resources</span></div><div class=\"card\"><b>{}</b><span>modules</span></div><div class=\"card\"><b>{}</b><span>types</span></div><div class=\"card\"><b class=\"{}\">{}</b><span>tainted</span></div><div class=\"card\"><b>{}</b><span>versions</span></div><div class=\"card\">{verified}<span>verification</span></div></div></header>",
        m.resources,
        m.modules,
        m.types,
        if m.tainted > 0 { "bad" } else { "" },
        m.tainted,
        m.versions
    );
}

fn module_name(m: &str) -> &str {
    if m.is_empty() {
        "(root module)"
    } else {
        m
    }
}

/// Writes the inventory; returns the anchor of each resource and of each
/// module/type group, for the graph's links.
fn inventory(s: &mut String, r: &Report) -> HashMap<String, String> {
    let mut anchors = HashMap::new();
    let open = r.summary.resources <= OPEN_LIMIT;
    let _ = writeln!(
        s,
        "<section id=\"inventory\"><h2>Inventory ({} resources in {} modules)</h2><p><button data-toggle=\"open\" data-target=\"#inventory\">Expand all</button> <button data-toggle=\"close\" data-target=\"#inventory\">Collapse all</button></p>",
        r.summary.resources, r.summary.modules
    );
    let mut n = 0usize;
    for (mi, m) in r.inventory.iter().enumerate() {
        let _ = writeln!(
            s,
            "<details class=\"group\" id=\"m{mi}\"{}><summary>{} <span class=\"muted\">— {} resource{}</span></summary><div><table><thead><tr><th>address</th><th>type</th><th>id</th><th>key attributes</th><th>depends on</th></tr></thead><tbody>",
            if open { " open" } else { "" },
            e(module_name(&m.module)),
            m.resources.len(),
            if m.resources.len() == 1 { "" } else { "s" }
        );
        for row in &m.resources {
            n += 1;
            let anchor = format!("r{n}");
            anchors.insert(row.address.clone(), anchor.clone());
            // A collapsed graph's boxes link to their first resource.
            anchors
                .entry(crate::graph::group_id(&m.module, &row.type_name))
                .or_insert_with(|| anchor.clone());
            anchors
                .entry(crate::graph::group_id(&m.module, "*"))
                .or_insert_with(|| format!("m{mi}"));
            let _ = write!(
                s,
                "<tr data-row id=\"{anchor}\"><td class=\"addr\">{}{}</td><td>{}</td><td class=\"id\">{}</td><td>",
                e(&row.address),
                if row.status == "tainted" {
                    " <span class=\"tainted\">tainted</span>"
                } else {
                    ""
                },
                e(&row.type_name),
                masked_text(&row.id)
            );
            for kv in &row.key_attributes {
                let _ = write!(
                    s,
                    "<span class=\"kv\"><i>{}</i> {}</span>",
                    e(&kv.name),
                    masked_text(&kv.value)
                );
            }
            if !row.masked.is_empty() {
                let _ = write!(
                    s,
                    "<span class=\"kv mask\" title=\"{}\">{} masked</span>",
                    e(&row.masked.join(", ")),
                    row.masked.len()
                );
            }
            if row.deposed > 0 {
                let _ = write!(
                    s,
                    "<span class=\"kv tainted\">{} deposed</span>",
                    row.deposed
                );
            }
            s.push_str("</td><td class=\"addr\">");
            s.push_str(&e(&row.dependencies.join(", ")));
            s.push_str("</td></tr>\n");
        }
        s.push_str("</tbody></table></div></details>\n");
    }
    if r.inventory.is_empty() {
        s.push_str("<p class=\"muted\">The state records no resources.</p>");
    }
    s.push_str("</section>\n");
    anchors
}

/// A masked value stands out; anything else is escaped text.
fn masked_text(v: &str) -> String {
    if v == crate::mask::MASK {
        format!("<span class=\"mask\">{}</span>", e(v))
    } else {
        e(v)
    }
}

fn graph(s: &mut String, r: &Report, anchors: &HashMap<String, String>) {
    let g = &r.graph;
    let _ = write!(
        s,
        "<section id=\"graph\"><h2>Resource graph</h2><p class=\"muted\">{} node{}, {} edge{}; an arrow points from a resource to what it depends on (state <code>dependencies</code>).{}</p>",
        g.nodes.len(),
        if g.nodes.len() == 1 { "" } else { "s" },
        g.edges.len(),
        if g.edges.len() == 1 { "" } else { "s" },
        if g.collapsed {
            format!(
                " With more than {} resources, each box stands for the resources of one module and type (their count after ×).",
                crate::graph::NODE_LIMIT
            )
        } else {
            String::new()
        }
    );
    if g.nodes.is_empty() {
        s.push_str("<p class=\"muted\">Nothing to draw.</p></section>\n");
        return;
    }
    s.push_str("<div class=\"graph-box\">");
    let link = |id: &str| anchors.get(id).map(|a| format!("#{a}"));
    s.push_str(&crate::svg::render(g, &link));
    s.push_str("</div></section>\n");
}

fn counts(t: &TimelineEntry) -> String {
    format!(
        "<span class=\"add\">+{}</span> <span class=\"chg\">~{}</span> <span class=\"del\">-{}</span>",
        t.added.len(),
        t.changed.len(),
        t.removed.len()
    )
}

fn timeline(s: &mut String, r: &Report) {
    let _ = write!(
        s,
        "<section id=\"timeline\"><h2>Timeline ({} version{})</h2>",
        r.timeline.len(),
        if r.timeline.len() == 1 { "" } else { "s" }
    );
    if let Some(w) = &r.history_warning {
        let _ = write!(s, "<p class=\"note\">{}</p>", e(w));
    }
    if r.later_versions > 0 {
        let _ = write!(
            s,
            "<p class=\"note\">{} later version{} stored after this point {} not shown.</p>",
            r.later_versions,
            if r.later_versions == 1 { "" } else { "s" },
            if r.later_versions == 1 { "is" } else { "are" }
        );
    }
    if r.timeline.is_empty() {
        s.push_str("<p class=\"muted\">No stored versions.</p></section>\n");
        return;
    }
    s.push_str("<table><thead><tr><th>#</th><th>serial</th><th>written</th><th>who</th><th>operation</th><th>changes</th><th>version</th></tr></thead><tbody>\n");
    for t in &r.timeline {
        let w = t.written_by.as_ref();
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#{a}\">{a}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"id\">{}</td></tr>",
            t.serial,
            e(&w.map(|w| w.when.clone()).or_else(|| t.stored.clone()).unwrap_or_default()),
            e(w.map(|w| w.who.as_str()).unwrap_or("-")),
            e(w.map(|w| w.operation.as_str()).unwrap_or("-")),
            counts(t),
            e(&t.version),
            a = e(&t.anchor),
        );
    }
    s.push_str("</tbody></table>\n<h3>Changes by version</h3>\n");
    for t in &r.timeline {
        let w = t.written_by.as_ref();
        let _ = write!(
            s,
            "<details id=\"{}\"><summary>{} — serial {}, {} by {}: {}</summary><div>",
            e(&t.anchor),
            e(&t.anchor),
            t.serial,
            e(w.map(|w| w.operation.as_str()).unwrap_or("-")),
            e(w.map(|w| w.who.as_str()).unwrap_or("-")),
            counts(t)
        );
        let _ = write!(s, "<p class=\"muted mono\">version {}</p>", e(&t.version));
        addresses(s, "Added", "add", &t.added);
        addresses(s, "Removed", "del", &t.removed);
        if !t.changed.is_empty() {
            s.push_str("<p><b class=\"chg\">Changed</b></p><table><thead><tr><th>resource</th><th>attribute</th><th>before</th><th>after</th></tr></thead><tbody>");
            for c in &t.changed {
                for ch in &c.changes {
                    let _ = write!(
                        s,
                        "<tr><td class=\"addr\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                        e(&c.address),
                        e(&ch.path),
                        ch.before.as_deref().map(masked_text).unwrap_or_else(|| "<span class=\"muted\">(absent)</span>".into()),
                        ch.after.as_deref().map(masked_text).unwrap_or_else(|| "<span class=\"muted\">(absent)</span>".into()),
                    );
                }
            }
            s.push_str("</tbody></table>");
        }
        if t.added.is_empty() && t.removed.is_empty() && t.changed.is_empty() {
            s.push_str("<p class=\"muted\">No resource changed (outputs or metadata only).</p>");
        }
        s.push_str("</div></details>\n");
    }
    s.push_str("</section>\n");
}

fn addresses(s: &mut String, label: &str, class: &str, list: &[String]) {
    if list.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<p><b class=\"{class}\">{label}</b> ({})</p><ul class=\"addrs\">",
        list.len()
    );
    for a in list {
        s.push_str("<li>");
        escape_into(s, a);
        s.push_str("</li>");
    }
    s.push_str("</ul>");
}

fn drift(s: &mut String, r: &Report) {
    let d = &r.drift;
    let _ = write!(
        s,
        "<section id=\"drift\"><h2>Drift</h2><p><b>Last <code>plan --refresh-only</code>:</b> {}</p>",
        e(&d.note)
    );
    match &d.last_accepted {
        Some(a) => {
            let _ = write!(
                s,
                "<p>Drift last accepted into state by <code>apply --refresh-only</code>: <a href=\"#{}\">{}</a> (serial {}, {} by {}): {} resource{} changed, {} removed outside cairn.</p>",
                e(&a.anchor),
                e(&a.anchor),
                a.serial,
                e(a.when.as_deref().unwrap_or("-")),
                e(a.who.as_deref().unwrap_or("-")),
                a.changed,
                if a.changed == 1 { "" } else { "s" },
                a.removed
            );
        }
        None => s.push_str(
            "<p class=\"muted\">No <code>apply --refresh-only</code> in the versions shown.</p>",
        ),
    }
    s.push_str("</section>\n");
}

fn verification(s: &mut String, r: &Report) {
    s.push_str("<section id=\"verification\"><h2>Verification</h2>");
    let Some(v) = &r.verification else {
        let _ = writeln!(
            s,
            "<p class=\"note\">{}</p></section>",
            e(r.verification_note
                .as_deref()
                .unwrap_or("verification not available"))
        );
        return;
    };
    if v.whole {
        let _ = write!(
            s,
            "<p class=\"ok\">Every stored version ({}) passed its checks.</p>",
            v.versions.len()
        );
    } else {
        let _ = write!(
            s,
            "<p class=\"bad\">The stored history is not whole{}.</p>",
            v.first_bad
                .as_deref()
                .map(|b| format!(": the first bad version is {}", e(b)))
                .unwrap_or_default()
        );
    }
    if let Some(w) = &v.warning {
        let _ = write!(s, "<p class=\"note\">{}</p>", e(w));
    }
    s.push_str("<table><thead><tr><th>version</th><th>serial</th><th>stored</th><th>who</th><th>operation</th><th>sha256</th><th>result</th></tr></thead><tbody>");
    for c in v.versions.iter().rev() {
        let result = if c.problems.is_empty() {
            let notes: Vec<String> = c.notes.iter().map(|n| e(n)).collect();
            if notes.is_empty() {
                "<span class=\"ok\">ok</span>".to_string()
            } else {
                format!(
                    "<span class=\"ok\">ok</span> <span class=\"muted\">({})</span>",
                    notes.join("; ")
                )
            }
        } else {
            format!(
                "<span class=\"bad\">{}</span>",
                c.problems
                    .iter()
                    .map(|p| e(p))
                    .collect::<Vec<_>>()
                    .join("<br>")
            )
        };
        let _ = write!(
            s,
            "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"id\">{}</td><td>{result}</td></tr>",
            e(&c.id),
            c.serial.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            e(c.stored.as_deref().unwrap_or("-")),
            e(c.who.as_deref().unwrap_or("-")),
            e(c.operation.as_deref().unwrap_or("-")),
            e(&c.sha256),
        );
    }
    s.push_str("</tbody></table></section>\n");
}

fn outputs(s: &mut String, r: &Report) {
    s.push_str("<section id=\"outputs\"><h2>Outputs</h2>");
    if r.outputs.is_empty() {
        s.push_str("<p class=\"muted\">No outputs.</p></section>\n");
        return;
    }
    s.push_str("<table><thead><tr><th>name</th><th>value</th></tr></thead><tbody>");
    for o in &r.outputs {
        let _ = write!(
            s,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            e(&o.name),
            masked_text(&o.value)
        );
    }
    s.push_str("</tbody></table></section>\n");
}
