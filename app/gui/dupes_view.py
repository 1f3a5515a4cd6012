"""The "Similar paragraphs" tab: clusters and pairs of passages that repeat or echo
each other across the library, side by side with their word differences, with
Confirm / Not similar / Ignore. Engine calls run through the TaskRunner."""

from __future__ import annotations

import html
import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.highlight import page_label
from app.gui.tasks import TaskContext, TaskRunner
from app.gui.widgets import fill_folder_combo
from core.changes import SIMILAR
from core.pathnames import display_stored, from_db
from core.words import count, plural_noun

KIND_WORDS = {"exact": "Exact copy", "near": "Near copy", "related": "Related"}
PAGE = 200          # groups or pairs listed at a time; more as the list is scrolled
DEL_BG = "#fed7d7"
INS_BG = "#c6f6d5"
REP_BG = "#fefcbf"


def diff_html(text: str, ops: list, side: str) -> str:
    """One side ("a" or "b") of a word difference as HTML: what the other side lacks
    is tinted (removed red on a, added green on b, changed yellow on both)."""
    spans = []
    for op in ops:
        if op.op == "equal":
            continue
        span = op.a_span if side == "a" else op.b_span
        if span[1] <= span[0]:
            continue
        colour = REP_BG if op.op == "replace" else (DEL_BG if side == "a" else INS_BG)
        spans.append((span[0], span[1], colour))
    spans.sort()
    out, pos = [], 0
    for a, b, colour in spans:
        if a < pos:
            continue
        out.append(html.escape(text[pos:a]))
        out.append(f'<span style="background-color:{colour}">{html.escape(text[a:b])}</span>')
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def legend_html() -> str:
    """What the tints of the side-by-side difference mean."""
    def chip(colour: str, words: str) -> str:
        return f'<span style="background-color:{colour}">&nbsp;{words}&nbsp;</span>'
    return ("Differences: " + chip(DEL_BG, "only on the left") + " " + chip(INS_BG, "only on the right")
            + " " + chip(REP_BG, "changed words") + " · untinted text is the same on both sides")


def _short(text: str, n: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


class _Side(QWidget):
    open_requested = Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.ref: Any = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600;")
        self.body = QTextBrowser()
        self.open_btn = QPushButton("Open at page")
        self.open_btn.clicked.connect(lambda: self.ref and self.open_requested.emit(self.ref))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.body, 1)
        lay.addWidget(self.open_btn, 0, Qt.AlignmentFlag.AlignLeft)

    def show_ref(self, ref: Any, body_html: str) -> None:
        self.ref = ref
        if ref is None:
            self.title.setText("")
            self.body.clear()
            self.open_btn.setEnabled(False)
            return
        page = page_label(ref.page_start, ref.page_end)
        self.title.setText(os.path.basename(display_stored(ref.path)) + (f" \u00b7 {page}" if page else ""))
        self.title.setToolTip(display_stored(ref.path))
        self.body.setHtml(body_html)
        self.open_btn.setEnabled(os.path.exists(from_db(ref.path)))
        self.open_btn.setText("Open at page" if ref.page_start else "Open")


