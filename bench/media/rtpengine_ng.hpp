// media_load's client of rtpengine's ng control protocol: bencoded dictionaries over UDP,
// each request prefixed with a cookie that its reply repeats (offer, answer, delete).
#pragma once

#include <netinet/in.h>

#include <string>

namespace media_bench {

// A bencoded string.
std::string bstr(const std::string& s);

// The value of a top-level string key in a bencoded dictionary (enough for "result", "sdp").
std::string bget(const std::string& d, const std::string& key);

class NgClient {
 public:
  // Binds local_ip:local_port; `ng` is rtpengine's "ip:port".
  NgClient(const std::string& local_ip, int local_port, const std::string& ng);

  // Sends the bencoded `body` and returns the reply's body (without the cookie); up to three
  // tries, 2 s each; empty if none came.
  std::string command(const std::string& body);

 private:
  sockaddr_in ng_;
  int fd_;
  int cookie_ = 0;
};

}  // namespace media_bench
