"""The visible text of a PDF that WeasyPrint wrote: inflate its streams, read the fonts'
ToUnicode maps and decode the text-showing operators. Enough for tests, not a PDF parser."""

from __future__ import annotations

import re
import zlib

_HEX = rb"<([0-9a-fA-F]+)>"
_RANGE = _HEX + rb"\s*" + _HEX + rb"\s*" + _HEX


def pdf_text(pdf: bytes) -> str:
    streams = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(m.group(1)))
        except zlib.error:
            streams.append(m.group(1))
    cmap = {}
    for s in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.S):
            for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                cmap[src.decode().lower()] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", s, re.S):
            for lo, hi, dst in re.findall(
                rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
            ):
                width = len(lo)
                start = int(dst, 16)
                for n, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    cmap[f"{code:0{width}x}"] = chr(start + n)
    out = []
    for s in streams:
        for arr in re.findall(rb"\[(.*?)\]\s*TJ|<([0-9a-fA-F]+)>\s*Tj", s, re.S):
            chunk = arr[0] or b"<" + arr[1] + b">"
            for hexs in re.findall(rb"<([0-9a-fA-F]+)>", chunk):
                h = hexs.decode().lower()
                out.append("".join(cmap.get(h[i : i + 4], "?") for i in range(0, len(h), 4)))
            out.append(" ")
    return "".join(out)
