"""Render a `Report` as Markdown, as an HTML fragment (for the web app) or as a whole HTML document.

Every citation is a link to its numbered reference (`#ref-N`); every reference lists title, address
and date. All text is escaped.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files

from sharemap.report.model import Bullets, Chart, Diagram, Note, Para, Report, Sentence, Table

STATUS_COLOURS = {
    "open": "#0072B2",
    "conditional": "#E69F00",
    "closed_by_law": "#D55E00",
    "unknown": "#999999",
    "inactive": "#BBBBBB",
}


def _md_cites(cites: tuple[int, ...]) -> str:
    return "".join(f"[[{n}]](#ref-{n})" for n in cites)


def _md_sentence(s: Sentence) -> str:
    return f"{s.text} {_md_cites(s.cites)}"


def _md_path(path: str) -> str:
    return "<" + path.replace("<", "%3C").replace(">", "%3E") + ">"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """The report as Markdown, its numbered references at the end."""
    out = [
        f"# {report.title}",
        "",
        f"_Generated {report.generated} by sharemap. Date asked: {report.date.isoformat()}._",
        "",
    ]
    for sec in report.sections:
        out += [f"## {sec.title}", ""]
        for b in sec.blocks:
            if isinstance(b, Para):
                out += [" ".join(_md_sentence(s) for s in b.sentences), ""]
            elif isinstance(b, Bullets):
                out += [f"- {_md_sentence(s)}" for s in b.items] + [""]
            elif isinstance(b, Note):
                out += [f"_{b.text}_", ""]
            elif isinstance(b, Table):
                if b.caption:
                    out += [f"**{b.caption}**", ""]
                out.append("| " + " | ".join(b.columns) + " | sources |")
                out.append("|" + "---|" * (len(b.columns) + 1))
                for i, (row, cites) in enumerate(zip(b.rows, b.cites, strict=True)):
                    cells = [_md_cell(x) for x in row]
                    link = b.links[i] if b.links else None
                    if link:
                        cells[0] = f"[{cells[0]}]({link})"
                    out.append("| " + " | ".join(cells) + f" | {_md_cites(cites)} |")
                out.append("")
            elif isinstance(b, Chart):
                out += [f"_Chart: {b.alt}._ {_md_sentence(b.caption)}", ""]
                out += [f"![{b.alt}]({_md_path(x)})" for x in b.images] + ([""] if b.images else [])
            elif isinstance(b, Diagram):
                out.append(_md_sentence(b.caption))
                out.append("")
                out.append("```")
                for p in b.paths:
                    routes = f" ({p['count']} routes)" if p.get("count", 1) > 1 else ""
                    out.append(f"[{p['status']}] " + " -> ".join(p["systems"]) + routes)
                out += ["```", ""]
    out += ["## References", ""]
    for r in report.references:
        out.append(f'<a id="ref-{r.n}"></a>{r.n}. {_ref_md(r)}')
    out += ["", "## Follow-up questions", ""]
    out += [f"- {q}" for q in report.followups]
    return "\n".join(out) + "\n"


def _ref_md(r: object) -> str:
    from sharemap.report.model import Reference

    assert isinstance(r, Reference)
    parts = [r.title]
    if r.url:
        parts.append(f"<{r.url}>")
    if r.location:
        parts.append(r.location)
    parts.append(r.dated)
    return ". ".join(parts)


def _cites_html(cites: tuple[int, ...]) -> str:
    return "".join(f'<sup class="cite"><a href="#ref-{n}">[{n}]</a></sup>' for n in cites)


def _sentence_html(s: Sentence) -> str:
    return f"{escape(s.text)}{_cites_html(s.cites)}"


def diagram_html(paths: tuple[dict[str, object], ...] | list[dict[str, object]]) -> str:
    """A trace drawn as rows of system boxes joined by arrows; readable without JavaScript."""
    rows = []
    for p in paths:
        status = str(p["status"])
        colour = STATUS_COLOURS.get(status, "#999")
        systems = list(p["systems"])  # type: ignore[call-overload]
        channels = list(p["channels"])  # type: ignore[call-overload]
        cells = []
        for i, s in enumerate(systems):
            cells.append(f'<span class="node">{escape(str(s))}</span>')
            if i < len(channels):
                cells.append(
                    f'<span class="arrow" style="color:{colour}" title="{escape(str(channels[i]))}" '
                    f'aria-label="{escape(str(channels[i]))}">→</span>'
                )
        count = p.get("count", 1)
        routes = (
            f' <span class="routes">({count} routes)</span>' if isinstance(count, int) and count > 1 else ""
        )
        rows.append(
            f'<li class="path status-{escape(status)}" style="border-left:6px solid {colour}">'
            f'<span class="status">{escape(status.replace("_", " "))}</span> {"".join(cells)}{routes}</li>'
        )
    return '<ol class="diagram">' + "".join(rows) + "</ol>"


def to_html_fragment(report: Report) -> str:
    out = [f'<article class="report" lang="en"><h1>{escape(report.title)}</h1>']
    out.append(
        f'<p class="meta">Generated {escape(report.generated)} by sharemap. Date asked: '
        f"{escape(report.date.isoformat())}.</p>"
    )
    out.append('<nav class="toc" aria-label="Contents"><ol>')
    for sec in report.sections:
        out.append(f'<li><a href="#sec-{escape(sec.id)}">{escape(sec.title)}</a></li>')
    out.append(
        '<li><a href="#references">References</a></li><li><a href="#followups">Follow-up questions</a></li>'
    )
    out.append("</ol></nav>")
    for sec in report.sections:
        first = sec.appendix and sec is next(x for x in report.sections if x.appendix)
        cls = ' class="appendix appendix-first"' if first else (' class="appendix"' if sec.appendix else "")
        out.append(f'<section id="sec-{escape(sec.id)}"{cls}><h2>{escape(sec.title)}</h2>')
        for b in sec.blocks:
            if isinstance(b, Para):
                out.append("<p>" + " ".join(_sentence_html(s) for s in b.sentences) + "</p>")
            elif isinstance(b, Bullets):
                out.append("<ul>" + "".join(f"<li>{_sentence_html(s)}</li>" for s in b.items) + "</ul>")
            elif isinstance(b, Note):
                out.append(f'<p class="note"><em>{escape(b.text)}</em></p>')
            elif isinstance(b, Table):
                out.append('<div class="table-wrap"><table>')
                if b.caption:
                    out.append(f"<caption>{escape(b.caption)}</caption>")
                out.append(
                    "<thead><tr>"
                    + "".join(f'<th scope="col">{escape(c)}</th>' for c in b.columns)
                    + '<th scope="col">sources</th></tr></thead><tbody>'
                )
                for i, (row, cites) in enumerate(zip(b.rows, b.cites, strict=True)):
                    cells = [escape(x) for x in row]
                    link = b.links[i] if b.links else None
                    if link:
                        cells[0] = f'<a href="{escape(link)}" rel="noopener">{cells[0]}</a>'
                    out.append(
                        "<tr>"
                        + "".join(f"<td>{c}</td>" for c in cells)
                        + f"<td>{_cites_html(cites)}</td></tr>"
                    )
                out.append("</tbody></table></div>")
            elif isinstance(b, Chart):
                out.append(
                    f'<figure class="chart">{b.svg}'
                    f"<figcaption>{_sentence_html(b.caption)}</figcaption></figure>"
                )
            elif isinstance(b, Diagram):
                out.append(
                    f'<figure class="trace">{diagram_html(b.paths)}'
                    f"<figcaption>{_sentence_html(b.caption)}</figcaption></figure>"
                )
        out.append("</section>")
    out.append('<section id="references"><h2>References</h2><ol class="references">')
    for r in report.references:
        url = f' <a href="{escape(r.url)}" rel="noopener">{escape(r.url)}</a>.' if r.url else ""
        loc = f" {escape(r.location)}." if r.location else ""
        out.append(
            f'<li id="ref-{r.n}" value="{r.n}" data-kind="{r.kind}">'
            f'<span class="ref-title">{escape(r.title)}</span>.'
            f'{url}{loc} <span class="ref-date">{escape(r.dated)}</span></li>'
        )
    out.append('</ol></section><section id="followups"><h2>Follow-up questions</h2><ul>')
    out += [f"<li>{escape(q)}</li>" for q in report.followups]
    out.append("</ul></section></article>")
    return "\n".join(out)


def report_css() -> str:
    return files("sharemap.report").joinpath("templates/report.css").read_text(encoding="utf-8")


def to_html(report: Report) -> str:
    """A whole HTML document (styles inline), for saving, printing and PDF."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(report.title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{report_css()}</style></head><body>{to_html_fragment(report)}</body></html>\n"
    )
