#include "outpost/core/records/expr.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <regex>

#include "outpost/core/error_codes.h"

namespace outpost::records {

namespace {

constexpr std::size_t kMaxText = 4096;
constexpr int kMaxDepth = 64;
// std::regex matches recursively; longer input could exhaust the stack, so it matches nothing.
constexpr std::size_t kMaxRegexInput = 16 * 1024;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Fn {
    kNot,
    kTrue,
    kFalse,
    kSelected,
    kCountSelected,
    kToday,
    kStringLength,
    kRegex,
    kIf,
    kConcat,
    kCoalesce,
    kContains,
    kStartsWith,
    kEndsWith,
    kInt,
    kNumber,
    kString,
    kBoolean,
    kRound,
    kCount,
    kSum,
    kMin,
    kMax,
};

struct FnInfo {
    std::string_view name;
    Fn fn;
    int min_args;
    int max_args;  // -1: any number
};

constexpr FnInfo kFunctions[] = {
    {"not", Fn::kNot, 1, 1},
    {"true", Fn::kTrue, 0, 0},
    {"false", Fn::kFalse, 0, 0},
    {"selected", Fn::kSelected, 2, 2},
    {"count-selected", Fn::kCountSelected, 1, 1},
    {"today", Fn::kToday, 0, 0},
    {"string-length", Fn::kStringLength, 1, 1},
    {"regex", Fn::kRegex, 2, 2},
    {"if", Fn::kIf, 3, 3},
    {"concat", Fn::kConcat, 1, -1},
    {"coalesce", Fn::kCoalesce, 2, 2},
    {"contains", Fn::kContains, 2, 2},
    {"starts-with", Fn::kStartsWith, 2, 2},
    {"ends-with", Fn::kEndsWith, 2, 2},
    {"int", Fn::kInt, 1, 1},
    {"number", Fn::kNumber, 1, 1},
    {"string", Fn::kString, 1, 1},
    {"boolean", Fn::kBoolean, 1, 1},
    {"round", Fn::kRound, 1, 2},
    {"count", Fn::kCount, 1, 1},
    {"sum", Fn::kSum, 1, 1},
    {"min", Fn::kMin, 1, 1},
    {"max", Fn::kMax, 1, 1},
};

bool is_aggregate(Fn f) {
    return f == Fn::kCount || f == Fn::kSum || f == Fn::kMin || f == Fn::kMax;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view s) {
    int v = 0;
    for (char c : s) {
        v = v * 10 + (c - '0');
    }
    return v;
}

// Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

double time_number(std::string_view s) {
    // HH:MM or HH:MM:SS, as a fraction of a day.
    if ((s.size() != 5 && s.size() != 8) || s[2] != ':' || !all_digits(s.substr(0, 2)) || !all_digits(s.substr(3, 2))) {
        return kNaN;
    }
    int secs = 0;
    if (s.size() == 8) {
        if (s[5] != ':' || !all_digits(s.substr(6, 2))) {
            return kNaN;
        }
        secs = to_int(s.substr(6, 2));
    }
    const int h = to_int(s.substr(0, 2));
    const int m = to_int(s.substr(3, 2));
    if (h > 23 || m > 59 || secs > 59) {
        return kNaN;
    }
    return (h * 3600 + m * 60 + secs) / 86400.0;
}

double text_number(std::string_view raw) {
    const std::string_view s = trim(raw);
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
        return date_number(s);
    }
    if (s.size() >= 5 && s[2] == ':') {
        return time_number(s);
    }
    // XPath's Number: an optional minus, digits, an optional point and digits.
    std::size_t i = 0;
    const bool negative = i < s.size() && s[i] == '-';
    if (negative) {
        ++i;
    }
    const std::size_t int_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
    }
    const std::size_t int_digits = i - int_start;
    std::size_t frac_digits = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        const std::size_t frac_start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        frac_digits = i - frac_start;
    }
    if (i != s.size() || int_digits + frac_digits == 0 || s.size() > 400) {
        return kNaN;
    }
    return std::strtod(std::string(s).c_str(), nullptr);
}

std::int64_t code_points(std::string_view s) {
    return static_cast<std::int64_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::vector<std::string_view> tokens_of(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) {
            ++i;
        }
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') {
            ++i;
        }
        if (i > start) {
            out.push_back(s.substr(start, i - start));
        }
    }
    return out;
}

}  // namespace

// ---- values ----

