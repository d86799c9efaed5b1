// Three roles in a chain: ingest -> enrich -> store. Every call has a deadline, and the
// middle's calls are idempotent, so when a middle worker dies with a request the broker
// runs it again on another one, and the store keeps each request once
// (examples/pipeline/README.md).
#include <mob/app.hpp>

#include "pipeline.hpp"

int main(int argc, char** argv) {
    return mob::app("pipeline")
        .role("ingest", ingest_main)
        .role("enrich", enrich_main, {.workers = 2})
        .role("store", store_main)  // one worker: the state lives in one process
        .run(argc, argv);
}
