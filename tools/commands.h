// Each `strata` subcommand registers itself on the CLI11 app; its callback returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "strata/log.h"

namespace strata::tools {

// Set by a subcommand's callback; main() returns it.
extern int exit_code;

void add_append_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_stat_command(CLI::App& app);
void add_read_commands(CLI::App& app);  // cat, tail
void add_verify_command(CLI::App& app);
void add_dump_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_project_command(CLI::App& app);  // project, project status
void add_topic_command(CLI::App& app);    // topic create|alter|describe|delete
void add_mirror_command(CLI::App& app);

// Prints "strata: <message>" to stderr and returns 1 (or `code`).
int fail(const std::string& message, int code = 1);

// Adds --durability (one of durability_name()'s names) to `command`, stored in *durability.
CLI::Option* add_durability_option(CLI::App& command, Durability* durability, const std::string& description);

}  // namespace strata::tools
