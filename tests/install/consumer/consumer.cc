// Appends an event and reads it back through the installed C++ API; constructs the projection and server
// types so that their libraries link. Exits 0 on success.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <strata/consumer_group.h>
#include <strata/kafka/server.h>
#include <strata/log.h>
#include <strata/projection/projector.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer_cxx DIR\n");
    return 2;
  }
  auto log = strata::Log::open({.directory = argv[1]});
  if (!log) {
    std::fprintf(stderr, "%s\n", log.status().to_string().c_str());
    return 1;
  }
  strata::TopicId topic = log.value()->topic("orders").value();
  auto producer = log.value()->producer();
  auto ticket = producer->append(topic, "key", "hello from outside");
  auto offset = producer->wait(ticket.value());
  if (!offset) return 1;
  auto reader = log.value()->reader("orders");
  std::string seen;
  auto polled = reader.value()->poll(10, [&](const strata::Event& event) {
    seen.assign(reinterpret_cast<const char*>(event.value.data()), event.value.size());
  });
  if (!polled || seen != "hello from outside") return 1;
  strata::kafka::ServerOptions server_options;  // the server's library links
  (void)server_options;
  std::printf("C++: event at offset %llu reads back\n", static_cast<unsigned long long>(*offset));
  return 0;
}
