// main.js of the original, in C++: the same main runs as the kingpin and as every
// worker; run() decides which.
#include <mob/app.hpp>

#include "roles.hpp"

int main(int argc, char** argv) {
    return mob::app("myapp")
        .role("back", back_main, {.workers = 4})
        .role("front", front_main, {.workers = 2})
        .run(argc, argv);
}