class DupesView(QWidget):
    """Lists clusters or pairs; shows a pair side by side; records decisions."""

    open_requested = Signal(str, object)     # path, page
    status = Signal(str)

    def __init__(self, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self.runner = runner
        runner.subscribe(self, {SIMILAR}, self.refresh)
        self.listed = False          # the list was asked for once (the library is open)
        self.document_filter: tuple[int, str] | None = None
        self.items: list[Any] = []
        self.items_show = ""         # nothing listed yet
        self.current: Any = None          # a DuplicatePair being shown
        self.current_cluster: Any = None
        self.mine_btn = QPushButton("Find repeated paragraphs")
        self.mine_btn.clicked.connect(self.mine)
        self.show_combo = QComboBox()
        self.show_combo.addItem("Groups", "clusters")
        self.show_combo.addItem("Pairs", "pairs")
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("All kinds", None)
        for k, w in KIND_WORDS.items():
            self.kind_combo.addItem(w, k)
        self.folder_combo = QComboBox()
        self.folder_combo.addItem("All folders", None)
        for combo in (self.show_combo, self.kind_combo, self.folder_combo):
            combo.currentIndexChanged.connect(self.refresh)
        self.doc_chip = QPushButton()
        self.doc_chip.setVisible(False)
        self.doc_chip.clicked.connect(self.clear_document_filter)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.bar.setMaximumWidth(180)
        self.summary = QLabel("")
        self.summary.setStyleSheet("color: palette(mid);")
        top = QHBoxLayout()
        top.addWidget(self.mine_btn)
        top.addWidget(self.bar)
        top.addWidget(QLabel("Show"))
        top.addWidget(self.show_combo)
        top.addWidget(self.kind_combo)
        top.addWidget(self.folder_combo)
        top.addWidget(self.doc_chip)
        top.addStretch(1)
        top.addWidget(self.summary)

        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setHeaderLabels(["Kind", "Strength", "Where", "Passage"])
        self.tree.header().resizeSection(0, 90)
        self.tree.header().resizeSection(1, 70)
        self.tree.header().resizeSection(2, 200)
        self.tree.currentItemChanged.connect(self._selected)
        self.tree.verticalScrollBar().valueChanged.connect(self._more_wanted)
        self._page_query: tuple | None = None
        self._fetching = False
        self.more = False
        self.pending = 0
        self.member_combo = QComboBox()
        self.member_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.member_combo.setMinimumContentsLength(24)
        self.member_combo.currentIndexChanged.connect(self._member_changed)
        self.left = _Side()
        self.right = _Side()
        for side in (self.left, self.right):
            side.open_requested.connect(lambda ref: self.open_requested.emit(ref.path, ref.page_start))
        self.confirm_btn = QPushButton("Similar")
        self.reject_btn = QPushButton("Not similar")
        self.ignore_btn = QPushButton("Ignore")
        self.confirm_btn.clicked.connect(lambda: self.decide("confirmed"))
        self.reject_btn.clicked.connect(lambda: self.decide("rejected"))
        self.ignore_btn.clicked.connect(lambda: self.decide("ignore"))
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        sides = QSplitter(Qt.Orientation.Horizontal)
        sides.addWidget(self.left)
        sides.addWidget(self.right)
        actions = QHBoxLayout()
        actions.addWidget(self.detail_label, 1)
        actions.addWidget(QLabel("Compare with"))
        actions.addWidget(self.member_combo)
        actions.addWidget(self.confirm_btn)
        actions.addWidget(self.reject_btn)
        actions.addWidget(self.ignore_btn)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        self.legend = QLabel(legend_html())
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        dl.addWidget(self.legend)
        dl.addWidget(sides, 1)
        dl.addLayout(actions)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(detail)
        split.setSizes([260, 420])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        self._show_pair(None)

    # -- data -----------------------------------------------------------------------------
    def set_folders(self, folders: list[Any]) -> None:
        """The library's folders (the filter's choices); the first time, the list is read."""
        fill_folder_combo(self.folder_combo, folders)
        if not self.listed:
            self.refresh()

    def show_document(self, doc_id: int, path: str) -> None:
        """Only the groups and pairs with a passage of this document."""
        self.document_filter = (doc_id, path)
        self.doc_chip.setText(f"{os.path.basename(display_stored(path))} \u2715")
        self.doc_chip.setToolTip("Show every document again")
        self.doc_chip.setVisible(True)
        self.refresh()

    def clear_document_filter(self) -> None:
        self.document_filter = None
        self.doc_chip.setVisible(False)
        self.refresh()

    def refresh(self) -> None:
        show = self.show_combo.currentData()
        kind = self.kind_combo.currentData()
        folder = self.folder_combo.currentData()
        doc_id = self.document_filter[0] if self.document_filter else None
        self.member_combo.setVisible(show == "clusters")

        query = (show, kind, folder, doc_id)

        def work(lib: Any, ctx: TaskContext) -> tuple:
            items, more = _page(lib, *query, 0)
            return show, items, lib.discovery.duplicates_pending(), more

        if self.runner.with_library(work, name="similar paragraphs", key="dupes-list",
                                    on_done=self._loaded) is not None:
            self.listed = True
            self._page_query = query
            self.more = False

    def _more_wanted(self, value: int) -> None:
        """Scrolled near the end of what is listed: the next page (tens of thousands of
        groups are listed a page at a time, never all at once)."""
        bar = self.tree.verticalScrollBar()
        if not self.more or self._fetching or value < bar.maximum() - 2 or self._page_query is None:
            return
        self._fetching = True
        query = self._page_query
        offset = len(self.items)

        show, kind, folder, doc_id = query

        def work(lib: Any, ctx: TaskContext) -> tuple:
            return query, _page(lib, show, kind, folder, doc_id, offset)

        def done(data: tuple) -> None:
            self._fetching = False
            if data[0] is self._page_query:       # not a page of a list replaced since
                self._append(*data[1])

        if self.runner.with_library(work, name="similar paragraphs", key="dupes-more", on_done=done,
                                    on_finished=lambda: setattr(self, "_fetching", False)) is None:
            self._fetching = False

    def _append(self, items: list, more: bool) -> None:
        self.more = more
        self.items.extend(items)
        for it in items:
            self.tree.addTopLevelItem(_row(it, self.items_show))
        self._summarize()

    def _summarize(self) -> None:
        text = self._summary_text(self.items_show, self.items, self.pending)
        if self.more:        # "200+ groups": more pages follow as the list is scrolled
            text = text.replace(f"{len(self.items):,}", f"{len(self.items):,}+", 1)
        self.summary.setText(text)

    def _loaded(self, data: tuple) -> None:
        show, items, pending, *rest = data      # (show, items, pending[, more pages])
        more = bool(rest and rest[0])
        if show == self.items_show and items == self.items and not more and not self.more:
            self.pending = pending
            self._summarize()
            if not items:
                self.detail_label.setText(self._empty_text(pending))
            return       # a refresh that found the same list keeps the selection and the view
        self.items = []
        self.items_show = show     # what the list holds now; the combo may have moved on
        self.pending = pending
        self.tree.clear()
        self._append(items, more)
        first = self.tree.topLevelItem(0)
        if items and first is not None:
            self.tree.setCurrentItem(first)
        else:
            self._show_pair(None)
            self.detail_label.setText(self._empty_text(pending))

    @staticmethod
    def _empty_text(pending: int) -> str:
        if pending:
            return "Click \u201cFind repeated paragraphs\u201d to compare the new passages."
        # nothing waits to be compared: mining has seen every passage
        return "Nothing repeated: every passage has been compared with every other."

    @staticmethod
    def _summary_text(show: str, items: list[Any], pending: int) -> str:
        text = count(len(items), "group" if show == "clusters" else "pair")
        if pending:
            text += f" \u00b7 {count(pending, 'new passage')} not compared yet"
        return text

    # -- mining ---------------------------------------------------------------------------
    def mine(self) -> None:
        if self.runner.call("discovery.mine_duplicates", name="find repeated paragraphs",
                            on_progress=self._mine_progress, on_done=self._mined,
                            on_finished=self._mine_finished) is None:
            return
        self.mine_btn.setEnabled(False)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)

    def _mine_progress(self, p: Any) -> None:
        if p.total:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        self.summary.setText(f"{p.phase}\u2026")

    def _mined(self, report: Any) -> None:
        self.status.emit(
            f"Compared {count(report.mined, 'passage')} in {report.seconds:.1f} s: "
            f"{count(report.clusters, 'group')}, {report.pairs_exact} exact, {report.pairs_near} near "
            f"and {report.pairs_related} related {plural_noun('pair', report.pairs_related)}")

    def _mine_finished(self) -> None:
        self.mine_btn.setEnabled(True)
        self.bar.setVisible(False)

    # -- selection and the side-by-side view ---------------------------------------------------
    def _selected(self, item: QTreeWidgetItem | None, _prev: Any = None) -> None:
        if item is None:
            self._show_pair(None)
            return
        it = self.items[self.tree.indexOfTopLevelItem(item)]
        if self.items_show == "clusters":
            self.current_cluster = it
            self.member_combo.blockSignals(True)
            self.member_combo.clear()
            for m in it.members:
                if m.chunk_id != it.representative.chunk_id:
                    name = os.path.basename(display_stored(m.path))
                    self.member_combo.addItem(f"{name} {page_label(m.page_start, m.page_end)}", m)
            self.member_combo.blockSignals(False)
            self._member_changed()
        else:
            self.current_cluster = None
            self._load_pair(it)

    def _member_changed(self) -> None:
        cluster = self.current_cluster
        member = self.member_combo.currentData()
        if cluster is None or member is None:
            return
        rep = cluster.representative

        def work(ctx: TaskContext) -> tuple:
            from core.dupes.diff import word_diff

            return cluster, rep, member, word_diff(rep.text, member.text)

        self.runner.run(work, name="difference", key="dupes-diff", on_done=self._show_members)

    def _show_members(self, data: tuple) -> None:
        c, a, b, ops = data
        if c is not self.current_cluster:
            return           # the list moved on (another group, or the pairs) meanwhile
        self.current = None
        self.left.show_ref(a, diff_html(a.text, ops, "a"))
        self.right.show_ref(b, diff_html(b.text, ops, "b"))
        self.detail_label.setText(
            f"{KIND_WORDS.get(c.kind, c.kind)} group of {c.size} passages in {c.documents} documents; "
            "left: its representative passage" + (f" \u00b7 marked {c.decision}" if c.decision else ""))
        self._enable_actions(True)

    def _load_pair(self, pair: Any) -> None:
        self.runner.call("discovery.pair_diff", pair.id, name="difference", key="dupes-diff",
                         on_done=lambda ops: self._show_pair(pair, ops) if self.items_show == "pairs" else None)

    def _show_pair(self, pair: Any, ops: list | None = None) -> None:
        self.current = pair
        if pair is None:
            self.left.show_ref(None, "")
            self.right.show_ref(None, "")
            self.detail_label.setText("")
            self._enable_actions(False)
            return
        self.left.show_ref(pair.a, diff_html(pair.a.text, ops or [], "a"))
        self.right.show_ref(pair.b, diff_html(pair.b.text, ops or [], "b"))
        changed = sum(1 for op in ops or [] if op.op != "equal")
        self.detail_label.setText(
            f"{KIND_WORDS.get(pair.kind, pair.kind)} \u00b7 cosine {pair.cosine:.3f} \u00b7 "
            + count(changed, "difference")
            + (f" \u00b7 marked {pair.decision}" if pair.decision else ""))
        self._enable_actions(True)

    def _enable_actions(self, on: bool) -> None:
        for b in (self.confirm_btn, self.reject_btn, self.ignore_btn):
            b.setEnabled(on)

    # -- decisions ---------------------------------------------------------------------------
    def decide(self, decision: str) -> None:
        pair, cluster = self.current, self.current_cluster
        if pair is None and cluster is None:
            return
        words = {"confirmed": "marked similar", "rejected": "marked not similar",
                 "ignore": "ignored"}

        def done(_r: Any) -> None:
            self.status.emit(
                ("Group " if cluster is not None else "Pair ") + words[decision]
                + (" (a labelled pair for training)" if decision != "ignore" else ""))

        if cluster is not None:
            self.runner.call("discovery.decide_cluster", cluster.id, decision, on_done=done)
        elif pair is not None:
            self.runner.call("discovery.decide_pair", pair.id, decision, on_done=done)


