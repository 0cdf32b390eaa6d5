#pragma once
// Reads a message of the SIP corpus (tests/data/sip/NAME.sip), bytes as on the wire.

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace cohort::sip::test {

inline std::string corpus(std::string_view name) {
  std::string path = COHORT_SIP_CORPUS_DIR;
  path += '/';
  path += name;
  path += ".sip";
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace cohort::sip::test
