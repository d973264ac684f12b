"""Reading a report page back: its elements, attributes and text."""

from html.parser import HTMLParser

__all__ = ["Elements", "parse"]


class Elements(HTMLParser):
    """Every element's tag, attributes and text, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        text: list[str] = []
        self.elements.append((tag, dict(attrs), text))
        if tag not in ("meta", "line", "circle", "br", "path"):
            self._open.append(text)

    def handle_endtag(self, tag):
        if self._open and tag not in ("meta", "line", "circle", "br", "path"):
            self._open.pop()

    def handle_data(self, data):
        for text in self._open:
            text.append(data)

    def find(self, tag: str, cls: str | None = None) -> list[tuple[dict, str]]:
        return [
            (attrs, "".join(text))
            for name, attrs, text in self.elements
            if name == tag and (cls is None or cls in attrs.get("class", "").split())
        ]


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser
