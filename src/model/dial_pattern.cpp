#include "model/dial_pattern.hpp"

namespace cohort::model {

int DialPattern::index_of(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  switch (c) {
    case '*':
      return kStar;
    case '#':
      return kHash;
    case '+':
      return kPlus;
    default:
      return -1;
  }
}

namespace {

/// The character at `text[i]` for a message. Only printable ASCII is quoted: one byte of a
/// UTF-8 sequence, or a control character, is not text and must not reach the JSON answer.
std::string describe_char(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c >= 0x20 && c < 0x7f) {
    return "'" + std::string(1, text[i]) + "'";
  }
  return (c >= 0x80 ? "a non-ASCII character at position " : "a control character at position ") +
         std::to_string(i + 1);
}

}  // namespace

Expected<DialPattern, std::string> DialPattern::compile(std::string_view text) {
  DialPattern p;
  p.text_ = std::string(text);
  if (text.empty() || text == "_") {
    return Unexpected(std::string("empty pattern"));
  }
  auto bad_char = [&](std::size_t i) {
    return Unexpected(describe_char(text, i) + " is not a digit, '*', '#', '+' or pattern letter");
  };
  if (text.front() != '_') {
    for (std::size_t k = 0; k < text.size(); ++k) {
      const int i = index_of(text[k]);
      if (i < 0) {
        return bad_char(k);
      }
      p.elements_.push_back(static_cast<CharSet>(1u << i));
    }
    return p;
  }
  constexpr CharSet kDigits = 0x3ff;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' || c == '!') {
      if (i + 1 != text.size()) {
        return Unexpected("'" + std::string(1, c) + "' must be the last character");
      }
      p.tail_ = c == '.' ? Tail::kOneOrMore : Tail::kZeroOrMore;
      break;
    }
    switch (c) {
      case 'X':
      case 'x':
        p.elements_.push_back(kDigits);
        continue;
      case 'Z':
      case 'z':
        p.elements_.push_back(kDigits & ~CharSet{1});
        continue;
      case 'N':
      case 'n':
        p.elements_.push_back(kDigits & ~CharSet{3});
        continue;
      case '[': {
        const std::size_t close = text.find(']', i + 1);
        if (close == std::string_view::npos) {
          return Unexpected(std::string("unclosed '['"));
        }
        CharSet set = 0;
        for (std::size_t k = i + 1; k < close; ++k) {
          const int from = index_of(text[k]);
          if (from < 0) {
            return Unexpected(describe_char(text, k) + " is not allowed inside [ ]");
          }
          if (k + 2 < close && text[k + 1] == '-') {
            const int to = index_of(text[k + 2]);
            if (to < 0 || from > 9 || to > 9 || to < from) {
              return Unexpected(std::string("bad range inside [ ]"));
            }
            for (int d = from; d <= to; ++d) {
              set = static_cast<CharSet>(set | (1u << d));
            }
            k += 2;
            continue;
          }
          set = static_cast<CharSet>(set | (1u << from));
        }
        if (set == 0) {
          return Unexpected(std::string("empty [ ]"));
        }
        p.elements_.push_back(set);
        i = close;
        continue;
      }
      default: {
        const int idx = index_of(c);
        if (idx < 0) {
          return bad_char(i);
        }
        p.elements_.push_back(static_cast<CharSet>(1u << idx));
      }
    }
  }
  if (p.elements_.empty() && p.tail_ == Tail::kNone) {
    return Unexpected(std::string("empty pattern"));
  }
  return p;
}

bool DialPattern::accepts_at(std::size_t index, char c) const {
  const int idx = index_of(c);
  if (idx < 0) {
    return false;
  }
  if (index < elements_.size()) {
    return (elements_[index] & (1u << idx)) != 0;
  }
  return tail_ != Tail::kNone;
}

bool DialPattern::matches(std::string_view number) const {
  const std::size_t n = elements_.size();
  switch (tail_) {
    case Tail::kNone:
      if (number.size() != n) {
        return false;
      }
      break;
    case Tail::kOneOrMore:
      if (number.size() <= n) {
        return false;
      }
      break;
    case Tail::kZeroOrMore:
      if (number.size() < n) {
        return false;
      }
      break;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const int idx = index_of(number[i]);
    if (idx < 0 || (elements_[i] & (1u << idx)) == 0) {
      return false;
    }
  }
  // The tail accepts any dialable characters.
  for (std::size_t i = n; i < number.size(); ++i) {
    if (index_of(number[i]) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace cohort::model
