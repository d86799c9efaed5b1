// The `front` worker of the node-mob baseline: calls back.echo(x, cb) through mob's
// proxy, driven by mob-rpc-bench with lines on stdin (inherited from the kingpin, which
// reads none), one answer line each on stdout; the protocol of bench/baselines/nats:
//
//     latency WARMUP CALLS             -> latency_us V V ...   (one call in flight, us each)
//     throughput WINDOW WARMUP CALLS   -> calls_per_s V        (WINDOW calls in flight)
//
// and "error TEXT" when a reply is wrong. It prints "ready" once the proxy exists.
'use strict';

const mob = require('mob');
const readline = require('readline');

const back = mob.require('back');
const size = Number(process.argv[3] || 32);
const payload = 'x'.repeat(size);

function now() {
    return process.hrtime.bigint();
}

// One call at a time: each callback takes the time and makes the next call.
function latency(warmup, calls, done) {
    const us = [];
    let i = 0;
    let t0 = now();
    const next = () => {
        t0 = now();
        back.echo(payload, reply);
    };
    const reply = (x) => {
        const t1 = now();
        if (x !== payload) {
            return done('error a wrong reply');
        }
        if (i >= warmup) {
            us.push((Number(t1 - t0) / 1000).toFixed(1));
        }
        if (++i < warmup + calls) {
            return next();
        }
        done('latency_us ' + us.join(' '));
    };
    next();
}

// `window` calls in flight: each callback makes the next call, until warmup + calls
// replies; the ones still out then are waited for, unmeasured.
function throughput(window, warmup, calls, done) {
    warmup = Math.max(warmup, 1);
    let replies = 0;
    let outstanding = 0;
    let t0 = now();
    let rate = 0;
    const reply = (x) => {
        --outstanding;
        if (x !== payload) {
            return done('error a wrong reply');
        }
        ++replies;
        if (replies === warmup) {
            t0 = now();
        } else if (replies === warmup + calls) {
            rate = calls / (Number(now() - t0) / 1e9);
        }
        if (replies < warmup + calls) {
            ++outstanding;
            back.echo(payload, reply);
        } else if (outstanding === 0) {
            done('calls_per_s ' + rate.toFixed(1));
        }
    };
    for (; outstanding < window; ++outstanding) {
        back.echo(payload, reply);
    }
}

const commands = [];
let busy = false;
function run() {
    if (busy || commands.length === 0) {
        return;
    }
    const f = commands.shift().trim().split(/\s+/);
    const n = f.slice(1).map(Number);
    const done = (line) => {
        process.stdout.write(line + '\n');
        busy = false;
        run();
    };
    busy = true;
    if (f[0] === 'latency' && n.length === 2) {
        latency(n[0], n[1], done);
    } else if (f[0] === 'throughput' && n.length === 3) {
        throughput(n[0], n[1], n[2], done);
    } else {
        done('error unknown command ' + f.join(' '));
    }
}

readline.createInterface({input: process.stdin}).on('line', (line) => {
    if (line.trim() !== '') {
        commands.push(line);
        run();
    }
});
process.stdout.write('ready\n');
