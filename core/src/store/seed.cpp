#include "store/seed.hpp"

#include <stdexcept>

#include "store/sqlite.hpp"

namespace tally::store {

void seed_database(const std::string& path, const std::string& sql) {
  SQLite::Database db = open_for_writing(path, true);
  try {
    SQLite::Transaction tx(db);
    db.exec(sql);
    tx.commit();
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace tally::store