std::string number_text(double d) {
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
        return "0";
    }
    char buf[64];
    if (std::fabs(d) < 1e15 && d == std::trunc(d)) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
        return buf;
    }
    if (std::fabs(d) >= 1e15 || std::fabs(d) < 1e-9) {
        std::snprintf(buf, sizeof buf, "%.15g", d);
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%.10f", d);
    std::string out = buf;
    while (!out.empty() && out.back() == '0') {
        out.pop_back();
    }
    if (!out.empty() && out.back() == '.') {
        out.pop_back();
    }
    return out == "-0" ? "0" : out;
}

double date_number(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) ||
        !all_digits(s.substr(8, 2))) {
        return kNaN;
    }
    const int m = to_int(s.substr(5, 2));
    const int d = to_int(s.substr(8, 2));
    if (m < 1 || m > 12 || d < 1 || d > 31) {
        return kNaN;
    }
    return static_cast<double>(
        days_from_civil(to_int(s.substr(0, 4)), static_cast<unsigned>(m), static_cast<unsigned>(d)));
}

std::string ExprValue::as_text() const {
    switch (type) {
        case Type::kText:
            return text;
        case Type::kNumber:
            return number_text(number);
        case Type::kBool:
            return boolean ? "true" : "false";
    }
    return text;
}

double ExprValue::as_number() const {
    switch (type) {
        case Type::kText:
            return text_number(text);
        case Type::kNumber:
            return number;
        case Type::kBool:
            return boolean ? 1 : 0;
    }
    return kNaN;
}

bool ExprValue::as_bool() const {
    switch (type) {
        case Type::kText:
            return !text.empty();
        case Type::kNumber:
            return number != 0 && !std::isnan(number);
        case Type::kBool:
            return boolean;
    }
    return false;
}

// ---- the tree ----

struct Expression::Node {
    enum class Op {
        kNumber,
        kText,
        kField,
        kSelf,
        kColumn,
        kOr,
        kAnd,
        kEq,
        kNe,
        kLt,
        kLe,
        kGt,
        kGe,
        kAdd,
        kSub,
        kMul,
        kDiv,
        kMod,
        kNeg,
        kCall,
    };
    Op op = Op::kNumber;
    double number = 0;
    std::string text;  // a literal, a field or column name
    Fn fn = Fn::kNot;
    std::vector<std::unique_ptr<Node>> args;
    std::shared_ptr<const std::regex> regex;  // regex() with a literal pattern, compiled once
};

namespace {

using Node = Expression::Node;
using Op = Node::Op;

struct Token {
    enum class Kind { kEnd, kNumber, kText, kField, kDot, kName, kOp, kOpen, kClose, kComma };
    Kind kind = Kind::kEnd;
    std::string text;
    double number = 0;
    std::size_t pos = 0;  // 1-based byte position
};

class Parser {
public:
    explicit Parser(std::string_view text) : m_text(text) {}

    Result<std::unique_ptr<Node>> run() {
        OUTPOST_TRY(advance());
        Result<std::unique_ptr<Node>> root = or_expr(0);
        OUTPOST_TRY(root);
        if (m_tok.kind != Token::Kind::kEnd) {
            return fail(m_tok.pos, "unexpected '" + m_tok.text + "'");
        }
        return root;
    }

    std::vector<std::string> refs;
    bool uses_self = false;
    bool uses_columns = false;

private:
    Status fail(std::size_t pos, const std::string& problem) const {
        return Status::error(errc::kFormExpressionInvalid, "at position " + std::to_string(pos) + ": " + problem);
    }

    static bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
    static bool name_char(char c) {
        return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
    }

