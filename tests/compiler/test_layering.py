"""The import layering of docs/ARCHITECTURE.md ("Import rules"), checked on the source: each
stage imports only the stages its row allows (those below it), the framework packages only
jitnet's public modules and the framework packages their row names. Lazy imports inside
functions count too. What cannot move yet is listed in EXEMPT, each with its reason."""
import ast
import functools
import os
import re

import jitnet

ROOT = os.path.dirname(jitnet.__file__)
DOC = os.path.join(os.path.dirname(ROOT), "docs", "ARCHITECTURE.md")

# (importing module, imported module prefix): allowed although the table does not allow it.
# Empty: every stage imports only the stages its row names.
EXEMPT: set[tuple[str, str]] = set()


def _rules() -> dict:
    """{stage: set of stages it may import} from the doc's "Import rules" table."""
    text = open(DOC).read().split("## Import rules", 1)[1].split("\n## ", 1)[0]
    rules = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            stage = cells[0].strip("`")
            rules[stage] = set(re.findall(r"`([\w.]+)`", cells[1]))
    return rules


def _modules():
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                mod = "jitnet." + os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                yield mod.removesuffix(".__init__"), path, f == "__init__.py"


def _imports(mod: str, path: str, is_pkg: bool):
    package = mod if is_pkg else mod.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "jitnet":   # from jitnet import numpy, jit: modules or top-level names
                yield from ("jitnet." + a.name if _is_module("jitnet." + a.name) else "jitnet"
                            for a in node.names)
            elif target.startswith("jitnet."):
                yield target
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("jitnet"))


@functools.lru_cache(maxsize=None)
def _all_imports() -> tuple:
    """(module, imported module) for every jitnet import in the package, parsed once."""
    return tuple((mod, target) for mod, path, is_pkg in _modules()
                 for target in _imports(mod, path, is_pkg))


def _is_module(name: str) -> bool:
    path = os.path.join(ROOT, *name.split(".")[1:])
    return os.path.isdir(path) or os.path.exists(path + ".py")


def _stage(mod: str, rules: dict) -> str | None:
    """The longest stage name of the table that ``mod`` is in (or None: unconstrained)."""
    parts = mod.split(".")[1:]
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in rules:
            return name
    return None


def test_doc_table_names_the_stages():
    rules = _rules()
    for stage in ("core", "trace", "prims", "transforms", "hop", "fuse", "compiler",
                  "codegen", "runtime", "lax", "numpy"):
        assert stage in rules, stage
    assert rules["core"] == set() and rules["codegen"] == {"core", "fuse"}


def _violations(pairs, rules) -> list[str]:
    bad = []
    for mod, target in pairs:
        stage = _stage(mod, rules)
        if stage is None:
            continue
        to = _stage(target, rules)
        # a stage not in the table is above every stage in it; a framework row names the
        # public modules (and jitnet's top-level names: "jitnet") it may use
        name = to or (target.split(".")[1] if "." in target else "jitnet")
        allowed = to == stage or name in rules[stage] \
            or any((target + ".").startswith(f"jitnet.{r}.") for r in rules[stage])
        if not allowed and not any(mod == m and (target + ".").startswith(t + ".")
                                   for m, t in EXEMPT):
            bad.append(f"{mod} ({stage}) imports {target}")
    return bad


def _circles(rules) -> list[str]:
    """Rows naming a stage of the table that is not above them: with none, the table's
    order is the order of the layers and no import circle between stages can pass."""
    order = list(rules)
    return [f"{stage} may import {name}" for i, stage in enumerate(order)
            for name in sorted(rules[stage])
            if (to := _stage("jitnet." + name, rules)) is not None and order.index(to) >= i]


def test_table_has_no_circles():
    rules = _rules()
    assert not _circles(rules)
    swapped = dict(rules, core={"numpy"})       # core importing a stage above it: caught
    assert _circles(swapped) == ["core may import numpy"]
    assert _circles({"a": set(), "b": {"a", "c"}, "c": {"b"}}) == ["b may import c"]


def test_imports_follow_the_table():
    bad = _violations(_all_imports(), _rules())
    assert not bad, "imports against docs/ARCHITECTURE.md's import rules:\n" + "\n".join(bad)


