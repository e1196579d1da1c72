// `sluice lake ls|log|verify TABLE_DIR`.
#include <iostream>

#include "cli/commands.h"
#include "sinks/lake/lake_writer.h"

namespace sluice::cli {

int lake_command(const std::string& verb, const LakeArgs& a) {
  if (verb == "ls") return lake_ls(a.table_dir, std::cout);
  if (verb == "log") return lake_log(a.table_dir, std::cout);
  return lake_verify(a.table_dir, std::cout);
}

}  // namespace sluice::cli
