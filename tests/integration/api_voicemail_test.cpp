// /api/v1/voicemails against a real server (issue 13). Messages are put in the mailboxes as
// the voicemail writer leaves them — a WAV with its record in a `cmsg` chunk — while the
// server is stopped; the start-up reconciliation indexes them (a file without a row), and
// drops the row of a file deleted by hand (a row without a file). Then: listing by mailbox
// with a cursor, the heard filter, roles (agents read their own and their groups' mailboxes
// only), PATCH heard, DELETE, the audio bytes, and 400s naming the parameter or field.

#include <filesystem>
#include <fstream>
#include <iterator>

#include "api_fixture.hpp"

namespace cohort::testing {
namespace {

namespace fs = std::filesystem;

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

/// A message file as docs/media.md describes it: 16-bit mono PCM (`ms` of a quiet tone at
/// 8 kHz), then the `cmsg` chunk with the record.
std::string message_wav(const json& record, int ms) {
  const std::uint32_t samples = static_cast<std::uint32_t>(ms) * 8;
  std::string data;
  for (std::uint32_t i = 0; i < samples; ++i) {
    put_le(data, static_cast<std::uint16_t>(static_cast<std::int16_t>((i % 16) * 100 - 800)), 2);
  }
  std::string json_text = record.dump();
  std::string out = "RIFF";
  put_le(out, 0, 4);  // patched below
  out += "WAVEfmt ";
  put_le(out, 16, 4);
  put_le(out, 1, 2);  // PCM
  put_le(out, 1, 2);  // mono
  put_le(out, 8000, 4);
  put_le(out, 16000, 4);
  put_le(out, 2, 2);
  put_le(out, 16, 2);
  out += "data";
  put_le(out, static_cast<std::uint32_t>(data.size()), 4);
  out += data;
  out += "cmsg";
  put_le(out, static_cast<std::uint32_t>(json_text.size()), 4);
  out += json_text;
  if (json_text.size() % 2 != 0) {
    out.push_back('\0');
  }
  std::string size;
  put_le(size, static_cast<std::uint32_t>(out.size() - 8), 4);
  out.replace(4, 4, size);
  return out;
}

class ApiVoicemailTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    ana_ = create_user("Ana", "ana@example.com", "1001")["id"].get<std::int64_t>();
    ben_ = create_user("Ben", "ben@example.com", "1002")["id"].get<std::int64_t>();
    sup_ = create_user("Sue", "sue@example.com", "1003", {{"role", "supervisor"}})["id"]
               .get<std::int64_t>();
    sales_ = create_group("Sales")["id"].get<std::int64_t>();
    HttpResult m = call(
        "PUT", "/api/v1/groups/" + std::to_string(sales_) + "/members/" + std::to_string(ana_));
    ASSERT_TRUE(m.status == 200 || m.status == 201) << m.body;
    ana_token_ = token_for(ana_);
    ben_token_ = token_for(ben_);
    sup_token_ = token_for(sup_);
  }

  /// Writes a message into mailbox `box`-`id` (the server must be stopped to see it at its
  /// next start); returns its path.
  fs::path leave(const std::string& box, std::int64_t id, std::int64_t started_at_ms, int ms,
                 const std::string& caller) {
    const fs::path dir = fs::path(dir_.path()) / "voicemail" / (box + "-" + std::to_string(id));
    fs::create_directories(dir);
    json record = {{"box", box},
                   {"box_id", id},
                   {"call_id", "call-" + std::to_string(started_at_ms)},
                   {"caller", {{"number", caller}, {"name", "Caller " + caller}}},
                   {"called", "15550100"},
                   {"group", box == "group" ? json(id) : json(nullptr)},
                   {"started_at_ms", started_at_ms},
                   {"duration_ms", ms},
                   {"sample_rate", 8000}};
    const fs::path path = dir / (std::to_string(started_at_ms) + "-abcd.wav");
    std::ofstream(path, std::ios::binary) << message_wav(record, ms);
    return path;
  }

  void restart_server() {
    ASSERT_EQ(server_->stop(), 0) << server_->log();
    server_.reset();
    start();
  }

  json list(const std::string& query, const std::string& token = kAdminToken) {
    HttpResult r = call("GET", "/api/v1/voicemails" + query, nullptr, token);
    EXPECT_EQ(r.status, 200) << query << " → " << r.body;
    return r.json();
  }
  static std::vector<std::string> callers(const json& page) {
    std::vector<std::string> out;
    for (const json& item : page.value("items", json::array())) {
      out.push_back(item["caller"]["number"].get<std::string>());
    }
    return out;
  }

