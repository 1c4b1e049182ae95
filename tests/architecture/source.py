"""Read frontdesk's source with `ast` (nothing is imported, so no import side effects).

The architecture tests (tests/architecture/test_*.py) ask three questions of the code:
which modules a file imports, where a write transaction is opened, and which functions in
frontdesk/actions write.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "frontdesk"


def rel(path: Path) -> str:
    """'frontdesk/api/uploads.py' for a file under the repository."""
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(package: str) -> list[Path]:
    """Every .py file of `package` ('frontdesk/domain', or 'frontdesk/wire' - a file or a folder)."""
    base = ROOT / package
    if base.is_dir():
        return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)
    single = base.with_suffix(".py")
    return [single] if single.exists() else []


@cache
def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.Module, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import anywhere in the file - at the top, inside a
    function (a lazy import) or under `if TYPE_CHECKING:` alike. `from x import y` yields both
    'x' and 'x.y' (y may be a module)."""
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package_parts[: len(package_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"


def imports_of(path: Path) -> list[tuple[int, str]]:
    return list(imported_modules(parse(path), module_name(path), is_package=path.name == "__init__.py"))


def within(name: str, prefix: str) -> bool:
    """True when module `name` is `prefix` or inside it ('sqlalchemy.ext' is within 'sqlalchemy')."""
    return name == prefix or name.startswith(prefix + ".")


@dataclass(frozen=True)
class Site:
    """A place in the code: file, enclosing function (dotted for methods / nested ones), line."""

    file: str
    function: str
    line: int

    @property
    def key(self) -> tuple[str, str]:
        return self.file, self.function


def _walk_with_scope(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """Every node with the dotted name of the function or class around it ('<module>' at the top)."""

    def visit(node: ast.AST, scope: list[str]) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            yield (".".join(scope) or "<module>"), child
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                yield from visit(child, [*scope, child.name])
            else:
                yield from visit(child, scope)

    yield from visit(tree, [])


def is_db_write_call(node: ast.AST) -> bool:
    """`<anything>.db.write(...)` or `db.write(...)`: opening a write transaction by hand."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "write"):
        return False
    owner = node.func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "db") or (
        isinstance(owner, ast.Name) and owner.id == "db"
    )


def db_write_sites(paths: list[Path]) -> list[Site]:
    sites = []
    for path in paths:
        for scope, node in _walk_with_scope(parse(path)):
            if is_db_write_call(node):
                sites.append(Site(rel(path), scope, node.lineno))  # type: ignore[attr-defined]
    return sites


def calls_name(node: ast.AST, name: str) -> bool:
    """Whether `node` contains a call of `name(...)` or `<x>.name(...)`."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            if (isinstance(f, ast.Name) and f.id == name) or (isinstance(f, ast.Attribute) and f.attr == name):
                return True
    return False


def is_writer(fn: ast.AsyncFunctionDef) -> bool:
    """A writer: its body opens a write transaction itself - `unit_of_work(...)` or `<x>.db.write()`
    (nested functions included). Calling another writer does not make a function a writer."""
    return calls_name(fn, "unit_of_work") or any(is_db_write_call(n) for n in ast.walk(fn))


def public_async_functions(path: Path) -> list[ast.AsyncFunctionDef]:
    """The module-level `async def`s of a file whose names do not start with '_'."""
    return [
        node for node in parse(path).body if isinstance(node, ast.AsyncFunctionDef) and not node.name.startswith("_")
    ]
