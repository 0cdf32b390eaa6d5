// media_load's rtpengine ng client (rtpengine_ng.hpp).
#include "rtpengine_ng.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cctype>

#include "util.hpp"

namespace media_bench {

std::string bstr(const std::string& s) {
  return std::to_string(s.size()) + ":" + s;
}

// The value of a top-level string key in a bencoded dictionary (enough for "result", "sdp").
std::string bget(const std::string& d, const std::string& key) {
  std::size_t p = 1;  // after 'd'
  while (p < d.size() && d[p] != 'e') {
    auto readstr = [&](std::string& out) {
      std::size_t colon = d.find(':', p);
      std::size_t n = std::stoul(d.substr(p, colon - p));
      out = d.substr(colon + 1, n);
      p = colon + 1 + n;
    };
    std::string k, v;
    readstr(k);
    if (std::isdigit(static_cast<unsigned char>(d[p]))) {
      readstr(v);
      if (k == key)
        return v;
    } else {
      return {};  // a non-string value: the keys we need come before any
    }
  }
  return {};
}

NgClient::NgClient(const std::string& local_ip, int local_port, const std::string& ng) {
  auto c = ng.rfind(':');
  ng_ = make_addr(ng.substr(0, c), std::stoi(ng.substr(c + 1)));
  fd_ = udp_socket(local_ip, local_port, false);
  timeval tv{2, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

std::string NgClient::command(const std::string& body) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string ck = "c" + std::to_string(++cookie_);
    std::string msg = ck + " " + body;
    sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&ng_), sizeof ng_);
    char buf[65536];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      std::string r(buf, static_cast<std::size_t>(n));
      if (r.rfind(ck + " ", 0) == 0)
        return r.substr(ck.size() + 1);
    }
  }
  return {};
}

}  // namespace media_bench
