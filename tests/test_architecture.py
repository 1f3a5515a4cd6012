"""The engine never imports Qt; the CLI never imports Qt."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_source_never_imports_qt():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "core").rglob("*.py")
        if _imports(p) & {"PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy"}
    ]
    assert offenders == []


def test_importing_core_and_cli_loads_no_qt():
    code = (
        "import sys, core.library, app.cli; app.cli.build_parser();"
        "bad=[m for m in sys.modules if m.startswith(('PySide6','shiboken6','PyQt'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _modules() -> dict[str, Path]:
    mods = {}
    for p in [*(ROOT / "core").rglob("*.py"), *(ROOT / "app").rglob("*.py")]:
        rel = p.relative_to(ROOT).with_suffix("")
        mods[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = p
    return mods


def _import_graph() -> dict[str, set[str]]:
    """Project module -> project modules it imports (anywhere in the file, functions too)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            graph[m].update(t for t in targets if t in mods and t != m)
    return graph


def test_no_import_circle_between_project_modules():
    graph = _import_graph()
    circles = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == start:
                circles.append(start)
                break
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
    assert circles == []


def test_parts_are_composed_not_mixed_in():
    """No Mixin class, and no getattr(self, "name") looking up what another part may define
    (a file's own attributes, such as one set late in __init__, are its own business)."""
    offenders = []
    for p in [*(ROOT / "core").rglob("*.py"), *(ROOT / "app").rglob("*.py")]:
        tree = ast.parse(p.read_text(encoding="utf-8"))
        own = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
               and isinstance(n.value, ast.Name) and n.value.id == "self"}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Mixin"):
                offenders.append(f"{p.name}: class {node.name}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                    and len(node.args) > 1 and isinstance(node.args[0], ast.Name) and node.args[0].id == "self"
                    and not (isinstance(node.args[1], ast.Constant) and node.args[1].value in own)):
                offenders.append(f"{p.name}:{node.lineno}: getattr(self, ...)")
    assert offenders == []


def test_no_source_file_over_600_lines():
    long = [str(p.relative_to(ROOT)) for p in [*(ROOT / "core").rglob("*.py"), *(ROOT / "app").rglob("*.py")]
            if len(p.read_text(encoding="utf-8").splitlines()) > 600]
    assert long == []


# Layers, bottom to top: a module may import its own layer and those below, never above.
# The longest matching prefix decides a module's layer ("core" names the package's own
# __init__ only, so a new module must be placed here). Within a layer, parts may use each
# other (the circle test above keeps that acyclic).
LAYERS: list[tuple[str, ...]] = [
    # 0: words, values and plain helpers everything may use
    ("core", "core.errors", "core.types", "core.text", "core.pathnames", "core.paths", "core.addon",
     "core.offline", "core.cancel", "core.changes", "core.events", "core.faults", "core.memory",
     "core.settings", "core.model_identity", "core.words", "core.evaluation",
     "core.evaluation.stats", "core.evaluation.sts"),
    # 1: the file, the readers, the encoder
    ("core.store", "core.extract", "core.chunk", "core.encoder", "core.rebuild", "core.members"),
    # 2: leaf modules of indexing that the tables' owners use
    ("core.index.jobs", "core.index.scan", "core.index.skip", "core.index.progress", "core.index.calibrate",
     "core.index.stage_costs"),
    # 3: the owners of documents and of model versions
    ("core.catalog", "core.catalog_members", "core.catalog_rows", "core.copies", "core.model_versions"),
    # 4: the parts
    ("core.exclusions", "core.index", "core.search", "core.dupes", "core.train", "core.watch",
     "core.cluster", "core.export"),
    # 5: the composition root
    ("core.library",),
    # 6: what stands on a whole library: evaluation of its search, the interfaces
    ("core.evaluation.beir", "app"),
]


def _layer(module: str) -> int:
    best, level = -1, None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or (prefix != "core" and module.startswith(prefix + "."))
            if inside and len(prefix) > best:
                best, level = len(prefix), i
    if level is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return level


def test_no_import_climbs_to_a_higher_layer():
    climbs = [f"{m} ({_layer(m)}) -> {t} ({_layer(t)})"
              for m, targets in _import_graph().items() for t in sorted(targets)
              if _layer(t) > _layer(m)]
    assert climbs == []


# One writer per table: the module that owns a table (ARCHITECTURE.md "Who writes which
# table") is the only one whose SQL inserts into, updates or deletes from it.
_WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)\s+(\w+)",
    re.IGNORECASE)
_SHARED_OWNERS = {"dupes_": "core/dupes"}   # the similar-paragraph tables: mining and decisions
# parts a table's owner holds and writes through (ARCHITECTURE.md "Who writes which table")
_PARTS_OF = {"core/catalog_members.py": "core/catalog.py", "core/copies.py": "core/catalog.py"}


def _tables() -> set[str]:
    names = set()
    for sql in (ROOT / "core" / "store" / "migrations").glob("*.sql"):
        names.update(re.findall(r"CREATE (?:VIRTUAL )?TABLE (?:IF NOT EXISTS )?(\w+)", sql.read_text()))
    return names


def test_each_table_has_one_writer():
    tables = _tables()
    writers: dict[str, set[str]] = {}
    for p in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for table in _WRITE.findall(node.value):
                    if table in tables:
                        owner = str(p.relative_to(ROOT).as_posix())
                        owner = _PARTS_OF.get(owner, owner)
                        for prefix, group in _SHARED_OWNERS.items():
                            if table.startswith(prefix):
                                owner = group
                        writers.setdefault(table, set()).add(owner)
    shared = {t: sorted(w) for t, w in writers.items() if len(w) > 1}
    assert shared == {}


def _public(cls: type) -> dict[str, object]:
    """The public methods and properties ``cls`` defines or inherits (not object's)."""
    out: dict[str, object] = {}
    for klass in reversed(cls.__mro__[:-1]):
        out.update({name: attr for name, attr in vars(klass).items()
                    if not name.startswith("_") and (callable(attr) or isinstance(attr, property))
                    and not isinstance(attr, type)})
    return out


def test_every_public_method_of_the_library_and_of_its_parts_says_whether_it_reads_or_writes(tiny_library):
    """The window chooses a lane from the marker and hears what a write changed through
    it (core/changes.py): a method without one would run nowhere or announce nothing.
    Callers reach the parts directly (``lib.catalog.documents()``), so the markers are on
    the parts' methods too; the parts are named once, in ``Library.PARTS``."""
    from core.changes import operation
    from core.library import Library

    unmarked = sorted(f"Library.{name}" for name, attr in _public(Library).items()
                      if name != "PARTS" and operation(attr) is None)
    checked = 0
    for dotted in Library.PARTS:
        part: object = tiny_library
        for name in dotted.split("."):
            part = getattr(part, name)
        public = _public(type(part))
        checked += len(public)
        unmarked += sorted(f"{dotted}.{name}" for name, attr in public.items() if operation(attr) is None)
    assert unmarked == []
    assert checked > 100

    def marker(dotted: str):
        *path, name = dotted.split(".")
        owner: object = tiny_library
        for p in path:
            owner = getattr(owner, p)
        return operation(getattr(type(owner), name))

    writes = {"add_folder", "label_table.label_pair", "discovery.decide_pair", "training.train",
              "versions.activate", "indexer.index"}
    reads = {"catalog.documents", "searcher.search", "label_table.labels", "versions.models", "folders"}
    assert all(marker(d).write for d in writes) and not any(marker(d).write for d in reads)
    assert marker("training.train").long and not marker("label_table.label_pair").long