    Status advance() {
        std::size_t i = m_at;
        while (i < m_text.size() && (m_text[i] == ' ' || m_text[i] == '\t' || m_text[i] == '\n' || m_text[i] == '\r')) {
            ++i;
        }
        Token t;
        t.pos = i + 1;
        if (i >= m_text.size()) {
            t.kind = Token::Kind::kEnd;
            t.text = "end";
            m_at = i;
            m_tok = t;
            return Status::ok();
        }
        const char c = m_text[i];
        auto digit = [&](std::size_t k) { return k < m_text.size() && m_text[k] >= '0' && m_text[k] <= '9'; };
        if (digit(i) || (c == '.' && digit(i + 1))) {
            std::size_t j = i;
            while (digit(j)) {
                ++j;
            }
            if (j < m_text.size() && m_text[j] == '.') {
                ++j;
                while (digit(j)) {
                    ++j;
                }
            }
            t.kind = Token::Kind::kNumber;
            t.text = std::string(m_text.substr(i, j - i));
            t.number = std::strtod(t.text.c_str(), nullptr);
            i = j;
        } else if (c == '\'' || c == '"') {
            const std::size_t close = m_text.find(c, i + 1);
            if (close == std::string_view::npos) {
                return fail(t.pos, "text is not closed (a " + std::string(1, c) + " is missing)");
            }
            t.kind = Token::Kind::kText;
            t.text = std::string(m_text.substr(i + 1, close - i - 1));
            i = close + 1;
        } else if (c == '$') {
            if (i + 1 >= m_text.size() || m_text[i + 1] != '{') {
                return fail(t.pos, "'$' must start a field like ${name}");
            }
            const std::size_t close = m_text.find('}', i + 2);
            const std::string_view name =
                close == std::string_view::npos ? std::string_view() : m_text.substr(i + 2, close - i - 2);
            if (name.empty() || !name_start(name[0]) ||
                !std::all_of(name.begin(), name.end(), [](char ch) { return name_char(ch) && ch != ':'; })) {
                return fail(t.pos, "a field is written ${name}, with a letter first");
            }
            t.kind = Token::Kind::kField;
            t.text = std::string(name);
            i = close + 1;
        } else if (name_start(c)) {
            std::size_t j = i;
            while (j < m_text.size() && name_char(m_text[j])) {
                ++j;
            }
            t.kind = Token::Kind::kName;
            t.text = std::string(m_text.substr(i, j - i));
            i = j;
        } else if (c == '.') {
            t.kind = Token::Kind::kDot;
            t.text = ".";
            ++i;
        } else if (c == '(' || c == ')' || c == ',') {
            t.kind = c == '(' ? Token::Kind::kOpen : c == ')' ? Token::Kind::kClose : Token::Kind::kComma;
            t.text = std::string(1, c);
            ++i;
        } else if (c == '!' || c == '<' || c == '>') {
            const bool eq = i + 1 < m_text.size() && m_text[i + 1] == '=';
            if (c == '!' && !eq) {
                return fail(t.pos, "'!' must be part of '!='; use not() for 'not'");
            }
            t.kind = Token::Kind::kOp;
            t.text = std::string(1, c) + (eq ? "=" : "");
            i += eq ? 2 : 1;
        } else if (c == '=' || c == '+' || c == '-' || c == '*') {
            t.kind = Token::Kind::kOp;
            t.text = std::string(1, c);
            ++i;
        } else {
            return fail(t.pos, "unexpected character '" + std::string(1, c) + "'");
        }
        m_at = i;
        m_tok = std::move(t);
        return Status::ok();
    }

    bool at_op(std::string_view op) const {
        return (m_tok.kind == Token::Kind::kOp || m_tok.kind == Token::Kind::kName) && m_tok.text == op;
    }

    static std::unique_ptr<Node> binary(Op op, std::unique_ptr<Node> l, std::unique_ptr<Node> r) {
        auto n = std::make_unique<Node>();
        n->op = op;
        n->args.push_back(std::move(l));
        n->args.push_back(std::move(r));
        return n;
    }

    Status deeper(int depth) const {
        return depth > kMaxDepth ? fail(m_tok.pos, "the expression is nested too deeply") : Status::ok();
    }

    // One precedence level: operands from `next`, joined by any of `ops`.
    template <typename Next>
    Result<std::unique_ptr<Node>> level(int depth, std::initializer_list<std::pair<std::string_view, Op>> ops,
                                        Next next) {
        OUTPOST_TRY(deeper(depth));
        Result<std::unique_ptr<Node>> left = (this->*next)(depth + 1);
        OUTPOST_TRY(left);
        std::unique_ptr<Node> out = std::move(*left);
        for (;;) {
            const auto hit = std::find_if(ops.begin(), ops.end(), [&](const auto& o) { return at_op(o.first); });
            if (hit == ops.end()) {
                return out;
            }
            OUTPOST_TRY(advance());
            Result<std::unique_ptr<Node>> right = (this->*next)(depth + 1);
            OUTPOST_TRY(right);
            out = binary(hit->second, std::move(out), std::move(*right));
        }
    }

