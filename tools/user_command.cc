// strata user add|remove|list --dir D [NAME] [--mechanism SCRAM-SHA-256|SCRAM-SHA-512] [--iterations N] [--json]
// SCRAM users of a log directory (security/security_store.h): the server keeps only salt, iterations,
// StoredKey and ServerKey. add reads the password from the first line of stdin (never an argument, which
// other users could see in ps); without --mechanism it stores both SCRAM mechanisms. Works while a server
// runs on D: new logins see the change within a second.
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "security/security_store.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

using security::ScramMechanism;

struct UserArgs {
  std::string action;
  std::string dir;
  std::string name;
  std::string mechanism;
  std::uint32_t iterations = security::kScramIterationsMin;
  bool json = false;
};

// The first line of stdin, without its line end; echo off when stdin is a terminal.
Result<std::string> read_password() {
  termios saved{};
  const bool terminal = ::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    std::fprintf(stderr, "password: ");
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  const bool read = static_cast<bool>(std::getline(std::cin, password));
  if (terminal) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (!read || password.empty()) return invalid_argument("user add: the password (the first line of stdin) is empty");
  return password;
}

// name -> (mechanism -> iterations)
std::map<std::string, std::map<std::string, std::uint32_t>> by_user(const security::CredentialTable& users) {
  std::map<std::string, std::map<std::string, std::uint32_t>> out;
  for (const auto& [key, credential] : users) {
    out[key.first][std::string(security::scram_mechanism_name(key.second))] = credential.iterations;
  }
  return out;
}

int list_users(const UserArgs& args) {
  auto users = security::read_users(args.dir);
  if (!users) return fail(users.status().to_string());
  std::string json = "{\"users\":[";
  bool first_user = true;
  for (const auto& [name, mechanisms] : by_user(*users)) {
    std::string line = name;
    std::string entries;
    for (const auto& [mechanism, iterations] : mechanisms) {
      line += "\t" + mechanism + ":" + std::to_string(iterations);
      entries += std::string(entries.empty() ? "" : ",") + "{\"mechanism\":" + json_string(mechanism) +
                 ",\"iterations\":" + std::to_string(iterations) + "}";
    }
    json += std::string(first_user ? "" : ",") + "{\"name\":" + json_string(name) + ",\"mechanisms\":[" + entries + "]}";
    first_user = false;
    if (!args.json) std::printf("%s\n", line.c_str());
  }
  if (args.json) std::printf("%s]}\n", json.c_str());
  return 0;
}

int add_user(const UserArgs& args) {
  std::vector<ScramMechanism> mechanisms = {ScramMechanism::kSha256, ScramMechanism::kSha512};
  if (!args.mechanism.empty()) mechanisms = {*security::parse_scram_mechanism(args.mechanism)};
  if (Status valid = security::validate_user_name(args.name); !valid.is_ok()) return fail(valid.message());
  auto password = read_password();
  if (!password) return fail(password.status().message());
  std::error_code error;
  std::filesystem::create_directories(args.dir, error);
  if (error) return fail("--dir " + args.dir + ": " + error.message());
  for (ScramMechanism mechanism : mechanisms) {
    auto credential = security::make_scram_credential(mechanism, *password, args.iterations);
    if (!credential) return fail("--iterations: " + credential.status().message());
    if (Status put = security::put_user(args.dir, args.name, *credential); !put.is_ok()) return fail(put.to_string());
  }
  if (args.json) {
    std::string entries;
    for (ScramMechanism mechanism : mechanisms) {
      entries += std::string(entries.empty() ? "" : ",") + json_string(security::scram_mechanism_name(mechanism));
    }
    std::printf("{\"name\":%s,\"mechanisms\":[%s],\"iterations\":%u}\n", json_string(args.name).c_str(),
                entries.c_str(), args.iterations);
  }
  return 0;
}

int run_user(const UserArgs& args) {
  if (args.action == "list") {
    if (!args.name.empty()) return fail("user list takes no NAME");
    return list_users(args);
  }
  if (args.name.empty()) return fail("user " + args.action + ": NAME is required");
  if (args.action == "add") return add_user(args);
  if (Status removed = security::remove_user(args.dir, args.name); !removed.is_ok()) {
    return fail(removed.code() == StatusCode::kNotFound ? "no user " + args.name + " in " + args.dir
                                                        : removed.to_string());
  }
  if (args.json) std::printf("{\"removed\":%s}\n", json_string(args.name).c_str());
  return 0;
}

}  // namespace

void add_user_command(CLI::App& app) {
  auto args = std::make_shared<UserArgs>();
  CLI::App* command = app.add_subcommand(
      "user", "Add, remove or list SASL/SCRAM users (add reads the password from the first line of stdin; "
              "strata serve's SASL listeners take them, also while it runs)");
  command->add_option("action", args->action, "add, remove, list")
      ->required()
      ->check(CLI::IsMember({"add", "remove", "list"}));
  command->add_option("name", args->name, "The user name (add, remove)");
  command->add_option("--dir", args->dir, "Log directory")->required();
  command->add_option("--mechanism", args->mechanism, "SCRAM-SHA-256 or SCRAM-SHA-512 (add; default both)")
      ->check(CLI::IsMember({"SCRAM-SHA-256", "SCRAM-SHA-512"}));
  command->add_option("--iterations", args->iterations, "SCRAM iteration count (add; 4096 to 16384, default 4096)")
      ->check(CLI::Range(security::kScramIterationsMin, security::kScramIterationsMax));
  command->add_flag("--json", args->json, "Print JSON");
  command->callback([args] { exit_code = run_user(*args); });
}

}  // namespace strata::tools
