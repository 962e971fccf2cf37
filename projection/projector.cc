#include "projection/projector.h"

#include "projection/engine.h"

namespace strata::projection {

Status Transaction::exec(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::ok();
  Status status = sqlite_status(db_, rc);
  if (error != nullptr) status = Status(status.code(), error);
  sqlite3_free(error);
  return status;
}

Result<sqlite3_stmt*> Transaction::statement(std::string_view sql) {
  return statements_->get(sql);
}

Status Transaction::run(sqlite3_stmt* stmt) {
  return step_to_done(db_, stmt);
}

Projector::Projector(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}
Projector::~Projector() = default;

Result<std::unique_ptr<Projector>> Projector::open(ProjectorOptions options) {
  auto engine = Engine::open(std::move(options));
  if (!engine) return engine.status();
  return std::unique_ptr<Projector>(new Projector(std::move(engine.value())));
}

Status Projector::add(SqlProjection projection) {
  return engine_->add(sql_definition(std::move(projection), engine_->default_topic()));
}

Status Projector::add(HandlerProjection projection) {
  return engine_->add(handler_definition(std::move(projection), engine_->default_topic()));
}

Status Projector::catch_up() {
  return engine_->run(/*follow=*/false);
}
Status Projector::follow() {
  return engine_->run(/*follow=*/true);
}
void Projector::stop() {
  engine_->stop();
}
Status Projector::wait_until(std::string_view topic, std::uint32_t partition, std::uint64_t offset,
                             std::chrono::nanoseconds timeout) {
  return engine_->wait_until(topic, partition, offset, timeout);
}
std::vector<std::uint64_t> Projector::positions(std::string_view topic) const {
  return engine_->positions(topic);
}
RunSummary Projector::summary() const {
  return engine_->summary();
}
std::uint32_t Projector::partitions(std::string_view topic) const {
  return engine_->partitions(topic);
}

}  // namespace strata::projection
