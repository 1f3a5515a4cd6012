"""Help: a short guide to the window, its keyboard shortcuts (read from the menus, so
the list is always the window's own), and About."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout

import core

GUIDE = """
<h2>Likewise in five steps</h2>
<ol>
<li><b>Add a folder</b> (File &rarr; Add folder). Likewise reads its PDF, Word, text, Markdown,
slides, e-books, web pages, OpenDocument and RTF files, spreadsheets, mail (.eml, .msg, mbox),
archives (.zip, .tar), and scanned pages by OCR, cuts them into
passages (one paragraph each) and keeps following the folder as files change. The progress line at
the bottom says what it is reading; Pause and Stop are next to it.</li>
<li><b>Search</b>: type a question in your own words or a phrase; results come as you type.
<i>Meaning</i> finds passages that say the same thing in other words, <i>Keywords</i> finds the
words themselves, <i>Hybrid</i> does both. Filter by folder, type or date.</li>
<li><b>Look closer</b>: the preview shows the passage with its best sentence marked; Open at page
opens the file there. Right-click a result for Find similar passages or Find similar documents,
Reveal in folder and Copy.</li>
<li><b>Similar paragraphs</b> (its own tab): Find repeated paragraphs compares every passage with
every other and lists exact copies, near copies and related passages, side by side.</li>
<li><b>Teach it</b>: mark results <i>similar</i> or <i>not similar</i> (right-click); the Labels tab
lists your labels, trains a new model version on them and shows before and after. Use this
version switches search to it; Back to the original model undoes that.</li>
</ol>
<p>Everything stays on this computer: the model runs here and nothing is sent anywhere.
Results and labels can be exported from the File menu (CSV or Markdown).</p>
"""

SEARCH_KEYS = [
    ("Down or Page Down in the search field", "go to the results"),
    ("Escape in the results", "back to the search field"),
    ("Enter or double-click on a result", "open the file at the passage's page"),
]


def _dialog(parent: Any, title: str, body: str) -> QDialog:
    dlg = QDialog(parent)
    dlg.setWindowTitle(title)
    text = QTextBrowser()
    text.setOpenExternalLinks(False)
    text.setHtml(body)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dlg.close)
    lay = QVBoxLayout(dlg)
    lay.addWidget(text)
    lay.addWidget(buttons)
    dlg.resize(620, 520)
    dlg.browser = text  # type: ignore[attr-defined]   # for tests and screenshots
    return dlg


def shortcut_rows(window: Any) -> list[tuple[str, str]]:
    """(keys, what they do) for every menu action with a shortcut, then the search keys."""
    rows = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        for act in menu.actions() if menu is not None else []:
            keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.append((keys, act.text().replace("&", "").rstrip("\u2026")))
    rows += [("Ctrl+F or Ctrl+L", "go to the search field")] + SEARCH_KEYS
    return rows


def _show(window: Any, key: str, title: str, body: str) -> QDialog:
    dlg = _dialog(window, title, body)
    window._extra_views[key] = dlg
    dlg.show()
    dlg.raise_()
    return dlg


def show_guide(window: Any) -> QDialog:
    return _show(window, "guide", "Likewise: quick guide", GUIDE)


def show_shortcuts(window: Any) -> QDialog:
    rows = "".join(f"<tr><td style='padding-right:18px'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
                   for k, v in shortcut_rows(window))
    return _show(window, "shortcuts", "Keyboard shortcuts", f"<h3>Keyboard shortcuts</h3><table>{rows}</table>")


def show_about(window: Any) -> None:
    QMessageBox.about(window, "About Likewise",
                      f"<b>Likewise</b> {core.__version__}<br>Find passages alike across your own "
                      "documents, on your own machine.<br>Sentence-BERT bi-encoder, SQLite, Qt.")
