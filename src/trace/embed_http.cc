// Raw HTTP request embedder (.http files: request line, header lines, blank line, body).
//
//   header-order  the header lines after the request line, except Host (kept in its place: a
//                 server reads headers by name, and Host first is what clients send);
//   header-case   each header name Title-Case <-> lower case (names are case-insensitive);
//                 Content-Length is left alone;
//   entry-order   the `k=v` fields of an application/x-www-form-urlencoded body (>= 2 fields,
//                 distinct keys): reordering keeps the body length, so Content-Length stays
//                 right. Percent-escapes are kept exactly as written.
// Canaries only in headers: the User-Agent value (slot "ua"). A canary in the body (such as the
// uploaded file name) would change the body length and so require rewriting Content-Length,
// which a span-substitution model cannot do; the body gets no canary.
// Spaces after a header's colon are not varied (fragile and invisible). A header line a reader
// could not locate (User-Agent: a case-varied name and a canary value) keeps its place.
#include "trace/embed_code_util.h"

namespace forewarn::trace::internal {
namespace {

struct Header {
  CodeLine line;
  Span name;
  Span value;  // trimmed; may be empty
};

}  // namespace

FoundMarks FindHttpMarks(std::string_view text) {
  FoundMarks found;
  const std::vector<CodeLine> lines = SplitCodeLines(text);
  if (lines.size() < 2) return found;
  // The request line: METHOD SP target SP HTTP/x.y.
  const std::string_view request_line = text.substr(lines[0].begin, lines[0].end - lines[0].begin);
  if (request_line.find(" HTTP/") == std::string_view::npos) return found;
  std::vector<Header> headers;
  size_t blank = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const CodeLine& line = lines[i];
    if (line.begin == line.end) {
      blank = i;
      break;
    }
    const std::string_view content = text.substr(line.begin, line.end - line.begin);
    const size_t colon = content.find(':');
    // A folded (continuation) line or a malformed header: leave the whole request alone.
    if (colon == std::string_view::npos || colon == 0 || content[0] == ' ' || content[0] == '\t' ||
        !IsHeaderName(content.substr(0, colon))) {
      return found;
    }
    size_t vb = colon + 1;
    while (vb < content.size() && (content[vb] == ' ' || content[vb] == '\t')) ++vb;
    size_t ve = content.size();
    while (ve > vb && (content[ve - 1] == ' ' || content[ve - 1] == '\t')) --ve;
    headers.push_back(Header{.line = line,
                             .name = Span{line.begin, line.begin + colon},
                             .value = Span{line.begin + vb, line.begin + ve}});
  }
  if (headers.empty()) return found;
  // Duplicate header names (case-insensitively) may depend on their order: no header-order then.
  std::set<std::string> names;
  for (const Header& h : headers) names.insert(Lower(TextOf(text, h.name)));
  const bool unique_names = names.size() == headers.size();

  std::vector<Span> items;
  for (const Header& h : headers) {
    const std::string_view name = TextOf(text, h.name);
    if (!EqualsIgnoreCase(name, "host")) items.push_back(Span{h.line.begin, h.line.end});
    if (!EqualsIgnoreCase(name, "content-length")) {
      const std::string other = OtherHeaderCase(name);
      if (!other.empty()) {
        found.points.push_back(MakeChoicePoint("header-case",
                                               fmt::format("case of header name {}", name), h.name,
                                               {std::string(name), other}));
      }
    }
    if (EqualsIgnoreCase(name, "user-agent") && h.value.end > h.value.begin &&
        found.canaries.empty()) {
      const std::string value(TextOf(text, h.value));
      found.canaries.push_back(CanaryPlacement{.slot = CanarySlot{.name = "ua",
                                                                  .kind = CanaryKind::kUserAgent,
                                                                  .pattern = value + " ({id})"},
                                               .original = value,
                                               .spans = {h.value}});
    }
  }
  if (unique_names && items.size() >= 2 && DistinctItems(text, items)) {
    found.points.push_back(MakeOrderPoint(
        "header-order", fmt::format("order of the {} request headers after Host", items.size()),
        items));
  }

  // The body of a form-urlencoded request: its fields.
  bool form = false;
  for (const Header& h : headers) {
    if (EqualsIgnoreCase(TextOf(text, h.name), "content-type") &&
        Lower(TextOf(text, h.value)).starts_with("application/x-www-form-urlencoded")) {
      form = true;
    }
  }
  if (form && blank > 0 && blank + 1 < lines.size()) {
    const size_t body_begin = lines[blank + 1].begin;
    size_t body_end = text.size();
    while (body_end > body_begin && (text[body_end - 1] == '\n' || text[body_end - 1] == '\r')) {
      --body_end;
    }
    const std::string_view body = text.substr(body_begin, body_end - body_begin);
    if (body.find('\n') == std::string_view::npos) {
      std::vector<Span> fields;
      std::set<std::string> keys;
      bool ok = true;
      size_t at = 0;
      while (at <= body.size()) {
        size_t amp = body.find('&', at);
        if (amp == std::string_view::npos) amp = body.size();
        const std::string_view field = body.substr(at, amp - at);
        const size_t eq = field.find('=');
        if (field.empty() || eq == 0 || eq == std::string_view::npos) ok = false;
        if (ok) keys.insert(std::string(field.substr(0, eq)));
        fields.push_back(Span{body_begin + at, body_begin + amp});
        if (amp == body.size()) break;
        at = amp + 1;
      }
      // Repeated keys are read as a list by most servers, in order: leave those bodies alone.
      if (ok && fields.size() >= 2 && keys.size() == fields.size() && DistinctItems(text, fields)) {
        found.points.push_back(MakeOrderPoint(
            "entry-order", fmt::format("order of the {} form fields of the body", fields.size()),
            fields));
      }
    }
  }
  // Header lines whose every token is a choice or canary span (User-Agent: its name varies in
  // case and its value is the canary) could not be located in a copy: they keep their place.
  KeepLocatableItems(text, SyntaxFor(Language::kHttp), found);
  return found;
}

}  // namespace forewarn::trace::internal
