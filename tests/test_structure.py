"""The structure the code promises: adapters parse, call one action and render; they write nothing.

The writers of the database are the actions (``<app>/actions/`` or ``<app>/actions.py`` and the
modules they call) and the migrations. A view, consumer, form, task, management command,
template tag or admin module that saves a model, calls a manager's ``create``, or updates or
deletes through a queryset bypasses the action's transaction, its archive record and its
publish-on-commit. This test reads every adapter module's syntax tree and names each such call.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.test import RequestFactory

from accounts.models import User

ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
ADAPTER_NAMES = {"views.py", "school_admin.py", "school_groups.py", "consumers.py", "forms.py", "tasks.py",
                 "admin.py", "routing.py", "urls.py"}
# Manager and queryset methods that write.
MANAGER_WRITES = {"create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
QUERYSET_WRITES = {"update", "delete"}
QUERYSET_STARTS = {"filter", "exclude", "all", "select_for_update"}
# Instance methods that write (a model, or a ModelForm saving its instance).
INSTANCE_WRITES = {"save", "delete", "set_password"}
# Receivers of those names that are not models: the session store writes its own table.
NOT_MODELS = {"session", "request.session", "self.request.session"}


def adapter_modules() -> Iterator[Path]:
    for app in APPS:
        base = ROOT / app
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base)
            if "migrations" in rel.parts:
                continue
            in_commands = rel.parts[:2] == ("management", "commands")
            if path.name in ADAPTER_NAMES or in_commands or rel.parts[0] == "templatetags":
                yield path


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}()"
    return "?"


def _chain_has(node: ast.expr, names: set[str]) -> bool:
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in names:
                return True
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return False


def writes_in(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    owner = {id(child): fn.name for fn in functions for child in ast.walk(fn)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        is_write = (
            (method in MANAGER_WRITES and _chain_has(receiver, {"objects"}))
            or (method in QUERYSET_WRITES and _chain_has(receiver, QUERYSET_STARTS | {"objects"}))
            or (method in INSTANCE_WRITES and not isinstance(receiver, ast.Call)
                and _dotted(receiver) not in NOT_MODELS)
        )
        if is_write:
            where = owner.get(id(node), "<module>")
            yield f"{path.relative_to(ROOT)}:{where}: {_dotted(receiver)}.{method}()"


def adapter_writes() -> list[str]:
    return sorted(w for path in adapter_modules() for w in writes_in(path))


# Adapters that still write directly. Each entry is a call that must move into an action;
# the list only shrinks. A new direct write anywhere fails the test below.
KNOWN: set[str] = set()


def test_adapters_write_nothing_directly() -> None:
    found = set(adapter_writes())
    assert found - KNOWN == set(), "adapters writing models directly (call an action instead)"


def test_the_list_of_known_writes_is_current() -> None:
    found = set(adapter_writes())
    assert KNOWN - found == set(), "these writes moved into actions: drop them from KNOWN"


def test_the_detector_finds_each_kind_of_write(tmp_path: Path) -> None:
    sample = tmp_path / "views.py"
    sample.write_text(
        "def a(request, form, obj):\n"
        "    form.save()\n"
        "    obj.delete()\n"
        "    Thing.objects.create(name='x')\n"
        "    Thing.objects.filter(pk=1).update(name='y')\n"
        "    Thing.objects.get_or_create(name='z')\n"
        "    request.session.save()\n"
        "    context.update(a=1)\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = list(writes_in(sample))
    finally:
        ROOT = saved
    assert [f.split(": ", 1)[1] for f in found] == [
        "form.save()", "obj.delete()", "Thing.objects.create()",
        "Thing.objects.filter().update()", "Thing.objects.get_or_create()",
    ]


# Django admin pages for the project's models that can still add, change or delete rows
# without an action. The list only shrinks.
KNOWN_WRITABLE_ADMINS: set[str] = set()


def writable_admins() -> set[str]:
    request = RequestFactory().get("/django-admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    found = set()
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        overrides_save = type(model_admin).save_model is not admin.ModelAdmin.save_model
        writable = (model_admin.has_add_permission(request)
                    or model_admin.has_change_permission(request)
                    or model_admin.has_delete_permission(request))
        if writable and not overrides_save:
            found.add(model._meta.label)
    return found


def test_django_admin_writes_only_through_actions() -> None:
    found = writable_admins()
    assert found - KNOWN_WRITABLE_ADMINS == set(), "make these admin pages read-only or call actions"
    assert KNOWN_WRITABLE_ADMINS - found == set(), "these admin pages are safe now: drop them"


# --- import directions: one layers contract over every package ----------------------------
# The project's own packages (not the tests or benchmarks, which may import anything).
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
                  if p.parent.name not in {"tests", "bench"})
# Top to bottom: a package may import those below it only; siblings in one layer not each other.
LAYERS = [
    "schoolchat",
    "api",
    "activities | meetings | polls | sso",
    "absence",
    "notifications | records | safeguarding",
    "agenda",
    "messaging",
    "consent",
    "accounts",
    "archive",
    "observability",
]


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _layered(layers: list[str]) -> list[str]:
    return [name.strip() for layer in layers for name in layer.split("|")]


def test_every_package_has_its_place_in_the_layers() -> None:
    """accounts <- consent <- messaging <- notifications, records, safeguarding holds for every
    module, schoolchat sits above them all and archive and observability below: a new app or
    package that is in no layer would escape the contract that `make lint` checks."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = _contracts()["layers"]
    assert layers["type"] == "layers"
    assert layers["layers"] == LAYERS
    assert sorted(_layered(LAYERS)) == PACKAGES, "give the new package its layer in pyproject.toml"
    assert sorted(config["root_packages"]) == PACKAGES
    assert set(APPS) < set(PACKAGES)
    inside = _contracts()["inside-apps"]
    assert sorted(inside["containers"]) == APPS, "order the new app's modules with the others"
    assert [layer.strip("()") for layer in inside["layers"][1:]] == ["actions", "access", "models"]


