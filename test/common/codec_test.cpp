// mob::encode / mob::decode: round trips, strict rejection of wrong or broken
// payloads, and the readable type names that travel beside payloads.
#include "mob/codec.hpp"
#include "mob/error.hpp"

#include <cereal/archives/portable_binary.hpp>

#include "allocation_guard.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

namespace mob {
// gtest prints error codes by name.
inline void PrintTo(errc code, std::ostream* os) {
    *os << to_string(code);
}
}  // namespace mob

namespace {

struct point {
    std::int32_t x = 0;
    std::int32_t y = 0;
    std::string label;
    std::vector<double> weights;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, y, label, weights);
    }
    friend bool operator==(const point&, const point&) = default;
};

// Split save/load, and a save_minimal/load_minimal type.
struct stamp {
    std::uint16_t day = 0;
    std::string note;

    template <class Archive>
    void save(Archive& ar) const {
        ar(day, note);
    }
    template <class Archive>
    void load(Archive& ar) {
        ar(day, note);
        if (day > 366)
            throw mob::error("bad day");
    }
    friend bool operator==(const stamp&, const stamp&) = default;
};

struct celsius {
    double degrees = 0;

    template <class Archive>
    double save_minimal(const Archive&) const {
        return degrees;
    }
    template <class Archive>
    void load_minimal(const Archive&, const double& d) {
        degrees = d;
    }
    friend bool operator==(const celsius&, const celsius&) = default;
};

enum class colour : std::uint8_t { red = 1, green = 2 };

// Overwrites the 8-byte length prefix at `at` (little-endian, as encode writes on x86).
void claim_length(std::string& bytes, std::size_t at, std::uint64_t claimed) {
    for (std::size_t i = 0; i < 8; ++i)
        bytes[at + i] = static_cast<char>(claimed >> (8 * i));
}

template <typename T>
T round_trip(const T& value) {
    return mob::decode<T>(mob::encode(value));
}

// Runs `f`, which must throw mob::error, and returns the error.
template <typename F>
mob::error caught(F&& f) {
    try {
        f();
    } catch (const mob::error& e) {
        return e;
    }
    ADD_FAILURE() << "no mob::error was thrown";
    return mob::error{"nothing thrown"};
}

TEST(codec, round_trips_an_int) {
    EXPECT_EQ(round_trip(0), 0);
    EXPECT_EQ(round_trip(42), 42);
    EXPECT_EQ(round_trip(-7), -7);
    EXPECT_EQ(round_trip(std::numeric_limits<int>::max()), std::numeric_limits<int>::max());
    EXPECT_EQ(round_trip(std::numeric_limits<int>::min()), std::numeric_limits<int>::min());
}

TEST(codec, round_trips_a_double) {
    EXPECT_EQ(round_trip(0.0), 0.0);
    EXPECT_EQ(round_trip(3.25), 3.25);
    EXPECT_EQ(round_trip(-1e300), -1e300);
    EXPECT_EQ(round_trip(std::numeric_limits<double>::infinity()),
              std::numeric_limits<double>::infinity());
}

TEST(codec, round_trips_a_string) {
    EXPECT_EQ(round_trip(std::string{}), "");
    EXPECT_EQ(round_trip(std::string{"hello"}), "hello");
    const std::string with_nuls{"a\0b\0c", 5};
    EXPECT_EQ(round_trip(with_nuls), with_nuls);
    const std::string big(100000, 'x');
    EXPECT_EQ(round_trip(big), big);
}

TEST(codec, round_trips_a_vector) {
    EXPECT_EQ(round_trip(std::vector<int>{}), std::vector<int>{});
    EXPECT_EQ(round_trip(std::vector<int>{1, 2, 3}), (std::vector<int>{1, 2, 3}));
    const std::vector<std::string> words{"a", "", "longer word"};
    EXPECT_EQ(round_trip(words), words);
}

TEST(codec, round_trips_a_map) {
    const std::map<std::string, int> m{{"one", 1}, {"two", 2}, {"", 0}};
    EXPECT_EQ(round_trip(m), m);
    EXPECT_EQ(round_trip(std::map<int, double>{}), (std::map<int, double>{}));
}

