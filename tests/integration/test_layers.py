"""The components and their layers (issue 22): the table of docs/design.md
("Layers") is the one statement of which component may use which; this test
holds the code and the build to it.

  - every component folder is in the table, with its CMake target;
  - every `#include "exporter/<folder>/..."` (or "tools/sim/...") of a
    component's files names itself or a component its row may use;
  - `cmake --graphviz` of a fresh configuration: every link between two
    components' targets is one its row allows, and none goes from a lower
    layer to a higher one; the daemon's targets never link the simulator.

The checks are also run on made-up violations, so that they can fail.

Run by ctest as: python3 test_layers.py --binary PATH --source-dir DIR
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()
SRC = ARGS.source_dir
_INCLUDE = re.compile(r'^\s*#\s*include\s+"((?:exporter|tools)/([a-z_]+)/)', re.M)


def layer_table(text):
    """{folder: {"layer", "target", "uses": set of folders}} from the
    table under "## Layers" of docs/design.md."""
    section = text.split("\n## Layers", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[1].startswith("`"):
            continue
        layer, folder, target, _, uses = cells
        rows[folder.strip("`").rstrip("/")] = {
            "layer": layer, "target": target.strip("`"),
            "uses": {u.strip().strip("`") for u in uses.split(",") if u.strip() not in ("", "-")}}
    return rows


def folder_name(path):
    """"exporter/common" -> "common", "tools/sim" -> "sim"."""
    return path.split("/")[-1]


def include_violations(table, files):
    """[(file, included folder)] of includes a component may not use.
    files: {path relative to the source dir: text}."""
    found = []
    for path, text in sorted(files.items()):
        folder = os.path.dirname(path)
        row = table.get(folder)
        if row is None:
            continue
        allowed = {folder_name(folder)} | row["uses"]
        for match in _INCLUDE.finditer(text):
            if match.group(2) not in allowed:
                found.append((path, match.group(1).rstrip("/")))
    return found


def link_violations(table, edges):
    """[(from target, to target)] of links between components that the
    table does not allow. edges: [(target, target)]."""
    by_target = {row["target"]: folder for folder, row in table.items()}
    found = []
    for source, dest in edges:
        if source in by_target and dest in by_target:
            row = table[by_target[source]]
            if folder_name(by_target[dest]) not in row["uses"]:
                found.append((source, dest))
    return found


def graphviz_edges(dot):
    """[(target, target)] of a cmake --graphviz file."""
    names = dict(re.findall(r'"(node\d+)"\s*\[\s*label\s*=\s*"([^"]+)"', dot))
    return [(names[a], names[b]) for a, b in re.findall(r'"(node\d+)"\s*->\s*"(node\d+)"', dot)
            if a in names and b in names]


def read_design():
    with open(os.path.join(SRC, "docs", "design.md"), encoding="utf-8") as f:
        return f.read()


def component_files(table):
    files = {}
    for folder in table:
        directory = os.path.join(SRC, folder)
        for name in sorted(os.listdir(directory)):
            if name.endswith((".cc", ".h", ".h.in")):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    files[os.path.join(folder, name)] = f.read()
    return files


class LayerTableTest(unittest.TestCase):
    def setUp(self):
        self.table = layer_table(read_design())

    def test_every_component_folder_has_a_row_and_a_lower_layer_uses_nothing_higher(self):
        folders = {os.path.join("exporter", d) for d in os.listdir(os.path.join(SRC, "exporter"))
                   if os.path.isdir(os.path.join(SRC, "exporter", d))}
        folders |= {os.path.join("tools", d) for d in os.listdir(os.path.join(SRC, "tools"))
                    if os.path.isdir(os.path.join(SRC, "tools", d))}
        self.assertEqual(set(self.table), folders)
        by_name = {folder_name(f): row for f, row in self.table.items()}
        for folder, row in self.table.items():
            for used in row["uses"]:
                with self.subTest(folder=folder, uses=used):
                    self.assertIn(used, by_name)
                    if row["layer"].isdigit():
                        self.assertLess(int(by_name[used]["layer"]), int(row["layer"]))

    def test_no_component_includes_one_it_may_not_use(self):
        self.assertEqual(include_violations(self.table, component_files(self.table)), [])

    def test_an_upward_include_is_found(self):
        files = {"exporter/common/log.h": '#include "exporter/config/config.h"\n',
                 "exporter/http/x.cc": '#include "exporter/metrics/snapshot.h"\n'
                                       '  #include "tools/sim/rng.h"\n'}
        self.assertEqual(include_violations(self.table, files),
                         [("exporter/common/log.h", "exporter/config"),
                          ("exporter/http/x.cc", "tools/sim")])


class LinkGraphTest(unittest.TestCase):
    """cmake --graphviz of a fresh configuration of the source tree."""

    @classmethod
    def setUpClass(cls):
        cls.table = layer_table(read_design())
        cls.tmp = tempfile.mkdtemp(prefix="pe-layers-")
        dot = os.path.join(cls.tmp, "graph.dot")
        result = subprocess.run(
            ["cmake", "-S", SRC, "-B", os.path.join(cls.tmp, "build"), "--graphviz=" + dot,
             "-DPIPELINE_EXPORTER_BUILD_TESTS=OFF", "-DPIPELINE_EXPORTER_BUILD_BENCH=OFF"],
            capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise AssertionError("cmake failed:\n" + result.stdout + result.stderr)
        with open(dot, encoding="utf-8") as f:
            cls.edges = graphviz_edges(f.read())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_component_has_its_target(self):
        targets = {a for a, _ in self.edges} | {b for _, b in self.edges}
        for folder, row in self.table.items():
            with self.subTest(folder=folder):
                self.assertIn(row["target"], targets)

    def test_every_link_between_components_is_one_the_table_allows(self):
        self.assertEqual(link_violations(self.table, self.edges), [])
        # The binary runs the daemon and the tools; the daemon's libraries
        # never link the simulator.
        self.assertIn(("pipeline_exporter", "pe_app"), self.edges)
        self.assertIn(("pipeline_exporter", "pe_sim"), self.edges)
        self.assertEqual([e for e in self.edges if e[1] == "pe_sim"],
                         [("pipeline_exporter", "pe_sim")])

    def test_an_upward_link_is_found(self):
        self.assertEqual(link_violations(self.table, [("pe_common", "pe_config"),
                                                      ("pe_app", "pe_worker")]),
                         [("pe_common", "pe_config")])


if __name__ == "__main__":
    lib.main()
