// The fork server's own side. The kingpin starts it once, from the program file its
// workers run: it loads the program and runs main() up to app::run(), as each worker
// would, then forks every worker the kingpin asks for. A fork skips the exec and the
// dynamic loading that were most of a worker's start-up. It never makes a ZeroMQ
// context and refuses to serve if any other thread runs, so nothing but one thread's
// memory crosses fork().
#pragma once

namespace mob::detail {

/// Serves the kingpin on `socket` (the descriptor MOB_FORK_SERVER_FD names) until the
/// kingpin closes it. Returns true in each worker it forks, which goes on as the worker
/// its environment names: it is the kingpin's child (the kingpin is a subreaper),
/// PDEATHSIG is set, its stdout, stderr, crash pipe and listeners are in place, and its
/// environment is the one the kingpin sent. Returns false in the server once it is done.
bool serve_forks(int socket);

}  // namespace mob::detail
