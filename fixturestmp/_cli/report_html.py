"""``fixturestmp report``: the report's data as one self-contained HTML page.

No script, font, image or style is loaded from anywhere: the style is
inline, the chart is inline SVG, and a Content-Security-Policy forbids the
page any fetch at all, so it opens the same from a CI artifact, an e-mail or
a machine without network. The DOM stays small whatever the session's size:
each process's memory line is one SVG path (thinned to two points per pixel
column), only the top growers are marked, and passed tests are counted, not
listed.
"""

from html import escape
from typing import Any

from fixturestmp._store.naming import printable
from fixturestmp.leaks.findings import format_bytes

__all__ = [
    "CHART_HEIGHT",
    "CHART_WIDTH",
    "memory_chart",
    "render_html",
]

CHART_WIDTH = 960
CHART_HEIGHT = 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 16, 16, 44
_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f",
            "#bcbd22", "#e377c2")  # fmt: skip

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:70em;
 padding:0 1em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .5em;
 border-bottom:1px solid #ddd}h3{font-size:1em;margin:1.2em 0 .2em}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f6f6;padding:.5em .7em;overflow-x:auto;margin:.3em 0}
table{border-collapse:collapse}td,th{padding:.2em .7em;text-align:left;
 border-bottom:1px solid #eee;vertical-align:top}th{background:#f3f3f3}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b00020;font-weight:600}.muted{color:#666}
svg text{font:11px system-ui,sans-serif;fill:#444}
.rss{fill:none;stroke-width:1.2}.grower{fill:#d62728;stroke:#fff}
.axis{stroke:#999}.grid{stroke:#eee}
"""


def _e(value: Any) -> str:
    # Names come from test ids and the file system: undecodable bytes and
    # control characters are shown as escapes, then HTML-escaped.
    return escape(printable(str(value)))


def render_html(data: dict[str, Any]) -> str:
    """Return the page for ``data``, as
    :func:`~fixturestmp._cli.report_data.build_report`
    makes it."""
    session = data["session"]
    name = session["path"].rstrip("/").rpartition("/")[2]
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        # No fetch of any kind: the page is all there is.
        '<meta http-equiv="Content-Security-Policy" content="default-src '
        "'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width">',
        f"<title>fixturestmp report: {_e(name)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>fixturestmp report: {_e(name)}</h1>",
        _summary(data),
    ]
    if data["memory"]:
        parts.append(_memory_section(data["memory"]))
    parts.append(_leak_section(data["leaks"]))
    parts.append(_failed_section(data["failed"]))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _summary(data: dict[str, Any]) -> str:
    session, counts = data["session"], data["summary"]
    rows = [
        ("Session", f"<code>{_e(session['path'])}</code>"
         + (" (in use)" if session["live"] else "")),
        ("Temporary directories", counts["directories"]),
        ("Failed", _bad(counts["failed"])),
        ("Outcome unknown (kept like failed)", _bad(counts["unknown"])),
        ("Directories kept", counts["kept"]),
        ("Directories of passed or skipped tests removed", counts["removed"]),
        ("Leaks", _bad(counts["leaks"])),
        ("Tests measured by the memory check", counts["measured"]),
    ]  # fmt: skip
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f'<table class="summary" id="summary">{body}</table>'


def _bad(count: int) -> str:
    return f'<span class="bad">{count}</span>' if count else "0"


def _failed_section(failed: list[dict[str, Any]]) -> str:
    parts = [f'<h2 id="failed">Failed tests ({len(failed)})</h2>']
    if not failed:
        parts.append("<p>None.</p>")
    for test in failed:
        parts.append(
            f'<section class="failed-test" data-test="{_e(test["id"])}">'
            f"<h3><code>{_e(test['id'])}</code> "
            f'<span class="bad">{_e(test["outcome"])}</span></h3>'
        )
        if not test["retained"]:
            parts.append("<p class=\"muted\">Its directory was not kept "
                         "(retention policy).</p></section>")  # fmt: skip
            continue
        parts.append(f"<p>Kept at <code>{_e(test['path'])}</code></p>")
        if "listing" not in test:
            parts.append("<p class=\"muted\">(listing left out: only the first "
                         "failed tests are listed in full)</p></section>")  # fmt: skip
            continue
        if not test["exists"]:
            parts.append('<p class="muted">The directory no longer exists.</p>')
        elif test["listing"]:
            lines = [_listing_line(entry) for entry in test["listing"]]
            if test["listing_more"]:
                lines.append(f"... and {test['listing_more']} more entries")
            parts.append(f'<pre class="listing">{_e(chr(10).join(lines))}</pre>')
        else:
            parts.append('<p class="muted">The directory is empty.</p>')
        for preview in test["previews"]:
            text = "\n".join(preview["lines"])
            if preview["more"]:
                text += f"\n... {preview['more']} more lines"
            parts.append(
                f"<details open><summary><code>{_e(preview['path'])}</code>"
                f'</summary><pre class="preview">{_e(text)}</pre></details>'
            )
        parts.append("</section>")
    return "\n".join(parts)


def _listing_line(entry: dict[str, Any]) -> str:
    kind, path = entry["kind"], entry["path"]
    if kind == "file":
        return f"{entry['size']:>12,d}  {path}"
    if kind == "dir":
        return f"{'':>12}  {path}/"
    if kind == "link":
        return f"{'link':>12}  {path} -> {entry['target']} (not followed)"
    if kind == "error":
        return f"{'unreadable':>12}  {path}: {entry['error']}"
    return f"{kind:>12}  {path}"


def _leak_section(leaks: list[dict[str, Any]]) -> str:
    parts = [f'<h2 id="leaks">Leaks ({len(leaks)})</h2>']
    if not leaks:
        parts.append("<p>None recorded.</p>")
        return "\n".join(parts)
    parts.append("<table class=\"leaks\"><tr><th>check</th><th>test</th>"
                 "<th>size</th><th>report</th></tr>")  # fmt: skip
    for leak in leaks:
        size = leak.get("size")
        shown = size
        if leak.get("check") == "memory" and isinstance(size, int):
            shown = format_bytes(size)
        parts.append(
            f'<tr class="leak"><td>{_e(str(leak.get("check")))}</td>'
            f"<td><code>{_e(str(leak.get('id')))}</code></td>"
            f'<td class="n">{_e(str(shown))}</td>'
            f"<td>{_e(str(leak.get('summary')))}</td></tr>"
        )
    parts.append("</table>")
    return "\n".join(parts)


def _memory_section(memory: dict[str, Any]) -> str:
    top = memory["top"]
    items = "".join(
        f'<li data-test="{_e(test["id"])}"><code>{_e(test["id"])}</code>'
        f" grew RSS by <b>{format_bytes(test['growth'])}</b> "
        f"({format_bytes(test['before'])} to {format_bytes(test['after'])}; "
        f"process {test['pid']}, its test {test['seq'] + 1})</li>"
        for test in top
    )
    return (
        "<h2 id=\"memory\">Resident memory across the run</h2>"
        "<p>RSS after each test, in the order each process ran its tests, "
        "one line per process. The red dots mark the tests that grew it most, "
        "numbered as below.</p>"
        + memory_chart(memory)
        + (f"<ol class=\"growers\">{items}</ol>" if items else
           "<p>No test grew resident memory.</p>")
    )  # fmt: skip


def memory_chart(memory: dict[str, Any]) -> str:
    """Return the inline SVG chart of
    :func:`~fixturestmp._cli.report_data.memory_series`.
    """
    processes = memory["processes"]
    longest = max((len(p["tests"]) for p in processes), default=0)
    values = [t[k] for p in processes for t in p["tests"] for k in ("before", "after")]
    low, high = min(values, default=0), max(values, default=1)
    pad = max((high - low) * 0.05, 10**6)
    low, high = max(low - pad, 0), high + pad
    width = CHART_WIDTH - _LEFT - _RIGHT
    height = CHART_HEIGHT - _TOP - _BOTTOM
    span = max(longest - 1, 1)

    def x(index: int) -> float:
        return _LEFT + index * width / span

    def y(value: int) -> float:
        return _TOP + height - (value - low) * height / (high - low)

    parts = [
        f'<svg id="memory-chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
        f'aria-label="Resident memory after each test">'
    ]
    for step in range(5):
        value = round(low + (high - low) * step / 4)
        at = y(value)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_LEFT + width}" '
            f'y1="{at:.1f}" y2="{at:.1f}"/><text x="{_LEFT - 6}" '
            f'y="{at + 4:.1f}" text-anchor="end">{format_bytes(value)}</text>'
        )
    bottom = _TOP + height
    parts.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_LEFT + width}" y1="{bottom}" '
        f'y2="{bottom}"/><text x="{_LEFT}" y="{bottom + 16}">1</text>'
        f'<text x="{_LEFT + width}" y="{bottom + 16}" text-anchor="end">'
        f'{longest}</text><text x="{_LEFT + width / 2}" y="{bottom + 34}" '
        f'text-anchor="middle">tests, in the order each process ran them</text>'
    )
    marks = {
        (t["pid"], t["seq"], t["id"]): rank for rank, t in enumerate(memory["top"], 1)
    }
    dots = []
    for number, process in enumerate(processes):
        colour = _COLOURS[number % len(_COLOURS)]
        points = _thinned(process["tests"], x, width)
        path = "".join(
            f"{'L' if i else 'M'}{x(index):.1f},{y(value):.1f}"
            for i, (index, value) in enumerate(points)
        )
        parts.append(
            f'<path class="rss" stroke="{colour}" data-pid="{process["pid"]}" '
            f'd="{path}"><title>process {process["pid"]}: '
            f"{len(process['tests'])} tests</title></path>"
        )
        for index, test in enumerate(process["tests"]):
            rank = marks.get((process["pid"], test["seq"], test["id"]))
            if rank is None:
                continue
            cx, cy = x(index), y(test["after"])
            grown = format_bytes(test["after"] - test["before"])
            dots.append(
                f'<circle class="grower" data-test="{_e(test["id"])}" '
                f'data-rank="{rank}" cx="{cx:.1f}" cy="{cy:.1f}" r="5">'
                f"<title>{rank}. {_e(test['id'])}: +{grown}</title></circle>"
                f'<text x="{cx + 7:.1f}" y="{cy - 6:.1f}">{rank}</text>'
            )
    parts.extend(dots)
    parts.append("</svg>")
    return "".join(parts)


def _thinned(tests: list[dict[str, Any]], x: Any, width: int) -> list[tuple[int, int]]:
    """Return ``(index, RSS after)`` points, at most two per pixel column.

    The lowest and highest of each column are kept, in order, so that every
    rise and fall still shows; a 10,000-test line stays a short path.
    """
    if len(tests) <= 2 * width:
        return [(index, test["after"]) for index, test in enumerate(tests)]
    points: list[tuple[int, int]] = []
    column = -1
    low = high = (0, 0)
    for index, test in enumerate(tests):
        here = int(x(index))
        point = (index, test["after"])
        if here != column:
            if column >= 0:
                points.extend(sorted({low, high}))
            column, low, high = here, point, point
            continue
        if point[1] < low[1]:
            low = point
        if point[1] > high[1]:
            high = point
    points.extend(sorted({low, high}))
    return points