TEST(codec, round_trips_an_optional) {
    EXPECT_EQ(round_trip(std::optional<int>{}), std::nullopt);
    EXPECT_EQ(round_trip(std::optional<int>{5}), std::optional<int>{5});
    EXPECT_EQ(round_trip(std::optional<std::string>{"x"}), std::optional<std::string>{"x"});
}

TEST(codec, round_trips_a_variant) {
    using v = std::variant<int, std::string, double>;
    EXPECT_EQ(round_trip(v{7}), v{7});
    EXPECT_EQ(round_trip(v{std::string{"seven"}}), v{std::string{"seven"}});
    EXPECT_EQ(round_trip(v{7.5}), v{7.5});
    EXPECT_EQ(round_trip(v{7.5}).index(), 2u);
}

TEST(codec, round_trips_a_tuple) {
    const std::tuple<int, std::string, bool> t{1, "two", true};
    EXPECT_EQ(round_trip(t), t);
}

TEST(codec, round_trips_a_user_struct) {
    const point p{3, -4, "corner", {0.5, 1.5}};
    EXPECT_EQ(round_trip(p), p);
    EXPECT_EQ(round_trip(point{}), point{});
}

TEST(codec, round_trips_nested_containers) {
    const std::map<std::string, std::vector<std::optional<point>>> m{
        {"a", {point{1, 2, "p", {}}, std::nullopt}}, {"b", {}}};
    EXPECT_EQ(round_trip(m), m);
}

TEST(codec, encode_into_appends_to_what_is_there) {
    std::string out = "prefix";
    mob::encode_into(out, 42);
    EXPECT_EQ(out.substr(0, 6), "prefix");
    EXPECT_EQ(mob::decode<int>(std::string_view{out}.substr(6)), 42);
}

TEST(codec, decodes_from_a_byte_span) {
    const auto bytes = mob::encode(std::string{"span"});
    const auto span = std::as_bytes(std::span{bytes.data(), bytes.size()});
    EXPECT_EQ(mob::decode<std::string>(span), "span");
}

TEST(codec, decode_rejects_a_payload_of_another_type) {
    const auto bytes = mob::encode(std::string{"hello"});
    auto e = caught([&] { (void)mob::decode<int>(bytes); });
    EXPECT_EQ(e.code(), mob::errc::bad_type);
    EXPECT_NE(std::string{e.what()}.find("int"), std::string::npos) << e.what();
    EXPECT_NE(std::string{e.what()}.find("left over"), std::string::npos) << e.what();
}

TEST(codec, decode_rejects_a_vector_decoded_as_a_string) {
    const auto bytes = mob::encode(std::vector<int>{1, 2, 3});
    auto e = caught([&] { (void)mob::decode<std::string>(bytes); });
    EXPECT_EQ(e.code(), mob::errc::bad_type);
    EXPECT_NE(std::string{e.what()}.find("std::string"), std::string::npos) << e.what();
}

TEST(codec, decode_rejects_a_user_struct_decoded_as_a_string) {
    // point{1, 2, ...} starts with the bytes of x and y, which read as a string length
    // of 8 GiB: decode must refuse it (allocation_guard.cpp helps it fail fast).
    const auto bytes = mob::encode(point{1, 2, "label", {1.0}});
    auto e = caught([&] { (void)mob::decode<std::string>(bytes); });
    EXPECT_EQ(e.code(), mob::errc::bad_type);
    EXPECT_NE(std::string{e.what()}.find("std::string"), std::string::npos) << e.what();
}

TEST(codec, decode_rejects_a_truncated_payload) {
    const auto bytes = mob::encode(std::vector<int>{1, 2, 3});
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
        const std::string_view shorter{bytes.data(), bytes.size() - cut};
        auto e = caught([&] { (void)mob::decode<std::vector<int>>(shorter); });
        EXPECT_EQ(e.code(), mob::errc::bad_type) << "cut " << cut;
    }
}

TEST(codec, decode_rejects_a_truncated_user_struct) {
    const auto bytes = mob::encode(point{1, 2, "label", {1.0, 2.0}});
    const std::string_view shorter{bytes.data(), bytes.size() - 1};
    auto e = caught([&] { (void)mob::decode<point>(shorter); });
    EXPECT_EQ(e.code(), mob::errc::bad_type);
}

