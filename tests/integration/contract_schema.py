"""The orchestrator's tables (docs/state-contract.md), for Python.

Not a copy: the SQL is read, at import, from the raw string literals of the
C++ definition, exporter/state/contract_schema.h (checked against the
contract by tests/docs/state_contract_test.cc), so the integration tests and
bench/contract_db.py create exactly what the simulator and the unit tests
create. test_contract_schema.py checks the parse and the tables it makes.
Standard library only.

    import contract_schema
    contract_schema.create_tables(conn)               # runs, steps, events
    contract_schema.create_tables(conn, legacy=True)  # runs without updated_at
"""

import os
import re

HEADER = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "exporter", "state", "contract_schema.h"))

TABLES = ("runs", "steps", "events")

# `NAME = R"delim(...)delim";`, the form of the header's constants
# (`inline constexpr const char* kContractSchemaSql = R"sql(...)sql";`).
_RAW_STRING = re.compile(r'\b(k\w+)\s*=\s*R"(\w*)\((.*?)\)\2"\s*;', re.S)
_CREATE_TABLE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)",
                           re.I)


class HeaderShapeError(RuntimeError):
    """contract_schema.h no longer has the shape this module reads."""


def parse_header(text, path=HEADER):
    """(SCHEMA, LEGACY_RUNS_SCHEMA) from the text of contract_schema.h.
    Raises HeaderShapeError unless it holds kContractSchemaSql creating
    exactly TABLES and kLegacyRunsSchemaSql creating runs, each a raw
    string literal."""
    found = {m.group(1): m.group(3) for m in _RAW_STRING.finditer(text)}
    expected = {"kContractSchemaSql": TABLES, "kLegacyRunsSchemaSql": ("runs",)}
    for name, tables in expected.items():
        if name not in found:
            raise HeaderShapeError(
                '%s: no raw string constant %s (expected `%s = R"sql(...)sql";`'
                "); contract_schema.py reads the contract's SQL from there, "
                "update its parse if the header changed shape" % (path, name, name))
        created = tuple(_CREATE_TABLE.findall(found[name]))
        if created != tables:
            raise HeaderShapeError(
                "%s: %s creates the tables %s, expected %s"
                % (path, name, list(created), list(tables)))
    return found["kContractSchemaSql"], found["kLegacyRunsSchemaSql"]


def _read_header(path=HEADER):
    try:
        with open(path, encoding="utf-8") as f:
            return parse_header(f.read(), path)
    except OSError as e:
        raise HeaderShapeError("cannot read the contract's schema: %s" % e) from e


# kContractSchemaSql, and kLegacyRunsSchemaSql: an older orchestrator's runs
# table, without updated_at, created before SCHEMA, whose runs it then keeps.
SCHEMA, LEGACY_RUNS_SCHEMA = _read_header()


def create_tables(conn, legacy=False):
    """Creates the contract's tables that conn's database lacks; legacy: an
    older orchestrator's file, whose runs table has no updated_at."""
    if legacy:
        conn.executescript(LEGACY_RUNS_SCHEMA)
    conn.executescript(SCHEMA)
