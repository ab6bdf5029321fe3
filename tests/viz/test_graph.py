"""Graphviz pictures: the DOT text parses (Graphviz's own parser when ``dot`` is installed,
a small structural check otherwise) and shows the layers, shapes, equations and kernels."""
import re
import shutil
import subprocess

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import layers, models, viz


def assert_dot_parses(text):
    if shutil.which("dot"):
        res = subprocess.run(["dot", "-Tsvg"], input=text.encode(), capture_output=True)
        assert res.returncode == 0, res.stderr.decode()
        assert b"<svg" in res.stdout
    # and always a structural check: balanced braces, quoted strings closed
    body = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    assert '"' not in body.replace('""', "")
    assert body.count("{") == body.count("}") and body.startswith("digraph")


def labels(text):
    return re.findall(r'label="((?:\\.|[^"\\])*)"', text)


def assert_rendered(plot, magic):
    """The picture Graphviz drew; without ``dot`` installed, a warning and the DOT text."""
    if shutil.which("dot"):
        out = plot()
        assert magic in open(out, "rb").read(4096)
        return
    with pytest.warns(UserWarning, match="Graphviz's 'dot' program was not found"):
        out = plot()
    assert out.endswith(".dot") and open(out).read().startswith("digraph")


def sequential():
    m = models.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu", name="hidden"),
                           layers.Dense(3, name="logits")])
    m.init(jax.random.PRNGKey(0), np.zeros((1, 4), np.float32))
    return m


def test_plot_model_sequential(tmp_path):
    m = sequential()
    text = viz.model_to_dot(m)
    assert_dot_parses(text)
    labs = labels(text)
    assert r"hidden (Dense)\noutput: (None, 8)\nparams: 40" in labs
    assert r"logits (Dense)\noutput: (None, 3)\nparams: 27" in labs
    assert text.count("->") == 2
    assert_rendered(lambda: viz.plot_model(m, tmp_path / "model.svg"), b"<svg")
    out = viz.plot_model(m, tmp_path / "model.dot")
    assert open(out).read() == text


def test_plot_model_functional_edges():
    a = layers.Input((4,))
    h1 = layers.Dense(5, name="left")(a)
    h2 = layers.Dense(5, name="right")(a)
    s = layers.Add(name="sum")([h1, h2])
    m = models.Model(a, layers.Dense(2, name="head")(s))
    m.init(jax.random.PRNGKey(0), np.zeros((1, 4), np.float32))
    text = viz.model_to_dot(m, show_params=False)
    assert_dot_parses(text)
    ids = {lab.split(" ")[0]: nid for nid, lab in re.findall(r'"(\w+)" \[label="([^"]*)"', text)}
    edges = set(re.findall(r'"(\w+)" -> "(\w+)"', text))
    expect = {("input_0", "left"), ("input_0", "right"), ("left", "sum"), ("right", "sum"),
              ("sum", "head")}
    assert edges == {(ids[a], ids[b]) for a, b in expect}


def test_plot_model_needs_built_model():
    with pytest.raises(ValueError, match="built"):
        viz.model_to_dot(models.Sequential([layers.Dense(2)]))


def f(x, w):
    return jnp.sum(jnp.sin(x) * 2.0) + jnp.dot(x, w).sum()


def test_plot_ir_and_kernels(tmp_path):
    x, w = np.ones((3, 4), np.float32), np.ones((4, 2), np.float32)
    text = viz.ir_to_dot(viz.graph.lowered_ir(f, x, w))
    assert_dot_parses(text)
    ir_listing = str(jax.jit(f).lower(x, w).as_text())
    prims = [re.split(r"[\s\[]", ln.split(" = ")[1].strip())[0]
             for ln in ir_listing.splitlines() if " = " in ln]
    eqn_labels = [lab.split("\\n")[0] for lab in labels(text)
                  if not lab.startswith(("arg ", "const ", "out "))]
    assert eqn_labels == prims          # one node per equation, in program order
    ktext = viz.ir_to_dot(viz.graph.lowered_ir(f, x, w), kernels=True)
    assert_dot_parses(ktext)
    clusters = re.findall(r'subgraph "cluster_k\d+" \{\n    label="([^"]*)"', ktext)
    assert any(c.endswith("dot_general") for c in clusters)
    assert_well_formed(ktext, prims)
    assert_rendered(lambda: viz.plot_kernels(f, x, w, path=tmp_path / "k.png"),
                    b"\x89PNG\r\n\x1a\n")


def g(x, w):   # its gradient recomputes a broadcast in two kernels
    return jnp.sum(jax.nn.log_softmax(x @ w), axis=1).mean() + jnp.tanh(x).sum()


def assert_well_formed(text, prims):
    """Node ids unique, every edge between drawn nodes, every equation drawn (recomputed
    ones once more per extra kernel, dashed)."""
    nodes = re.findall(r'"(\w+)" \[label="([^"]*)"(, style="([^"]*)")?', text)
    ids = [n for n, *_ in nodes]
    assert len(ids) == len(set(ids))
    for a, b in re.findall(r'"(\w+)" -> "(\w+)"', text):
        assert a in ids and b in ids
    solid = [lab.split("\\n")[0] for n, lab, _, style in nodes
             if n.startswith("e") and "dashed" not in style]
    assert sorted(solid) == sorted(prims)


def test_kernels_with_recomputed_equations():
    x, w = np.ones((8, 4), np.float32), np.ones((4, 3), np.float32)
    dg = jax.grad(g, argnums=1)
    listing = jax.jit(dg).lower(x, w).as_text()
    prims = [re.split(r"[\s\[]", ln.split(" = ")[1].strip())[0]
             for ln in listing.splitlines() if " = " in ln]
    text = viz.ir_to_dot(viz.graph.lowered_ir(dg, x, w), kernels=True)
    assert_dot_parses(text)
    assert_well_formed(text, prims)
    assert 'style="rounded,dashed"' in text


def test_render_without_dot_writes_dot_text(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match="dot"):
        out = viz.plot_ir(f, np.ones((3, 4), np.float32), np.ones((4, 2), np.float32),
                          path=tmp_path / "ir.svg")
    assert out.endswith("ir.dot")
    monkeypatch.undo()
    assert_dot_parses(open(out).read())
    with pytest.raises(ValueError, match="unsupported"):
        viz.render("digraph G {}", tmp_path / "x.jpg2")
