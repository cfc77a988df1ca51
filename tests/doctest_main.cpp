// The one doctest main shared by every test executable (compiled once as an OBJECT library). Started
// with --outpost-child-role, the program runs that role instead of its tests (child_process.h).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <string_view>

#include "child_process.h"

int main(int argc, char** argv) {
    if (argc >= 3 && std::string_view(argv[1]) == outpost::testing::kChildRoleFlag) {
        outpost::testing::run_child_role(outpost::os::arguments(argc, argv));
    }
    doctest::Context context(argc, argv);
    return context.run();
}
