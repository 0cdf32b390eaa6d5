// Uploaded audio over the real server (issue 13): PUT/GET/DELETE of a group's greeting and
// waiting music, a user's greeting and an IVR menu's prompt; bad uploads get a 400 naming
// the problem (also a body far over the usual limit); roles; a restart keeps an upload; a
// deleted owner takes its audio with it.

#include <filesystem>

#include "api_fixture.hpp"
#include "unit/audio/wav_builder.hpp"

namespace cohort::testing {
namespace {

namespace fs = std::filesystem;
using audio::test::tone_wav;

std::string bytes_of(const std::vector<std::uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

HttpResult parse_response(const std::string& raw) {
  HttpResult r;
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) {
    return r;
  }
  r.status = std::stoi(raw.substr(9, 3));
  for (std::size_t pos = raw.find("\r\n") + 2; pos < head_end;) {
    const auto eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    if (const auto colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    pos = eol + 2;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

/// The 16-bit mono WAV a GET returns: its rate and seconds (0 when it is not one).
struct WavHead {
  std::uint32_t rate = 0;
  std::uint16_t channels = 0;
  double seconds = 0;
};
WavHead wav_head(const std::string& b) {
  WavHead h;
  if (b.size() < 44 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 4, "WAVE") != 0) {
    return h;
  }
  const auto u = [&](std::size_t at, int n) {
    std::uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) {
      v = v << 8 | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
    }
    return v;
  };
  for (std::size_t at = 12; at + 8 <= b.size();) {
    const std::uint32_t size = u(at + 4, 4);
    if (b.compare(at, 4, "fmt ") == 0) {
      h.channels = static_cast<std::uint16_t>(u(at + 10, 2));
      h.rate = u(at + 12, 4);
    } else if (b.compare(at, 4, "data") == 0) {
      h.seconds = h.rate ? static_cast<double>(size) / 2 / h.channels / h.rate : 0;
      return h;
    }
    at += 8 + size + (size % 2);
  }
  return h;
}

class ApiAudioTest : public ApiTest {
 protected:
  /// PUT `body` with `content_type` (none when empty).
  HttpResult upload(const std::string& target, const std::string& body,
                    const std::string& content_type = "audio/wav",
                    const std::string& token = kAdminToken) {
    std::string req = "PUT " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) {
      req += "Authorization: Bearer " + token + "\r\n";
    }
    if (!content_type.empty()) {
      req += "Content-Type: " + content_type + "\r\n";
    }
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return parse_response(http_raw(server_->port(), req));
  }
  std::string tone(double hz, double seconds, std::uint32_t rate = 8000, std::uint16_t channels = 1,
                   std::uint16_t bits = 16) {
    return bytes_of(tone_wav(hz, seconds, rate, channels, bits));
  }
  std::string audio_file(const std::string& owner, std::int64_t id, const std::string& kind) {
    return (fs::path(dir_.path()) / "audio" /
            (owner + "-" + std::to_string(id) + "-" + kind + ".wav"))
        .string();
  }
  void expect_source(const std::string& target, const std::string& source,
                     const std::string& token = kAdminToken) {
    HttpResult r = call("GET", target, nullptr, token);
    ASSERT_EQ(r.status, 200) << target << " " << r.body.substr(0, 300);
    EXPECT_EQ(r.headers["content-type"], "audio/wav");
    EXPECT_EQ(r.headers["x-cohort-audio-source"], source) << target;
    EXPECT_EQ(r.headers["cache-control"], "no-store");
    const WavHead h = wav_head(r.body);
    EXPECT_EQ(h.rate, 16000u) << target;
    EXPECT_EQ(h.channels, 1) << target;
    EXPECT_GT(h.seconds, 0.2) << target;
  }
};

TEST_F(ApiAudioTest, UploadThenGetItThenDeleteBackToTheDefaultOnEveryRoute) {
  const json group = create_group("Sales");
  const json user = create_user("Ann Lee", "ann@example.com", "1001");
  HttpResult menu =
      call("POST", "/api/v1/ivr-menus",
           {{"name", "Main"}, {"options", {{"1", {{"type", "group"}, {"id", group["id"]}}}}}});
  ASSERT_EQ(menu.status, 201) << menu.body;
  const std::vector<std::string> targets = {
      id_path("/api/v1/groups", group) + "/greeting",
      id_path("/api/v1/groups", group) + "/waiting-music",
      id_path("/api/v1/users", user) + "/greeting",
      id_path("/api/v1/ivr-menus", menu.json()) + "/prompt",
  };
  for (const std::string& t : targets) {
    expect_source(t, "default");
    // 44.1 kHz stereo 24-bit in; 16 kHz mono kept.
    HttpResult put = upload(t, tone(600, 2.5, 44100, 2, 24));
    ASSERT_EQ(put.status, 200) << t << " " << put.body;
    const json j = put.json();
    EXPECT_EQ(j["source"], "uploaded");
    EXPECT_EQ(j["duration_ms"], 2500);
    EXPECT_EQ(j["sample_rate"], 16000);
    EXPECT_TRUE(j["updated_at"].is_string() && j["updated_at"].get<std::string>().ends_with("Z"))
        << j.dump();
    HttpResult got = call("GET", t);
    EXPECT_EQ(got.headers["x-cohort-audio-source"], "uploaded");
    EXPECT_NEAR(wav_head(got.body).seconds, 2.5, 0.01);
    HttpResult del = call("DELETE", t);
    EXPECT_EQ(del.status, 204) << del.body;
    expect_source(t, "default");
  }
  // Every media type a WAV is sent as.
  for (const char* type : {"audio/x-wav", "audio/wave", "audio/vnd.wave",
                           "application/octet-stream", "Audio/WAV; charset=binary"}) {
    EXPECT_EQ(upload(targets[0], tone(440, 0.5), type).status, 200) << type;
  }
}

TEST_F(ApiAudioTest, BadUploadsGetA400NamingTheProblemAndChangeNothing) {
  const json group = create_group("Support");
  const std::string t = id_path("/api/v1/groups", group) + "/greeting";
  ASSERT_EQ(upload(t, tone(440, 1)).status, 200);
  const std::string before = call("GET", t).body;

  const auto expect_400 = [&](const HttpResult& r, const std::string& field,
                              const std::string& text) {
    expect_error(r, 400, field);
    EXPECT_NE(r.json()["error"]["message"].get<std::string>().find(text), std::string::npos)
        << r.body;
    EXPECT_EQ(call("GET", t).body, before) << "changed by: " << text;
  };
  expect_400(upload(t, "just some text, no RIFF here"), "wav", "not a WAV file");
  expect_400(upload(t, tone(440, 301)), "wav", "too long: 301.0 s, at most 300 s");
  expect_400(upload(t, tone(440, 0)), "wav", "no audio");
  expect_400(upload(t, tone(440, 1), "text/plain"), "", "Content-Type must be audio/wav");
  expect_400(upload(t, tone(440, 1), ""), "", "Content-Type");
  // Over 10 MB: a 400 (not the 413 of other routes), also for a 12 MB body sent whole.
  const std::string twelve_mb(12 * 1024 * 1024, 'x');
  expect_400(upload(t, twelve_mb), "wav", "too big: 12582912 bytes, at most 10485760 bytes");
  // A body announced far bigger is answered at once, without reading it.
  const std::string huge = "PUT " + t +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: "
                           "Bearer " +
                           std::string(kAdminToken) +
                           "\r\nContent-Type: audio/wav\r\nContent-Length: 4000000000\r\n\r\nRIFF";
  HttpResult far = parse_response(http_raw(server_->port(), huge));
  expect_400(far, "wav", "too big: 4000000000 bytes, at most 10485760 bytes");
  // Chunked, with no length: cut off once it passes the limit.
  std::string chunked = "PUT " + t +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: "
                        "Bearer " +
                        std::string(kAdminToken) +
                        "\r\nContent-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(1024 * 1024, 'y');
  for (int i = 0; i < 11; ++i) {
    chunked += "100000\r\n" + chunk + "\r\n";
  }
  chunked += "0\r\n\r\n";
  expect_400(parse_response(http_raw(server_->port(), chunked)), "wav",
             "too big: more than 10485760 bytes");
  // Other routes keep their 1 MiB limit and their 413.
  HttpResult json_route =
      call_raw_body("POST", "/api/v1/groups", std::string(2 * 1024 * 1024, ' '));
  EXPECT_EQ(json_route.status, 413) << json_route.body;
  // The server still serves.
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(ApiAudioTest, UnknownOwnersAre404) {
  for (const std::string base : {"/api/v1/groups/999/greeting", "/api/v1/groups/999/waiting-music",
                                 "/api/v1/users/999/greeting", "/api/v1/ivr-menus/999/prompt"}) {
    expect_error(call("GET", base), 404, "");
    expect_error(upload(base, tone(440, 1)), 404, "");
    expect_error(call("DELETE", base), 404, "");
  }
  // A non-numeric id names nothing, as on every other route.
  EXPECT_EQ(call("GET", "/api/v1/groups/abc/greeting").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/groups/1/greeting", nullptr, "").status, 401);
}

TEST_F(ApiAudioTest, RolesDecideWhoHearsAndWhoChanges) {
  const json group = create_group("Sales");
  const json member = create_user("Ann", "ann@example.com", "1001");
  const json outsider = create_user("Bob", "bob@example.com", "1002");
  const json sup = create_user("Sue", "sue@example.com", "1003", {{"role", "supervisor"}});
  ASSERT_EQ(call("PUT",
                 id_path("/api/v1/groups", group) + "/members/" +
                     std::to_string(member["id"].get<std::int64_t>()),
                 json::object())
                    .status /
                100,
            2);
  HttpResult menu = call("POST", "/api/v1/ivr-menus", {{"name", "Main"}});
  ASSERT_EQ(menu.status, 201) << menu.body;
  const std::string ann = token_for(member["id"]), bob = token_for(outsider["id"]),
                    sue = token_for(sup["id"]);
  const std::string greeting = id_path("/api/v1/groups", group) + "/greeting";
  const std::string music = id_path("/api/v1/groups", group) + "/waiting-music";
  const std::string ann_greeting = id_path("/api/v1/users", member) + "/greeting";
  const std::string bob_greeting = id_path("/api/v1/users", outsider) + "/greeting";
  const std::string prompt = id_path("/api/v1/ivr-menus", menu.json()) + "/prompt";

  // A group's audio: its members and supervisors hear it; only admins change it.
  for (const std::string& t : {greeting, music}) {
    EXPECT_EQ(call("GET", t, nullptr, ann).status, 200) << t;
    EXPECT_EQ(call("GET", t, nullptr, sue).status, 200) << t;
    expect_error(call("GET", t, nullptr, bob), 403, "");
    expect_error(upload(t, tone(440, 1), "audio/wav", ann), 403, "");
    expect_error(upload(t, tone(440, 1), "audio/wav", sue), 403, "");
    expect_error(call("DELETE", t, nullptr, ann), 403, "");
  }
  // A user's greeting: the user itself, and admins.
  EXPECT_EQ(upload(ann_greeting, tone(440, 1), "audio/wav", ann).status, 200);
  expect_source(ann_greeting, "uploaded", ann);
  expect_source(ann_greeting, "uploaded");  // admin
  expect_error(call("GET", ann_greeting, nullptr, bob), 403, "");
  expect_error(call("GET", ann_greeting, nullptr, sue), 403, "");
  expect_error(upload(bob_greeting, tone(440, 1), "audio/wav", ann), 403, "");
  expect_error(call("DELETE", ann_greeting, nullptr, bob), 403, "");
  EXPECT_EQ(call("DELETE", ann_greeting, nullptr, ann).status, 204);
  // An IVR prompt: admins and supervisors hear it; admins change it.
  EXPECT_EQ(call("GET", prompt, nullptr, sue).status, 200);
  expect_error(call("GET", prompt, nullptr, ann), 403, "");
  expect_error(upload(prompt, tone(440, 1), "audio/wav", sue), 403, "");
  expect_error(call("DELETE", prompt, nullptr, sue), 403, "");
}

TEST_F(ApiAudioTest, ARestartKeepsTheUpload) {
  const json group = create_group("Sales");
  const std::string t = id_path("/api/v1/groups", group) + "/greeting";
  HttpResult put = upload(t, tone(600, 3, 48000, 2, 16));
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string before = call("GET", t).body;
  server_->stop();
  start();
  HttpResult got = call("GET", t);
  EXPECT_EQ(got.headers["x-cohort-audio-source"], "uploaded");
  EXPECT_EQ(got.body, before);
  EXPECT_NEAR(wav_head(got.body).seconds, 3.0, 0.01);
}

TEST_F(ApiAudioTest, DeletingAnOwnerDeletesItsAudio) {
  const json group = create_group("Sales");
  const json user = create_user("Ann", "ann@example.com", "1001");
  HttpResult menu = call("POST", "/api/v1/ivr-menus", {{"name", "Main"}});
  ASSERT_EQ(menu.status, 201);
  const std::int64_t g = group["id"], u = user["id"], m = menu.json()["id"];
  ASSERT_EQ(upload(id_path("/api/v1/groups", group) + "/greeting", tone(440, 1)).status, 200);
  ASSERT_EQ(upload(id_path("/api/v1/groups", group) + "/waiting-music", tone(440, 1)).status, 200);
  ASSERT_EQ(upload(id_path("/api/v1/users", user) + "/greeting", tone(440, 1)).status, 200);
  ASSERT_EQ(upload(id_path("/api/v1/ivr-menus", menu.json()) + "/prompt", tone(440, 1)).status,
            200);
  for (const auto& f : {audio_file("group", g, "greeting"), audio_file("group", g, "waiting_music"),
                        audio_file("user", u, "greeting"), audio_file("ivr_menu", m, "prompt")}) {
    EXPECT_TRUE(fs::exists(f)) << f;
  }
  EXPECT_EQ(call("DELETE", id_path("/api/v1/groups", group)).status, 204);
  EXPECT_EQ(call("DELETE", id_path("/api/v1/users", user)).status, 204);
  EXPECT_EQ(call("DELETE", id_path("/api/v1/ivr-menus", menu.json())).status, 204);
  for (const auto& f : {audio_file("group", g, "greeting"), audio_file("group", g, "waiting_music"),
                        audio_file("user", u, "greeting"), audio_file("ivr_menu", m, "prompt")}) {
    EXPECT_FALSE(fs::exists(f)) << f;
  }
}

}  // namespace
}  // namespace cohort::testing
