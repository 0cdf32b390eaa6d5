#include "api/console.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "api/errors.hpp"
#include "common/crypto.hpp"
#include "common/text.hpp"

namespace cohort::api {
namespace {

namespace fs = std::filesystem;

std::string_view content_type_of(std::string_view ext) {
  // The types a Vite build emits; anything else is served as bytes and never sniffed
  // (X-Content-Type-Options: nosniff on every answer).
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  for (const auto& [e, t] : kTypes) {
    if (e == ext) {
      return t;
    }
  }
  return "application/octet-stream";
}

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return fail(Error::internal(fmt::format("console: cannot read {}", p.string())));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// RFC 9110 §12.5.3: whether `coding` is acceptable (listed, or covered by `*`, with q > 0).
bool accepts(std::string_view header, std::string_view coding) {
  bool star = false;
  std::string_view rest = header;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = text::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto semi = item.find(';');
    std::string name = text::ascii_lower(text::trim(item.substr(0, semi)));
    bool zero = false;
    if (semi != std::string_view::npos) {
      std::string params = text::ascii_lower(item.substr(semi + 1));
      auto q = params.find("q=");
      if (q != std::string::npos) {
        std::string_view v = text::trim(std::string_view(params).substr(q + 2));
        // q=0, q=0.0, q=0.000 refuse; anything else (q=0.5, q=1) accepts.
        zero = !v.empty() && v[0] == '0' && v.find_first_not_of("0.", 0) == std::string_view::npos;
      }
    }
    if (name == coding) {
      return !zero;
    }
    if (name == "*") {
      star = !zero;
    }
  }
  return star;
}

// Whether an If-None-Match list names `etag` (RFC 9110 §13.1.2, weak comparison).
bool etag_matches(std::string_view header, std::string_view etag) {
  if (text::trim(header) == "*") {
    return true;
  }
  std::string_view rest = header;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view tag = text::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag.starts_with("W/")) {
      tag.remove_prefix(2);
    }
    if (tag == etag) {
      return true;
    }
  }
  return false;
}

Response method_not_allowed(const Request& req) {
  Response r =
      json_response(405, {{"error",
                           {{"code", "method_not_allowed"},
                            {"message", "method " + req.method + " not allowed on " + req.path},
                            {"field", nullptr}}}});
  r.headers.emplace_back("Allow", "GET, HEAD");
  return r;
}

}  // namespace

Result<Console> Console::load(const fs::path& dir) {
  Console c;
  std::error_code ec;
  if (!fs::is_regular_file(dir / "index.html", ec)) {
    return c;
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) {
      continue;
    }
    fs::path p = it->path();
    std::string ext = p.extension().string();
    if (ext == ".gz" || ext == ".br") {
      continue;  // read below as the twin of the file they compress
    }
    std::string url = "/" + fs::relative(p, dir).generic_string();
    File f;
    f.content_type = std::string(content_type_of(ext));
    COHORT_TRY_ASSIGN(f.identity, read_file(p));
    for (auto [suffix, slot] : {std::pair{".gz", &f.gzip}, std::pair{".br", &f.brotli}}) {
      fs::path twin = p;
      twin += suffix;
      if (fs::is_regular_file(twin, ec)) {
        COHORT_TRY_ASSIGN(*slot, read_file(twin));
      }
    }
    f.etag = "\"" + crypto::sha256_hex(f.identity).substr(0, 24) + "\"";
    // Vite names what it emits under assets/ by content hash: a new build is a new URL.
    f.immutable = url.starts_with("/assets/");
    c.files_.emplace(std::move(url), std::move(f));
  }
  if (ec) {
    return fail(
        Error::internal(fmt::format("console: cannot list {}: {}", dir.string(), ec.message())));
  }
  return c;
}

Response Console::serve(const Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    return method_not_allowed(req);
  }
  if (!built()) {
    return console_not_built(req);
  }
  std::string_view path = req.path;
  if (path == "/") {
    path = "/index.html";
  }
  if (auto it = files_.find(path); it != files_.end()) {
    return send(req, it->second);
  }
  // A missing asset or file is a 404 (a stale page asking for an old chunk must fail
  // loudly); a path without an extension is one of the console's own routes.
  std::string_view last = path.substr(path.rfind('/') + 1);
  if (path.starts_with("/assets/") || last.find('.') != std::string_view::npos) {
    return error_response(Error::not_found("no console file " + req.path));
  }
  return send(req, files_.at("/index.html"));
}

Response Console::send(const Request& req, const File& f) const {
  Response r;
  r.content_type = f.content_type;
  r.headers.emplace_back("Cache-Control",
                         f.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  const std::string* body = &f.identity;
  std::string etag = f.etag;
  if (!f.brotli.empty() && accepts(req.accept_encoding, "br")) {
    body = &f.brotli;
    r.headers.emplace_back("Content-Encoding", "br");
    etag.insert(etag.size() - 1, "-br");
  } else if (!f.gzip.empty() && accepts(req.accept_encoding, "gzip")) {
    body = &f.gzip;
    r.headers.emplace_back("Content-Encoding", "gzip");
    etag.insert(etag.size() - 1, "-gz");
  }
  r.headers.emplace_back("ETag", etag);
  if (!req.if_none_match.empty() && etag_matches(req.if_none_match, etag)) {
    r.status = 304;
    return r;
  }
  r.body = *body;
  return r;
}

Response console_not_built(const Request& req) {
  if (req.method != "GET" && req.method != "HEAD") {
    return method_not_allowed(req);
  }
  Response r;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Cohort: the console is not built</title></head><body>\n"
      "<h1>Cohort is running; its web console is not built</h1>\n"
      "<p>This binary was built without the console (Node.js and npm were missing, or "
      "<code>web/dist</code> is not where the server looks for it).</p>\n"
      "<p>To build it: install Node.js 20 or later with npm, then run <code>make build</code> "
      "in the source tree (it runs <code>npm ci</code> and <code>npm run build</code> in "
      "<code>web/</code>) and restart <code>cohort serve</code>, or point "
      "<code>--console-dir</code> at a built <code>web/dist</code>.</p>\n"
      "<p>The REST API works without it: <a href=\"/api/v1/openapi.json\">"
      "/api/v1/openapi.json</a>.</p>\n</body></html>\n";
  return r;
}

}  // namespace cohort::api
