"""The package as users install it: one top-level `mescreen`, models and migrations inside it, and
an import graph that flows one way (core knows nothing of the store, the app or the CLI) without
cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "mescreen"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("mescreen-*.whl")
    return built


def test_wheel_top_level_is_mescreen_alone_with_models_and_migrations(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top == {"mescreen"}
    shipped = {p.name for p in (REPO / "models").iterdir() if p.suffix in (".npz", ".json", ".tflite")}
    assert any(name.endswith(".tflite") for name in shipped)  # the converted networks the analysis runs
    assert shipped and {f"mescreen/models/{n}" for n in shipped} <= set(names)
    assert "mescreen/store/alembic.ini" in names
    assert any(n.startswith("mescreen/store/migrations/versions/0001") for n in names)


def test_installed_wheel_finds_its_models_and_migrations(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    script = (
        "import mescreen, sys\n"
        "from mescreen.core.datapaths import models_dir\n"
        "from mescreen.store.engine import head_revision, upgrade\n"
        f"assert mescreen.__file__.startswith({str(target)!r}), mescreen.__file__\n"
        "assert (models_dir() / 'au_detector.npz').is_file()\n"
        f"assert upgrade('sqlite:///{tmp_path / 'x.db'}') == head_revision()\n"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each mescreen module -> the mescreen modules it imports (at any depth, TYPE_CHECKING too)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mescreen"):
                candidates = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names if a.name.startswith("mescreen")]
            else:
                continue
            for candidate in candidates:
                while candidate and candidate not in modules:
                    candidate = candidate.rpartition(".")[0]
                if candidate and candidate != name and candidate != "mescreen":
                    found.add(candidate)
        graph[name] = found
    return graph


def test_core_imports_nothing_above_it() -> None:
    graph = _imports()
    for name, targets in graph.items():
        if name.startswith("mescreen.core"):
            bad = {t for t in targets if not t.startswith("mescreen.core")}
            assert not bad, f"{name} imports {bad}"
    source = "\n".join(p.read_text(encoding="utf-8") for p in (PACKAGE / "core").rglob("*.py"))
    assert "streamlit" not in source and "sqlalchemy" not in source


def test_no_import_cycles() -> None:
    graph = _imports()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_make_models_rebuilds_every_train_target_with_the_au_detector_after_its_emotion_model() -> None:
    from mescreen.cli.train import TARGETS

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    recipe = makefile.split("\nmodels:", 1)[1].split("\n\n", 1)[0]
    order = [line.split("mescreen train ", 1)[1].split()[0] for line in recipe.splitlines() if "mescreen train " in line]
    assert sorted(order) == sorted(TARGETS)
    assert order.index("frame-emotion") < order.index("au")  # the detector reads that model's face features


def test_every_bench_script_compiles() -> None:
    """The bench scripts run only by hand; a broken one would go unnoticed until its next run."""
    bench = Path(__file__).resolve().parent.parent / "bench"
    scripts = sorted(bench.glob("*.py"))
    assert scripts
    for script in scripts:
        compile(script.read_text(), str(script), "exec")  # raises SyntaxError naming the line
