// media_load's command line (options.hpp).
#include "options.hpp"

#include "util.hpp"

namespace media_bench {

Options parse_options(int argc, char** argv) {
  if (argc < 2)
    die("usage: media_load vm|relay|rtpengine [--key value …] (see the source)");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    auto num = [&] { return std::stoi(v); };
    if (k == "--server") {
      auto c = v.rfind(':');
      o.server_ip = v.substr(0, c);
      o.server_port = std::stoi(v.substr(c + 1));
    } else if (k == "--local")
      o.local_ip = v;
    else if (k == "--sip-port")
      o.sip_port = num();
    else if (k == "--uas-port")
      o.uas_port = num();
    else if (k == "--rtp-a")
      o.rtp_a = num();
    else if (k == "--rtp-b")
      o.rtp_b = num();
    else if (k == "--play-calls")
      o.play_calls = num();
    else if (k == "--rec-calls")
      o.rec_calls = num();
    else if (k == "--play-did")
      o.play_did = v;
    else if (k == "--rec-did")
      o.rec_did = v;
    else if (k == "--calls")
      o.calls = num();
    else if (k == "--first-user")
      o.first_user = num();
    else if (k == "--password")
      o.password = v;
    else if (k == "--rate")
      o.rate = std::stod(v);
    else if (k == "--seconds")
      o.seconds = num();
    else if (k == "--settle")
      o.settle_s = num();
    else if (k == "--cpu-pid")
      o.cpu_pid = num();
    else if (k == "--ng")
      o.ng = v;
    else if (k == "--warmup")
      o.warmup = v == "1";
    else if (k == "--dump")
      o.dump = v;
    else
      die("unknown option " + k);
  }
  return o;
}

}  // namespace media_bench
