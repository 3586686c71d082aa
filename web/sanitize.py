"""Make a client's HTML mail safe to show on a desk page.

Only text markup survives: no scripts, styles, forms, frames, images (remote images
would tell the sender the mail was opened) or event handlers, and links keep only
http, https and mailto targets, opening without a referrer. The result is inserted into
the page as markup; the page's Content-Security-Policy is a second barrier.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small", "span",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Elements dropped together with everything inside them, not just their tags.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "head", "noscript", "template", "svg", "math", "iframe", "object"})
MAX_HTML_CHARS = 500_000


def sanitise_mail_html(html: str) -> str:
    """Return `html` reduced to inert text markup (see the module docstring)."""
    return nh3.clean(
        html[:MAX_HTML_CHARS],
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
