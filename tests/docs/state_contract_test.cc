// docs/state-contract.md is the interface with the orchestrator. These tests
// read its column tables and state lists and fail when the schema the
// simulator creates (exporter/state/contract_schema.h) or the states the
// exporter knows (exporter/state/run_model.h) drift from it.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/state/contract_schema.h"
#include "exporter/state/run_model.h"
#include "tests/support/temp_dir.h"
#include "tools/sim/contract_db.h"

namespace pe {
namespace {

const std::string kContract =
    std::string(PE_SOURCE_DIR) + "/docs/state-contract.md";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(const std::string& text) {
  const auto b = text.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return text.substr(b, text.find_last_not_of(' ') - b + 1);
}

// Every `value` quoted in the text, in order.
std::vector<std::string> Quoted(const std::string& text) {
  static const std::regex quoted("`([a-z_]+)`");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), quoted), end;
       it != end; ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

struct DocRow {
  std::string column;
  std::string type;  // e.g. "INTEGER NOT NULL DEFAULT 1"
  std::string meaning;
};

// The rows of the column table under "### <table>".
std::vector<DocRow> DocTable(const std::string& table) {
  std::istringstream doc(ReadAll(kContract));
  std::vector<DocRow> rows;
  std::string line;
  bool in_section = false;
  while (std::getline(doc, line)) {
    if (line.rfind("### ", 0) == 0) {
      if (in_section) break;
      in_section = line == "### " + table;
      continue;
    }
    if (!in_section || line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells;
    std::istringstream cols(line);
    std::string cell;
    while (std::getline(cols, cell, '|')) cells.push_back(Trim(cell));
    // "", column, type, meaning
    if (cells.size() < 4 || cells[1] == "column") continue;
    rows.push_back({cells[1], cells[2], cells[3]});
  }
  return rows;
}

std::string MeaningOf(const std::vector<DocRow>& rows,
                      const std::string& column) {
  for (const DocRow& row : rows) {
    if (row.column == column) return row.meaning;
  }
  ADD_FAILURE() << "the contract documents no column " << column;
  return "";
}

// A column as "name TYPE [NOT NULL] [DEFAULT x] [PK n]": the same text from
// the contract and from PRAGMA table_info.
std::string Describe(const std::string& name, const std::string& type,
                     bool not_null, const std::string& default_value, int pk) {
  std::string out = name + " " + type;
  if (not_null) out += " NOT NULL";
  if (!default_value.empty()) out += " DEFAULT " + default_value;
  if (pk > 0) out += " PK " + std::to_string(pk);
  return out;
}

// The columns as the contract describes them. A key over several columns is
// written in a meaning, "PRIMARY KEY (run_id, step_id)".
std::vector<std::string> DocumentedColumns(const std::vector<DocRow>& rows) {
  std::vector<std::string> key;
  static const std::regex composite(R"(PRIMARY KEY \(([a-z_, ]+)\))");
  for (const DocRow& row : rows) {
    std::smatch m;
    if (std::regex_search(row.meaning, m, composite)) {
      std::istringstream names(m[1].str());
      std::string name;
      while (std::getline(names, name, ',')) key.push_back(Trim(name));
    }
  }
  std::vector<std::string> out;
  for (const DocRow& row : rows) {
    int pk = 0;
    for (std::size_t i = 0; i < key.size(); ++i) {
      if (key[i] == row.column) pk = static_cast<int>(i) + 1;
    }
    if (row.type.find("PRIMARY KEY") != std::string::npos) pk = 1;
    std::string default_value;
    static const std::regex with_default(R"(DEFAULT (\S+))");
    std::smatch m;
    if (std::regex_search(row.type, m, with_default)) default_value = m[1];
    out.push_back(Describe(row.column, row.type.substr(0, row.type.find(' ')),
                           row.type.find("NOT NULL") != std::string::npos,
                           default_value, pk));
  }
  return out;
}

std::vector<std::string> CreatedColumns(SQLite::Database& db,
                                        const std::string& table) {
  std::vector<std::string> out;
  SQLite::Statement info(db, "PRAGMA table_info(" + table + ")");
  while (info.executeStep()) {
    out.push_back(
        Describe(info.getColumn(1).getString(), info.getColumn(2).getString(),
                 info.getColumn(3).getInt() != 0, info.getColumn(4).getString(),
                 info.getColumn(5).getInt()));
  }
  return out;
}

std::string CreateSql(SQLite::Database& db, const std::string& table) {
  SQLite::Statement sql(db, "SELECT sql FROM sqlite_master WHERE name = ?");
  sql.bind(1, table);
  return sql.executeStep() ? sql.getColumn(0).getString() : "";
}

template <typename States>
std::vector<std::string> Names(const States& states) {
  std::vector<std::string> out;
  for (auto state : states) out.emplace_back(Name(state));
  return out;
}

TEST(StateContractTest, TheContractIsInTheRepository) {
  std::ifstream in(kContract);
  EXPECT_TRUE(in.good()) << kContract;
}

TEST(StateContractTest, TheSimulatorCreatesExactlyTheDocumentedColumns) {
  testing::TempDir dir;
  auto db = sim::OpenContractDb(dir.File("orchestration.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (const std::string table : {"runs", "steps", "events"}) {
    SCOPED_TRACE(table);
    const std::vector<DocRow> rows = DocTable(table);
    ASSERT_FALSE(rows.empty()) << "no column table under ### " << table;
    EXPECT_EQ(CreatedColumns(**db, table), DocumentedColumns(rows));
    bool autoincrement = false;
    for (const DocRow& row : rows) {
      autoincrement |= row.type.find("AUTOINCREMENT") != std::string::npos;
    }
    EXPECT_EQ(CreateSql(**db, table).find("AUTOINCREMENT") != std::string::npos,
              autoincrement);
  }
}

TEST(StateContractTest, AnOlderRunsTableLacksOnlyUpdatedAt) {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
  db.exec(kLegacyRunsSchemaSql);
  std::vector<DocRow> rows = DocTable("runs");
  ASSERT_NE(MeaningOf(rows, "updated_at").find("older files lack this column"),
            std::string::npos);
  std::erase_if(rows,
                [](const DocRow& row) { return row.column == "updated_at"; });
  EXPECT_EQ(CreatedColumns(db, "runs"), DocumentedColumns(rows));
}

TEST(StateContractTest, RunStatesAreTheDocumentedOnes) {
  EXPECT_EQ(Quoted(MeaningOf(DocTable("runs"), "state")), Names(kRunStates));
}

TEST(StateContractTest, TerminalAndActiveStatesAreTheDocumentedOnes) {
  const std::string doc = ReadAll(kContract);
  std::smatch terminal, active;
  ASSERT_TRUE(std::regex_search(doc, terminal,
                                std::regex("\nTerminal states: ([^\n]*)")));
  ASSERT_TRUE(
      std::regex_search(doc, active, std::regex("\nActive states: ([^\n]*)")));
  std::vector<std::string> want_terminal, want_active;
  for (RunState state : kRunStates) {
    (IsTerminal(state) ? want_terminal : want_active).emplace_back(Name(state));
  }
  EXPECT_EQ(Quoted(terminal[1]), want_terminal);
  EXPECT_EQ(Quoted(active[1]), want_active);
}

TEST(StateContractTest, StepStatesAreTheDocumentedOnes) {
  EXPECT_EQ(Quoted(MeaningOf(DocTable("steps"), "state")), Names(kStepStates));
}

}  // namespace
}  // namespace pe
