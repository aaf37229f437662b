"""The tree's shape: no import cycle between the project's modules (module-level and function-level
imports alike), no sys.path edits in package code, and no module that restates the sample rate."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kws", "accel", "frontend", "soc", "boards", "training")


def _modules():
    mods = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = f
    return mods


def _imports(name, path, mods):
    """Project modules that ``name`` imports anywhere in its body (a from-import of a name that is a
    submodule counts as importing the submodule)."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in mods:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):   # a package's own parents are not a cycle
                out.add(t)
    return out


def test_no_import_cycle():
    mods = _modules()
    graph = {m: _imports(m, p, mods) for m, p in mods.items()}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_sys_path_edits_in_package_code():
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in _modules().values()
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r"sys\.path\.(insert|append)|sys\.path\[", line)]
    assert not offenders, offenders


def test_sample_rate_has_one_definition():
    pat = re.compile(r"^\s*(SAMPLE_RATE|SR|FS|RATE)\s*=\s*16000\b", re.M)
    found = [str(p.relative_to(ROOT)) for p in _modules().values() if pat.search(p.read_text())]
    assert found == ["frontend/format.py"], found
