#include "mob/codec.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace mob::detail {

namespace {

// demangle() rewrites what the ABI demangler prints into the way people write types:
// "std::vector<int, std::allocator<int> >" becomes "std::vector<int>". It parses each
// template argument list, rewrites the arguments first, and then drops the trailing
// arguments of well-known std templates that equal their defaults. Anything it does not
// understand is left as the demangler printed it. It is a pure function of its input, so
// a sender and a receiver built alike agree on every name.

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    return s;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
        s.replace(pos, from.size(), to);
    }
}

// "std::__cxx11::list" (libstdc++'s new-ABI namespace) and "std::__1::list" (libc++)
// are std::list to their users.
std::string strip_inline_namespaces(std::string s) {
    for (std::string_view ns : {"std::__cxx11::", "std::__1::"}) {
        for (auto pos = s.find(ns); pos != std::string::npos; pos = s.find(ns, pos)) {
            if (pos > 0 && is_name_char(s[pos - 1])) {
                ++pos;
                continue;
            }
            s.replace(pos, ns.size(), "std::");
        }
    }
    return s;
}

std::string wrap(std::string_view tmpl, std::string_view arg) {
    std::string s{tmpl};
    s += '<';
    s += arg;
    s += '>';
    return s;
}

std::string allocator_of(std::string_view t) {
    return wrap("std::allocator", t);
}

std::string map_allocator(std::string_view key, std::string_view value) {
    std::string pair{"std::pair<"};
    pair += key;
    pair += " const, ";
    pair += value;
    pair += '>';
    return allocator_of(pair);
}

// The short name of std::basic_string<C> / std::basic_string_view<C>, if it has one.
std::optional<std::string> string_alias(std::string_view tmpl, std::string_view ch) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> prefixes{{
        {"char", ""},
        {"wchar_t", "w"},
        {"char8_t", "u8"},
        {"char16_t", "u16"},
        {"char32_t", "u32"},
    }};
    for (const auto& [c, prefix] : prefixes) {
        if (ch == c) {
            std::string name{"std::"};
            name += prefix;
            name += tmpl == "std::basic_string" ? "string" : "string_view";
            return name;
        }
    }
    return std::nullopt;
}

// Drops the trailing arguments of a well-known std template that equal their defaults
// and returns the rewritten template-id. `args` are already rewritten.
std::string simplify(const std::string& tmpl, std::vector<std::string> args) {
    std::vector<std::optional<std::string>> defaults;  // one per argument, nullopt: required
    const auto n = args.size();
    const auto arg = [&](std::size_t i) -> std::string_view {
        return i < n ? std::string_view{args[i]} : std::string_view{};
    };
    if (tmpl == "std::vector" || tmpl == "std::deque" || tmpl == "std::list" ||
        tmpl == "std::forward_list") {
        defaults = {std::nullopt, allocator_of(arg(0))};
    } else if (tmpl == "std::set" || tmpl == "std::multiset") {
        defaults = {std::nullopt, wrap("std::less", arg(0)), allocator_of(arg(0))};
    } else if (tmpl == "std::map" || tmpl == "std::multimap") {
        defaults = {std::nullopt, std::nullopt, wrap("std::less", arg(0)),
                    map_allocator(arg(0), arg(1))};
    } else if (tmpl == "std::unordered_set" || tmpl == "std::unordered_multiset") {
        defaults = {std::nullopt, wrap("std::hash", arg(0)), wrap("std::equal_to", arg(0)),
                    allocator_of(arg(0))};
    } else if (tmpl == "std::unordered_map" || tmpl == "std::unordered_multimap") {
        defaults = {std::nullopt, std::nullopt, wrap("std::hash", arg(0)),
                    wrap("std::equal_to", arg(0)), map_allocator(arg(0), arg(1))};
    } else if (tmpl == "std::basic_string") {
        defaults = {std::nullopt, wrap("std::char_traits", arg(0)), allocator_of(arg(0))};
    } else if (tmpl == "std::basic_string_view") {
        defaults = {std::nullopt, wrap("std::char_traits", arg(0))};
    } else if (tmpl == "std::stack" || tmpl == "std::queue") {
        defaults = {std::nullopt, wrap("std::deque", arg(0))};
    } else if (tmpl == "std::priority_queue") {
        defaults = {std::nullopt, wrap("std::vector", arg(0)), wrap("std::less", arg(0))};
    }
    if (defaults.size() == n) {
        while (!args.empty() && defaults[args.size() - 1] == args.back())
            args.pop_back();
    }
    if ((tmpl == "std::basic_string" || tmpl == "std::basic_string_view") && args.size() == 1) {
        if (auto alias = string_alias(tmpl, args[0]))
            return *alias;
    }
    std::string out = tmpl;
    out += '<';
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i > 0)
            out += ", ";
        out += args[i];
    }
    out += '>';
    return out;
}

