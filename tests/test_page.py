"""The page's shape: ``app.py`` and every ``page/`` module say what they hold, no page code
chooses a mark (``seqviz`` does), and the engine never reaches into the page."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = [ROOT / "app.py", *sorted((ROOT / "page").glob("*.py"))]


def test_every_page_module_says_what_it_holds():
    for path in PAGE:
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and len(doc.split()) >= 5, path.name


def test_no_page_code_writes_a_mark():
    for path in PAGE:
        strings = [n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)]
        marks = [s for s in strings if isinstance(s, str) and ("✓" in s or "✗" in s)]
        assert not marks, (path.name, marks)


def test_the_engine_never_imports_the_page():
    for path in (ROOT / "seqviz").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            assert not [n for n in names if n == "page" or n.startswith("page.") or n == "app"], path
