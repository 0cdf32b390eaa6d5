// media_load's command line: the mode and its options (`--key value` pairs).
#pragma once

#include <string>

namespace media_bench {

struct Options {
  std::string mode;
  std::string server_ip = "127.0.0.1";
  int server_port = 25000;
  std::string local_ip = "127.0.0.1";
  int sip_port = 25010;
  int uas_port = 25020;
  int rtp_a = 34000;  // the callers' RTP port (RTCP +1)
  int rtp_b = 36000;  // the callees' RTP port (relay, rtpengine)
  int play_calls = 200, rec_calls = 200;
  std::string play_did = "7001", rec_did = "7002";
  int calls = 500;
  int first_user = 100000;
  std::string password = "benchpw";
  std::string number_prefix = "0309";
  double rate = 50;  // call set-ups per second
  int seconds = 40;  // the measured window
  int settle_s = 2;  // after the last call is up, before the window
  int cpu_pid = 0;
  std::string ng = "127.0.0.1:25030";
  bool warmup = false;
  // every received packet, one line each: vm "stream ssrc seq ts arrival_ns", relay and
  // rtpengine "stream counter sent_ns arrival_ns" (CLOCK_REALTIME)
  std::string dump;
};

// argv[1] is the mode (vm, relay, rtpengine), then `--key value` pairs; dies on a bad one.
Options parse_options(int argc, char** argv);

}  // namespace media_bench