def test_checker_catches_upward_imports():
    rules = _rules()
    assert _violations([("jitnet.codegen.cpu", "jitnet.runtime.compile"),
                        ("jitnet.prims.elementwise", "jitnet.runtime"),
                        ("jitnet.lax.control_flow", "jitnet.numpy"),
                        ("jitnet.optim.base", "jitnet.core.pytree"),
                        ("jitnet.runtime.compile", "jitnet")], rules) == [
        "jitnet.codegen.cpu (codegen) imports jitnet.runtime.compile",
        "jitnet.prims.elementwise (prims) imports jitnet.runtime",
        "jitnet.lax.control_flow (lax) imports jitnet.numpy",
        "jitnet.optim.base (optim) imports jitnet.core.pytree",
        "jitnet.runtime.compile (runtime) imports jitnet"]
    # the models sit above the trainer, the zoo above the models
    assert _violations([("jitnet.layers.model", "jitnet.train.keras"),
                        ("jitnet.train.keras", "jitnet.models.model"),
                        ("jitnet.models.saving", "jitnet.applications")], rules) == [
        "jitnet.layers.model (layers) imports jitnet.train.keras",
        "jitnet.train.keras (train) imports jitnet.models.model",
        "jitnet.models.saving (models) imports jitnet.applications"]
    assert not _violations([("jitnet.models.model", "jitnet.train.keras"),
                            ("jitnet.applications.vae", "jitnet.models")], rules)
    assert not _violations([("jitnet.optim.base", "jitnet.numpy"),
                            ("jitnet.train.step", "jitnet"),
                            ("jitnet.codegen.cpu", "jitnet.fuse.kernels")], rules)


def test_exemptions_are_still_needed():
    """An exemption whose import is gone must leave the list."""
    rules = _rules()
    found = {(mod, t) for mod, target in _all_imports() for m, t in EXEMPT
             if m == mod and (target + ".").startswith(t + ".")}
    assert found == EXEMPT, EXEMPT - found
    assert rules


def test_lax_full_and_map_without_jnp():
    """lax.full/full_like and lax.map(batch_size=...) now written on lax itself: checked
    against NumPy (values, dtypes, JAX's weak types)."""
    import numpy as np
    from jitnet import lax
    a = lax.full((2, 3), 1.5)
    np.testing.assert_array_equal(a, np.full((2, 3), 1.5, np.float32))
    assert a.dtype == np.float32 and a.weak_type
    b = lax.full(3, 7, np.int16)
    assert b.dtype == np.int16 and not b.weak_type and b.shape == (3,)
    c = lax.full_like(np.arange(4, dtype=np.int32), 2.7)
    np.testing.assert_array_equal(c, np.full(4, 2, np.int32))
    xs = np.arange(10, dtype=np.float32).reshape(5, 2)
    out = lax.map(lambda x: x * x + 1.0, xs, batch_size=2)   # 2 chunks and a remainder
    np.testing.assert_array_equal(out, xs * xs + 1.0)


def test_eager_kernels_are_installed_by_the_runtime():
    """prims/elementwise.py reads its eager float kernels from a table the runtime fills."""
    import numpy as np
    from jitnet.prims.elementwise import EAGER_FLOAT_KERNELS, tanh_p
    from jitnet.runtime import eager_kernels
    assert set(EAGER_FLOAT_KERNELS) == set(eager_kernels.KERNELS)
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    np.testing.assert_array_equal(tanh_p.impl(x), eager_kernels.apply("tanh", x))
    np.testing.assert_allclose(tanh_p.impl(x), np.tanh(x.astype(np.float64)), rtol=1e-6)


def test_programs_import_the_kernels_they_call():
    """The runtime does not import the kernels above it: a generated program imports the ones
    it calls, by the module table of ``codegen/kernel_plan.py``, which must name every
    kernel each module lists (and nothing else: ``jn_sort_lt`` is CUDA's helper)."""
    from jitnet.codegen.kernel_plan import KERNEL_MODULES, kernel_imports
    from jitnet.kernels import conv, linalg, random, sort, window
    mods = (conv, linalg, random, sort, window)
    for mod in mods:
        for name in mod.SYMBOLS:
            assert kernel_imports(f"{name}(x)") == f"from {mod.__name__} import {name}\n"
    assert set(KERNEL_MODULES.values()) == {m.__name__ for m in mods}
    src = ("jn_sort_take_int32(a)\njn_conv2d_float32(x)\njn_gemm_f32(a)\njn_sort_lt(a, b)\n"
           "jn_conv2d_float32(y)\njn_linalg_qr_float64(q)\n")
    assert kernel_imports(src) == ("from jitnet.kernels.conv import jn_conv2d_float32\n"
                                   "from jitnet.kernels.linalg import jn_linalg_qr_float64\n"
                                   "from jitnet.kernels.sort import jn_sort_take_int32\n")


def test_version_is_written_once():
    """The disk cache's key reads the version from core (below the runtime); pyproject.toml
    reads it from the same line, and ``jitnet.__version__`` re-exports it."""
    import tomllib
    from jitnet.core import version
    with open(os.path.join(os.path.dirname(ROOT), "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "jitnet.core.version.__version__"}
    assert jitnet.__version__ == version.__version__
    assert ".".join(map(str, jitnet.__version_info__)) == jitnet.__version__
