"""contract_schema.py reads the contract's tables from the raw strings of
exporter/state/contract_schema.h (the one definition): the parse finds every
contract table, a database created from it has exactly the columns
docs/state-contract.md lists (type, NOT NULL, default, key, AUTOINCREMENT),
the legacy runs table lacks only updated_at, and a header of another shape
is an error that says so. The checks also run on made-up headers and
contracts, so that they can fail.

Run by ctest as: python3 test_contract_schema.py --binary PATH --source-dir DIR
"""

import os
import re
import sqlite3
import unittest

import contract_schema
import pe_testlib as lib

ARGS = lib.parse_args()


def contract_text():
    with open(os.path.join(ARGS.source_dir, "docs", "state-contract.md"),
              encoding="utf-8") as f:
        return f.read()


def doc_rows(text, table):
    """[(column, type, meaning)] of the column table under "### table"."""
    section = text.split("\n### %s\n" % table, 1)
    if len(section) < 2:
        return []
    rows = []
    for line in re.split(r"\n#{1,3} ", section[1], maxsplit=1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("column", "") and \
                not cells[0].startswith("---"):
            rows.append(tuple(cells))
    return rows


def describe(name, type_, not_null, default, pk):
    """A column as "name TYPE [NOT NULL] [DEFAULT x] [PK n]"."""
    out = "%s %s" % (name, type_)
    if not_null:
        out += " NOT NULL"
    if default is not None:
        out += " DEFAULT %s" % default
    if pk:
        out += " PK %d" % pk
    return out


def documented(rows):
    """(columns described, whether AUTOINCREMENT) as the contract says. A
    key over several columns is written in a meaning, "PRIMARY KEY (a, b)"."""
    key = []
    for _, _, meaning in rows:
        m = re.search(r"PRIMARY KEY \(([a-z_, ]+)\)", meaning)
        if m:
            key = [k.strip() for k in m.group(1).split(",")]
    columns = []
    for column, type_, _ in rows:
        pk = key.index(column) + 1 if column in key else 0
        if "PRIMARY KEY" in type_:
            pk = 1
        default = re.search(r"DEFAULT (\S+)", type_)
        columns.append(describe(column, type_.split()[0], "NOT NULL" in type_,
                                default.group(1) if default else None, pk))
    return columns, any("AUTOINCREMENT" in t for _, t, _ in rows)


def created(conn, table):
    """(columns described, whether AUTOINCREMENT) of a table in conn."""
    columns = [describe(c[1], c[2], c[3], c[4], c[5])
               for c in conn.execute("PRAGMA table_info(%s)" % table)]
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                       (table,)).fetchone()
    return columns, sql is not None and "AUTOINCREMENT" in sql[0]


def mismatches(conn, text, tables=contract_schema.TABLES):
    """[(table, created, documented)] where conn's tables differ from the
    contract's column tables."""
    found = []
    for table in tables:
        want = documented(doc_rows(text, table))
        have = created(conn, table)
        if have != want or not want[0]:
            found.append((table, have, want))
    return found


def database(legacy=False):
    conn = sqlite3.connect(":memory:")
    contract_schema.create_tables(conn, legacy=legacy)
    return conn


class ContractSchemaTest(unittest.TestCase):
    def test_reads_the_header_of_this_source_tree(self):
        self.assertEqual(
            os.path.realpath(contract_schema.HEADER),
            os.path.realpath(os.path.join(ARGS.source_dir, "exporter", "state",
                                          "contract_schema.h")))

    def test_the_parse_finds_every_contract_table(self):
        conn = database()
        names = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.close()
        self.assertTrue(set(contract_schema.TABLES) <= names, names)
        self.assertEqual(set(contract_schema.TABLES),
                         {"runs", "steps", "events"})

    def test_a_database_created_from_it_has_the_documented_columns(self):
        conn = database()
        try:
            self.assertEqual(mismatches(conn, contract_text()), [])
        finally:
            conn.close()

    def test_the_legacy_runs_table_lacks_only_updated_at(self):
        text = contract_text()
        meaning = {r[0]: r[2] for r in doc_rows(text, "runs")}
        self.assertIn("older files lack this column", meaning["updated_at"])
        rows = [r for r in doc_rows(text, "runs") if r[0] != "updated_at"]
        conn = database(legacy=True)
        try:
            self.assertEqual(created(conn, "runs"), documented(rows))
            self.assertEqual(mismatches(conn, text, ("steps", "events")), [])
        finally:
            conn.close()

    # -- the checks can fail ------------------------------------------------

    def test_a_column_the_contract_adds_is_found_missing(self):
        text = contract_text().replace(
            "| metadata | TEXT NULL |",
            "| priority | INTEGER NULL | made up |\n| metadata | TEXT NULL |", 1)
        conn = database()
        try:
            self.assertEqual([m[0] for m in mismatches(conn, text)], ["runs"])
        finally:
            conn.close()

    def test_a_different_key_or_autoincrement_is_found(self):
        text = contract_text().replace(
            "PRIMARY KEY (run_id, step_id)", "PRIMARY KEY (step_id)", 1).replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER PRIMARY KEY", 1)
        conn = database()
        try:
            self.assertEqual([m[0] for m in mismatches(conn, text)],
                             ["steps", "events"])
        finally:
            conn.close()

    def test_a_header_of_another_shape_is_a_clear_error(self):
        with open(contract_schema.HEADER, encoding="utf-8") as f:
            header = f.read()
        schema, legacy = contract_schema.parse_header(header)
        self.assertEqual((schema, legacy),
                         (contract_schema.SCHEMA, contract_schema.LEGACY_RUNS_SCHEMA))
        # Any raw-string delimiter reads the same.
        self.assertEqual(contract_schema.parse_header(
            header.replace('R"sql(', 'R"x(').replace(')sql"', ')x"')),
            (schema, legacy))
        broken = {
            "a plain string": header.replace('kContractSchemaSql = R"sql(',
                                             'kContractSchemaSql = "', 1),
            "a renamed constant": header.replace("kLegacyRunsSchemaSql",
                                                 "kOldRunsSql"),
            "a table missing": header.replace(
                "CREATE TABLE IF NOT EXISTS events", "CREATE VIEW events", 1),
            "no header": "",
        }
        for what, text in broken.items():
            with self.subTest(what):
                with self.assertRaises(contract_schema.HeaderShapeError) as e:
                    contract_schema.parse_header(text, "made-up.h")
                self.assertIn("made-up.h", str(e.exception))


if __name__ == "__main__":
    lib.main()
