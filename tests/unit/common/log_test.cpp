#include "common/log.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

namespace cohort::log {
namespace {

TEST(LogValue, PlainValuesStayBare) {
  EXPECT_EQ(value("1001"), "1001");
  EXPECT_EQ(value("/api/v1/users/{id}"), "/api/v1/users/{id}");
  EXPECT_EQ(value("127.0.0.1:5060"), "127.0.0.1:5060");
  // A backslash alone cannot end or split a bare value.
  EXPECT_EQ(value(R"(C:\tmp)"), R"(C:\tmp)");
  // UTF-8 is text, not a separator.
  EXPECT_EQ(value("Jos\xC3\xA9"), "Jos\xC3\xA9");
  EXPECT_EQ(value("\xE6\x97\xA5\xE6\x9C\xAC"), "\xE6\x97\xA5\xE6\x9C\xAC");
}

TEST(LogValue, SpacesEqualsQuotesAndControlsAreQuotedAndEscaped) {
  EXPECT_EQ(value("Sales Dept"), R"("Sales Dept")");
  EXPECT_EQ(value("a=b"), R"("a=b")");
  EXPECT_EQ(value(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(value(R"("C:\tmp")"), R"("\"C:\\tmp\"")");
  EXPECT_EQ(value("two\nlines"), R"("two\nlines")");
  EXPECT_EQ(value("cr\rtab\t"), R"("cr\rtab\t")");
  EXPECT_EQ(value(std::string("nul\0bel\x07"
                              "del\x7f",
                              12)),
            R"("nul\x00bel\x07del\x7f")");
  EXPECT_EQ(value("Jos\xC3\xA9 Garc\xC3\xAD"
                  "a"),
            "\"Jos\xC3\xA9 Garc\xC3\xAD"
            "a\"");
}

TEST(LogValue, AnEmptyValueIsAPairOfQuotes) {
  EXPECT_EQ(value(""), R"("")");
}

TEST(LogValue, FormatsThroughFmt) {
  EXPECT_EQ(fmt::format("group={} user={}", Value{"Sales Dept"}, Value{"7"}),
            R"(group="Sales Dept" user=7)");
}

// A logfmt reader: key=value pairs separated by spaces; a quoted value ends at the first
// unescaped quote. nullopt when the line does not parse.
std::optional<std::map<std::string, std::string>> parse_line(std::string_view line) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t eq = line.find('=', i);
    if (eq == std::string_view::npos || eq == i) {
      return std::nullopt;
    }
    const std::string key(line.substr(i, eq - i));
    if (key.find(' ') != std::string::npos || key.find('"') != std::string::npos) {
      return std::nullopt;
    }
    i = eq + 1;
    std::string v;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          if (static_cast<unsigned char>(c) < 0x20) {
            return std::nullopt;  // a raw control character inside quotes
          }
          v.push_back(c);
          continue;
        }
        if (i >= line.size()) {
          return std::nullopt;
        }
        const char e = line[i++];
        switch (e) {
          case 'n':
            v.push_back('\n');
            break;
          case 'r':
            v.push_back('\r');
            break;
          case 't':
            v.push_back('\t');
            break;
          case 'x':
            if (i + 2 > line.size()) {
              return std::nullopt;
            }
            v.push_back(static_cast<char>(std::stoi(std::string(line.substr(i, 2)), nullptr, 16)));
            i += 2;
            break;
          default:
            v.push_back(e);
        }
      }
      if (!closed) {
        return std::nullopt;
      }
    } else {
      const std::size_t end = std::min(line.find(' ', i), line.size());
      v = std::string(line.substr(i, end - i));
      if (v.find('=') != std::string::npos || v.find('"') != std::string::npos) {
        return std::nullopt;
      }
      i = end;
    }
    out[key] = std::move(v);
    if (i < line.size()) {
      if (line[i] != ' ') {
        return std::nullopt;
      }
      ++i;
    }
  }
  return out;
}

TEST(LogValue, EveryValueReadsBackFromTheLine) {
  const std::string values[] = {
      "",
      "plain",
      "Sales Dept",
      " leading and trailing ",
      "a=b",
      "k=v x=y",
      R"(quote " inside)",
      R"(ends with backslash \)",
      R"(\" escaped already)",
      "two\nlines\r\n",
      "tab\there",
      std::string("nul\0byte", 8),
      "\x1b[31mred\x1b[0m",
      "Jos\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC",
      "=",
      "\"",
      "\\",
  };
  for (const std::string& v : values) {
    const std::string line =
        fmt::format("event=test name={} reason={} n=1", Value{v}, Value{v + " again"});
    auto parsed = parse_line(line);
    ASSERT_TRUE(parsed.has_value()) << line;
    EXPECT_EQ((*parsed)["name"], v) << line;
    EXPECT_EQ((*parsed)["reason"], v + " again") << line;
    EXPECT_EQ((*parsed)["n"], "1") << line;
    EXPECT_EQ((*parsed)["event"], "test") << line;
    EXPECT_EQ(parsed->size(), 4u) << line;
  }
}

}  // namespace
}  // namespace cohort::log
