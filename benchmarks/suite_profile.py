"""Where the test suite's cold time goes: tables from ``compile_counts_plugin`` lines.

    python benchmarks/suite_profile.py OUT.jsonl [more.jsonl ...] [--top 30] [--files 30]
        [--dirs] [--tail] [--costs tests/file_costs.json [--update]]

Prints Markdown: the slowest test files and the slowest tests by worker CPU (``cpu``),
with the generated programs compiled (``compile``) and all Numba compilations (``numba``,
``numba_s``) they caused; ``--dirs`` the same per directory; ``--tail`` each xdist worker's
busy span and how long it sat idle after its last test. Run the plugin with an empty cache
directory for cold figures. ``--costs`` writes each file's CPU seconds (the worker's and its
subprocesses': an MPI launch costs the cores as much as a compile), the order in which
``tests/conftest.py`` hands files to the workers (heaviest first); with ``--update`` only the
files in the lines are replaced, the others kept (files measured cold on their own, e.g. new
ones, without a full run).
"""
import argparse
import collections
import json


def load(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jsonl", nargs="+")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--files", type=int, default=30)
    ap.add_argument("--dirs", action="store_true")
    ap.add_argument("--tail", action="store_true")
    ap.add_argument("--costs")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args(argv)
    rows = load(args.jsonl)
    if args.costs:
        cost = collections.Counter()
        for r in rows:  # node ids start at the rootdir: keep the path below tests/
            cost[r["id"].split("::")[0].split("tests/", 1)[-1]] += r["cpu"] + r.get("child_cpu", 0)
        if args.update:
            with open(args.costs) as f:
                cost = collections.Counter({**json.load(f), **cost})
        with open(args.costs, "w") as f:
            json.dump({k: round(v, 1) for k, v in sorted(cost.items())}, f, indent=0)
            f.write("\n")
    files = collections.defaultdict(lambda: [0, 0, 0, 0.0, 0.0, 0.0])
    for r in rows:
        f = files[r["id"].split("::")[0]]
        for i, k in enumerate(("compile", "numba")):
            f[i + 1] += r.get(k, 0)
        f[0] += 1
        f[3] += r.get("numba_s", 0.0)
        f[4] += r["cpu"]
        f[5] += r["wall"]
    total_cpu = sum(r["cpu"] for r in rows)
    print(f"{len(rows)} tests, {total_cpu:.0f} s worker CPU, "
          f"{sum(r['compile'] for r in rows)} programs compiled, "
          f"{sum(r.get('numba', 0) for r in rows)} Numba compilations "
          f"({sum(r.get('numba_s', 0) for r in rows):.0f} s)\n")
    if args.files:
        ranked = sorted(files.items(), key=lambda kv: -kv[1][4])[:args.files]
        print(table(["file", "tests", "programs", "numba", "numba s", "CPU s", "wall s"],
                    [(k, v[0], v[1], v[2], f"{v[3]:.1f}", f"{v[4]:.1f}", f"{v[5]:.1f}")
                     for k, v in ranked]))
        print()
    if args.dirs:
        dirs = collections.defaultdict(lambda: [0, 0, 0.0])
        for r in rows:
            path = r["id"].split("::")[0].split("/")
            d = dirs["/".join(path[:2]) if len(path) > 2 else "/".join(path)]
            d[0] += 1
            d[1] += r["compile"]
            d[2] += r["cpu"]
        print(table(["directory", "tests", "programs", "worker CPU s"],
                    [(k, v[0], v[1], f"{v[2]:.1f}")
                     for k, v in sorted(dirs.items(), key=lambda kv: -kv[1][2])]))
        print()
    if args.tail and rows and "end" in rows[0]:
        t0, t1 = min(r["start"] for r in rows), max(r["end"] for r in rows)
        workers = collections.defaultdict(list)
        for r in rows:
            workers[r["worker"]].append(r)
        print(table(["worker", "tests", "CPU s", "first start s", "last end s", "idle at the end s"],
                    [(w, len(v), f"{sum(r['cpu'] for r in v):.1f}",
                      f"{min(r['start'] for r in v) - t0:.0f}",
                      f"{max(r['end'] for r in v) - t0:.0f}",
                      f"{t1 - max(r['end'] for r in v):.0f}")
                     for w, v in sorted(workers.items())]))
        print()
    top = sorted(rows, key=lambda r: -r["cpu"])[:args.top]
    print(table(["test", "programs", "numba", "numba s", "CPU s", "wall s"],
                [(r["id"], r["compile"], r.get("numba", ""), r.get("numba_s", ""),
                  f"{r['cpu']:.1f}", f"{r['wall']:.1f}") for r in top]))


if __name__ == "__main__":
    main()
