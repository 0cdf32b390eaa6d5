#pragma once
// What the API shows of the SIP side. Defined here and implemented by pbx/ (wired in app/),
// so that api/ does not depend on pbx/.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/ids.hpp"

namespace cohort::api {

struct RegistrationView {
  model::UserId user = 0;
  std::string contact;
  std::string source;     ///< "ip:port"
  std::string transport;  ///< "udp" | "tcp"
  std::string user_agent;
  std::int64_t expires_at = 0;  ///< unix seconds
  std::string instance_id;
  int reg_id = -1;
  int q_milli = 1000;
  std::vector<std::string> path;
};

struct BanView {
  std::string address;
  std::int64_t since = 0;  ///< unix seconds
  std::int64_t until = 0;
  std::string reason;
};

class SipView {
 public:
  virtual ~SipView() = default;
  /// Current (unexpired) bindings, of one user or all, ordered by user then contact. Any thread.
  virtual std::vector<RegistrationView> registrations(std::optional<model::UserId> user) const = 0;
  /// Active bans. Any thread.
  virtual std::vector<BanView> bans() const = 0;
  /// Lifts the ban of `address`; false when there was none. Any thread.
  virtual bool lift_ban(const std::string& address) = 0;
};

}  // namespace cohort::api
