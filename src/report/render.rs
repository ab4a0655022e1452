//! The KPI figures written out: plain text for a terminal, CSV (one `section,item,measure,value`
//! row per figure, for a spreadsheet), and one self-contained HTML page whose charts are inline
//! SVG (no script, no network, no font to fetch) and which reflows on a phone's screen.

use std::fmt::Write;

use super::Kpis;

use crate::contracts::Channel;

/// The sentence every format uses for a range where nothing happened.
pub fn empty_sentence(k: &Kpis) -> String {
    format!(
        "No activity between {} and {}: no session, call, ticket, call-back, outage report or survey answer.",
        k.from, k.to
    )
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "-".to_string())
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}"))
        .unwrap_or_else(|| "-".to_string())
}

pub fn text(k: &Kpis) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "dalal KPI report, {} to {} (UTC)", k.from, k.to);
    if k.empty {
        let _ = writeln!(o, "\n{}", empty_sentence(k));
        return o;
    }
    let t = &k.totals;
    let _ = writeln!(
        o,
        "\nSessions: {} ({} USSD, {} calls); completed {}, abandoned {}; completion {}",
        t.sessions,
        t.ussd_sessions,
        t.calls,
        t.completed,
        t.abandoned,
        pct(t.completion_rate)
    );
    let _ = writeln!(o, "\nPer day, channel and language:");
    for d in &k.per_day {
        let _ = writeln!(
            o,
            "  {}  {:<6} {:<3} {:>7}",
            d.day, d.channel, d.language, d.sessions
        );
    }
    let _ = writeln!(
        o,
        "\nFunnel (screen: reached, completed there, dropped there, drop-off):"
    );
    for s in &k.funnel {
        let _ = writeln!(
            o,
            "  {:<28} {:>7} {:>7} {:>7} {:>7}",
            s.node,
            s.reached,
            s.completed_here,
            s.dropped_here,
            pct(Some(s.drop_off_rate))
        );
    }
    let f = &k.first_contact_resolution;
    let _ = writeln!(
        o,
        "\nFirst-contact resolution ({} days): {} of {} contacts, {}",
        f.window_days,
        f.resolved_first,
        f.contacts,
        pct(f.rate)
    );
    for x in &f.per_topic {
        let _ = writeln!(
            o,
            "  {:<28} {:>5} of {:>5}  {}",
            x.topic,
            x.resolved_first,
            x.contacts,
            pct(x.rate)
        );
    }
    let _ = writeln!(
        o,
        "\nSLA per ticket category (tickets filed: met, breached, open within SLA, no SLA, compliance):"
    );
    if k.sla.is_empty() {
        let _ = writeln!(o, "  no ticket filed");
    }
    for c in &k.sla {
        let _ = writeln!(
            o,
            "  {:<20} {:>5}: {:>5} {:>5} {:>5} {:>5}  {}",
            c.category,
            c.tickets,
            c.met,
            c.breached,
            c.open_within,
            c.no_sla,
            pct(c.compliance)
        );
    }
    let cb = &k.callbacks;
    let _ = writeln!(
        o,
        "\nCall-backs: {} requested; backlog {} pending, oldest {} h, median {} h",
        cb.requested_in_range,
        cb.pending,
        num(cb.oldest_age_hours),
        num(cb.median_age_hours)
    );
    for b in &cb.age_buckets {
        let _ = writeln!(o, "  {:<12} {:>5}", b.label, b.pending);
    }
    let _ = writeln!(o, "\nOutage reports per incident:");
    if k.outages.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for x in &k.outages {
        let _ = writeln!(
            o,
            "  {:<14} {:<10} {:<12} {:<10} {:>5} reports, {} to {}",
            x.outage_id,
            x.area_code,
            x.service,
            x.status,
            x.reports,
            x.first_report.format("%Y-%m-%d %H:%M"),
            x.last_report.format("%Y-%m-%d %H:%M")
        );
    }
    let s = &k.satisfaction;
    let _ = writeln!(
        o,
        "\nSatisfaction: {} answers, average {} (1-5: {:?})",
        s.responses,
        num(s.average),
        s.distribution
    );
    for g in &s.per_channel_language {
        let _ = writeln!(
            o,
            "  {:<6} {:<3} {:>5} answers, average {:.2}",
            g.channel, g.language, g.responses, g.average
        );
    }
    o
}

