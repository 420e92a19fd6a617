"""The Python copy of the contract's tables (contract_schema.py) creates the
same columns, keys and AUTOINCREMENT as the C++ one
(exporter/state/contract_schema.h), read from the header's raw strings.

Run by ctest as: python3 test_contract_schema.py --binary PATH --source-dir DIR
"""

import os
import re
import sqlite3
import unittest

import contract_schema
import pe_testlib as lib

ARGS = lib.parse_args()


def cxx_schema(name):
    """The SQL of the raw string constant `name` of contract_schema.h."""
    path = os.path.join(ARGS.source_dir, "exporter", "state", "contract_schema.h")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"\b%s = R\"sql\((.*?)\)sql\";" % name, text, re.S)
    if match is None:
        raise AssertionError("no %s in %s" % (name, path))
    return match.group(1)


def shape(*scripts):
    """{table: (columns from PRAGMA table_info, whether AUTOINCREMENT)} of
    a database the scripts create, in order."""
    conn = sqlite3.connect(":memory:")
    try:
        for script in scripts:
            conn.executescript(script)
        out = {}
        for table in contract_schema.TABLES:
            columns = tuple(conn.execute("PRAGMA table_info(%s)" % table))
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                               (table,)).fetchone()[0]
            out[table] = (columns, "AUTOINCREMENT" in sql)
        return out
    finally:
        conn.close()


class ContractSchemaTest(unittest.TestCase):
    def test_python_creates_what_cxx_creates(self):
        self.assertEqual(shape(contract_schema.SCHEMA),
                         shape(cxx_schema("kContractSchemaSql")))

    def test_the_legacy_runs_table_too(self):
        self.assertEqual(
            shape(contract_schema.LEGACY_RUNS_SCHEMA, contract_schema.SCHEMA),
            shape(cxx_schema("kLegacyRunsSchemaSql"), cxx_schema("kContractSchemaSql")))

    def test_the_legacy_runs_table_lacks_only_updated_at(self):
        full = shape(contract_schema.SCHEMA)["runs"][0]
        conn = sqlite3.connect(":memory:")
        contract_schema.create_tables(conn, legacy=True)
        legacy = tuple(conn.execute("PRAGMA table_info(runs)"))
        conn.close()
        self.assertEqual([c[1] for c in legacy],
                         [c[1] for c in full if c[1] != "updated_at"])


if __name__ == "__main__":
    lib.main()