    Result<std::unique_ptr<Node>> or_expr(int d) { return level(d, {{"or", Op::kOr}}, &Parser::and_expr); }
    Result<std::unique_ptr<Node>> and_expr(int d) { return level(d, {{"and", Op::kAnd}}, &Parser::eq_expr); }
    Result<std::unique_ptr<Node>> eq_expr(int d) {
        return level(d, {{"=", Op::kEq}, {"!=", Op::kNe}}, &Parser::rel_expr);
    }
    Result<std::unique_ptr<Node>> rel_expr(int d) {
        return level(d, {{"<=", Op::kLe}, {">=", Op::kGe}, {"<", Op::kLt}, {">", Op::kGt}}, &Parser::add_expr);
    }
    Result<std::unique_ptr<Node>> add_expr(int d) {
        return level(d, {{"+", Op::kAdd}, {"-", Op::kSub}}, &Parser::mul_expr);
    }
    Result<std::unique_ptr<Node>> mul_expr(int d) {
        return level(d, {{"*", Op::kMul}, {"div", Op::kDiv}, {"mod", Op::kMod}}, &Parser::unary);
    }

    Result<std::unique_ptr<Node>> unary(int depth) {
        OUTPOST_TRY(deeper(depth));
        if (m_tok.kind == Token::Kind::kOp && m_tok.text == "-") {
            OUTPOST_TRY(advance());
            Result<std::unique_ptr<Node>> inner = unary(depth + 1);
            OUTPOST_TRY(inner);
            auto n = std::make_unique<Node>();
            n->op = Op::kNeg;
            n->args.push_back(std::move(*inner));
            return n;
        }
        return primary(depth + 1);
    }

    void add_ref(const std::string& name) {
        if (std::find(refs.begin(), refs.end(), name) == refs.end()) {
            refs.push_back(name);
        }
    }

    Result<std::unique_ptr<Node>> primary(int depth) {
        OUTPOST_TRY(deeper(depth));
        auto n = std::make_unique<Node>();
        const Token t = m_tok;
        switch (t.kind) {
            case Token::Kind::kNumber:
                n->op = Op::kNumber;
                n->number = t.number;
                OUTPOST_TRY(advance());
                return n;
            case Token::Kind::kText:
                n->op = Op::kText;
                n->text = t.text;
                OUTPOST_TRY(advance());
                return n;
            case Token::Kind::kField:
                n->op = Op::kField;
                n->text = t.text;
                add_ref(t.text);
                OUTPOST_TRY(advance());
                return n;
            case Token::Kind::kDot:
                n->op = Op::kSelf;
                uses_self = true;
                OUTPOST_TRY(advance());
                return n;
            case Token::Kind::kOpen: {
                OUTPOST_TRY(advance());
                Result<std::unique_ptr<Node>> inner = or_expr(depth + 1);
                OUTPOST_TRY(inner);
                if (m_tok.kind != Token::Kind::kClose) {
                    return fail(m_tok.pos, "a ')' is missing");
                }
                OUTPOST_TRY(advance());
                return std::move(*inner);
            }
            case Token::Kind::kName:
                break;
            default:
                return fail(t.pos, t.kind == Token::Kind::kEnd ? "the expression ends too soon"
                                                               : "unexpected '" + t.text + "'");
        }
        OUTPOST_TRY(advance());
        if (m_tok.kind != Token::Kind::kOpen) {
            if (t.text == "and" || t.text == "or" || t.text == "div" || t.text == "mod") {
                return fail(t.pos, "'" + t.text + "' needs something before it");
            }
            n->op = Op::kColumn;
            n->text = t.text;
            uses_columns = true;
            return n;
        }
        const auto* info = std::find_if(std::begin(kFunctions), std::end(kFunctions),
                                        [&](const FnInfo& f) { return f.name == t.text; });
        if (info == std::end(kFunctions)) {
            return fail(t.pos, "unknown function '" + t.text + "()'");
        }
        n->op = Op::kCall;
        n->fn = info->fn;
        OUTPOST_TRY(advance());
        if (m_tok.kind != Token::Kind::kClose) {
            for (;;) {
                Result<std::unique_ptr<Node>> arg = or_expr(depth + 1);
                OUTPOST_TRY(arg);
                n->args.push_back(std::move(*arg));
                if (m_tok.kind == Token::Kind::kComma) {
                    OUTPOST_TRY(advance());
                    continue;
                }
                if (m_tok.kind != Token::Kind::kClose) {
                    return fail(m_tok.pos, "a ')' or ',' is missing in " + t.text + "()");
                }
                break;
            }
        }
        OUTPOST_TRY(advance());
        const int argc = static_cast<int>(n->args.size());
        if (argc < info->min_args || (info->max_args >= 0 && argc > info->max_args)) {
            const std::string want = info->max_args < 0 ? "at least " + std::to_string(info->min_args)
                                     : info->min_args == info->max_args
                                         ? std::to_string(info->min_args)
                                         : std::to_string(info->min_args) + " or " + std::to_string(info->max_args);
            return fail(t.pos, t.text + "() takes " + want + " argument" + (want == "1" ? "" : "s") + ", not " +
                                   std::to_string(argc));
        }
        if (is_aggregate(info->fn) && n->args[0]->op != Op::kField) {
            return fail(t.pos, t.text + "() takes a field, like " + t.text + "(${rooms})");
        }
        if (info->fn == Fn::kRegex && n->args[1]->op == Op::kText) {
            try {
                n->regex = std::make_shared<const std::regex>(n->args[1]->text, std::regex::ECMAScript);
            } catch (const std::regex_error&) {
                return fail(n->args[1]->op == Op::kText ? t.pos : t.pos,
                            "regex() pattern is not a valid regular expression");
            }
        }
        return n;
    }