TEST(codec, decode_rejects_an_empty_payload_for_a_non_empty_type) {
    for (auto e : {caught([] { (void)mob::decode<int>(std::string_view{}); }),
                   caught([] { (void)mob::decode<std::string>(std::string_view{}); }),
                   caught([] { (void)mob::decode<point>(std::string_view{}); })}) {
        EXPECT_EQ(e.code(), mob::errc::bad_type);
        EXPECT_NE(std::string{e.what()}.find("does not decode"), std::string::npos) << e.what();
    }
}

TEST(codec, decode_rejects_an_unknown_variant_index) {
    using v = std::variant<int, std::string>;
    auto bytes = mob::encode(v{1});
    // The archive starts with one endianness byte, then the 4-byte variant index.
    bytes[1] = '\x05';
    auto e = caught([&] { (void)mob::decode<v>(bytes); });
    EXPECT_EQ(e.code(), mob::errc::bad_type);
    // A negative index, too.
    bytes.replace(1, 4, std::string(4, '\xff'));
    e = caught([&] { (void)mob::decode<v>(bytes); });
    EXPECT_EQ(e.code(), mob::errc::bad_type);
}

// A payload from the wire is untrusted: a length prefix must not make decode allocate
// (and zero-fill) more than the payload could possibly hold.
TEST(codec, decode_does_not_allocate_what_a_short_payload_only_claims) {
    auto bytes = mob::encode(std::string{"x"});
    const std::uint64_t claimed = std::uint64_t{1} << 30;  // 1 GiB, in a 10-byte payload
    for (std::size_t i = 0; i < 8; ++i)
        bytes[1 + i] = static_cast<char>(claimed >> (8 * i));
    mob::test::reset_largest_allocation();
    auto e = caught([&] { (void)mob::decode<std::string>(bytes); });
    const std::size_t largest = mob::test::largest_allocation;
    EXPECT_EQ(e.code(), mob::errc::bad_type);
    EXPECT_LT(largest, std::size_t{1} << 20)
        << "decoding " << bytes.size() << " bytes asked for a " << largest << "-byte allocation";
}

TEST(codec, decode_rejects_a_bool_byte_that_is_neither_0_nor_1) {
    auto bytes = mob::encode(false);
    ASSERT_EQ(bytes.size(), 2u);
    bytes[1] = '\x02';
    auto e = caught([&] { (void)mob::decode<bool>(bytes); });
    EXPECT_EQ(e.code(), mob::errc::bad_type);
}

TEST(codec, type_name_is_readable) {
    EXPECT_EQ(mob::type_name<int>(), "int");
    EXPECT_EQ(mob::type_name<double>(), "double");
    EXPECT_EQ(mob::type_name<std::string>(), "std::string");
    EXPECT_EQ(mob::type_name<std::vector<int>>(), "std::vector<int>");
}

TEST(codec, type_name_drops_default_template_arguments) {
    EXPECT_EQ((mob::type_name<std::map<std::string, int>>()), "std::map<std::string, int>");
    EXPECT_EQ((mob::type_name<std::tuple<int, std::string>>()), "std::tuple<int, std::string>");
    EXPECT_EQ(mob::type_name<std::vector<std::string>>(), "std::vector<std::string>");
    EXPECT_EQ(mob::type_name<std::vector<std::vector<int>>>(), "std::vector<std::vector<int>>");
    EXPECT_EQ(mob::type_name<std::set<std::string>>(), "std::set<std::string>");
    EXPECT_EQ((mob::type_name<std::unordered_map<std::string, std::vector<double>>>()),
              "std::unordered_map<std::string, std::vector<double>>");
    EXPECT_EQ((mob::type_name<std::map<int, std::string, std::greater<int>>>()),
              "std::map<int, std::string, std::greater<int>>");
    EXPECT_EQ(mob::type_name<std::string_view>(), "std::string_view");
    EXPECT_EQ(mob::type_name<std::tuple<>>(), "std::tuple<>");
    EXPECT_EQ((mob::type_name<std::variant<int, std::optional<std::string>>>()),
              "std::variant<int, std::optional<std::string>>");
}

