#include "model/ivr_menu.hpp"

#include <algorithm>

namespace cohort::model {

const IvrOption* IvrMenu::option(char key) const {
  for (const IvrOption& o : options) {
    if (o.key == key) {
      return &o;
    }
  }
  return nullptr;
}

void sort_ivr_options(std::vector<IvrOption>& options) {
  std::stable_sort(options.begin(), options.end(), [](const IvrOption& a, const IvrOption& b) {
    return kIvrKeys.find(a.key) < kIvrKeys.find(b.key);  // npos (not a key) sorts last
  });
}

}  // namespace cohort::model
