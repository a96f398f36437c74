#include "store/sqlite/connection.h"

#include <fmt/format.h>

namespace forewarn::store::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view operation) {
  const int primary = rc & 0xff;
  ErrorCode code = ErrorCode::kInternal;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
      primary == SQLITE_FULL || primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY) {
    code = ErrorCode::kUnavailable;
  } else if (primary == SQLITE_CONSTRAINT) {
    code = ErrorCode::kConflict;
  }
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{code, fmt::format("database {} failed: {}", operation, detail)};
}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  if (value.has_value()) return Bind(index, *value);
  return BindNull(index);
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<Statement::StepResult> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return StepResult::kRow;
  if (rc == SQLITE_DONE) return StepResult::kDone;
  return tl::unexpected<Error>(SqliteError(db_, rc, "step"));
}

Status Statement::Run() {
  FW_ASSIGN_OR_RETURN(auto step, Step());
  if (step != StepResult::kDone) {
    return Fail(ErrorCode::kInternal, "database statement returned rows unexpectedly");
  }
  return Ok();
}

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

std::string Statement::Blob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return blob == nullptr ? std::string() : std::string(static_cast<const char*>(blob), size);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<int64_t> Statement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path) {
  // SQLite's allocation statistics take a global mutex on every malloc and free; nothing here
  // reads them. Only possible before SQLite initializes, so the first Open decides (a later
  // call returns SQLITE_MISUSE, which changes nothing).
  static const int kMemStatusOff = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kMemStatusOff;
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, CloseDb> db(raw);
  if (rc != SQLITE_OK) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot open database {}: {}", path,
                            raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  sqlite3_extended_result_codes(db.get(), 1);
  auto connection = std::unique_ptr<Connection>(new Connection(db.release()));
  // WAL lets readers proceed during a write; NORMAL synchronous in WAL mode keeps every commit
  // safe against a process crash and syncs at checkpoints, so many small commits do not each
  // cost an fsync (group commit).
  FW_TRY(
      connection->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                       "PRAGMA temp_store=MEMORY;"
                       // Pages read through a memory map: after another connection commits,
                       // re-reading a page is a memory access rather than a pread call.
                       "PRAGMA mmap_size=268435456;"));
  return connection;
}

Status Connection::Exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Error error = SqliteError(db_.get(), rc, "exec");
    sqlite3_free(message);
    return tl::unexpected<Error>(std::move(error));
  }
  return Ok();
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  const std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), key.c_str(), static_cast<int>(key.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return tl::unexpected<Error>(SqliteError(db_.get(), rc, "prepare"));
    it = cache_.emplace(key, std::unique_ptr<sqlite3_stmt, FinalizeStmt>(stmt)).first;
  }
  return Statement(db_.get(), it->second.get());
}

Result<int> Connection::QueryInt(std::string_view sql) {
  FW_ASSIGN_OR_RETURN(auto statement, Prepare(sql));
  FW_ASSIGN_OR_RETURN(auto step, statement.Step());
  if (step != Statement::StepResult::kRow) {
    return Fail(ErrorCode::kInternal, "database query returned no row");
  }
  return static_cast<int>(statement.Int(0));
}

}  // namespace forewarn::store::sqlite
