// The test app's typed methods (mob::method), declared once for test_app.cpp and the
// tests that call them. Some name functions the app exports in the string form (the
// wire types are the same); the app exports the others typed.
#pragma once

#include <mob/method.hpp>

#include <string>

namespace testapp::methods {

// Exported in the string form, as w.export_fn("add", [](int a, int b) { ... }).
inline constexpr mob::method<int(int, int)> add{"add"};
inline constexpr mob::method<int(int, int)> slow_echo{"slow_echo"};
inline constexpr mob::method<int()> boom{"boom"};
/// "add" declared with other types than its export's: calls fail with bad_type.
inline constexpr mob::method<long(long, long)> add_longs{"add"};

// Exported typed.
/// Returns `text` `times` times; its function takes a `const std::string&`.
inline constexpr mob::method<std::string(std::string, int)> repeat{"repeat"};
/// Answers twice its argument through a mob::reply<int>, later, from another thread.
inline constexpr mob::method<int(int)> double_later{"double_later"};
/// Prints "EVENT typed_note ROLE PID TEXT".
inline constexpr mob::method<void(std::string)> typed_note{"typed_note"};

/// Exported by no role.
inline constexpr mob::method<void()> nosuch{"nosuchmethod"};

}  // namespace testapp::methods