def test_no_contract_has_exceptions() -> None:
    """A lower package that must react to a higher one sends a signal or takes a registered hook,
    so no contract ignores an import."""
    for contract in _contracts().values():
        assert "ignore_imports" not in contract, contract["id"]
        assert contract.get("unmatched_ignore_imports_alerting") is None, contract["id"]


def _ready_lines(tree: ast.Module) -> set[int]:
    return {node.lineno for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef) and fn.name == "ready"
            for node in ast.walk(fn) if isinstance(node, ast.Import | ast.ImportFrom)}


def function_level_imports(path: Path) -> Iterator[str]:
    """Each import inside a function or method, other than AppConfig.ready's and those only for
    the type checker (``if TYPE_CHECKING:`` at module level)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    allowed = _ready_lines(tree) if path.name == "apps.py" else set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in allowed:
                    yield f"{node.lineno}: {ast.unparse(node)}"


def test_modules_import_inside_no_function_but_ready() -> None:
    """An import inside a function hides an arrow until the function runs (and from ruff's
    PLC0415 when marked noqa): only AppConfig.ready, where models can first be imported, has
    them."""
    found = [f"{path.relative_to(ROOT)}:{hit}" for package in PACKAGES
             for path in sorted((ROOT / package).rglob("*.py"))
             if "migrations" not in path.parts for hit in function_level_imports(path)]
    assert found == []


def test_the_import_detector_finds_an_import_in_a_function(tmp_path: Path) -> None:
    module = tmp_path / "apps.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import os\n"
        "class C:\n    def ready(self):\n        import json\n"
        "    def other(self):\n        from messaging import hub\n"
        "async def f():\n    import sys\n"
    )
    found = sorted(line.split(": ", 1)[1] for line in function_level_imports(module))
    assert found == ["from messaging import hub", "import sys"]


IMPORTERS = {"import_module", "import_string", "__import__"}


def imports_by_name(path: Path) -> Iterator[str]:
    """Each call of ``importlib.import_module``/``import_string``/``__import__`` whose name is
    built (an f-string, a ``%`` or ``+``) or names a package of the project: an import the
    layers contract cannot see. A name read from a setting (a session engine, the hub class
    in ``SCHOOLCHAT_HUB``) is the configuration's choice and is not reported."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        target = node.args[0]
        built = isinstance(target, ast.JoinedStr | ast.BinOp)
        named = (isinstance(target, ast.Constant) and isinstance(target.value, str)
                 and target.value.split(".")[0] in PACKAGES)
        if name in IMPORTERS and (built or named):
            yield f"{node.lineno}: {ast.unparse(node)}"


def test_no_module_imports_the_project_by_a_built_name() -> None:
    found = [f"{path.relative_to(ROOT)}:{hit}" for package in PACKAGES
             for path in sorted((ROOT / package).rglob("*.py"))
             if "migrations" not in path.parts for hit in imports_by_name(path)]
    assert found == []


