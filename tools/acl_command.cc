// strata acl add|remove|list --dir D [--principal User:NAME --operation OP (--topic T | --topic-prefix P |
//            --group G | --group-prefix P | --cluster) [--deny]] [--json]
// Kafka's ACLs of a log directory (security/acl.h); works while a server runs on D (it follows the file).
// list shows every binding, or those matching the options given.
#include <cstdio>
#include <filesystem>

#include "security/security_store.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

using security::AclBinding;

struct AclArgs {
  std::string action;
  std::string dir;
  std::string principal;
  std::string operation;
  std::string host = "*";
  std::string topic, topic_prefix, group, group_prefix;
  bool cluster = false;
  bool deny = false;
  bool json = false;
};

// The resource options given: how many, and the last one's type, pattern and name.
int resource_of(const AclArgs& args, security::AclFilter* filter) {
  int given = 0;
  auto take = [&](const std::string& name, security::ResourceType type, security::PatternType pattern) {
    if (name.empty()) return;
    ++given;
    filter->resource_type = type;
    filter->pattern_type = pattern;
    filter->resource_name = name;
  };
  take(args.topic, security::ResourceType::kTopic, security::PatternType::kLiteral);
  take(args.topic_prefix, security::ResourceType::kTopic, security::PatternType::kPrefixed);
  take(args.group, security::ResourceType::kGroup, security::PatternType::kLiteral);
  take(args.group_prefix, security::ResourceType::kGroup, security::PatternType::kPrefixed);
  if (args.cluster) take(std::string(security::kClusterResourceName), security::ResourceType::kCluster,
                         security::PatternType::kLiteral);
  return given;
}

// The options as a filter: what list narrows to, and (all fields set) the one binding add/remove name.
Result<security::AclFilter> filter_of(const AclArgs& args) {
  security::AclFilter filter;
  if (resource_of(args, &filter) > 1) {
    return invalid_argument("give one of --topic, --topic-prefix, --group, --group-prefix, --cluster");
  }
  if (!args.principal.empty()) filter.principal = args.principal;
  if (args.host != "*") filter.host = args.host;
  if (!args.operation.empty()) {
    auto operation = security::parse_acl_operation(args.operation);
    if (!operation) {
      return invalid_argument("--operation " + args.operation + ": expected Read, Write, Create, Delete, Alter, "
                              "Describe, DescribeConfigs, AlterConfigs or All");
    }
    filter.operation = *operation;
  }
  if (args.deny) filter.permission = security::AclPermission::kDeny;
  return filter;
}

Result<AclBinding> binding_of(const AclArgs& args, const security::AclFilter& filter) {
  if (args.principal.empty()) return invalid_argument("acl " + args.action + ": --principal User:NAME is required");
  if (args.operation.empty()) return invalid_argument("acl " + args.action + ": --operation is required");
  if (!filter.resource_name) {
    return invalid_argument("acl " + args.action +
                            ": one of --topic, --topic-prefix, --group, --group-prefix, --cluster is required");
  }
  AclBinding binding{args.principal,        args.host,  filter.resource_type, filter.pattern_type,
                     *filter.resource_name, filter.operation,
                     args.deny ? security::AclPermission::kDeny : security::AclPermission::kAllow};
  STRATA_RETURN_IF_ERROR(security::validate_acl_binding(binding));
  return binding;
}

std::string text_of(const AclBinding& binding) {
  return "principal=" + binding.principal + " permission=" + std::string(acl_permission_name(binding.permission)) +
         " operation=" + std::string(acl_operation_name(binding.operation)) +
         " resource=" + std::string(resource_type_name(binding.resource_type)) +
         " pattern=" + std::string(pattern_type_name(binding.pattern_type)) + " name=" + binding.resource_name +
         " host=" + binding.host;
}

std::string json_of(const AclBinding& binding) {
  return "{\"principal\":" + json_string(binding.principal) + ",\"permission\":" +
         json_string(acl_permission_name(binding.permission)) + ",\"operation\":" +
         json_string(acl_operation_name(binding.operation)) + ",\"resource_type\":" +
         json_string(resource_type_name(binding.resource_type)) + ",\"pattern_type\":" +
         json_string(pattern_type_name(binding.pattern_type)) + ",\"resource_name\":" +
         json_string(binding.resource_name) + ",\"host\":" + json_string(binding.host) + "}";
}

void print_bindings(const std::vector<AclBinding>& bindings, bool json) {
  std::string out = "{\"acls\":[";
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    if (!json) std::printf("%s\n", text_of(bindings[i]).c_str());
    out += (i == 0 ? "" : ",") + json_of(bindings[i]);
  }
  if (json) std::printf("%s]}\n", out.c_str());
}

int run_acl(const AclArgs& args) {
  auto filter = filter_of(args);
  if (!filter) return fail(filter.status().message());
  if (args.action == "list") {
    auto acls = security::read_acls(args.dir);
    if (!acls) return fail(acls.status().to_string());
    std::vector<AclBinding> shown;
    for (const AclBinding& binding : *acls) {
      if (security::acl_filter_matches(*filter, binding)) shown.push_back(binding);
    }
    print_bindings(shown, args.json);
    return 0;
  }
  auto binding = binding_of(args, *filter);
  if (!binding) return fail(binding.status().message());
  if (args.action == "add") {
    std::error_code error;
    std::filesystem::create_directories(args.dir, error);
    if (error) return fail("--dir " + args.dir + ": " + error.message());
    auto added = security::add_acls(args.dir, {*binding});
    if (!added) return fail(added.status().to_string());
    if (args.json) print_bindings({*binding}, true);
    return 0;
  }
  filter->permission = binding->permission;  // remove exactly the binding named, allow or deny
  filter->host = binding->host;
  auto removed = security::remove_acls(args.dir, {*filter});
  if (!removed) return fail(removed.status().to_string());
  if (removed->at(0).empty()) return fail("no such ACL: " + text_of(*binding));
  if (args.json) print_bindings(removed->at(0), true);
  return 0;
}

}  // namespace

void add_acl_command(CLI::App& app) {
  auto args = std::make_shared<AclArgs>();
  CLI::App* command = app.add_subcommand("acl", "Add, remove or list Kafka ACLs (strata serve --authorize enforces them, also while it runs)");
  command->add_option("action", args->action, "add, remove, list")
      ->required()
      ->check(CLI::IsMember({"add", "remove", "list"}));
  command->add_option("--dir", args->dir, "Log directory")->required();
  command->add_option("--principal", args->principal, "User:NAME, or User:* for every user");
  command->add_option("--operation", args->operation,
                      "Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs or All");
  command->add_option("--topic", args->topic, "A topic (the literal name; * for every topic)");
  command->add_option("--topic-prefix", args->topic_prefix, "Every topic whose name starts with this");
  command->add_option("--group", args->group, "A consumer group (the literal name; * for every group)");
  command->add_option("--group-prefix", args->group_prefix, "Every group whose name starts with this");
  command->add_flag("--cluster", args->cluster, "The cluster (creating topics, describing the cluster)");
  command->add_option("--host", args->host, "The client host the ACL applies to (default *: any)");
  command->add_flag("--deny", args->deny, "A deny ACL (deny wins over any allow)");
  command->add_flag("--json", args->json, "Print JSON");
  command->callback([args] { exit_code = run_acl(*args); });
}

}  // namespace strata::tools