// Rewrites every template-id in `s`; nullopt if its brackets do not balance.
std::optional<std::string> rewrite(std::string_view s) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '>')
            return std::nullopt;
        if (c != '<') {
            out += c;
            ++i;
            continue;
        }
        // Split the argument list at the commas outside nested <>, (), [] and {}.
        std::vector<std::string_view> raw;
        std::size_t start = i + 1;
        int angles = 0;
        int parens = 0;
        std::size_t j = start;
        for (; j < s.size(); ++j) {
            const char d = s[j];
            if (d == '(' || d == '[' || d == '{') {
                ++parens;
            } else if (d == ')' || d == ']' || d == '}') {
                if (--parens < 0)
                    return std::nullopt;
            } else if (d == '<') {
                ++angles;
            } else if (d == '>') {
                if (angles == 0)
                    break;
                --angles;
            } else if (d == ',' && angles == 0 && parens == 0) {
                raw.push_back(s.substr(start, j - start));
                start = j + 1;
            }
        }
        if (j == s.size() || parens != 0)
            return std::nullopt;
        raw.push_back(s.substr(start, j - start));

        std::vector<std::string> args;
        for (auto a : raw) {
            auto r = rewrite(trim(a));
            if (!r)
                return std::nullopt;
            args.push_back(std::move(*r));
        }
        if (args.size() == 1 && args[0].empty())
            args.clear();  // "std::tuple<>"

        auto k = out.size();
        while (k > 0 && is_name_char(out[k - 1]))
            --k;
        const std::string tmpl = out.substr(k);
        out.resize(k);
        out += simplify(tmpl, std::move(args));
        i = j + 1;
    }
    return out;
}

}  // namespace

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out{
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free};
    if (status != 0 || !out)
        return mangled;
    std::string name = strip_inline_namespaces(out.get());
    // "operator<" and the like would confuse the bracket matching: leave such names
    // (types local to operator functions) as they are, bar the spelling of std::string.
    if (name.find("operator") == std::string::npos) {
        if (auto rewritten = rewrite(name))
            return *rewritten;
    }
    replace_all(name, "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
                "std::string");
    return name;
}

}  // namespace mob::detail

namespace mob::detail {

zmq::message_t frame_streambuf::take() {
    const auto size = static_cast<std::size_t>(pptr() - pbase());
    if (size <= copy_limit) {
        zmq::message_t frame{pbase(), size};
        setp(pbase(), epptr());  // the buffer stays for the next encoding
        return frame;
    }
    char* data = std::exchange(heap_, nullptr);
    setp(inline_, inline_ + sizeof inline_);
    return zmq::message_t{data, size, [](void* d, void*) { std::free(d); }, nullptr};
}

frame_encoder& this_thread_frame_encoder() {
    thread_local frame_encoder encoder;
    return encoder;
}

void frame_streambuf::grow(std::size_t more) {
    const auto used = static_cast<std::size_t>(pptr() - pbase());
    const auto capacity = static_cast<std::size_t>(epptr() - pbase());
    const auto wanted = std::max(capacity * 2, used + more);
    char* p = nullptr;
    if (heap_ == nullptr) {
        p = static_cast<char*>(std::malloc(wanted));
        if (p != nullptr)
            std::memcpy(p, inline_, used);
    } else {
        p = static_cast<char*>(std::realloc(heap_, wanted));
    }
    if (p == nullptr)
        throw std::bad_alloc{};
    heap_ = p;
    setp(p, p + wanted);
    // pbump takes an int: move the put pointer on in steps a large encoding needs.
    for (auto left = used; left > 0;) {
        auto step = std::min<std::size_t>(left, std::numeric_limits<int>::max());
        pbump(static_cast<int>(step));
        left -= step;
    }
}

std::streamsize frame_streambuf::xsputn(const char* s, std::streamsize n) {
    const auto size = static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(epptr() - pptr()) < size)
        grow(size);
    std::memcpy(pptr(), s, size);
    for (auto left = size; left > 0;) {
        auto step = std::min<std::size_t>(left, std::numeric_limits<int>::max());
        pbump(static_cast<int>(step));
        left -= step;
    }
    return n;
}

frame_streambuf::int_type frame_streambuf::overflow(int_type c) {
    if (traits_type::eq_int_type(c, traits_type::eof()))
        return traits_type::not_eof(c);
    if (pptr() == epptr())
        grow(1);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
}

}  // namespace mob::detail