// A length prefix larger than what is left of the payload is refused before anything is
// allocated for it, for maps and vectors of strings as for strings.
TEST(codec, decode_refuses_a_container_count_the_payload_cannot_hold) {
    auto map_bytes = mob::encode(std::map<std::string, int>{{"a", 1}});
    claim_length(map_bytes, 1, std::uint64_t{1} << 40);
    auto vec_bytes = mob::encode(std::vector<std::string>{"a", "b"});
    claim_length(vec_bytes, 1, std::uint64_t{1} << 28);  // 8 GiB of std::string objects
    auto inner_bytes = mob::encode(std::vector<std::string>{"a", "b"});
    claim_length(inner_bytes, 1 + 8, 1000);  // the first string's length
    mob::test::reset_largest_allocation();
    for (auto e : {caught([&] { (void)mob::decode<std::map<std::string, int>>(map_bytes); }),
                   caught([&] { (void)mob::decode<std::vector<std::string>>(vec_bytes); }),
                   caught([&] { (void)mob::decode<std::vector<std::string>>(inner_bytes); })}) {
        EXPECT_EQ(e.code(), mob::errc::bad_type);
        EXPECT_NE(std::string{e.what()}.find("bytes left"), std::string::npos) << e.what();
    }
    EXPECT_LT(mob::test::largest_allocation.load(), std::size_t{1} << 12);
}

// A payload written on a big-endian host (first byte 0) decodes to the same values.
TEST(codec, decodes_a_big_endian_payload) {
    using value = std::tuple<std::int32_t, double, std::vector<std::uint16_t>, std::string>;
    const value v{-123456, 2.5, {1, 0x0203, 0xfffe}, "be"};
    std::ostringstream os;
    {
        cereal::PortableBinaryOutputArchive ar{
            os, cereal::PortableBinaryOutputArchive::Options::BigEndian()};
        ar(v);
    }
    const auto bytes = os.str();
    ASSERT_EQ(bytes[0], '\0');
    EXPECT_EQ(bytes.substr(1, 4), std::string("\xff\xfe\x1d\xc0", 4));  // -123456
    EXPECT_EQ(mob::decode<value>(bytes), v);
}

TEST(codec, decode_rejects_a_bad_byte_order_mark) {
    auto bytes = mob::encode(7);
    bytes[0] = '\x02';
    EXPECT_EQ(caught([&] { (void)mob::decode<int>(bytes); }).code(), mob::errc::bad_type);
}

TEST(codec, decode_rejects_a_bad_bool_inside_an_array_or_optional) {
    auto arr = mob::encode(std::array<bool, 3>{true, false, true});
    arr[2] = '\x07';
    EXPECT_EQ(caught([&] { (void)mob::decode<std::array<bool, 3>>(arr); }).code(),
              mob::errc::bad_type);
    auto opt = mob::encode(std::optional<int>{});
    opt[1] = '\x03';  // the "nullopt" flag
    EXPECT_EQ(caught([&] { (void)mob::decode<std::optional<int>>(opt); }).code(),
              mob::errc::bad_type);
}

TEST(codec, round_trips_enums_durations_and_minimal_and_split_types) {
    EXPECT_EQ(round_trip(colour::green), colour::green);
    EXPECT_EQ(round_trip(mob::errc::bad_type), mob::errc::bad_type);
    EXPECT_EQ(round_trip(std::chrono::milliseconds{1500}), std::chrono::milliseconds{1500});
    EXPECT_EQ(round_trip(celsius{21.5}), celsius{21.5});
    EXPECT_EQ(round_trip(stamp{42, "note"}), (stamp{42, "note"}));
    const std::map<colour, std::vector<celsius>> m{{colour::red, {{1.0}, {2.0}}}};
    EXPECT_EQ(round_trip(m), m);
    const std::vector<bool> bits{true, false, true, true};
    EXPECT_EQ(round_trip(bits), bits);
    EXPECT_EQ(round_trip(std::array<bool, 2>{true, false}), (std::array<bool, 2>{true, false}));
}

TEST(codec, type_name_names_a_user_struct) {
    EXPECT_NE(mob::type_name<point>().find("point"), std::string::npos) << mob::type_name<point>();
}

TEST(codec, type_name_is_stable_across_calls) {
    EXPECT_EQ(&mob::type_name<int>(), &mob::type_name<int>());
    EXPECT_NE(mob::type_name<int>(), mob::type_name<long>());
}

}  // namespace