/// CSV: `section,item,measure,value`; an empty range is one `summary,range,empty,true` row
/// after the range's own rows, with the sentence saying so.
pub fn csv(k: &Kpis) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut row = |section: &str, item: &str, measure: &str, value: String| {
        let _ = w.write_record([section, item, measure, value.as_str()]);
    };
    row("section", "item", "measure", "value".into());
    row("summary", "range", "from", k.from.to_string());
    row("summary", "range", "to", k.to.to_string());
    row("summary", "range", "empty", k.empty.to_string());
    if k.empty {
        row("summary", "range", "note", empty_sentence(k));
    }
    let t = &k.totals;
    row("totals", "all", "sessions", t.sessions.to_string());
    row(
        "totals",
        Channel::Ussd.as_str(),
        "sessions",
        t.ussd_sessions.to_string(),
    );
    row(
        "totals",
        Channel::Voice.as_str(),
        "calls",
        t.calls.to_string(),
    );
    row("totals", "all", "completed", t.completed.to_string());
    row("totals", "all", "abandoned", t.abandoned.to_string());
    for d in &k.per_day {
        let item = format!("{} {} {}", d.day, d.channel, d.language);
        row("per_day", &item, "sessions", d.sessions.to_string());
    }
    for s in &k.funnel {
        row("funnel", &s.node, "reached", s.reached.to_string());
        row(
            "funnel",
            &s.node,
            "completed_here",
            s.completed_here.to_string(),
        );
        row(
            "funnel",
            &s.node,
            "dropped_here",
            s.dropped_here.to_string(),
        );
        row(
            "funnel",
            &s.node,
            "drop_off_rate",
            format!("{:.4}", s.drop_off_rate),
        );
    }
    let f = &k.first_contact_resolution;
    row("fcr", "all", "window_days", f.window_days.to_string());
    row("fcr", "all", "contacts", f.contacts.to_string());
    row("fcr", "all", "resolved_first", f.resolved_first.to_string());
    for x in &f.per_topic {
        row("fcr", &x.topic, "contacts", x.contacts.to_string());
        row(
            "fcr",
            &x.topic,
            "resolved_first",
            x.resolved_first.to_string(),
        );
    }
    for c in &k.sla {
        row("sla", &c.category, "tickets", c.tickets.to_string());
        row("sla", &c.category, "met", c.met.to_string());
        row("sla", &c.category, "breached", c.breached.to_string());
        row("sla", &c.category, "open_within", c.open_within.to_string());
        row("sla", &c.category, "no_sla", c.no_sla.to_string());
    }
    let cb = &k.callbacks;
    row(
        "callbacks",
        "all",
        "requested",
        cb.requested_in_range.to_string(),
    );
    row("callbacks", "all", "pending", cb.pending.to_string());
    row(
        "callbacks",
        "all",
        "oldest_age_hours",
        num(cb.oldest_age_hours),
    );
    for b in &cb.age_buckets {
        row("callbacks", b.label, "pending", b.pending.to_string());
    }
    for x in &k.outages {
        row("outages", &x.outage_id, "reports", x.reports.to_string());
    }
    let s = &k.satisfaction;
    row("satisfaction", "all", "responses", s.responses.to_string());
    row("satisfaction", "all", "average", num(s.average));
    for (i, n) in s.distribution.iter().enumerate() {
        row(
            "satisfaction",
            &format!("score {}", i + 1),
            "responses",
            n.to_string(),
        );
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// One bar: its label, and its segments (value and CSS class), drawn end to end.
struct Bar {
    label: String,
    segments: Vec<(f64, &'static str)>,
    /// Written at the bar's end.
    note: String,
}

/// A horizontal bar chart as inline SVG, scaled to its widest bar; `id` names it for the
/// reader (and the browser test). Widths are in the viewBox's units, so the chart shrinks with
/// the screen.
fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> String {
    // About a phone's width in CSS pixels: the labels stay legible when it scales down.
    const W: f64 = 420.0;
    const LABEL: f64 = 140.0;
    const NOTE: f64 = 100.0;
    const ROW: f64 = 24.0;
    let max = bars
        .iter()
        .map(|b| b.segments.iter().map(|s| s.0).sum::<f64>())
        .fold(0.0, f64::max);
    let height = ROW * bars.len() as f64 + 8.0;
    let mut o = format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" viewBox=\"0 0 {W} {height}\" \
         preserveAspectRatio=\"xMinYMin meet\">\
         <title>{}</title>",
        esc(title)
    );
    let span = W - LABEL - NOTE;
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"label\" text-anchor=\"end\">{}</text>",
            LABEL - 6.0,
            y + ROW * 0.62,
            esc(&b.label)
        );
        let mut x = LABEL;
        for (value, class) in &b.segments {
            let w = if max > 0.0 { value / max * span } else { 0.0 };
            if w > 0.0 {
                let _ = write!(
                    o,
                    "<rect class=\"bar {class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"><title>{}: {}</title></rect>",
                    y + 3.0,
                    ROW - 8.0,
                    esc(&b.label),
                    value
                );
            }
            x += w;
        }
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"note\">{}</text>",
            x + 6.0,
            y + ROW * 0.62,
            esc(&b.note)
        );
    }
    o.push_str("</svg>");
    o
}