def test_the_name_detector_finds_built_names(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import importlib\nfrom django.conf import settings\n"
        "def f(app):\n    importlib.import_module(f'{app}.demo')\n"
        "    importlib.import_module('messaging.demo')\n"
        "    importlib.import_module(settings.SESSION_ENGINE)\n"
        "    importlib.import_module('re._parser')\n"
    )
    found = sorted(line.split(": ", 1)[1] for line in imports_by_name(module))
    assert found == ["importlib.import_module('messaging.demo')", "importlib.import_module(f'{app}.demo')"]


def code_in_package_init(path: Path) -> list[str]:
    """The functions and classes an ``__init__.py`` defines, and its module-level assignments
    other than constants (UPPER_CASE) and ``__all__``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = [node.name for node in tree.body
             if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        found += [t.id for t in targets if isinstance(t, ast.Name)
                  and not (t.id.isupper() or t.id == "__all__")]
    return found


def test_app_packages_hold_no_code_to_install() -> None:
    """Django imports an app's package before its models exist, so a function there can only
    reach the app's code through something handed to it from ``ready()``: a service locator.
    Callers import the module that does the work (``archive.chain``, ``consent.services``)."""
    found = {app: code for app in APPS if (code := code_in_package_init(ROOT / app / "__init__.py"))}
    assert found == {}


def test_the_package_detector_finds_code(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text('"""Doc."""\nPURPOSE = "x"\n__all__ = ["PURPOSE"]\n_writer: object = None\n'
                    "def install(w):\n    pass\nclass Writer:\n    pass\n")
    assert sorted(code_in_package_init(init)) == ["Writer", "_writer", "install"]


def test_mypy_is_strict_and_relaxes_only_named_checks() -> None:
    """`make lint` runs mypy in strict mode; an override may turn off one named check for the
    modules it lists (each with its reason in pyproject.toml), never the checking itself."""
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True
    relaxable = {"disallow_untyped_decorators", "disallow_subclassing_any", "disallow_any_generics",
                 "warn_return_any", "implicit_reexport"}
    for override in mypy.get("overrides", []):
        assert set(override) - {"module"} <= relaxable, override


# --- role comparisons: permission questions are asked of the policy -------------------------
# Whether someone may do something is decided in an app's access.py or accounts/rules.py
# (``can(user, action, obj)`` and their predicates); the models define the role sets. A
# comparison of ``.role`` anywhere else is a permission decision made on the side, unless it is
# listed here with the reason it is not one.
def _owns_roles(rel: Path) -> bool:
    """``<app>/access.py``, ``accounts/rules.py``, ``accounts/models.py`` and migrations."""
    return ("migrations" in rel.parts or (len(rel.parts) == 2 and rel.name == "access.py")
            or rel.as_posix() in {"accounts/rules.py", "accounts/models.py"})


ROLE_COMPARISONS_ALLOWED = {
    # The subject access export names staff and pseudonymises everyone else: how a person is
    # named in a document, not what they may do.
    ("records/export.py", "user.role in STAFF_ROLES"),
    ("records/export.py", "user.role == Role.PARENT"),
    # The demo school makes its teachers and admin the managers of the groups it seeds
    # (managers at all are still only who may_manage_groups allows).
    ("messaging/demo.py", "user.role in (Role.TEACHER, Role.ADMIN)"),
}


def _is_role(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "role"


def role_comparisons_in(path: Path) -> Iterator[str]:
    """Each ``x.role == / != / in / not in ...`` (either side) in the module, as source text."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
                _is_role(side) for side in (node.left, *node.comparators)):
            yield ast.unparse(node)


def role_comparisons() -> Iterator[tuple[str, str]]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if _owns_roles(rel):
                continue
            for found in role_comparisons_in(path):
                yield rel.as_posix(), found


def test_roles_are_compared_only_where_permission_is_decided() -> None:
    found = set(role_comparisons())
    assert found - ROLE_COMPARISONS_ALLOWED == set(), (
        "role compared outside the access policy: ask can(...) or a predicate of access.py")


def test_the_allowed_role_comparisons_are_current() -> None:
    assert ROLE_COMPARISONS_ALLOWED - set(role_comparisons()) == set(), (
        "these comparisons are gone: drop them from ROLE_COMPARISONS_ALLOWED")


def test_the_role_detector_finds_each_comparison(tmp_path: Path) -> None:
    sample = tmp_path / "views.py"
    sample.write_text(
        "def a(user, other):\n"
        "    if user.role == 'admin' or other.role != 'pupil':\n"
        "        return user.role in STAFF or other.role not in STAFF\n"
        "    return user.is_school_staff and user.role_label == 'x'\n"
    )
    assert sorted(role_comparisons_in(sample)) == [
        "other.role != 'pupil'", "other.role not in STAFF", "user.role == 'admin'",
        "user.role in STAFF"]
