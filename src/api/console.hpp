#pragma once
// The web console's files (web/dist, built by `make build`), served at `/` (issue 10):
// read once at start-up into memory with their precompressed .br/.gz twins; hashed assets
// cached for a year, index.html revalidated; any other path without a file extension is a
// client-side route and gets index.html.

#include <filesystem>
#include <map>
#include <string>

#include "api/http.hpp"
#include "common/errc.hpp"

namespace cohort::api {

class Console {
 public:
  /// Loads every file under `dir`. An empty console (not built) when `dir` has no
  /// index.html; an error only when a file exists but cannot be read. Start-up.
  static Result<Console> load(const std::filesystem::path& dir);

  /// Whether a built console was found.
  bool built() const { return files_.contains("/index.html"); }
  std::size_t file_count() const { return files_.size(); }

  /// Answers a GET or HEAD outside /api/. Any thread (the files are immutable after load).
  Response serve(const Request& req) const;

 private:
  struct File {
    std::string content_type;
    std::string identity;  ///< the bytes
    std::string gzip;      ///< from NAME.gz, empty when absent
    std::string brotli;    ///< from NAME.br, empty when absent
    std::string etag;      ///< strong validator of the identity bytes
    bool immutable = false;
  };
  Response send(const Request& req, const File& f) const;
  std::map<std::string, File, std::less<>> files_;  ///< by URL path ("/assets/x.js")
};

/// The page `/` shows when the console is not built: how to build it.
Response console_not_built(const Request& req);

}  // namespace cohort::api
