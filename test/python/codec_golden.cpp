// Prints what the C++ side puts on the wire, for the Python binding's tests to compare
// their own encoder and decoder with: one line per case, "NAME<TAB>TYPE<TAB>HEX", where
// TYPE is mob::type_name<T>() (the name that travels beside a payload) and HEX the
// bytes. Payloads are encoded with mob::encode (cereal's portable binary archive, the
// encoder every C++ worker uses); protocol bodies and frames with the real builders.
// The values are the ones bindings/python/tests/test_codec.py expects, case by case.
#include <mob/codec.hpp>
#include <mob/protocol/envelope.hpp>
#include <mob/protocol/fields.hpp>
#include <mob/scale_result.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

// Types the Python binding has no encoding for, whose layout docs/protocol.md gives.
namespace golden {
struct point {
    int x = 0;
    double y = 0;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, y);
    }
};
enum class color : std::uint8_t { red = 1, green = 2 };
}  // namespace golden

namespace {

void line(std::string_view name, std::string_view type, std::string_view bytes) {
    std::printf("%.*s\t%.*s\t", static_cast<int>(name.size()), name.data(),
                static_cast<int>(type.size()), type.data());
    for (unsigned char c : bytes)
        std::printf("%02x", c);
    std::printf("\n");
}

template <typename T>
void value(std::string_view name, const T& v) {
    line(name, mob::type_name<T>(), mob::encode(v));
}

void payloads() {
    value("int8", std::int8_t{-5});
    value("uint8", std::uint8_t{200});
    value("int16", std::int16_t{-300});
    value("uint16", std::uint16_t{60000});
    value("int32", std::int32_t{-42});
    value("uint32", std::uint32_t{4000000000U});
    value("int64", std::int64_t{-1234567890123});
    value("uint64", std::numeric_limits<std::uint64_t>::max());
    value("long_long", 7LL);
    value("unsigned_long_long", 8ULL);
    value("char", 'A');
    value("float", 1.5F);
    value("double", -2.25);
    value("double_pi", 3.141592653589793);
    value("bool_true", true);
    value("bool_false", false);
    value("string", std::string{"h\xc3\xa9llo"});
    value("string_empty", std::string{});
    value("vector_int", std::vector<int>{1, 2, 3});
    value("vector_int_empty", std::vector<int>{});
    value("vector_double", std::vector<double>{0.5, -1.0});
    value("vector_bool", std::vector<bool>{true, false, true});
    value("vector_string", std::vector<std::string>{"a", "bc"});
    value("vector_vector_int", std::vector<std::vector<int>>{{1}, {2, 3}});
    value("map_string_int", std::map<std::string, int>{{"a", 1}, {"b", 2}});
    value("map_int_vector_string", std::map<int, std::vector<std::string>>{{3, {"x"}}, {1, {}}});
    value("tuple_int_string_double", std::tuple<int, std::string, double>{7, "seven", 7.5});
    value("tuple_empty", std::tuple<>{});
    value("pair_int_string", std::pair<int, std::string>{1, "one"});
    value("optional_int", std::optional<int>{5});
    value("optional_int_empty", std::optional<int>{});
    value("add_args", std::tuple<int, int>{1, 2});
    value("nested", std::tuple<std::int64_t, std::vector<std::pair<std::string, double>>, bool>{
                        -1, {{"x", 0.25}}, true});
}

// Layouts docs/protocol.md gives for types beyond the binding's.
void others() {
    value("set_int", std::set<int>{3, 1});
    value("array_int_3", std::array<int, 3>{1, 2, 3});
    value("unordered_map_string_int", std::unordered_map<std::string, int>{{"a", 1}});
    value("variant_int_string", std::variant<int, std::string>{std::string{"x"}});
    value("struct_point", golden::point{1, 0.5});
    value("enum_color", golden::color::green);
    value("milliseconds", std::chrono::milliseconds{1500});
}

void bodies() {
    namespace proto = mob::protocol::v1;
    value("hello_body",
          proto::hello{"myapp", "back", 4242, "box", 0x0123456789abcdefULL, true, 1, {}});
    value("ready_body", proto::ready{1, {"add"}});
    value("error_body", proto::error_body{mob::errc::unknown_role, "no role"});
    value("welcome_body", proto::welcome{"loopapp", "back/1@raw#0000000000000001", 1000, 3,
                                         std::vector<std::string>{"back"}, std::nullopt});
    mob::crash_report dead;
    dead.role = "back";
    dead.pid = 41;
    dead.exit_code = 1;
    dead.exception_type = "std::runtime_error";
    dead.exception_what = "disk full";
    dead.exception_where = "the role function";
    dead.time = 1700000000;
    value("welcome_body_crash",
          proto::welcome{"app", "back/42@h#0000000000000002", 200, 3, {"back", "front"}, dead});
    value("scale_result", mob::scale_result{"back", 1, 8, 2, 3, false});
}

void frames() {
    namespace proto = mob::protocol::v1;
    const proto::call_head head{7, {0, 30000}, "back", "add", "std::tuple<int, int>"};
    line("call_head", "", proto::view(head.encode()));
    // The examples of docs/protocol.md's "Call head frame" and "Outcome frame".
    const proto::call_head first{1, {0, 30000}, "back", "add", "std::tuple<int, int>"};
    line("call_head_1", "", proto::view(first.encode()));
    const proto::outcome first_ok{1, mob::errc::ok, "int"};
    line("outcome_1", "", proto::view(first_ok.encode()));
    const proto::outcome ok{7, mob::errc::ok, "int"};
    line("outcome", "", proto::view(ok.encode()));
    const proto::outcome failed{1, mob::errc::unknown_method, ""};
    line("outcome_failed", "", proto::view(failed.encode()));
}

}  // namespace

int main() {
    payloads();
    others();
    bodies();
    frames();
}
