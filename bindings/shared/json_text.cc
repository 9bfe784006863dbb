#include "json_text.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <locale>
#include <sstream>
#include <string>

#include "threadbank/error.h"

namespace threadbank::views {
namespace {

using nlohmann::json;

constexpr int MAX_DEPTH = 64;
/// Magnitudes below this are exact integers in a double (the conversion's rule).
constexpr double SAFE_INTEGER_LIMIT = 9.007199254740992e15;

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  json document() {
    json value = read_value(0);
    skip_space();
    if (at_ != text_.size()) fail("more text after the value");
    return value;
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;

  [[noreturn]] void fail(const char* what) const {
    throw Error(ErrorCode::INVALID_PARAMS, std::string("expected params as JSON text but found ") + what +
                                               " at offset " + std::to_string(at_));
  }

  bool more() const { return at_ < text_.size(); }
  char peek() const { return more() ? text_[at_] : '\0'; }

  void skip_space() {
    while (more() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t')) ++at_;
  }

  void expect(char c) {
    skip_space();
    if (peek() != c) fail("an unexpected character");
    ++at_;
  }

  void literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) fail("an unknown word");
    at_ += word.size();
  }

  json read_value(int depth) {
    if (depth > MAX_DEPTH) fail("values nested deeper than 64 levels");
    skip_space();
    switch (peek()) {
      case '{': return read_object(depth);
      case '[': return read_array(depth);
      case '"': return read_string_text();
      case 't': literal("true"); return true;
      case 'f': literal("false"); return false;
      case 'n': literal("null"); return nullptr;
      default: return read_number();
    }
  }

  // After an opening '{' or '[': calls read_item for each comma-separated item up to
  // `close`, which may come at once.
  template <typename ReadItem>
  void read_items(char close, ReadItem&& read_item) {
    ++at_;
    skip_space();
    if (peek() == close) {
      ++at_;
      return;
    }
    for (;;) {
      read_item();
      skip_space();
      if (peek() != ',') break;
      ++at_;
    }
    expect(close);
  }

  json read_object(int depth) {
    json out = json::object();
    auto& fields = out.get_ref<json::object_t&>();
    read_items('}', [&] {
      skip_space();
      if (peek() != '"') fail("a property name that is not a string");
      std::string key = read_string_text();
      expect(':');
      fields[std::move(key)] = read_value(depth + 1);
    });
    return out;
  }

  json read_array(int depth) {
    json out = json::array();
    auto& items = out.get_ref<json::array_t&>();
    read_items(']', [&] { items.push_back(read_value(depth + 1)); });
    return out;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::uint32_t read_hex4() {
    if (at_ + 4 > text_.size()) fail("a short \\u escape");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[at_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<std::uint32_t>(c - 'A' + 10);
      else fail("a \\u escape that is not hexadecimal");
    }
    return value;
  }

  // After "\u": one code point, pairing surrogates; a lone one is U+FFFD.
  std::uint32_t read_escaped_code_point() {
    constexpr std::uint32_t REPLACEMENT = 0xFFFD;
    std::uint32_t unit = read_hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) return REPLACEMENT;
    if (unit < 0xD800 || unit > 0xDBFF) return unit;
    // A high surrogate: a low one must follow as another escape.
    if (text_.substr(at_, 2) != "\\u") return REPLACEMENT;
    std::size_t before = at_;
    at_ += 2;
    std::uint32_t low = read_hex4();
    if (low < 0xDC00 || low > 0xDFFF) {
      at_ = before;  // not a pair: that escape is read on its own next
      return REPLACEMENT;
    }
    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }

  std::string read_string_text() {
    ++at_;  // opening quote
    std::string out;
    for (;;) {
      std::size_t start = at_;
      while (more() && text_[at_] != '"' && text_[at_] != '\\' && static_cast<unsigned char>(text_[at_]) >= 0x20) ++at_;
      out.append(text_.data() + start, at_ - start);
      if (!more()) fail("an unterminated string");
      char c = text_[at_++];
      if (c == '"') return out;
      if (c != '\\') fail("a control character inside a string");
      if (!more()) fail("an unterminated escape");
      switch (text_[at_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': append_utf8(out, read_escaped_code_point()); break;
        default: fail("an unknown escape");
      }
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  json read_number() {
    std::size_t start = at_;
    bool negative = peek() == '-';
    if (negative) ++at_;
    if (!is_digit(peek())) fail("an unexpected character");
    // Integer part: no leading zeros but "0" itself.
    if (peek() == '0') {
      ++at_;
    } else {
      while (is_digit(peek())) ++at_;
    }
    bool whole = true;
    if (peek() == '.') {
      whole = false;
      ++at_;
      if (!is_digit(peek())) fail("a number without digits after its point");
      while (is_digit(peek())) ++at_;
    }
    if (peek() == 'e' || peek() == 'E') {
      whole = false;
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      if (!is_digit(peek())) fail("a number without digits in its exponent");
      while (is_digit(peek())) ++at_;
    }
    std::string_view token = text_.substr(start, at_ - start);
    std::size_t digits = token.size() - (negative ? 1 : 0);
    if (whole && digits <= 15) {
      // Below 10^15, so an exact integer under the limit: no floating point needed.
      std::int64_t value = 0;
      for (char c : token.substr(negative ? 1 : 0)) value = value * 10 + (c - '0');
      return negative ? -value : value;
    }
    double number = to_double(token);
    if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < SAFE_INTEGER_LIMIT) {
      return static_cast<std::int64_t>(number);
    }
    if (!std::isfinite(number)) return nullptr;  // out of range, as the conversion maps Infinity
    return number;
  }

  // JSON numbers always use '.', whatever the process's C locale says.
  static double to_double(std::string_view token) {
    std::string text(token);
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size()) return value;
    std::istringstream in(text);
    in.imbue(std::locale::classic());
    in >> value;
    return value;
  }
};

}  // namespace

json parse_json_text(std::string_view text) { return Reader(text).document(); }

}  // namespace threadbank::views
