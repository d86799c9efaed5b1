// The seed's example app: 4 background workers and 2 HTTP front ends.
#pragma once

#include <mob/worker.hpp>

void back_main(mob::worker& w);
void front_main(mob::worker& w);