  std::int64_t ana_ = 0, ben_ = 0, sup_ = 0, sales_ = 0;
  std::string ana_token_, ben_token_, sup_token_;
};

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

TEST_F(ApiVoicemailTest, MessagesLeftOnDiskAreListedByMailboxNewestFirstWithACursor) {
  leave("group", sales_, kT0 + 1000, 2000, "+491");
  leave("group", sales_, kT0 + 2000, 2500, "+492");
  leave("group", sales_, kT0 + 3000, 3000, "+493");
  leave("user", ana_, kT0 + 4000, 1500, "+494");
  leave("user", ben_, kT0 + 5000, 1500, "+495");
  restart_server();

  const std::string box = "?box=group&id=" + std::to_string(sales_);
  json page1 = list(box + "&limit=2");
  EXPECT_EQ(callers(page1), (std::vector<std::string>{"+493", "+492"})) << page1.dump(2);
  ASSERT_TRUE(page1["next_cursor"].is_string()) << page1.dump(2);
  json page2 = list(box + "&limit=2&cursor=" + page1["next_cursor"].get<std::string>());
  EXPECT_EQ(callers(page2), (std::vector<std::string>{"+491"}));
  EXPECT_TRUE(page2["next_cursor"].is_null());

  const json item = page1["items"][0];
  EXPECT_EQ(item["box"], "group");
  EXPECT_EQ(item["box_id"], sales_);
  EXPECT_EQ(item["caller"], (json{{"number", "+493"}, {"name", "Caller +493"}}));
  EXPECT_EQ(item["called"], "15550100");
  EXPECT_EQ(item["group"], sales_);
  EXPECT_EQ(item["started_at"], "2026-01-01T00:00:03.000Z");
  EXPECT_EQ(item["duration_ms"], 3000);
  EXPECT_EQ(item["heard"], false);
  EXPECT_EQ(item["call_id"], "call-" + std::to_string(kT0 + 3000));
  HttpResult one = call("GET", "/api/v1/voicemails/" + std::to_string(item["id"].get<int>()));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json(), item);

  // Every mailbox, for an admin.
  EXPECT_EQ(callers(list("")), (std::vector<std::string>{"+495", "+494", "+493", "+492", "+491"}));
  EXPECT_EQ(callers(list("?box=user&id=" + std::to_string(ana_))),
            (std::vector<std::string>{"+494"}));
}

TEST_F(ApiVoicemailTest, StartUpIndexesFilesWithoutARowAndDropsRowsWithoutAFile) {
  const fs::path kept = leave("user", ana_, kT0 + 1000, 2000, "+491");
  const fs::path lost = leave("user", ana_, kT0 + 2000, 2000, "+492");
  restart_server();
  EXPECT_EQ(callers(list("?box=user&id=" + std::to_string(ana_))),
            (std::vector<std::string>{"+492", "+491"}));
  // A delete that unlinked the file and died before the row went (kill -9 between the two).
  fs::remove(lost);
  server_->kill();
  server_.reset();
  start();
  EXPECT_EQ(callers(list("?box=user&id=" + std::to_string(ana_))),
            (std::vector<std::string>{"+491"}));
  EXPECT_TRUE(fs::exists(kept));
  // And a file written after the last start (the writer renamed it, then kill -9).
  leave("user", ana_, kT0 + 3000, 2000, "+493");
  server_->kill();
  server_.reset();
  start();
  EXPECT_EQ(callers(list("?box=user&id=" + std::to_string(ana_))),
            (std::vector<std::string>{"+493", "+491"}));
}

