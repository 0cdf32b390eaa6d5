// Voicemail's shell parts that need no call: the message file (audio and record together,
// written atomically, what a crash left cleaned up) and the digits of SIP INFO bodies.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "pbx/call_state.hpp"
#include "pbx/voicemail_writer.hpp"

namespace cohort::pbx {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cohort-vm-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

VoicemailMessage message() {
  VoicemailMessage m;
  m.box = model::DestVoicemail{model::DestVoicemail::Box::kGroup, 7};
  m.call_id = "call-1";
  m.caller = "+4930123";
  m.caller_name = "Ada \"the\" caller";
  m.called = "2999";
  m.group = 7;
  m.started_at_ms = 1'700'000'000'000;
  m.sample_rate = 8000;
  for (int i = 0; i < 8001; ++i) {  // not a whole number of 20 ms frames
    m.pcm.push_back(static_cast<std::int16_t>(8000 * std::sin(i * 0.5)));
  }
  return m;
}

TEST(VoicemailWriter, AMessageIsOneFileWithItsRecord) {
  TempDir dir;
  VoicemailWriter writer(dir.path() + "/voicemail");
  writer.start();
  const auto path = writer.write(message());
  ASSERT_TRUE(path);
  EXPECT_EQ(fs::path(*path).parent_path().filename(), "group-7");
  EXPECT_TRUE(fs::is_empty(dir.path() + "/voicemail/.incoming"));
  const auto read = read_voicemail(*path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->box, message().box);
  EXPECT_EQ(read->call_id, "call-1");
  EXPECT_EQ(read->caller, "+4930123");
  EXPECT_EQ(read->caller_name, "Ada \"the\" caller");
  EXPECT_EQ(read->called, "2999");
  EXPECT_EQ(read->group, std::optional<model::GroupId>(7));
  EXPECT_EQ(read->started_at_ms, 1'700'000'000'000);
  EXPECT_EQ(read->sample_rate, 8000u);
  EXPECT_EQ(read->pcm, message().pcm);
  writer.stop();
}

TEST(VoicemailWriter, SavedMessagesAreWrittenOffTheCallersThread) {
  TempDir dir;
  VoicemailWriter writer(dir.path() + "/vm");
  writer.start();
  writer.save(message());
  writer.save(message());
  writer.stop();  // writes what is queued
  EXPECT_EQ(writer.saved(), 2u);
  EXPECT_EQ(writer.failed(), 0u);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path() + "/vm/group-7")) {
    files += read_voicemail(e.path().string()) ? 1 : 0;
  }
  EXPECT_EQ(files, 2u);
}

TEST(VoicemailWriter, WhatACrashLeftHalfWrittenIsDeletedAtStart) {
  TempDir dir;
  fs::create_directories(dir.path() + "/vm/.incoming");
  std::ofstream(dir.path() + "/vm/.incoming/1-abcd.wav") << "RIFF half";
  VoicemailWriter writer(dir.path() + "/vm");
  writer.start();
  EXPECT_TRUE(fs::is_empty(dir.path() + "/vm/.incoming"));
  writer.stop();
}

TEST(VoicemailWriter, AFileThatIsNotAMessageIsNone) {
  TempDir dir;
  std::ofstream(dir.path() + "/x.wav") << "not a wav";
  EXPECT_FALSE(read_voicemail(dir.path() + "/x.wav"));
  EXPECT_FALSE(read_voicemail(dir.path() + "/missing.wav"));
}

TEST(InfoDigit, ReadsDtmfRelayAndDtmfBodies) {
  EXPECT_EQ(info_digit("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"), '5');
  EXPECT_EQ(info_digit("Application/DTMF-Relay; charset=x", "signal= #\nDuration=100"), '#');
  EXPECT_EQ(info_digit("application/dtmf-relay", "Signal=11\r\n"), '#');  // event number
  EXPECT_EQ(info_digit("application/dtmf-relay", "Signal=10\r\n"), '*');
  EXPECT_EQ(info_digit("application/dtmf-relay", "Signal=a\r\n"), 'A');
  EXPECT_EQ(info_digit("application/dtmf", "7"), '7');
  EXPECT_EQ(info_digit("application/dtmf", " * \r\n"), '*');
  EXPECT_EQ(info_digit("application/dtmf-relay", "Duration=160\r\n"), std::nullopt);
  EXPECT_EQ(info_digit("application/dtmf-relay", "Signal=55\r\n"), std::nullopt);
  EXPECT_EQ(info_digit("application/dtmf-relay", "Signal=E\r\n"), std::nullopt);
  EXPECT_EQ(info_digit("application/dtmf", ""), std::nullopt);
  EXPECT_EQ(info_digit("text/plain", "5"), std::nullopt);
}

}  // namespace
}  // namespace cohort::pbx
