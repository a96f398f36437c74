// RAII over sqlite3 handles: a connection with a cache of prepared statements, and a
// statement wrapper that binds, steps and reads columns. Internal to store/sqlite.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace forewarn::store::sqlite {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// A prepared statement borrowed from a Connection's cache. Reset and cleared when destroyed,
// so the next user starts fresh.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, const std::optional<int64_t>& value);
  Statement& BindNull(int index);

  // kRow: a row is ready to read; kDone: no more rows.
  enum class StepResult { kRow, kDone };
  [[nodiscard]] Result<StepResult> Step();
  // Steps to completion, expecting no rows (INSERT/UPDATE/DELETE).
  [[nodiscard]] Status Run();

  std::string Text(int column) const;
  std::string Blob(int column) const;
  int64_t Int(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// One database connection. Not thread-safe; the store hands each to one transaction at a time.
class Connection {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Connection>> Open(const std::string& path);

  // Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  [[nodiscard]] Status Exec(std::string_view sql);
  // A cached prepared statement for `sql` (the text must be a string literal or stable).
  [[nodiscard]] Result<Statement> Prepare(std::string_view sql);
  // Runs a query returning one integer (PRAGMA user_version, SELECT 1).
  [[nodiscard]] Result<int> QueryInt(std::string_view sql);
  // True while a transaction is open on this connection.
  bool InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int Changes() const { return sqlite3_changes(db_.get()); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, CloseDb> db_;  // declared first: destroyed after the statements
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, FinalizeStmt>> cache_;
};

// Maps an SQLite result code to forewarn's error codes (busy/locked/IO -> kUnavailable,
// constraint -> kConflict, anything else -> kInternal).
Error SqliteError(sqlite3* db, int rc, std::string_view operation);

}  // namespace forewarn::store::sqlite