TEST_F(ApiVoicemailTest, AgentsReadTheirOwnAndTheirGroupsMailboxesOnly) {
  leave("group", sales_, kT0 + 1000, 2000, "+491");
  leave("user", ana_, kT0 + 2000, 2000, "+492");
  leave("user", ben_, kT0 + 3000, 2000, "+493");
  restart_server();
  // Ana: her own and Sales's (a member), not Ben's.
  EXPECT_EQ(callers(list("", ana_token_)), (std::vector<std::string>{"+492", "+491"}));
  EXPECT_EQ(callers(list("?box=group&id=" + std::to_string(sales_), ana_token_)),
            (std::vector<std::string>{"+491"}));
  expect_error(
      call("GET", "/api/v1/voicemails?box=user&id=" + std::to_string(ben_), nullptr, ana_token_),
      403, "id");
  // Ben: his own only; Sales's is not his.
  EXPECT_EQ(callers(list("", ben_token_)), (std::vector<std::string>{"+493"}));
  expect_error(
      call("GET", "/api/v1/voicemails?box=group&id=" + std::to_string(sales_), nullptr, ben_token_),
      403, "id");
  // A message of another mailbox is, to an agent, one that does not exist.
  const std::int64_t bens = list("?box=user&id=" + std::to_string(ben_))["items"][0]["id"];
  const std::string path = "/api/v1/voicemails/" + std::to_string(bens);
  expect_error(call("GET", path, nullptr, ana_token_), 404, "");
  expect_error(call("GET", path + "/audio", nullptr, ana_token_), 404, "");
  expect_error(call("PATCH", path, {{"heard", true}}, ana_token_), 404, "");
  expect_error(call("DELETE", path, nullptr, ana_token_), 404, "");
  EXPECT_EQ(list("?box=user&id=" + std::to_string(ben_))["items"][0]["heard"], false);
  // A supervisor reads every mailbox.
  EXPECT_EQ(callers(list("", sup_token_)), (std::vector<std::string>{"+493", "+492", "+491"}));
  // Ben marks and deletes his own.
  EXPECT_EQ(call("PATCH", path, {{"heard", true}}, ben_token_).status, 200);
  EXPECT_EQ(call("DELETE", path, nullptr, ben_token_).status, 204);
}

TEST_F(ApiVoicemailTest, PatchHeardFiltersAudioAndDelete) {
  const fs::path file = leave("user", ana_, kT0 + 1000, 2000, "+491");
  leave("user", ana_, kT0 + 2000, 2000, "+492");
  restart_server();
  const std::string box = "?box=user&id=" + std::to_string(ana_);
  const json items = list(box)["items"];
  const std::string first = "/api/v1/voicemails/" + std::to_string(items[1]["id"].get<int>());

  HttpResult patched = call("PATCH", first, {{"heard", true}}, ana_token_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["heard"], true);
  EXPECT_EQ(callers(list(box + "&heard=true")), (std::vector<std::string>{"+491"}));
  EXPECT_EQ(callers(list(box + "&heard=false")), (std::vector<std::string>{"+492"}));
  EXPECT_EQ(call("PATCH", first, {{"heard", false}}).json()["heard"], false);
  EXPECT_EQ(callers(list(box + "&heard=false")), (std::vector<std::string>{"+492", "+491"}));

  // Only `heard` may change; nothing changes on a refusal.
  expect_error(call("PATCH", first, {{"box", "group"}}), 400, "box");
  expect_error(call("PATCH", first, {{"heard", "yes"}}), 400, "heard");
  expect_error(call("PATCH", first, {{"heard", true}, {"colour", "red"}}), 400, "colour");
  EXPECT_EQ(call("GET", first).json()["heard"], false);

  // The audio: the file's bytes, never cached.
  HttpResult audio = call("GET", first + "/audio", nullptr, ana_token_);
  ASSERT_EQ(audio.status, 200);
  EXPECT_EQ(audio.headers["content-type"], "audio/wav");
  EXPECT_EQ(audio.headers["cache-control"], "no-store");
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(audio.body, bytes);

  // DELETE: the file and the message go.
  EXPECT_EQ(call("DELETE", first, nullptr, ana_token_).status, 204);
  EXPECT_FALSE(fs::exists(file));
  expect_error(call("GET", first), 404, "");
  expect_error(call("DELETE", first), 404, "");
  EXPECT_EQ(callers(list(box)), (std::vector<std::string>{"+492"}));
}

TEST_F(ApiVoicemailTest, BadQueriesAreA400NamingTheParameter) {
  expect_error(call("GET", "/api/v1/voicemails?box=office&id=1"), 400, "box");
  expect_error(call("GET", "/api/v1/voicemails?box=user&id=abc"), 400, "id");
  expect_error(call("GET", "/api/v1/voicemails?box=user&id=0"), 400, "id");
  expect_error(call("GET", "/api/v1/voicemails?box=user"), 400, "id");
  expect_error(call("GET", "/api/v1/voicemails?id=3"), 400, "box");
  expect_error(call("GET", "/api/v1/voicemails?heard=maybe"), 400, "heard");
  expect_error(call("GET", "/api/v1/voicemails?cursor=x"), 400, "cursor");
  expect_error(call("GET", "/api/v1/voicemails?limit=0"), 400, "limit");
  expect_error(call("GET", "/api/v1/voicemails/abc"), 404, "");
  expect_error(call("GET", "/api/v1/voicemails/12345"), 404, "");
  HttpResult no_token = call("GET", "/api/v1/voicemails", nullptr, "");
  EXPECT_EQ(no_token.status, 401);
}

}  // namespace
}  // namespace cohort::testing