fn legend(items: &[(&str, &str)]) -> String {
    let mut o = String::from("<p class=\"legend\">");
    for (class, label) in items {
        let _ = write!(
            o,
            "<span><i class=\"swatch {class}\"></i>{}</span> ",
            esc(label)
        );
    }
    o.push_str("</p>");
    o
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut o = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in head {
        let _ = write!(o, "<th>{}</th>", esc(h));
    }
    o.push_str("</tr></thead><tbody>");
    for r in rows {
        o.push_str("<tr>");
        for c in r {
            let _ = write!(o, "<td>{}</td>", esc(c));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>");
    o
}

const STYLE: &str = "\
:root{--ok:#2e7d32;--bad:#c62828;--wait:#f9a825;--main:#1565c0;--mute:#90a4ae;font-family:system-ui,sans-serif}\
body{margin:0 auto;padding:12px;max-width:960px;color:#222;background:#fafafa;line-height:1.4}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}\
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}\
.card b{display:block;font-size:1.5em}\
svg.chart{width:100%;max-width:720px;height:auto;display:block;background:#fff;border:1px solid #eee}\
svg .label,svg .note{font-size:12px;fill:#333}\
.bar.main{fill:var(--main)}.bar.ok{fill:var(--ok)}.bar.bad{fill:var(--bad)}.bar.wait{fill:var(--wait)}.bar.mute{fill:var(--mute)}\
.legend span{margin-right:1em;white-space:nowrap}\
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}\
.swatch.main{background:var(--main)}.swatch.ok{background:var(--ok)}.swatch.bad{background:var(--bad)}.swatch.wait{background:var(--wait)}.swatch.mute{background:var(--mute)}\
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em;background:#fff}\
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}\
.empty{font-size:1.2em;padding:1em;background:#fff3e0;border:1px solid #ffb74d}\
.none{color:#666;font-style:italic}";

/// The report as one HTML page: no script, no external resource.
pub fn html(k: &Kpis) -> String {
    let mut o = String::new();
    let title = format!("dalal KPI report, {} to {}", k.from, k.to);
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>\
         <p>Days in UTC, both included.</p>",
        t = esc(&title)
    );
    if k.empty {
        let _ = write!(
            o,
            "<p class=\"empty\" id=\"empty\">{}</p></body></html>",
            esc(&empty_sentence(k))
        );
        return o;
    }
    let t = &k.totals;
    let f = &k.first_contact_resolution;
    let card = |label: &str, value: String| {
        format!(
            "<div class=\"card\"><b>{}</b>{}</div>",
            esc(&value),
            esc(label)
        )
    };
    o.push_str("<div class=\"cards\">");
    o.push_str(&card("sessions and calls", t.sessions.to_string()));
    o.push_str(&card("completed", pct(t.completion_rate)));
    o.push_str(&card(
        &format!("first-contact resolution ({} days)", f.window_days),
        pct(f.rate),
    ));
    o.push_str(&card("call-backs pending", k.callbacks.pending.to_string()));
    o.push_str(&card("satisfaction (1-5)", num(k.satisfaction.average)));
    o.push_str("</div>");

    // Sessions per day and channel; languages in the table below.
    o.push_str("<h2>Sessions and calls per day</h2>");
    let mut days: Vec<(chrono::NaiveDate, u64, u64)> = Vec::new();
    for d in &k.per_day {
        if days.last().map(|x| x.0) != Some(d.day) {
            days.push((d.day, 0, 0));
        }
        let last = days.last_mut().expect("pushed");
        if d.channel == Channel::Voice.as_str() {
            last.2 += d.sessions;
        } else {
            last.1 += d.sessions;
        }
    }
    let bars: Vec<Bar> = days
        .iter()
        .map(|(day, ussd, voice)| Bar {
            label: day.to_string(),
            segments: vec![(*ussd as f64, "main"), (*voice as f64, "wait")],
            note: format!("{ussd} USSD, {voice} calls"),
        })
        .collect();
    o.push_str(&legend(&[("main", "USSD"), ("wait", "calls")]));
    o.push_str(&bar_chart(
        "chart-days",
        "Sessions and calls per day",
        &bars,
    ));
    let rows: Vec<Vec<String>> = k
        .per_day
        .iter()
        .map(|d| {
            vec![
                d.day.to_string(),
                d.channel.clone(),
                d.language.clone(),
                d.sessions.to_string(),
            ]
        })
        .collect();
    o.push_str(&table(&["day", "channel", "language", "sessions"], &rows));

    o.push_str("<h2>Funnel: where callers give up</h2>");
    o.push_str(&legend(&[
        ("ok", "went on or completed here"),
        ("bad", "gave up here"),
    ]));
    let bars: Vec<Bar> = k
        .funnel
        .iter()
        .map(|s| Bar {
            label: s.node.clone(),
            segments: vec![
                ((s.reached - s.dropped_here) as f64, "ok"),
                (s.dropped_here as f64, "bad"),
            ],
            note: format!("{} · {} left", s.reached, pct(Some(s.drop_off_rate))),
        })
        .collect();
    o.push_str(&bar_chart("chart-funnel", "Sessions per screen", &bars));

    o.push_str("<h2>First-contact resolution</h2>");
    if f.per_topic.is_empty() {
        o.push_str("<p class=\"none\">No session did anything to resolve.</p>");
    } else {
        let bars: Vec<Bar> = f
            .per_topic
            .iter()
            .map(|x| Bar {
                label: x.topic.clone(),
                segments: vec![
                    (x.resolved_first as f64, "ok"),
                    ((x.contacts - x.resolved_first) as f64, "bad"),
                ],
                note: format!("{} of {}", x.resolved_first, x.contacts),
            })
            .collect();
        o.push_str(&legend(&[
            ("ok", "resolved first time"),
            ("bad", "came back"),
        ]));
        o.push_str(&bar_chart("chart-fcr", "First-contact resolution", &bars));
    }

    o.push_str("<h2>SLA compliance per ticket category</h2>");
    if k.sla.is_empty() {
        o.push_str("<p class=\"none\">No ticket filed in the range.</p>");
    } else {
        o.push_str(&legend(&[
            ("ok", "met"),
            ("bad", "breached"),
            ("wait", "open, within SLA"),
            ("mute", "no SLA"),
        ]));
        let bars: Vec<Bar> = k
            .sla
            .iter()
            .map(|c| Bar {
                label: c.category.clone(),
                segments: vec![
                    (c.met as f64, "ok"),
                    (c.breached as f64, "bad"),
                    (c.open_within as f64, "wait"),
                    (c.no_sla as f64, "mute"),
                ],
                note: format!("{} · {}", c.tickets, pct(c.compliance)),
            })
            .collect();
        o.push_str(&bar_chart(
            "chart-sla",
            "Tickets per category against their SLA",
            &bars,
        ));
    }

    let cb = &k.callbacks;
    let _ = write!(
        o,
        "<h2>Call-back backlog</h2><p>{} requested in the range; {} pending, oldest {} h, median {} h.</p>",
        cb.requested_in_range,
        cb.pending,
        num(cb.oldest_age_hours),
        num(cb.median_age_hours)
    );
    if cb.pending > 0 {
        let bars: Vec<Bar> = cb
            .age_buckets
            .iter()
            .map(|b| Bar {
                label: b.label.to_string(),
                segments: vec![(b.pending as f64, "wait")],
                note: b.pending.to_string(),
            })
            .collect();
        o.push_str(&bar_chart(
            "chart-callbacks",
            "Pending call-backs by age",
            &bars,
        ));
    }

    o.push_str("<h2>Outage reports per incident</h2>");
    if k.outages.is_empty() {
        o.push_str("<p class=\"none\">No outage report in the range.</p>");
    } else {
        let bars: Vec<Bar> = k
            .outages
            .iter()
            .map(|x| Bar {
                label: format!("{} ({})", x.outage_id, x.area_code),
                segments: vec![(x.reports as f64, "main")],
                note: format!("{} · {}", x.reports, x.status),
            })
            .collect();
        o.push_str(&bar_chart("chart-outages", "Reports per outage", &bars));
    }

    let s = &k.satisfaction;
    let _ = write!(
        o,
        "<h2>Satisfaction</h2><p>{} answers, average {}.</p>",
        s.responses,
        num(s.average)
    );
    if s.responses > 0 {
        let bars: Vec<Bar> = s
            .distribution
            .iter()
            .enumerate()
            .map(|(i, n)| Bar {
                label: format!("score {}", i + 1),
                segments: vec![(*n as f64, if i < 2 { "bad" } else { "ok" })],
                note: n.to_string(),
            })
            .collect();
        o.push_str(&bar_chart(
            "chart-satisfaction",
            "Survey answers by score",
            &bars,
        ));
        let rows: Vec<Vec<String>> = s
            .per_channel_language
            .iter()
            .map(|g| {
                vec![
                    g.channel.clone(),
                    g.language.clone(),
                    g.responses.to_string(),
                    format!("{:.2}", g.average),
                ]
            })
            .collect();
        o.push_str(&table(
            &["channel", "language", "answers", "average"],
            &rows,
        ));
    }
    o.push_str("</body></html>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Range, ReportData, SessionRow, compute};
    use chrono::TimeZone;

    fn kpis(sessions: Vec<SessionRow>) -> Kpis {
        let range = Range::parse("2026-11-10", "2026-11-10").unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        compute(
            &ReportData {
                sessions,
                ..ReportData::default()
            },
            range,
            7,
            now,
        )
    }

    #[test]
    fn an_empty_range_says_so_in_every_format() {
        let k = kpis(vec![]);
        assert!(text(&k).contains("No activity between 2026-11-10 and 2026-11-10"));
        assert!(csv(&k).contains("summary,range,empty,true"));
        assert!(csv(&k).contains("No activity"));
        let page = html(&k);
        assert!(page.contains("id=\"empty\""));
        assert!(!page.contains("<svg"));
    }

    #[test]
    fn html_is_self_contained_and_escapes_names() {
        let k = kpis(vec![SessionRow {
            channel: "ussd".into(),
            language: Some("fr".into()),
            path: "main>a&b<c".into(),
            outcome: None,
            ended: false,
            started_at: chrono::Utc.with_ymd_and_hms(2026, 11, 10, 9, 0, 0).unwrap(),
            account_no: None,
            phone: "+221700000001".into(),
        }]);
        let page = html(&k);
        assert!(!page.contains("<script"), "no script");
        assert!(
            page.contains("a&amp;b&lt;c") && !page.contains("a&b<c"),
            "names escaped"
        );
        assert!(
            !page.contains("src=") && !page.contains("href="),
            "nothing fetched"
        );
        assert!(!page.contains("+221700000001"), "no phone number");
        assert!(page.contains("id=\"chart-funnel\""));
        assert!(page.contains("class=\"bar bad\""));
        assert!(page.contains("name=\"viewport\""));
        assert!(csv(&k).contains("funnel,a&b<c,dropped_here,1"));
    }
}
