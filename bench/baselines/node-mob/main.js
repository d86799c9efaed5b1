// The node-mob baseline of mob-rpc-bench: node's `mob` 0.0.9, the original mob re-implements,
// run as its README shows. `node main.js WORKERS PAYLOAD`: this process is the kingpin; it
// forks WORKERS workers of role `back` (back.js, exports echo(x, cb)) and then one of
// role `front` (front.js, which calls back.echo(x, cb) and is driven by lines on stdin).
//
// Transport (read from node_modules/mob/lib): no sockets of its own, no ZeroMQ. mob 0.0.9
// is built on node's `cluster`: every worker is a child_process.fork() with an IPC
// channel (a Unix domain socketpair) to the kingpin, and every message is
// process.send()/worker.send(), i.e. JSON, one line per message, over that channel.
// A call back.echo(x, cb) is four such messages: front -> kingpin ({MOB: 'MESSAGE'},
// addressed to "any back"), kingpin -> one back worker (CALL; the kingpin rotates its
// list of workers, so round robin, no credit), back -> kingpin (MESSAGE addressed to the
// front's pid, carrying the CALLBACK), kingpin -> front (CALLBACK, which runs cb once).
// The kingpin parses and re-serialises every message on its one thread.
'use strict';

const cluster = require('cluster');

const workers = Number(process.argv[2] || 1);

if (cluster.isPrimary) {
    // mob's kingpin revives a worker that exits; stopping the bench must not start that
    // loop, so on SIGTERM/SIGINT we kill the workers and leave at once (no revival runs).
    const stop = () => {
        for (const id in cluster.workers) {
            cluster.workers[id].process.kill('SIGKILL');
        }
        process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

// The same chain runs in every process: the kingpin forks, a worker takes its role.
// Roles are forked in this order, each only after the previous worker reported ready,
// so every back worker has exported echo before the front asks for mob.require('back').
require('mob')
    .start('mob-bench')
    .base(module)
    .role('back', './back.js', {workers: workers})
    .role('front', './front.js', {workers: 1});
