// strata: the command-line tool. Errors go to stderr with a non-zero exit; data goes to stdout.
// new and delete through mimalloc (whose library, linked in, also takes malloc and malloc_usable_size). Not
// under a sanitizer: it takes malloc for itself, and memory from mimalloc's new handed to its
// malloc_usable_size (RocksDB's arena does that) is a wild pointer to it; nor would it see the heap.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <mimalloc-new-delete.h>
#endif

#include <cstdio>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace strata::tools {

int exit_code = 0;

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "strata: %s\n", message.c_str());
  return code;
}

CLI::Option* add_durability_option(CLI::App& command, Durability* durability, const std::string& description) {
  std::vector<std::string> names;
  for (Durability mode : kDurabilities) names.emplace_back(durability_name(mode));
  return command
      .add_option_function<std::string>(
          "--durability", [durability](const std::string& name) { (void)parse_durability(name, durability); },
          description)
      ->check(CLI::IsMember(names))
      ->default_str(std::string(durability_name(*durability)));
}

}  // namespace strata::tools

int main(int argc, char** argv) {
  CLI::App app{"strata: an embeddable event log. Each subcommand has --help."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "strata 0.1.0");
  strata::tools::add_append_command(app);
  strata::tools::add_bench_command(app);
  strata::tools::add_stat_command(app);
  strata::tools::add_read_commands(app);
  strata::tools::add_verify_command(app);
  strata::tools::add_dump_command(app);
  strata::tools::add_serve_command(app);
  strata::tools::add_project_command(app);
  strata::tools::add_topic_command(app);
  strata::tools::add_mirror_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  return strata::tools::exit_code;
}
