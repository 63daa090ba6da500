"""The architecture rules of DESIGN.md §3, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_pure_libraries_import_no_service_code() -> None:
    forbidden = {"banques", "fastapi", "sqlmodel", "sqlalchemy", "starlette"}
    for package in ("routing", "labels"):
        for path in _python_files(package):
            assert not _imports(path) & forbidden, path


def test_only_db_module_commits() -> None:
    offenders = []
    for path in _python_files("banques"):
        if path.name == "db.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"commit() outside banques/db.py: {offenders}"


def test_services_do_not_import_http() -> None:
    for path in (ROOT / "banques").rglob("service.py"):
        assert not _imports(path) & {"fastapi", "starlette"}, path


def test_only_routing_imports_ortools_and_only_labels_imports_reportlab() -> None:
    for package in ("banques", "labels"):
        for path in _python_files(package):
            assert "ortools" not in _imports(path), path
    for package in ("banques", "routing"):
        for path in _python_files(package):
            assert "reportlab" not in _imports(path), path


def test_every_input_model_forbids_extra_fields() -> None:
    import importlib
    import inspect

    from pydantic import BaseModel

    from banques.schemas import InputModel

    for path in (ROOT / "banques").rglob("schemas.py"):
        module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseModel)
                and obj.__module__ == module_name
                and name.endswith(("Create", "Update", "Change", "In", "Request"))
            ):
                assert issubclass(obj, InputModel), f"{module_name}.{name}"
