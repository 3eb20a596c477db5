"""The report's Thai font: Sarabun (SIL Open Font License 1.1), vendored in `fonts/` so that Thai renders the
same on every machine, whether or not it has a Thai font.

- The HTML page embeds it: `embedded_font_css(page)` subsets each face to the characters the page uses and
  inlines it as a WOFF `data:` URI in `@font-face` rules (a few tens of kB; nothing is fetched).
- The charts draw their Thai labels with it: `chart_font()` is a TrueType copy matplotlib can read (matplotlib
  does not read WOFF), converted once into a temporary folder of the user's.

The files are Sarabun 400 and 700 as split by Fontsource into a Thai and a Latin subset (npm
`@fontsource/sarabun` 5.3.0); `fonts/README.md` lists them with their checksums; `fonts/OFL.txt` is the
licence.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).with_name("fonts")
FAMILY = "Sarabun"
# (file, weight, unicode-range) as Fontsource declares them: the browser takes each character from the face
# whose range holds it.
FACES = (
    ("sarabun-thai-400-normal.woff", 400, "U+02D7,U+0303,U+0331,U+0E01-0E5B,U+200C-200D,U+25CC"),
    ("sarabun-thai-700-normal.woff", 700, "U+02D7,U+0303,U+0331,U+0E01-0E5B,U+200C-200D,U+25CC"),
    (
        "sarabun-latin-400-normal.woff",
        400,
        "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,"
        "U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD",
    ),
    (
        "sarabun-latin-700-normal.woff",
        700,
        "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,"
        "U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD",
    ),
)


def subset_woff(font_file: Path, text: str) -> bytes | None:
    """`font_file` reduced to the glyphs `text` needs (with Thai's mark positioning and ligatures), as WOFF;
    None when the font draws none of its characters."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(font_file)
    # The distinct characters first: a national report's page has millions, of a few hundred kinds.
    wanted = {ord(c) for c in set(text)} & set(font.getBestCmap())
    if not wanted:
        return None
    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed: no Brotli needed
    options.layout_features = ["*"]  # keep every feature: Thai tone marks are placed by GPOS/GSUB
    options.name_IDs = ["*"]  # keep the copyright and licence notice in the font
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def embedded_font_css(page_text: str) -> str:
    """`@font-face` rules for Sarabun, each face subset to the characters of `page_text` and inlined."""
    rules = []
    for name, weight, unicode_range in FACES:
        data = subset_woff(FONT_DIR / name, page_text)
        if data is None:
            continue
        rules.append(
            "@font-face { "
            f"font-family: '{FAMILY}'; font-style: normal; font-weight: {weight}; font-display: block; "
            f"src: url(data:font/woff;base64,{base64.b64encode(data).decode('ascii')}) format('woff'); "
            f"unicode-range: {unicode_range}; }}"
        )
    return "\n".join(rules)


@lru_cache(maxsize=2)
def chart_font(weight: int = 400) -> Path:
    """A TrueType copy of a Thai face (400 or 700) for matplotlib, made once per version of the file."""
    from fontTools.ttLib import TTFont

    source = FONT_DIR / f"sarabun-thai-{weight}-normal.woff"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    target = (
        Path(tempfile.gettempdir()) / f"smartcity-fonts-{os.getuid()}" / f"Sarabun-Thai-{weight}-{digest}.ttf"
    )
    if not target.exists():
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        font = TTFont(source)
        font.flavor = None
        partial = target.with_suffix(f".{os.getpid()}.partial")
        font.save(partial)
        os.replace(partial, target)  # concurrent reports never read half a file
    return target
