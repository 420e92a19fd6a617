#include <string>
#include <string_view>
#include <vector>

#include "exporter/app/cli.h"
#include "tools/sim/db_shape_main.h"
#include "tools/sim/sim_main.h"

// The tools (`simulate`, `db-shape`: tools/sim) or the daemon's command line.
int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "simulate" || command == "db-shape") {
    const std::vector<std::string> args(argv + 2, argv + argc);
    return command == "simulate" ? pe::sim::Main(args)
                                 : pe::sim::DbShapeMain(args);
  }
  return pe::Main(argc, argv);
}
