"""The one font family invoices are drawn with: DejaVu Sans from the system, cut down once.

The system's DejaVu Sans has 6,000 glyphs and a MATH table; every PDF embeds a subset of the
faces it uses, which fontTools cuts in about 0.3 s a face from the full font (WeasyPrint uses
HarfBuzz's subsetter when the system has it, much faster, but it is often missing). So each
machine cuts the font once to the letters EU invoices are written in (Latin-1, Latin
Extended-A, Romanian, dashes and quotes, currency signs), without hinting, kerning or shaping
tables: about 35 KB and 450 glyphs a face, kept in a cache folder of the temporary directory.
Subsetting that per PDF takes a few milliseconds and leaves about 15 KB of PDF (embedding it
whole was slower, 48 KB). Characters outside it fall back to another system font (subset
from the full font: slower, still correct). No font file is part of the repository.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FAMILY = "Invoice Sans"
FALLBACK_DIR = Path("/usr/share/fonts/truetype/dejavu")
FACES = {
    "regular": ("DejaVu Sans", "DejaVuSans.ttf"),
    "bold": ("DejaVu Sans:bold", "DejaVuSans-Bold.ttf"),
}
UNICODES = (
    *range(0x20, 0x7F),  # ASCII
    *range(0xA0, 0x180),  # Latin-1, Latin Extended-A (every EU language in Latin script)
    *range(0x218, 0x21C),  # Romanian comma-below letters (Latin Extended-B)
    *range(0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    0x2030,  # per mille
    *range(0x20A0, 0x20C1),  # currency signs
    0x2116,  # №
    0x2122,  # ™
    0x2212,  # minus
    0xFFFD,
)
DROPPED_TABLES = ["MATH", "GSUB", "GPOS", "kern", "FFTM"]


@functools.cache
def system_font(face: str) -> str:
    """The system file of a face ("regular", "bold") of DejaVu Sans: fontconfig's answer,
    else the Debian path."""
    pattern, name = FACES[face]
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(  # noqa: S603 - fixed arguments
                [fc_match, "-f", "%{file}", pattern],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found.endswith(name) and Path(found).is_file():
            return found
    return str(FALLBACK_DIR / name)


@functools.cache
def font_file(face: str) -> str:
    """The path of the cut-down face, made on first use (and kept for the machine's next
    processes: its name carries a digest of the source file and of what is kept)."""
    source = Path(system_font(face))
    stat = source.stat()
    key = hashlib.sha256(
        f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{UNICODES}:{DROPPED_TABLES}".encode()
    ).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "tessera-invoice-fonts"
    target = folder / f"invoice-sans-{face}-{key}.ttf"
    if not target.is_file():
        folder.mkdir(exist_ok=True)
        data = _cut(source)
        scratch = target.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_bytes(data)
        scratch.replace(target)  # atomic: another process writing the same file is harmless
    return str(target)


def _cut(source: Path) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options(hinting=False, notdef_outline=True, name_IDs=["*"])
    options.drop_tables += DROPPED_TABLES
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    font = TTFont(str(source))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_face_css() -> str:
    """@font-face rules of the family, regular and bold, for an invoice's stylesheet."""
    rules = []
    for face, weight in (("regular", "normal"), ("bold", "bold")):
        url = Path(font_file(face)).as_uri()
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; src: url("{url}"); font-weight: {weight}; }}'
        )
    return "\n".join(rules)