    std::string_view m_text;
    std::size_t m_at = 0;
    Token m_tok;
};

ExprValue eval(const Node& n, const ExprScope& scope);

bool equal(const ExprValue& a, const ExprValue& b) {
    using T = ExprValue::Type;
    if (a.type == T::kBool || b.type == T::kBool) {
        return a.as_bool() == b.as_bool();
    }
    if (a.type == T::kNumber || b.type == T::kNumber) {
        return a.as_number() == b.as_number();
    }
    return a.text == b.text;
}

bool regex_match_text(const std::regex& re, const std::string& s) {
    if (s.size() > kMaxRegexInput) {
        return false;
    }
    try {
        return std::regex_search(s, re);
    } catch (const std::exception&) {
        return false;
    }
}

ExprValue call(const Node& n, const ExprScope& scope) {
    auto arg = [&](std::size_t i) { return eval(*n.args[i], scope); };
    switch (n.fn) {
        case Fn::kNot:
            return ExprValue::of_bool(!arg(0).as_bool());
        case Fn::kTrue:
            return ExprValue::of_bool(true);
        case Fn::kFalse:
            return ExprValue::of_bool(false);
        case Fn::kSelected: {
            const std::string list = arg(0).as_text();
            const std::string want(trim(arg(1).as_text()));
            const auto toks = tokens_of(list);
            return ExprValue::of_bool(std::find(toks.begin(), toks.end(), want) != toks.end());
        }
        case Fn::kCountSelected:
            return ExprValue::of_number(static_cast<double>(tokens_of(arg(0).as_text()).size()));
        case Fn::kToday:
            return ExprValue::of_text(scope.today());
        case Fn::kStringLength:
            return ExprValue::of_number(static_cast<double>(code_points(arg(0).as_text())));
        case Fn::kRegex: {
            const std::string s = arg(0).as_text();
            if (n.regex) {
                return ExprValue::of_bool(regex_match_text(*n.regex, s));
            }
            try {
                const std::regex re(arg(1).as_text(), std::regex::ECMAScript);
                return ExprValue::of_bool(regex_match_text(re, s));
            } catch (const std::exception&) {
                return ExprValue::of_bool(false);
            }
        }
        case Fn::kIf:
            return arg(0).as_bool() ? arg(1) : arg(2);
        case Fn::kConcat: {
            std::string out;
            for (std::size_t i = 0; i < n.args.size(); ++i) {
                out += arg(i).as_text();
            }
            return ExprValue::of_text(std::move(out));
        }
        case Fn::kCoalesce: {
            ExprValue a = arg(0);
            return a.as_text().empty() ? arg(1) : a;
        }
        case Fn::kContains:
            return ExprValue::of_bool(arg(0).as_text().find(arg(1).as_text()) != std::string::npos);
        case Fn::kStartsWith:
            return ExprValue::of_bool(arg(0).as_text().rfind(arg(1).as_text(), 0) == 0);
        case Fn::kEndsWith: {
            const std::string a = arg(0).as_text();
            const std::string b = arg(1).as_text();
            return ExprValue::of_bool(a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0);
        }
        case Fn::kInt:
            return ExprValue::of_number(std::trunc(arg(0).as_number()));
        case Fn::kNumber:
            return ExprValue::of_number(arg(0).as_number());
        case Fn::kString:
            return ExprValue::of_text(arg(0).as_text());
        case Fn::kBoolean:
            return ExprValue::of_bool(arg(0).as_bool());
        case Fn::kRound: {
            const double x = arg(0).as_number();
            const double places = n.args.size() > 1 ? std::trunc(arg(1).as_number()) : 0;
            if (std::isnan(places) || places < -15 || places > 15) {
                return ExprValue::of_number(kNaN);
            }
            const double f = std::pow(10.0, places);
            return ExprValue::of_number(std::floor(x * f + 0.5) / f);
        }
        case Fn::kCount:
            return ExprValue::of_number(static_cast<double>(scope.field_values(n.args[0]->text).size()));
        case Fn::kSum:
        case Fn::kMin:
        case Fn::kMax: {
            // Unanswered items are left out, so a total shows while a form is being filled in.
            double acc = n.fn == Fn::kSum ? 0 : kNaN;
            for (const ExprValue& v : scope.field_values(n.args[0]->text)) {
                if (v.type == ExprValue::Type::kText && trim(v.text).empty()) {
                    continue;
                }
                const double x = v.as_number();
                if (n.fn == Fn::kSum) {
                    acc += x;
                } else if (std::isnan(acc) || (n.fn == Fn::kMin ? x < acc : x > acc) || std::isnan(x)) {
                    acc = x;
                }
            }
            return ExprValue::of_number(acc);
        }
    }
    return ExprValue::of_text("");
}

ExprValue eval(const Node& n, const ExprScope& scope) {
    switch (n.op) {
        case Op::kNumber:
            return ExprValue::of_number(n.number);
        case Op::kText:
            return ExprValue::of_text(n.text);
        case Op::kField:
            return scope.field(n.text);
        case Op::kSelf:
            return scope.self();
        case Op::kColumn:
            return scope.column(n.text);
        case Op::kOr:
            return ExprValue::of_bool(eval(*n.args[0], scope).as_bool() || eval(*n.args[1], scope).as_bool());
        case Op::kAnd:
            return ExprValue::of_bool(eval(*n.args[0], scope).as_bool() && eval(*n.args[1], scope).as_bool());
        case Op::kEq:
            return ExprValue::of_bool(equal(eval(*n.args[0], scope), eval(*n.args[1], scope)));
        case Op::kNe:
            return ExprValue::of_bool(!equal(eval(*n.args[0], scope), eval(*n.args[1], scope)));
        case Op::kLt:
        case Op::kLe:
        case Op::kGt:
        case Op::kGe: {
            const double a = eval(*n.args[0], scope).as_number();
            const double b = eval(*n.args[1], scope).as_number();
            const bool r = n.op == Op::kLt ? a < b : n.op == Op::kLe ? a <= b : n.op == Op::kGt ? a > b : a >= b;
            return ExprValue::of_bool(r);
        }
        case Op::kAdd:
        case Op::kSub:
        case Op::kMul:
        case Op::kDiv:
        case Op::kMod: {
            const double a = eval(*n.args[0], scope).as_number();
            const double b = eval(*n.args[1], scope).as_number();
            switch (n.op) {
                case Op::kAdd:
                    return ExprValue::of_number(a + b);
                case Op::kSub:
                    return ExprValue::of_number(a - b);
                case Op::kMul:
                    return ExprValue::of_number(a * b);
                case Op::kDiv:
                    return ExprValue::of_number(a / b);
                default:
                    return ExprValue::of_number(std::fmod(a, b));
            }
        }
        case Op::kNeg:
            return ExprValue::of_number(-eval(*n.args[0], scope).as_number());
        case Op::kCall:
            return call(n, scope);
    }
    return ExprValue::of_text("");
}

}  // namespace

Result<Expression> Expression::parse(std::string_view text) {
    if (text.size() > kMaxText) {
        return Status::error(errc::kFormExpressionInvalid, "at position " + std::to_string(kMaxText + 1) +
                                                               ": the expression is longer than " +
                                                               std::to_string(kMaxText) + " characters");
    }
    if (trim(text).empty()) {
        return Status::error(errc::kFormExpressionInvalid, "at position 1: the expression is empty");
    }
    Parser p(text);
    Result<std::unique_ptr<Node>> root = p.run();
    OUTPOST_TRY(root);
    Expression e;
    e.m_root = std::shared_ptr<const Node>(std::move(*root));
    e.m_refs = std::move(p.refs);
    e.m_uses_self = p.uses_self;
    e.m_uses_columns = p.uses_columns;
    e.m_text = std::string(text);
    return e;
}

ExprValue Expression::evaluate(const ExprScope& scope) const {
    return m_root ? eval(*m_root, scope) : ExprValue::of_text("");
}

}  // namespace outpost::records
