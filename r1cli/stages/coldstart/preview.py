"""preview.html: the kept samples on one self-contained page (inline style, no script, no link), prompt,
reasoning and summary side by side; every text is HTML-escaped, so a sample cannot break the page."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #ccc; padding: .5em; vertical-align: top; text-align: left; }
td { white-space: pre-wrap; overflow-wrap: anywhere; font-family: monospace; font-size: 90%; }
th { background: #f0f0f0; }
"""


def page(rows: list[dict[str, Any]], title: str) -> str:
    body = "".join(
        f'<tr id="{escape(r["id"])}"><td>{escape(r["id"])}</td><td>{escape(r["prompt"])}\n\nanswer: '
        f'{escape(r["answer"])}</td><td>{escape(r["reasoning"])}</td><td>{escape(r["summary"])}</td></tr>\n'
        for r in rows)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>\n<table><colgroup><col style=\"width:10%\">"
            '<col style="width:25%"><col style="width:45%"><col style="width:20%"></colgroup>\n'
            "<tr><th>id</th><th>prompt</th><th>reasoning</th><th>summary</th></tr>\n"
            f"{body}</table></body></html>\n")