def _page(lib: Any, show: str, kind: Any, folder: Any, doc_id: int | None, offset: int) -> tuple[list, bool]:
    """One page of groups or pairs from ``offset`` (off the UI thread), and whether more follow."""
    if show == "clusters":
        if kind == "related":
            return [], False
        k = kind if kind in ("exact", "near") else None
        items = lib.discovery.duplicate_clusters(kind=k, folder=folder, document_id=doc_id, limit=PAGE + 1,
                                                 offset=offset)
    else:
        items = lib.discovery.duplicate_pairs(kind=kind, folder=folder, document_id=doc_id, limit=PAGE + 1,
                                              offset=offset)
    return items[:PAGE], len(items) > PAGE


def _row(it: Any, show: str) -> QTreeWidgetItem:
    if show == "clusters":
        where = f"{count(it.size, 'passage')} in {count(it.documents, 'document')}"
        row = [KIND_WORDS.get(it.kind, it.kind), f"{it.score:.2f}", where, _short(it.representative.text)]
    else:
        where = (f"{os.path.basename(display_stored(it.a.path))} \u2194 "
                 f"{os.path.basename(display_stored(it.b.path))}")
        row = [KIND_WORDS.get(it.kind, it.kind), f"{it.cosine:.2f}", where, _short(it.a.text)]
    item = QTreeWidgetItem(row)
    if it.decision:
        item.setText(0, f"{row[0]} ({it.decision})")
    item.setToolTip(3, it.representative.text if show == "clusters" else it.a.text)
    return item
